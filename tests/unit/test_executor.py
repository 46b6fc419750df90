"""Where SQL is analysed (govern/analysis/executor.py): a real Dask cluster (``dask.distributed.LocalCluster``)
finds, byte for byte, what this machine's processes find; a failing cluster fails closed (exit 2, no verdict)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from distributed.diagnostics.plugin import WorkerPlugin
from meshkit import MeshDir, age
from prockit import alive

from bench.generate import generate
from govern.analysis import analyse
from govern.analysis.executor import DaskExecutor, ExecutorError, LocalExecutor, executor_from
from govern.load.loader import load_config, load_mesh
from govern.model.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "mesh"
GOVERN = Path(sys.executable).parent / "govern"
TODAY = "2026-06-01"
QUICK_CONNECT = {"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "1s"}  # an unreachable scheduler fails in a second


def _govern(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The real console script, caches off unless ``env`` turns them on (the executor alone decides then)."""
    return subprocess.run([str(GOVERN), *args], capture_output=True, text=True, cwd=cwd, timeout=600,
                          env={**os.environ, "GOVERN_CACHE": "0", **(env or {})})


def _dask(address: str) -> str:
    return "dask://" + address.removeprefix("tcp://")


def _facts(analysis) -> str:
    edges = [(e.consumer, e.producer, e.kind, e.port, e.location.path, e.location.line, e.location.column)
             for e in analysis.edges]
    return json.dumps([analysis.to_dict(), edges], sort_keys=True, default=str)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def cluster():
    """Two single-threaded workers in this process, behind a real TCP scheduler that the console script reaches."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp", host="127.0.0.1",
                      dashboard_address=":0") as local:
        yield local


@pytest.fixture(scope="module")
def bench_mesh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("executor") / "mesh"
    generate(root, 1000, seed=7)  # every kind of planted violation, sensitive lineage included
    return root


def _ran_on(cluster, function: str) -> bool:
    """True when the cluster ran tasks of that govern function (its keys are govern-scan-jobs-<batch>-<i>)."""
    return f"govern-{function}" in cluster.scheduler.task_prefixes


def test_executor_names() -> None:
    assert isinstance(executor_from(None), LocalExecutor) and isinstance(executor_from("local"), LocalExecutor)
    assert executor_from("local", workers=3).workers() == 3
    dask = executor_from("dask://scheduler.example.com:8786")
    assert isinstance(dask, DaskExecutor) and dask.address == "tcp://scheduler.example.com:8786"
    assert dask.name == "dask://scheduler.example.com:8786"
    for wrong in ("dask://", "dask://host", "dask://host:port", "tcp://host:8786", "lokal"):
        with pytest.raises(ConfigError) as info:
            executor_from(wrong)
        assert info.value.expected == "local or dask://HOST:PORT"
    with pytest.raises(ConfigError, match="did you mean 'local'"):
        executor_from("lokal")


def test_a_wrong_executor_is_a_usage_error() -> None:
    for command in (["check"], ["gate"], ["scorecard"], ["report", "-o", "out"]):
        out = _govern(*command, str(EXAMPLE), "--executor", "dask:/127.0.0.1:8786")
        assert out.returncode == 2, (command, out.stderr)
        assert "unknown executor 'dask:/127.0.0.1:8786' (expected local or dask://HOST:PORT)" in out.stderr
    out = _govern("check", str(EXAMPLE), env={"GOVERN_EXECUTOR": "threads"})
    assert out.returncode == 2 and "unknown executor 'threads'" in out.stderr and not out.stdout


def test_the_gate_uses_a_cluster_only_when_its_command_line_names_one(tmp_path: Path) -> None:
    """GOVERN_EXECUTOR is the environment's, not the operator's flag: the gate ignores it and decides on
    this machine; check, scorecard and report read it."""
    mesh = _sql_blocked_mesh(tmp_path / "mesh")
    nowhere = f"dask://127.0.0.1:{_free_port()}"
    for value in (nowhere, "threads"):
        out = _govern("gate", str(mesh.root), "-f", "json", "--today", TODAY,
                      env={**QUICK_CONNECT, "GOVERN_EXECUTOR": value})
        assert out.returncode == 1, (value, out.stderr)
        assert {f["rule"] for f in json.loads(out.stdout)["findings"] if f["severity"] == "error"} == {
            "lineage.undeclared-dependency"}
    named = _govern("gate", str(mesh.root), "--executor", nowhere, "--today", TODAY, env=QUICK_CONNECT)
    assert named.returncode == 2 and f"cannot reach the Dask scheduler at {nowhere}" in named.stderr


@pytest.mark.parametrize("which", ["example", "bench"])
def test_dask_finds_byte_for_byte_what_this_machine_finds(which: str, cluster, bench_mesh: Path) -> None:
    root = EXAMPLE if which == "example" else bench_mesh
    args = ("check", str(root), "-f", "json", "--today", TODAY)
    local = _govern(*args)
    on_dask = _govern(*args, "--executor", _dask(cluster.scheduler_address))
    assert local.returncode == 1, local.stderr
    assert on_dask.returncode == local.returncode, on_dask.stderr
    assert on_dask.stdout == local.stdout
    findings = json.loads(local.stdout)["findings"]
    assert any(f["rule"].startswith(("sql.", "lineage.")) for f in findings)  # the SQL decided something
    assert _ran_on(cluster, "scan-jobs")
    if which == "bench":  # 1,000 SQL files: scanned on the cluster while the manifests loaded
        assert _ran_on(cluster, "scan-sent")
        assert len(findings) >= 16  # the planted violations


@pytest.mark.parametrize("which", ["example", "bench"])
def test_the_analysis_on_dask_is_the_analysis_in_one_process(which: str, cluster, bench_mesh: Path) -> None:
    """Every SQL fact (reads, writes, column lineage, issues, edges), with and without the scans sent to the
    cluster before the manifests loaded."""
    from govern.analysis.prefetch import start
    from govern.analysis.sqlscan import Limits

    root = EXAMPLE if which == "example" else bench_mesh
    one = analyse(load_mesh([root], root=root), workers=1)
    executor = DaskExecutor(cluster.scheduler_address)
    try:
        on_dask = analyse(load_mesh([root], root=root), executor=executor)
        config = load_config(root)
        limits = Limits(max_nodes=config.sql.maxNodes, timeout=config.sql.timeoutSeconds)
        prefetch = start(root.resolve(), config.dialect, limits, executor)
        assert prefetch is not None and prefetch.size > 0 and not prefetch.tasks  # texts sent: nothing read there
        try:
            prefetched = analyse(load_mesh([root], root=root), executor=executor, prefetch=prefetch)
        finally:
            prefetch.close()
    finally:
        executor.close()
    assert on_dask.stats["executor"] == _dask(cluster.scheduler_address) and on_dask.stats["workers"] == 2
    assert _facts(on_dask) == _facts(one)
    assert _facts(prefetched) == _facts(one)
    assert prefetched.stats["prefetched"] > 0
    assert any(p.issues for p in one.products.values())


def test_scans_recorded_by_a_dask_run_serve_the_next_run(cluster, tmp_path: Path) -> None:
    """The mesh index a run on the cluster writes holds the same scans: the next (local) run takes them and
    reports the same, and so does a run on the cluster that reads the index after a SQL file changed."""
    root = tmp_path / "mesh"
    generate(root, 80, seed=7)
    age(root)  # files just written are not indexed
    args = ("check", str(root), "-f", "json", "--today", TODAY)
    on_dask = ("--executor", _dask(cluster.scheduler_address))
    cached = {"GOVERN_CACHE": "1"}
    first = _govern(*args, *on_dask, env=cached)
    assert (root / ".govern-cache" / "mesh-index.bin").is_file()
    second = _govern(*args, env=cached)
    assert first.returncode == second.returncode == _govern(*args).returncode == 1
    assert first.stdout == second.stdout == _govern(*args).stdout
    sql = sorted(root.rglob("*.sql"))[0]
    sql.write_text(sql.read_text() + "\n;\nselect * from analytics.nowhere.at_all\n")
    third = _govern(*args, *on_dask, env=cached)
    assert third.returncode == 1 and third.stdout == _govern(*args).stdout != first.stdout


def _sql_blocked_mesh(root: Path) -> MeshDir:
    """A mesh whose only blocking finding comes from SQL: analysing part of it would allow the deployment."""
    mesh = MeshDir(root)
    mesh.org()
    mesh.product("sales.orders")
    mesh.product("crm.customers")
    mesh.product("finance.revenue", {"inputs": [{"product": "sales.orders"}],
                                     "execution": {"code": ["revenue.sql"], "dialect": "snowflake"}})
    mesh.write("finance/revenue/revenue.sql", "select o.id, c.id\nfrom analytics.sales_prod.orders o\n"
                                              "join analytics.crm_prod.customers c on c.id = o.id\n")
    return mesh


def test_an_unreachable_scheduler_fails_closed(tmp_path: Path) -> None:
    mesh = _sql_blocked_mesh(tmp_path / "mesh")
    blocked = _govern("gate", str(mesh.root), "-f", "json", "--today", TODAY)
    assert blocked.returncode == 1
    assert {f["rule"] for f in json.loads(blocked.stdout)["findings"] if f["severity"] == "error"} == {
        "lineage.undeclared-dependency"}
    nowhere = f"dask://127.0.0.1:{_free_port()}"
    for command, extra, env in ((["gate"], ["--executor", nowhere], QUICK_CONNECT),
                                (["check"], [], {**QUICK_CONNECT, "GOVERN_EXECUTOR": nowhere}),
                                (["scorecard"], ["--executor", nowhere], QUICK_CONNECT),
                                (["report", "-o", str(tmp_path / "report")], ["--executor", nowhere], QUICK_CONNECT)):
        out = _govern(*command, str(mesh.root), *extra, "--today", TODAY, env=env)
        assert out.returncode == 2, (command, out.stdout, out.stderr)
        assert f"govern: cannot reach the Dask scheduler at {nowhere}" in out.stderr
        assert "ALLOWED" not in out.stdout and "BLOCKED" not in out.stdout
    assert not (tmp_path / "report").exists()


def test_a_cluster_without_workers_fails_closed(tmp_path: Path) -> None:
    from distributed import LocalCluster

    mesh = _sql_blocked_mesh(tmp_path / "mesh")
    with LocalCluster(n_workers=0, processes=False, protocol="tcp", host="127.0.0.1",
                      dashboard_address=":0") as empty:
        started = time.monotonic()
        out = _govern("gate", str(mesh.root), "--executor", _dask(empty.scheduler_address), "--today", TODAY,
                      env=QUICK_CONNECT)
    assert out.returncode == 2, out.stderr
    assert f"govern: the Dask cluster at {_dask(empty.scheduler_address)} has no workers" in out.stderr
    assert not out.stdout
    assert time.monotonic() - started < 60


class DieWhileScanning(WorkerPlugin):
    """A worker plugin: the worker process dies (``os._exit``) as soon as it starts a govern SQL scan."""

    name = "die-while-scanning"

    def transition(self, key, start, finish, **kwargs) -> None:
        if finish == "executing" and str(key).startswith("govern-scan-jobs-"):
            os._exit(1)


def test_a_worker_dying_during_the_analysis_fails_closed(tmp_path: Path) -> None:
    """A real worker process dies while it scans; the scheduler gives up on the task (no retries allowed
    here): the gate exits 2 with govern's message, never a verdict from the SQL the dead worker left out."""
    import cloudpickle
    import dask
    from distributed import Client, LocalCluster

    mesh = _sql_blocked_mesh(tmp_path / "mesh")
    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the worker processes cannot import this test
    try:
        with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
                LocalCluster(n_workers=1, threads_per_worker=1, processes=True, protocol="tcp", host="127.0.0.1",
                             dashboard_address=":0") as one, Client(one) as client:
            client.register_plugin(DieWhileScanning())
            out = _govern("gate", str(mesh.root), "--executor", _dask(one.scheduler_address), "--today", TODAY)
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert f"govern: the Dask cluster at {_dask(one.scheduler_address)} failed: KilledWorker" in out.stderr
    assert not out.stdout


def test_a_local_worker_process_dying_fails_closed() -> None:
    """The local executor: a pool whose worker process died raises ExecutorError (the CLI exits 2)."""
    import signal

    batch = LocalExecutor(2).start(_kill_own_process, signal.SIGKILL, [()])
    try:
        with pytest.raises(ExecutorError, match="a SQL worker process failed"):
            batch.result(0)
    finally:
        batch.close()


def _kill_own_process(sig: int) -> None:
    os.kill(os.getpid(), sig)


_ORPHAN_SCRIPT = """
import os, sys, time
from govern.analysis.executor import LocalExecutor
def nap(shared, seconds):
    time.sleep(seconds)
batch = LocalExecutor(3).start(nap, None, [(60,), (60,)])
time.sleep(1.0)
print(" ".join(str(p) for p in batch.pool._processes), flush=True)
time.sleep(60)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_local_workers_end_when_the_process_that_started_them_is_killed() -> None:
    """A worker never outlives govern (an interrupted run must not leave processes holding its output)."""
    import signal

    proc = subprocess.Popen([sys.executable, "-c", _ORPHAN_SCRIPT], stdout=subprocess.PIPE, text=True)
    try:
        workers = [int(p) for p in proc.stdout.readline().split()]
        assert len(workers) == 3
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        deadline = time.monotonic() + 10
        while any(alive(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(alive(p) for p in workers)
    finally:
        proc.kill()


def test_a_pre_commit_run_never_connects_to_the_cluster(tmp_path: Path) -> None:
    """With GOVERN_EXECUTOR naming a scheduler nobody runs, changed-files mode answered from the mesh index
    still answers (it needs no pool), and imports neither dask nor concurrent.futures."""
    root = tmp_path / "mesh"
    generate(root, 80, seed=7)
    age(root)
    cached = {"GOVERN_CACHE": "1"}
    assert _govern("check", str(root), "--today", TODAY, env=cached).returncode == 1  # writes the index
    manifest = sorted(root.rglob("dataproduct.yaml"))[0]
    manifest.write_text(manifest.read_text() + "\n# edited\n")
    command = [sys.executable, "-X", "importtime", "-m", "govern", "check", str(manifest), "--today", TODAY,
               "-f", "json"]
    env = {**os.environ, **cached, **QUICK_CONNECT, "GOVERN_CACHE_DEBUG": "1",
           "GOVERN_EXECUTOR": f"dask://127.0.0.1:{_free_port()}"}
    fast = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=120)
    slow = subprocess.run(command, cwd=root, env={**env, "GOVERN_CACHE": "0", "GOVERN_EXECUTOR": "local"},
                          capture_output=True, text=True, timeout=120)
    assert "govern: mesh index: answered" in fast.stderr, fast.stderr[-2000:]
    assert fast.returncode == slow.returncode and fast.stdout == slow.stdout
    imported = {line.rsplit("|", 1)[-1].strip() for line in fast.stderr.splitlines() if line.startswith("import time:")}
    assert not {m for m in imported if m.split(".")[0] in ("dask", "distributed") or m.startswith("concurrent.futures")}
