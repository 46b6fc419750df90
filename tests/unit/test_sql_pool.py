"""SQL analysis in a process pool gives exactly the results of one process (govern/analysis/run.py)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from bench.generate import generate
from govern.analysis import analyse
from govern.api import check
from govern.load.loader import load_mesh

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "mesh"


def _facts(analysis) -> str:
    edges = [(e.consumer, e.producer, e.kind, e.port, e.location.path, e.location.line, e.location.column)
             for e in analysis.edges]
    return json.dumps([analysis.to_dict(), edges], sort_keys=True, default=str)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pool") / "mesh"
    generate(root, 80, seed=7)  # every kind of planted violation, sensitive lineage included
    return root


@pytest.mark.parametrize("which", ["synthetic", "example"])
def test_a_pool_of_processes_finds_exactly_what_one_process_finds(which: str, synthetic: Path) -> None:
    root = synthetic if which == "synthetic" else EXAMPLE
    mesh = load_mesh([root], root=root)
    one = analyse(mesh, workers=1)
    pool = analyse(mesh, workers=2)
    assert pool.stats["workers"] == 2 and one.stats["workers"] == 1
    assert one.stats["files"] > 10
    assert _facts(pool) == _facts(one)
    assert any(p.issues for p in one.products.values())  # the planted / example SQL problems are there


def test_the_check_result_does_not_depend_on_the_number_of_workers(synthetic: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVERN_CACHE", "0")
    results = []
    for workers in ("1", "2"):
        monkeypatch.setenv("GOVERN_WORKERS", workers)
        result = check([synthetic], today=dt.date(2026, 6, 1))
        results.append([f.to_dict() for f in result.findings])
    assert results[0] == results[1]
    assert results[0]


@pytest.mark.parametrize("which", ["synthetic", "example"])
def test_scans_started_before_the_manifests_loaded_change_nothing(which: str, synthetic: Path) -> None:
    from govern.analysis.executor import LocalExecutor
    from govern.analysis.prefetch import start
    from govern.analysis.sqlscan import Limits
    from govern.load.loader import load_config

    root = synthetic if which == "synthetic" else EXAMPLE
    config = load_config(root)
    limits = Limits(max_nodes=config.sql.maxNodes, timeout=config.sql.timeoutSeconds)
    prefetch = start(root.resolve(), config.dialect, limits, LocalExecutor(2))
    assert prefetch is not None
    try:
        mesh = load_mesh([root], root=root)
        with_prefetch = analyse(mesh, workers=1, prefetch=prefetch)
    finally:
        prefetch.close()
    plain = analyse(load_mesh([root], root=root), workers=1)
    assert _facts(with_prefetch) == _facts(plain)
    assert with_prefetch.stats["prefetched"] > 0

    # a job whose SQL reads data more sensitive than its outputs is scanned again, with the catalog
    if which == "synthetic":
        assert with_prefetch.stats["prefetched"] < with_prefetch.stats["files"]


def test_this_process_scans_the_folders_no_worker_has_started(synthetic: Path) -> None:
    """Two processes in all: one worker takes folders from the front of the queue, this one from the end."""
    from govern.analysis.executor import LocalExecutor
    from govern.analysis.prefetch import _scan_folder, start
    from govern.analysis.sqlscan import Limits

    limits = Limits()
    prefetch = start(synthetic.resolve(), "snowflake", limits, LocalExecutor(2))
    assert prefetch is not None
    try:
        scans = prefetch.results()  # at once: most folders are still queued
    finally:
        prefetch.close()
    assert prefetch.batch is None and len(prefetch.tasks) > 8  # 4 domains: split one level deeper
    assert len(prefetch.tasks) - 1 in prefetch.taken_back  # the last folder queued was scanned here
    assert len(prefetch.taken_back) < len(prefetch.tasks)  # and the worker did its share
    every = {rel: sha for args in prefetch.tasks for rel, sha, _ in _scan_folder(*args)}
    assert {rel: sha for rel, (sha, _) in scans.items()} == every
