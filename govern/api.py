"""The library facade: one call from paths to a Result, for the CLI and for Python users."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from govern.evaluate.engine import Result, evaluate
from govern.load.loader import load_mesh
from govern.model.errors import StandardsError
from govern.model.mesh import Mesh
from govern.standards.pack import Pack, StandardVersion, default_pack_root, load_pack, verify_in_use

if TYPE_CHECKING:
    from govern.analysis.executor import Executor
    from govern.analysis.facts import Analysis
    from govern.model.progress import Progress
    from govern.standards.rulecases import CaseOutcome, RuleCase


def _config_line(mesh: Mesh, fpath: tuple[str, ...]) -> int | None:
    """Line of a field of govern.yaml (re-read only on the error path)."""
    from govern.load.yamlio import read_yaml_file

    try:
        return read_yaml_file(mesh.root / "govern.yaml", "govern.yaml")[1].line_of(fpath)
    except Exception:
        return None


def pack_for(mesh: Mesh, pack_root: str | Path | None = None) -> Pack:
    """The standards pack named by govern.yaml (or an explicit pack root), else the shipped one."""
    ref = mesh.config.standards
    root = Path(pack_root) if pack_root else (mesh.root / ref.path if ref.path else None)
    where = (root or default_pack_root()) / "standards"
    if not (where / ref.pack).is_dir() and (mesh.root / "govern.yaml").is_file():
        # Name the line of govern.yaml that points at a pack that is not there.
        fld = ("standards", "path") if ref.path and not where.is_dir() else ("standards", "pack")
        found = sorted(p.name for p in where.iterdir() if p.is_dir()) if where.is_dir() else []
        from govern.model.suggest import did_you_mean

        raise StandardsError(f"standards pack '{ref.pack}' not found{did_you_mean(ref.pack, found)}",
                             path="govern.yaml", line=_config_line(mesh, fld), field=".".join(fld),
                             expected=", ".join(found) or "a directory standards/<pack> in the pack root")
    # A pack named by govern.yaml is part of the reviewed repository: none of its files may be a link out
    # of the mesh root (an explicit --pack is operator input and may lie anywhere).
    return load_pack(root, ref.pack, confine=mesh.root if root is not None and not pack_root else None)


def _check_config_version(mesh: Mesh, pack: Pack, version: str | None) -> None:
    """A version named by govern.yaml (not overridden) that the pack lacks: error at its line. Then the
    version in use is verified against the pack's lock (a released version whose rules changed: exit 2)."""
    wanted = mesh.config.standards.version
    if version is None and wanted and wanted not in pack.versions:
        from govern.model.suggest import did_you_mean

        raise StandardsError(f"standards version '{wanted}' not found in pack '{pack.name}'"
                             f"{did_you_mean(wanted, pack.versions)}", path="govern.yaml",
                             line=_config_line(mesh, ("standards", "version")), field="standards.version",
                             expected=", ".join(sorted(pack.versions)))
    verify_in_use(pack, version or wanted)


def rules_in_force(mesh: Mesh, version: str | None = None, pack_root: str | Path | None = None,
                   ) -> tuple[Pack, StandardVersion]:
    """The pack named by govern.yaml (or ``pack_root``), verified against its lock, and the standard version
    in force (``version``, else govern.yaml's, else the latest released)."""
    pack = pack_for(mesh, pack_root)
    _check_config_version(mesh, pack, version)
    return pack, pack.version(version or mesh.config.standards.version)


def check(
    paths: Iterable[str | Path] = (),
    *,
    root: str | Path | None = None,
    version: str | None = None,
    today: dt.date | None = None,
    focus: Iterable[str] | None = None,
    pack_root: str | Path | None = None,
    formats: dict[str | Path, str] | None = None,
    progress: Progress | None = None,
    executor: Executor | str | None = None,
    reuse: bool = False,
) -> Result:
    """Load the mesh under ``paths`` and evaluate the standards version in force.

    ``formats`` forces the input format of named files (``{"target/manifest.json": "dbt"}``;
    govern/load/importers); other files are detected by content. ``progress(stage, done, total)`` is
    called while manifests load, SQL is analysed and rules run (govern/model/progress.py).
    ``executor`` is where SQL is analysed (``executor_for``): the findings never depend on it.
    ``reuse``: a whole-mesh run may return the findings of the last whole-mesh run when nothing they were
    computed from changed (govern/incremental/memo.py); such a result has no ``mesh`` and no ``analysis``.
    """
    import time

    from govern.incremental.index import enabled as indexing

    started = time.time_ns()
    paths = list(paths)
    whole = focus is None and not formats  # a whole-mesh run refreshes the mesh index (govern/incremental/index.py)
    memo_key = _memo_key(paths, root, version, today, pack_root) if whole and indexing() else None
    if reuse and memo_key is not None:
        reused = _reused_result(memo_key, started)
        if reused is not None:
            return reused
    with executor_for(executor) as chosen:
        # Large whole-mesh runs scan SQL on the executor while the manifests load (analysis/prefetch.py).
        prefetch = _start_prefetch(paths, root, chosen) if whole else None
        try:
            mesh = load_mesh(paths, root=root, formats=formats, progress=progress)
            result = check_mesh(mesh, version=version, today=today, focus=focus, pack_root=pack_root,
                                prefetch=prefetch, keep_scans=whole and indexing(),
                                index=(paths or [mesh.root], started) if whole else None, progress=progress,
                                executor=chosen, pack=memo_key.pack if memo_key is not None else None)
        finally:
            if prefetch is not None:
                prefetch.close()
    if memo_key is not None and _covers_mesh(paths or [mesh.root], mesh):
        _seal_result(result, memo_key, started, today)
    return result


def _memo_key(paths: list[str | Path], root: str | Path | None, version: str | None, today: dt.date | None,
              pack_root: str | Path | None) -> MemoKey | None:
    """The key of a whole-mesh run's result (govern/incremental/memo.py): the options, the pack
    in force, the mesh files and the parsers; None when it cannot be told (the run then neither reuses
    nor seals a result, and reports any problem as usual)."""
    import json
    import sys

    from govern.incremental import memo
    from govern.load.discovery import find_mesh_root
    from govern.load.loader import load_mesh_files

    try:
        mesh_root = Path(root).resolve() if root else find_mesh_root(Path(paths[0]) if paths else Path.cwd())
        if any(Path(p).resolve() != mesh_root for p in paths):
            return None
        files = memo.root_files_digest(mesh_root)
        if files is None:
            return None
        mesh_files = load_mesh_files(mesh_root)
        pack, standard = rules_in_force(mesh_files, version, pack_root)
        import pydantic
        import yaml

        from govern.incremental.packcache import cedar_build, yaml_reader

        material = {
            "root": str(mesh_root), "version": version, "today": today.isoformat() if today else None,
            "packRoot": str(Path(pack_root).resolve()) if pack_root else None, "standard": standard.version,
            "pack": pack.fingerprint().hex(), "files": files.hex(), "python": sys.version,
            "parsers": [pydantic.VERSION, yaml.__version__, yaml_reader(), cedar_build()],
        }
    except Exception:  # an optimisation only: the full run reports whatever is wrong
        return None
    from govern.model.content import digest

    return MemoKey(mesh_root, digest(json.dumps(material, sort_keys=True).encode()), pack, standard, files,
                   list(mesh_files.config.exclude))


@dataclass
class MemoKey:
    """What a whole-mesh run's result is sealed and found under, with the pack it loaded for that (verified
    against its lock, the run uses it)."""

    root: Path
    key: bytes
    pack: Pack
    standard: StandardVersion
    files: bytes  # the digest of the root files the key holds (memo.root_files_digest)
    exclude: list[str]  # govern.yaml's exclude: patterns


def _reused_result(memo_key: MemoKey, started: int) -> Result | None:
    """The result sealed by the last whole-mesh run under ``memo_key``, if nothing changed since."""
    from govern.incremental import memo
    from govern.model.findings import finding_from_row

    try:
        payload = memo.recall(memo_key.root, memo_key.key, started, memo_key.exclude)
        if payload is None:
            return None
        return Result(
            findings=[finding_from_row(row) for row in payload["findings"]],
            products=list(payload["products"]),
            standard=memo_key.standard,
            pack=memo_key.pack,
            root=str(memo_key.root),
            today=dt.date.fromisoformat(payload["today"]),
            not_evaluated={pid: frozenset(rules) for pid, rules in payload["notEvaluated"]},
        )
    except Exception:
        return None


def _seal_result(result: Result, memo_key: MemoKey, started: int, today: dt.date | None) -> None:
    """Seal a whole-mesh run's result for reuse (govern/incremental/memo.py) when it decided: nothing
    undecided, no SQL analysis cut short by its time limit, the root files the key holds are the ones it
    read (unchanged since before it began), and (without ``today``) no day ended and no waiver expired while
    it ran. Otherwise an older sealed result is removed."""
    import time

    from govern.analysis.sqlscan import TIME_LIMIT_PHRASE
    from govern.evaluate.waivers import expiry_instant
    from govern.incremental import memo
    from govern.model.findings import finding_row

    mesh = result.mesh
    root = Path(result.root)
    until: int | None = None
    if today is None:
        finished = time.time_ns()
        day_ends = dt.datetime.combine(result.today + dt.timedelta(days=1), dt.time.min, dt.UTC)
        ends = [_ns(day_ends)] + [_ns(expiry_instant(w.waiver.expires)) for w in (mesh.waivers if mesh else ())
                                  if isinstance(w.waiver.expires, dt.date)]
        if (_utc_day(started) != result.today or _utc_day(finished) != result.today
                or any(started < end <= finished for end in ends)):
            memo.forget(root)
            return
        until = min(end for end in ends if end > started)
    timed_out = any(f.rule == "sql.too-complex" and TIME_LIMIT_PHRASE in f.message for f in result.findings)
    if (result.undecided or timed_out or mesh is None or not memo.root_files_settled(root, started)
            or memo.root_files_digest(root) != memo_key.files):
        memo.forget(root)
        return
    payload = {
        "findings": [finding_row(f) for f in result.findings], "products": list(result.products),
        "today": result.today.isoformat(), "notEvaluated": [(p, sorted(r)) for p, r in result.not_evaluated.items()],
    }
    try:
        memo.store(root, memo_key.key, started, until, payload)
    except Exception:
        memo.forget(root)


def _ns(instant: dt.datetime) -> int:
    """Nanoseconds since the epoch of an aware instant (exact: no float)."""
    return (instant - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1) * 1000


def _utc_day(ns: int) -> dt.date:
    return dt.datetime.fromtimestamp(ns // 1_000_000_000, dt.UTC).date()


@contextlib.contextmanager
def executor_for(executor: Executor | str | None) -> Iterator[Executor | None]:
    """The executor of a run (govern/analysis/executor.py): an ``Executor`` as given; else the one a spec
    names (``--executor``: ``local`` or ``dask://HOST:PORT``), else the one GOVERN_EXECUTOR names. None means
    this machine's processes, as many as ``sql_workers`` decides. One made here is closed at the end.

    ConfigError (exit 2) for a spec that names no executor.
    """
    import os

    if executor is not None and not isinstance(executor, str):
        yield executor
        return
    spec = executor if executor is not None else os.environ.get("GOVERN_EXECUTOR", "")
    if not spec.strip() or spec.strip() == "local":
        yield None
        return
    from govern.analysis.executor import executor_from

    made = executor_from(spec)
    try:
        yield made
    finally:
        made.close()


def check_mesh(
    mesh: Mesh,
    *,
    version: str | None = None,
    today: dt.date | None = None,
    focus: Iterable[str] | None = None,
    pack_root: str | Path | None = None,
    base: object | None = None,
    focus_paths: Iterable[str] = (),
    prefetch: object | None = None,
    keep_scans: bool = False,
    index: tuple[list[str | Path], int] | None = None,
    analysis: Analysis | None = None,
    progress: Progress | None = None,
    pack: Pack | None = None,
    executor: Executor | None = None,
) -> Result:
    """Evaluate an already loaded mesh (changed-files mode loads it first to compute ``focus``).

    ``base`` is the mesh at a git base revision for the history rules (govern/load/gitbase.py); ``prefetch``
    holds SQL scans started before the mesh was loaded (``_start_prefetch``); ``keep_scans`` keeps the
    SQL scans in the result's analysis for the mesh index; ``index`` = (paths, start time in ns) of a run
    that loaded the whole mesh: the mesh index is written meanwhile (``index.record_meanwhile``);
    ``analysis`` is the SQL analysis when the caller ran it, ``pack`` the pack when the caller loaded and
    verified it (``rules_in_force``); ``executor`` where the SQL is analysed (None: this machine's processes).
    """
    if pack is None:
        pack, standard = rules_in_force(mesh, version, pack_root)
    else:
        standard = pack.version(version or mesh.config.standards.version)
    written: list = []

    def analysed() -> Analysis | None:
        """The SQL analysis, asked for by the engine once the YAML rules have run: SQL files scanned in
        worker processes (``prefetch``) are meanwhile still being scanned."""
        found = analysis if analysis is not None else analyse_sql(mesh, prefetch=prefetch, keep_scans=keep_scans,
                                                                   progress=progress, executor=executor)
        if index is not None and _covers_mesh(index[0], mesh):
            from govern.incremental.index import Recording, record_meanwhile
            from govern.standards.pack import reference_paths

            written.append(record_meanwhile(Recording(mesh, found, reference_paths(standard)), index[1]))
        return found

    try:
        return evaluate(mesh, pack, version=version, today=today, focus=focus, base=base, focus_paths=focus_paths,
                        analysis=analysed, progress=progress)
    finally:
        for wait in written:
            wait()


def check_rule_case(case: RuleCase, overlay: dict, pack: Pack, workdir: Path) -> Result:
    """The result of the mesh a rule case describes (govern/standards/rulecases.py), written under ``workdir``
    with ``overlay`` (its passing or failing example) on its product, against ``pack`` as loaded (the
    caller verified it) in the case's version, else the latest released."""
    for rel, text in case.mesh_files(overlay, pack.name).items():
        path = workdir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    mesh = load_mesh([workdir], root=workdir)
    return check_mesh(mesh, version=case.version, today=case.today, pack=pack)


def run_rule_cases(pack: Pack, rules: Iterable[str] | None = None) -> list[CaseOutcome]:
    """Run the test cases of ``pack`` (rules/cases/*.yaml; only those of ``rules`` when given), each on a
    mesh of its own in a temporary folder: the failing example must report its rule on its product, the
    passing example must not. A case whose rule or version the pack lacks, or whose rule is not in force
    in that version, does not hold either. Released versions are verified against the lock first."""
    import tempfile

    from govern.model.suggest import did_you_mean
    from govern.standards.rulecases import CaseOutcome, load_cases

    wanted = set(rules) if rules is not None else None
    cases = [c for rid, c in sorted(load_cases(pack.root).items()) if wanted is None or rid in wanted]
    verified: set[str] = set()
    out = []
    for case in cases:
        if case.rule not in pack.rules:
            out.append(CaseOutcome(case, f"'{case.rule}' is no rule of the pack{did_you_mean(case.rule, pack.rules)}"))
            continue
        if case.version is not None and case.version not in pack.versions:
            out.append(CaseOutcome(case, f"the pack has no version '{case.version}'"
                                         f"{did_you_mean(case.version, pack.versions)}"))
            continue
        standard = pack.version(case.version)
        if standard.version not in verified:
            verify_in_use(pack, standard.version)
            verified.add(standard.version)
        if case.rule not in standard.rule_ids():
            out.append(CaseOutcome(case, f"'{case.rule}' is not in force in {pack.name} {standard.version}; "
                                         "name the version that has it ('version:')"))
            continue
        problems = []
        for overlay, must_report in ((case.failing, True), (case.passing, False)):
            product = case.tested_product(overlay)
            with tempfile.TemporaryDirectory(prefix="govern-case-") as tmp:
                result = check_rule_case(case, overlay, pack, Path(tmp))
            found = [f for f in result.findings if f.product == product]
            reported = [f.message for f in found if f.rule == case.rule]
            if must_report and not reported:
                others = sorted({f.rule for f in found})
                problems.append(f"the failing example does not report {case.rule} on {product}"
                                + (f" (it reports {', '.join(others)})" if others else ""))
            elif not must_report and reported:
                problems.append(f"the passing example reports {case.rule} on {product}: {reported[0]}")
        out.append(CaseOutcome(case, "; ".join(problems) or None))
    return out


def _covers_mesh(paths: Iterable[str | Path], mesh: Mesh) -> bool:
    """True when ``paths`` are the mesh root itself (a run over part of a mesh is not indexed)."""
    root = mesh.root.resolve()
    return all(Path(p).resolve() == root for p in paths)


POOL_MIN_FILES = 64  # below this many products with SQL, starting worker processes costs more than it saves


def sql_workers(mesh: Mesh) -> int:
    """Processes for SQL analysis: GOVERN_WORKERS if set (0: one per core), else one per core for large meshes.

    The results never depend on it (tests/unit/test_sql_pool.py).
    """
    import os

    from govern.analysis import has_sql

    configured = os.environ.get("GOVERN_WORKERS", "").strip()
    if configured.isdigit():
        return int(configured)
    with_sql = sum(1 for p in mesh.products if has_sql(p))
    return 0 if with_sql >= POOL_MIN_FILES and (os.cpu_count() or 1) > 1 else 1


def analyse_sql(mesh: Mesh, workers: int | None = None, prefetch: object | None = None,
                keep_scans: bool = False, progress: Progress | None = None,
                executor: Executor | None = None) -> Analysis | None:
    """SQL analysis (govern/analysis) when some product has SQL, else None: sqlglot is then never imported.

    On ``executor`` when given (a Dask cluster); else on ``workers`` processes of this machine, by default
    ``sql_workers(mesh)``: every core for a large mesh.
    """
    from govern.analysis import needs_analysis

    if not needs_analysis(mesh):
        return None
    from govern.analysis import analyse

    if executor is not None:
        return analyse(mesh, executor=executor, prefetch=prefetch, keep_scans=keep_scans, progress=progress)
    return analyse(mesh, workers=sql_workers(mesh) if workers is None else workers, prefetch=prefetch,
                   keep_scans=keep_scans, progress=progress)


def _configured_workers() -> int:
    """GOVERN_WORKERS (0 or unset: one per core)."""
    import os

    configured = os.environ.get("GOVERN_WORKERS", "").strip()
    wanted = int(configured) if configured.isdigit() else 0
    return wanted or (os.cpu_count() or 1)


def _has_many_sql_files(root: Path, at_least: int) -> bool:
    """True when the mesh holds at least ``at_least`` .sql files (stops counting there)."""
    import os

    from govern.load.discovery import SKIP_DIRS

    found = 0
    for _, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")]
        found += sum(1 for name in filenames if name.endswith(".sql"))
        if found >= at_least:
            return True
    return False


def _start_prefetch(paths: list[str | Path], root: str | Path | None, executor: Executor | None = None,
                    ) -> object | None:
    """For a run over the whole mesh: take the SQL scans the mesh index recorded for unchanged files,
    and start scanning the other SQL files of a large mesh on ``executor`` (None: this machine's processes).

    Never raises but for the executor's own failure (``ExecutorError``: the run fails closed); any other
    doubt (a path that is not the root, a broken govern.yaml) means no prefetching, and loading the mesh
    then reports the problem as usual.
    """
    from govern.analysis.executor import ExecutorError, LocalExecutor
    from govern.load.discovery import find_mesh_root
    from govern.load.loader import load_config

    recorded = None
    try:
        root_path = Path(root).resolve() if root else find_mesh_root(Path(paths[0]) if paths else Path.cwd())
        if any(Path(p).resolve() != root_path for p in paths):
            return None
        config = load_config(root_path)
        from govern.incremental.index import enabled, recorded_scans

        recorded = recorded_scans(root_path) if enabled() else None
        # With an index, what is left to scan is what changed since (SQL files added since are found and
        # scanned by the analysis itself); without one, the mesh is walked until enough files are seen.
        many = (recorded.changed >= POOL_MIN_FILES if recorded is not None
                else _has_many_sql_files(root_path, POOL_MIN_FILES))
        chosen = (executor or LocalExecutor(_configured_workers())) if many else LocalExecutor(1)
        if not chosen.parallel and recorded is None:
            return None
        from govern.analysis.prefetch import start
        from govern.analysis.sqlscan import Limits

        limits = Limits(max_nodes=config.sql.maxNodes, timeout=config.sql.timeoutSeconds)
        return start(root_path, config.dialect, limits, chosen, recorded)
    except ExecutorError:
        if recorded is not None:
            recorded.release()
        raise
    except Exception:  # an optimisation only: the normal path reports whatever is wrong
        if recorded is not None:
            recorded.release()
        return None
