"""History of scorecards and findings in an embedded SQLite database (standard library driver).

One run = one transaction (``BEGIN IMMEDIATE``): a run is stored whole or not at all, so a process killed
half-way leaves the previous runs intact. The database is in WAL mode with a busy timeout, so several
writers (CI jobs, a cron report and a developer's ``govern check --record``) queue instead of failing.

The schema is versioned (table ``schema_version``); opening an older file migrates it in place, inside a
transaction, and a file written by a newer govern is refused rather than damaged. Timestamps are UTC
(ISO 8601 with ``Z``); ``SOURCE_DATE_EPOCH`` fixes the recording time for reproducible output.

Schema history:

- v1: runs(created, standards_version, products, mean_score), product_scores(product, score, level),
  findings(fingerprint, rule, product, severity, message). ``created`` was SQLite ``datetime('now')``
  (UTC without a zone marker).
- v2: runs gain the evaluation date, source, mesh, standards pack, counts and levels; product scores gain
  domain and counts; findings gain standard, location and waived; ``product_standards`` holds the
  status of each standard per product.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govern.model.errors import GovernError
from govern.model.findings import Finding, Severity

SCHEMA_VERSION = 2
DEFAULT_HISTORY = ".govern/history.sqlite"
SOURCES = ("report", "check", "migrated")


class HistoryError(GovernError):
    """The history database cannot be opened, read or written."""


def utc_now() -> dt.datetime:
    """Now in UTC, or the time in SOURCE_DATE_EPOCH (seconds) when set, for reproducible output."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
        except (ValueError, OverflowError, OSError):
            raise HistoryError(f"SOURCE_DATE_EPOCH '{epoch}' is not a number of seconds") from None
    return dt.datetime.now(dt.UTC)


def format_utc(moment: dt.datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ``; a naive datetime is taken to be UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def default_history_path(root: Path, configured: str | None) -> Path:
    """``history:`` of govern.yaml (relative to the mesh root), else ``.govern/history.sqlite``.

    HistoryError when it leaves the mesh root (absolute, ``..``, or through a symbolic link): the history
    feeds trends and levels, so it is read only from the repository (an explicit ``--history`` may lie
    anywhere).
    """
    from govern.load.paths import config_path_inside
    from govern.model.errors import InputError

    relpath = configured or DEFAULT_HISTORY
    try:
        return config_path_inside(root, relpath)
    except InputError as exc:
        raise HistoryError(f"history database {exc.message}", path=relpath, expected=exc.expected) from None


_SCHEMA_V2 = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  recorded_at TEXT NOT NULL,
  as_of TEXT NOT NULL,
  source TEXT NOT NULL,
  mesh TEXT NOT NULL DEFAULT '',
  standards_pack TEXT NOT NULL DEFAULT '',
  standards_version TEXT NOT NULL DEFAULT '',
  products INTEGER NOT NULL,
  mean_score REAL NOT NULL,
  open_errors INTEGER NOT NULL DEFAULT 0,
  warnings INTEGER NOT NULL DEFAULT 0,
  waived INTEGER NOT NULL DEFAULT 0,
  levels TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX runs_as_of ON runs(as_of, id);
CREATE TABLE product_scores (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  product TEXT NOT NULL,
  domain TEXT NOT NULL,
  score REAL NOT NULL,
  level TEXT NOT NULL,
  open_errors INTEGER NOT NULL DEFAULT 0,
  warnings INTEGER NOT NULL DEFAULT 0,
  waived INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, product)
);
CREATE INDEX product_scores_domain ON product_scores(domain, run_id);
CREATE TABLE product_standards (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  product TEXT NOT NULL,
  standard TEXT NOT NULL,
  status TEXT NOT NULL,
  PRIMARY KEY (run_id, product, standard)
);
CREATE TABLE findings (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  fingerprint TEXT NOT NULL,
  rule TEXT NOT NULL,
  standard TEXT NOT NULL DEFAULT '',
  severity TEXT NOT NULL,
  product TEXT,
  message TEXT NOT NULL,
  path TEXT,
  line INTEGER,
  waived INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX findings_run ON findings(run_id);
"""


def _migrate_v1_to_v2(conn: sqlite3.Connection) -> None:
    """v1 -> v2: copy into the new tables, derive what v1 did not store, drop the old tables."""
    for table in ("runs", "product_scores", "findings"):
        conn.execute(f"ALTER TABLE {table} RENAME TO {table}_v1")
    conn.execute("DROP TABLE schema_version")
    for statement in _SCHEMA_V2.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute(
        """INSERT INTO runs (id, recorded_at, as_of, source, mesh, standards_pack, standards_version,
                             products, mean_score, open_errors, warnings, waived, levels)
           SELECT id, strftime('%Y-%m-%dT%H:%M:%SZ', created), date(created), 'migrated', '', '',
                  COALESCE(standards_version, ''), products, mean_score,
                  (SELECT COUNT(*) FROM findings_v1 f WHERE f.run_id = r.id AND f.severity = 'error'),
                  (SELECT COUNT(*) FROM findings_v1 f WHERE f.run_id = r.id AND f.severity = 'warning'),
                  0, '{}'
           FROM runs_v1 r"""
    )
    conn.execute(
        """INSERT INTO product_scores (run_id, product, domain, score, level, open_errors, warnings, waived)
           SELECT p.run_id, p.product,
                  CASE WHEN instr(p.product, '.') > 0 THEN substr(p.product, 1, instr(p.product, '.') - 1)
                       ELSE p.product END,
                  p.score, p.level,
                  (SELECT COUNT(*) FROM findings_v1 f
                    WHERE f.run_id = p.run_id AND f.product = p.product AND f.severity = 'error'),
                  (SELECT COUNT(*) FROM findings_v1 f
                    WHERE f.run_id = p.run_id AND f.product = p.product AND f.severity = 'warning'),
                  0
           FROM product_scores_v1 p"""
    )
    conn.execute(
        """INSERT INTO findings (run_id, fingerprint, rule, standard, severity, product, message, path, line,
                                 waived)
           SELECT run_id, fingerprint, rule,
                  CASE WHEN instr(rule, '.') > 0 THEN substr(rule, 1, instr(rule, '.') - 1) ELSE '' END,
                  severity, product, message, NULL, NULL, 0
           FROM findings_v1"""
    )
    levels: dict[int, dict[str, int]] = {}
    for run_id, level, count in conn.execute(
        "SELECT run_id, level, COUNT(*) FROM product_scores GROUP BY run_id, level ORDER BY run_id, level"
    ):
        levels.setdefault(run_id, {})[level] = count
    conn.executemany("UPDATE runs SET levels = ? WHERE id = ?",
                     [(json.dumps(v, sort_keys=True), k) for k, v in levels.items()])
    for table in ("runs", "product_scores", "findings"):
        conn.execute(f"DROP TABLE {table}_v1")


# version n -> function that migrates a database from n to n + 1 (inside the caller's transaction)
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _migrate_v1_to_v2}


@dataclass
class RunInfo:
    """One recorded run: when, against which standards, and its mesh totals."""

    id: int
    recorded_at: str
    as_of: str
    source: str
    mesh: str
    standards_pack: str
    standards_version: str
    products: int
    mean_score: float
    open_errors: int
    warnings: int
    waived: int
    levels: dict[str, int]

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "recordedAt": self.recorded_at,
            "asOf": self.as_of,
            "source": self.source,
            "mesh": self.mesh,
            "standards": {"pack": self.standards_pack, "version": self.standards_version},
            "products": self.products,
            "meanScore": self.mean_score,
            "openErrors": self.open_errors,
            "warnings": self.warnings,
            "waived": self.waived,
            "levels": dict(self.levels),
        }


@dataclass(frozen=True)
class FindingRow:
    """A finding as stored in the history."""

    fingerprint: str
    rule: str
    standard: str
    severity: str
    product: str | None
    message: str
    path: str | None
    line: int | None
    waived: bool

    def to_dict(self) -> dict:
        return {
            "fingerprint": self.fingerprint,
            "rule": self.rule,
            "standard": self.standard,
            "severity": self.severity,
            "product": self.product,
            "message": self.message,
            "location": {k: v for k, v in (("path", self.path), ("line", self.line)) if v is not None},
            "waived": self.waived,
        }


@dataclass(frozen=True)
class ProductRow:
    product: str
    domain: str
    score: float
    level: str
    open_errors: int
    warnings: int
    waived: int


@dataclass
class Snapshot:
    """Everything stored for one run."""

    run: RunInfo
    products: dict[str, ProductRow]
    findings: list[FindingRow]
    statuses: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class LevelChange:
    product: str
    before: str
    after: str
    direction: str  # up | down | changed

    def to_dict(self) -> dict:
        return {"product": self.product, "from": self.before, "to": self.after, "direction": self.direction}


@dataclass
class Changes:
    """What changed between the previous recorded run and this one."""

    previous: RunInfo | None
    new_findings: list[FindingRow] = field(default_factory=list)
    fixed_findings: list[FindingRow] = field(default_factory=list)
    level_changes: list[LevelChange] = field(default_factory=list)
    new_products: list[str] = field(default_factory=list)
    removed_products: list[str] = field(default_factory=list)
    score_delta: float | None = None

    @property
    def levels_up(self) -> list[LevelChange]:
        return [c for c in self.level_changes if c.direction == "up"]

    @property
    def levels_down(self) -> list[LevelChange]:
        return [c for c in self.level_changes if c.direction == "down"]

    def to_dict(self) -> dict:
        return {
            "previousRun": self.previous.to_dict() if self.previous else None,
            "newFindings": [f.to_dict() for f in self.new_findings],
            "fixedFindings": [f.to_dict() for f in self.fixed_findings],
            "levelChanges": [c.to_dict() for c in self.level_changes],
            "newProducts": list(self.new_products),
            "removedProducts": list(self.removed_products),
            "meanScoreDelta": self.score_delta,
        }


def _finding_key(f: FindingRow) -> tuple:
    return (f.product or "", f.path or "", f.line or 0, f.rule, f.message)


def compare(previous: Snapshot | None, current: Snapshot, level_order: Sequence[str]) -> Changes:
    """New and fixed findings (by fingerprint; info findings ignored) and level moves per product.

    Findings of products that disappeared are not counted as fixed (the products are listed as removed).
    """
    if previous is None:
        return Changes(previous=None)

    def counted(snapshot: Snapshot) -> dict[str, FindingRow]:
        return {f.fingerprint: f for f in snapshot.findings if f.severity != str(Severity.INFO)}

    before, after = counted(previous), counted(current)
    rank = {name: i for i, name in enumerate(level_order)}
    moves = []
    for pid in sorted(set(previous.products) & set(current.products)):
        old, new = previous.products[pid].level, current.products[pid].level
        if old == new:
            continue
        known = old in rank and new in rank
        direction = ("up" if rank[new] > rank[old] else "down") if known else "changed"
        moves.append(LevelChange(pid, old, new, direction))
    removed = sorted(set(previous.products) - set(current.products))
    gone = set(removed)  # the findings of a product that is no longer there were not fixed
    return Changes(
        previous=previous.run,
        new_findings=sorted((after[k] for k in set(after) - set(before)), key=_finding_key),
        fixed_findings=sorted((before[k] for k in set(before) - set(after) if before[k].product not in gone),
                              key=_finding_key),
        level_changes=moves,
        new_products=sorted(set(current.products) - set(previous.products)),
        removed_products=removed,
        score_delta=round(current.run.mean_score - previous.run.mean_score, 1),
    )


_RUN_COLUMNS = ("id, recorded_at, as_of, source, mesh, standards_pack, standards_version, products, "
                "mean_score, open_errors, warnings, waived, levels")


def _run_info(row: Sequence[Any]) -> RunInfo:
    try:
        levels = json.loads(row[12] or "{}")
    except ValueError:
        levels = {}
    return RunInfo(int(row[0]), row[1], row[2], row[3], row[4], row[5], row[6], int(row[7]),
                   float(row[8]), int(row[9]), int(row[10]), int(row[11]),
                   {str(k): int(v) for k, v in levels.items()} if isinstance(levels, dict) else {})


class History:
    """A history database. Use as a context manager; every write is one transaction."""

    def __init__(self, path: str | Path, *, create: bool = True, timeout: float = 30.0) -> None:
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise HistoryError("no history recorded yet (run 'govern report' or 'govern check --record')",
                               path=str(self.path))
        if self.path.is_dir():
            raise HistoryError("the history path is a directory, not a file", path=str(self.path))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HistoryError(f"cannot create the history directory: {exc.strerror}", path=str(self.path)) from None
        self.timeout = timeout
        try:
            self.conn = sqlite3.connect(str(self.path), timeout=timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise HistoryError(f"cannot open the history database: {exc}", path=str(self.path)) from None
        try:
            self.conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            self._retry(lambda: self.conn.execute("PRAGMA journal_mode = WAL").fetchone())
            self.conn.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise HistoryError(f"not a usable govern history database: {exc}", path=str(self.path)) from None
        except HistoryError:
            self.conn.close()
            raise

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    def _retry(self, action: Callable[[], Any]) -> Any:
        """Run ``action``, retrying while the database is locked, up to the timeout."""
        deadline = time.monotonic() + self.timeout
        delay = 0.01
        while True:
            try:
                return action()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if time.monotonic() > deadline:
                    raise HistoryError(f"the history database stayed locked for {self.timeout:g} s",
                                       path=str(self.path)) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.25)

    def _stored_version(self) -> int:
        tables = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        tables.discard("sqlite_sequence")
        if not tables:
            return 0
        if "schema_version" not in tables:
            raise HistoryError("not a govern history database (it has no schema_version table)",
                               path=str(self.path))
        row = self.conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        if row is None or row[0] is None:
            raise HistoryError("the schema_version table of the history database is empty", path=str(self.path))
        return int(row[0])

    def _migrate(self) -> None:
        if self._stored_version() == SCHEMA_VERSION:
            return
        self._retry(lambda: self.conn.execute("BEGIN IMMEDIATE"))
        try:
            version = self._stored_version()  # again, now that we hold the write lock
            if version > SCHEMA_VERSION:
                raise HistoryError(
                    f"the history database has schema version {version}, newer than this govern supports "
                    f"({SCHEMA_VERSION}); upgrade govern", path=str(self.path))
            if version == 0:
                for statement in _SCHEMA_V2.split(";"):
                    if statement.strip():
                        self.conn.execute(statement)
                self.conn.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
            else:
                while version < SCHEMA_VERSION:
                    MIGRATIONS[version](self.conn)
                    version += 1
                self.conn.execute("DELETE FROM schema_version")
                self.conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    def schema_version(self) -> int:
        return self._stored_version()

    def record(self, cards: Any, *, mesh: str = "", source: str = "report",
               recorded_at: dt.datetime | None = None, findings: Iterable[Finding] | None = None) -> int:
        """Store one run (scorecards and findings) in one transaction; return its id.

        ``findings`` defaults to every finding of the scorecards (per product, then mesh-level).
        """
        if source not in SOURCES:
            raise ValueError(f"unknown source '{source}'")
        stamp = format_utc(recorded_at or utc_now())
        if findings is None:
            findings = [f for card in cards.products for f in card.findings] + list(cards.mesh_findings)
        total = cards.total
        self._retry(lambda: self.conn.execute("BEGIN IMMEDIATE"))
        try:
            cur = self.conn.execute(
                f"INSERT INTO runs ({_RUN_COLUMNS.removeprefix('id, ')}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (stamp, cards.as_of.isoformat(), source, mesh, cards.pack, cards.standards_version,
                 total.products, total.mean_score, total.open_errors, total.warnings, total.waived,
                 json.dumps(total.levels)),  # in the order of the scoring levels
            )
            run_id = int(cur.lastrowid or 0)
            self.conn.executemany(
                "INSERT INTO product_scores (run_id, product, domain, score, level, open_errors, warnings, waived)"
                " VALUES (?,?,?,?,?,?,?,?)",
                [(run_id, c.product, c.domain, c.score, c.level, c.open_errors, c.warnings, c.waived)
                 for c in cards.products],
            )
            self.conn.executemany(
                "INSERT INTO product_standards (run_id, product, standard, status) VALUES (?,?,?,?)",
                [(run_id, c.product, std, status) for c in cards.products for std, status in c.statuses.items()],
            )
            self.conn.executemany(
                "INSERT INTO findings (run_id, fingerprint, rule, standard, severity, product, message, path, line,"
                " waived) VALUES (?,?,?,?,?,?,?,?,?,?)",
                ((run_id, f.fingerprint or "", f.rule, f.standard, str(f.severity), f.product, f.message,
                  f.location.path, f.location.line, int(f.waived)) for f in findings),
            )
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        return run_id

    def runs(self, since: dt.date | None = None, until_run: RunInfo | None = None) -> list[RunInfo]:
        """Runs in order of evaluation date (then recording order), optionally from ``since``
        and up to and including ``until_run``."""
        sql = f"SELECT {_RUN_COLUMNS} FROM runs WHERE as_of >= ?"
        params: list[Any] = [since.isoformat() if since else ""]
        if until_run is not None:
            sql += " AND (as_of < ? OR (as_of = ? AND id <= ?))"
            params += [until_run.as_of, until_run.as_of, until_run.id]
        rows = self.conn.execute(sql + " ORDER BY as_of, id", params).fetchall()
        return [_run_info(r) for r in rows]

    def run(self, run_id: int) -> RunInfo:
        row = self.conn.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise HistoryError(f"no run {run_id} in the history", path=str(self.path))
        return _run_info(row)

    def previous(self, run: RunInfo) -> RunInfo | None:
        """The run recorded just before ``run`` (by evaluation date, then recording order)."""
        row = self.conn.execute(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE as_of < ? OR (as_of = ? AND id < ?)"
            " ORDER BY as_of DESC, id DESC LIMIT 1",
            (run.as_of, run.as_of, run.id),
        ).fetchone()
        return _run_info(row) if row else None

    def snapshot(self, run_id: int) -> Snapshot:
        run = self.run(run_id)
        products = {
            r[0]: ProductRow(r[0], r[1], float(r[2]), r[3], int(r[4]), int(r[5]), int(r[6]))
            for r in self.conn.execute(
                "SELECT product, domain, score, level, open_errors, warnings, waived FROM product_scores"
                " WHERE run_id = ? ORDER BY product", (run_id,))
        }
        findings = [
            FindingRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], bool(r[8]))
            for r in self.conn.execute(
                "SELECT fingerprint, rule, standard, severity, product, message, path, line, waived FROM findings"
                " WHERE run_id = ? ORDER BY id", (run_id,))
        ]
        statuses: dict[str, dict[str, str]] = {}
        for pid, std, status in self.conn.execute(
            "SELECT product, standard, status FROM product_standards WHERE run_id = ? ORDER BY product, standard",
            (run_id,),
        ):
            statuses.setdefault(pid, {})[std] = status
        return Snapshot(run, products, findings, statuses)

    def domain_trend(self, domain: str, since: dt.date | None = None) -> list[dict[str, Any]]:
        """Per run: the domain's products, mean score, open errors and products per level."""
        out: dict[int, dict[str, Any]] = {}
        for run in self.runs(since):
            out[run.id] = {"run": run, "products": 0, "meanScore": 0.0, "openErrors": 0, "warnings": 0,
                           "levels": {}}
        if not out:
            return []
        for run_id, count, mean, errors, warnings in self.conn.execute(
            "SELECT run_id, COUNT(*), AVG(score), SUM(open_errors), SUM(warnings) FROM product_scores"
            " WHERE domain = ? GROUP BY run_id", (domain,),
        ):
            if run_id in out:
                out[run_id].update(products=int(count), meanScore=round(float(mean), 1),
                                   openErrors=int(errors), warnings=int(warnings))
        for run_id, level, count in self.conn.execute(
            "SELECT run_id, level, COUNT(*) FROM product_scores WHERE domain = ? GROUP BY run_id, level",
            (domain,),
        ):
            if run_id in out:
                out[run_id]["levels"][level] = int(count)
        return [v for v in out.values() if v["products"]]

    def domains(self) -> list[str]:
        """Every domain a recorded run scored, sorted."""
        return [row[0] for row in self.conn.execute("SELECT DISTINCT domain FROM product_scores ORDER BY domain")]

    def count(self, table: str) -> int:
        """Rows in one of the history tables (for checks and tests)."""
        if table not in ("runs", "product_scores", "product_standards", "findings"):
            raise ValueError(f"unknown table '{table}'")
        return int(self.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
