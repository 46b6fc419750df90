"""The history database: schema, migration of old files, concurrent writers, killed writers, queries."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest
from meshkit import MeshDir

import govern
from govern.output.history import (
    SCHEMA_VERSION,
    History,
    HistoryError,
    compare,
    default_history_path,
    format_utc,
    utc_now,
)
from govern.output.scorecard import Scorecards, build_scorecards

# Writers run in forked processes: the scorecards built by the fixture are inherited, not pickled.
_CTX = multiprocessing.get_context("fork")


@pytest.fixture(scope="module")
def cards(tmp_path_factory: pytest.TempPathFactory) -> Scorecards:
    mesh = MeshDir(tmp_path_factory.mktemp("hist") / "mesh")
    mesh.org()
    mesh.product("sales.orders")
    mesh.product("sales.returns", {"description": None})
    mesh.product("crm.accounts", {"owner": {"group": "nobody"}})
    result = govern.check([mesh.root], root=mesh.root, today=dt.date(2026, 6, 1))
    return build_scorecards(result)


def _tables(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("runs", "product_scores", "product_standards", "findings")}
    finally:
        conn.close()


def test_new_database_has_current_schema_in_wal_mode(tmp_path: Path, cards: Scorecards) -> None:
    path = tmp_path / "deep" / "history.sqlite"
    with History(path) as h:
        assert h.schema_version() == SCHEMA_VERSION
        run_id = h.record(cards, mesh="m", recorded_at=dt.datetime(2026, 6, 1, 12, 30, tzinfo=dt.UTC))
        run = h.run(run_id)
    assert run.recorded_at == "2026-06-01T12:30:00Z"
    assert run.as_of == "2026-06-01"
    assert (run.standards_pack, run.standards_version) == ("mesh-core", "1.0.0")
    assert run.products == 3 and run.levels == {"raw": 1, "curated": 1, "authoritative": 1}
    assert list(run.levels) == ["raw", "curated", "authoritative"]  # the scoring order
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    conn.close()
    counts = _tables(path)
    assert counts["product_scores"] == 3
    assert counts["findings"] == sum(len(c.findings) for c in cards.products) + len(cards.mesh_findings)
    assert counts["product_standards"] == 3 * len(cards.standards)


def test_snapshot_round_trip_and_compare(tmp_path: Path, cards: Scorecards) -> None:
    with History(tmp_path / "h.sqlite") as h:
        first = h.record(cards)
        second = h.record(cards)
        snap = h.snapshot(second)
        assert h.previous(snap.run).id == first
        assert snap.products["crm.accounts"].level == "raw"
        assert snap.statuses["crm.accounts"]["owner"] == "fail"
        assert {f.rule for f in snap.findings if f.product == "crm.accounts"} >= {"owner.group-exists"}
        changes = compare(h.snapshot(first), snap, cards.config.level_names)
    assert changes.new_findings == [] and changes.fixed_findings == [] and changes.level_changes == []
    assert changes.score_delta == 0


def _v1_file(path: Path) -> None:
    """A history file as govern wrote it with schema v1 (raw SQL, as the old code did)."""
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE schema_version (version INTEGER NOT NULL);
        INSERT INTO schema_version VALUES (1);
        CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, created TEXT NOT NULL DEFAULT (datetime('now')),
                           standards_version TEXT, products INTEGER NOT NULL, mean_score REAL NOT NULL);
        CREATE TABLE product_scores (run_id INTEGER NOT NULL, product TEXT NOT NULL, score REAL NOT NULL,
                                     level TEXT NOT NULL);
        CREATE TABLE findings (run_id INTEGER NOT NULL, fingerprint TEXT NOT NULL, rule TEXT NOT NULL, product TEXT,
                               severity TEXT NOT NULL, message TEXT NOT NULL);
        INSERT INTO runs (created, standards_version, products, mean_score) VALUES
          ('2026-01-15 08:00:00', '1.0.0', 2, 77.5), ('2026-02-15 08:00:00', '1.0.0', 2, 92.5);
        INSERT INTO product_scores VALUES (1, 'sales.orders', 85, 'curated'), (1, 'crm.accounts', 70, 'raw'),
                                          (2, 'sales.orders', 100, 'authoritative'), (2, 'crm.accounts', 85, 'curated');
        INSERT INTO findings VALUES
          (1, 'aaaa', 'lineage.code-declared', 'sales.orders', 'error', 'no code'),
          (1, 'bbbb', 'owner.group-exists', 'crm.accounts', 'error', 'unknown team'),
          (1, 'cccc', 'auth.deploy-own-domain', 'crm.accounts', 'error', 'may not deploy'),
          (2, 'cccc', 'auth.deploy-own-domain', 'crm.accounts', 'error', 'may not deploy');
        """
    )
    conn.commit()
    conn.close()


def test_old_v1_history_is_migrated_not_rejected(tmp_path: Path, cards: Scorecards) -> None:
    path = tmp_path / "old.sqlite"
    _v1_file(path)
    with History(path) as h:
        assert h.schema_version() == SCHEMA_VERSION
        runs = h.runs()
        assert [(r.id, r.as_of, r.recorded_at, r.source) for r in runs] == [
            (1, "2026-01-15", "2026-01-15T08:00:00Z", "migrated"),
            (2, "2026-02-15", "2026-02-15T08:00:00Z", "migrated"),
        ]
        assert (runs[0].open_errors, runs[1].open_errors) == (3, 1)
        assert runs[0].levels == {"curated": 1, "raw": 1}
        assert runs[1].standards_version == "1.0.0" and runs[1].mean_score == 92.5
        old = h.snapshot(1)
        assert old.products["crm.accounts"].domain == "crm"
        assert old.products["crm.accounts"].open_errors == 2
        assert {f.standard for f in old.findings} == {"lineage", "owner", "auth"}
        # the old runs take part in trends and comparisons like new ones
        assert compare(h.snapshot(1), h.snapshot(2), ["raw", "curated", "authoritative"]).levels_up
        new_id = h.record(cards, mesh="m")
        assert new_id == 3
        assert h.previous(h.run(new_id)).id == 2
        assert [r["products"] for r in h.domain_trend("crm")] == [1, 1, 1]
    conn = sqlite3.connect(path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.close()
    assert not {t for t in tables if t.endswith("_v1")}
    # opening again is a no-op
    with History(path) as h:
        assert len(h.runs()) == 3


def test_history_from_a_newer_govern_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE schema_version (version INTEGER); INSERT INTO schema_version VALUES (99);"
                       "CREATE TABLE runs (id INTEGER PRIMARY KEY, shiny TEXT);")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(HistoryError, match="schema version 99, newer"):
        History(path)
    assert sqlite3.connect(path).execute("SELECT version FROM schema_version").fetchone() == (99,)
    assert len(path.read_bytes()) == len(before)


@pytest.mark.parametrize("content", ["not sqlite at all\n", None])
def test_files_that_are_not_a_history_are_reported(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "other.sqlite"
    if content is None:
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE customers (id INTEGER)")
        conn.commit()
        conn.close()
    else:
        path.write_text(content)
    with pytest.raises(HistoryError) as info:
        History(path)
    assert info.value.path == str(path)
    assert "history database" in info.value.message


def test_reading_a_missing_history_does_not_create_it(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match="no history recorded yet"):
        History(tmp_path / "none.sqlite", create=False)
    assert not (tmp_path / "none.sqlite").exists()


def _writer(path: str, runs: int, barrier, cards: Scorecards) -> None:
    barrier.wait()
    with History(path, timeout=60) as h:
        for _ in range(runs):
            h.record(cards, mesh="m", source="check")


def test_concurrent_writers_lose_no_rows(tmp_path: Path, cards: Scorecards) -> None:
    path = tmp_path / "shared.sqlite"  # created by the racing writers themselves
    writers, runs = 4, 6
    barrier = _CTX.Barrier(writers)
    procs = [_CTX.Process(target=_writer, args=(str(path), runs, barrier, cards)) for _ in range(writers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * writers
    counts = _tables(path)
    per_run_findings = sum(len(c.findings) for c in cards.products) + len(cards.mesh_findings)
    assert counts == {
        "runs": writers * runs,
        "product_scores": writers * runs * len(cards.products),
        "product_standards": writers * runs * len(cards.products) * len(cards.standards),
        "findings": writers * runs * per_run_findings,
    }
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # every run is whole: each has all its products and findings
    per_run = conn.execute("SELECT run_id, COUNT(*) FROM findings GROUP BY run_id").fetchall()
    assert sorted(n for _, n in per_run) == [per_run_findings] * (writers * runs)
    conn.close()


def _killed_writer(path: str, started, cards: Scorecards) -> None:
    def findings():
        for i, f in enumerate(f for c in cards.products for f in c.findings):
            if i == 2:
                started.set()
                time.sleep(60)  # killed here, inside the transaction
            yield f

    with History(path) as h:
        h.record(cards, mesh="m", findings=findings())


def test_a_writer_killed_half_way_leaves_the_history_consistent(tmp_path: Path, cards: Scorecards) -> None:
    path = tmp_path / "h.sqlite"
    with History(path) as h:
        h.record(cards, mesh="m")
    before = _tables(path)
    started = _CTX.Event()
    proc = _CTX.Process(target=_killed_writer, args=(str(path), started, cards))
    proc.start()
    assert started.wait(30), "the writer did not start its transaction"
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(10)
    assert proc.exitcode == -signal.SIGKILL
    assert _tables(path) == before  # nothing of the killed run
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    with History(path, timeout=5) as h:  # the lock died with the process
        run_id = h.record(cards, mesh="m")
        assert [r.id for r in h.runs()] == [1, run_id]
    assert _tables(path)["runs"] == 2


def test_runs_since_and_domain_trend(tmp_path: Path, cards: Scorecards) -> None:
    with History(tmp_path / "h.sqlite") as h:
        for day in ("2026-03-01", "2026-01-01", "2026-02-01"):  # recorded out of order
            cards.as_of = dt.date.fromisoformat(day)
            h.record(cards)
        cards.as_of = dt.date(2026, 6, 1)
        assert [r.as_of for r in h.runs()] == ["2026-01-01", "2026-02-01", "2026-03-01"]
        assert [r.as_of for r in h.runs(dt.date(2026, 2, 1))] == ["2026-02-01", "2026-03-01"]
        last = h.runs()[-1]
        assert h.previous(last).as_of == "2026-02-01"
        trend = h.domain_trend("sales", dt.date(2026, 2, 1))
        assert [(t["run"].as_of, t["products"], t["meanScore"]) for t in trend] == [
            ("2026-02-01", 2, 97.5), ("2026-03-01", 2, 97.5)]
        assert trend[0]["levels"] == {"authoritative": 1, "curated": 1}
        assert h.domain_trend("nope") == []


def test_timestamps_are_utc_and_reproducible(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780000000")
    assert format_utc(utc_now()) == "2026-05-28T20:26:40Z"
    plus_two = dt.timezone(dt.timedelta(hours=2))
    assert format_utc(dt.datetime(2026, 6, 1, 14, 0, tzinfo=plus_two)) == "2026-06-01T12:00:00Z"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    with pytest.raises(HistoryError, match="SOURCE_DATE_EPOCH"):
        utc_now()


def test_default_path_comes_from_govern_yaml(tmp_path: Path) -> None:
    assert default_history_path(tmp_path, None) == (tmp_path / ".govern" / "history.sqlite").resolve()
    assert default_history_path(tmp_path, "audit/h.db") == (tmp_path / "audit" / "h.db").resolve()
