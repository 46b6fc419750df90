"""Where SQL scans run: this machine's processes, or a Dask cluster.

The analysis hands an executor a batch of tasks: a module-level function of govern's analysis layer,
one value every task of the batch shares (sent to each worker once) and the arguments of each task.
Results are read by task index, never in the order tasks finish, so the analysis is the same whichever
executor ran it, and with however many workers.

- ``LocalExecutor``: a process pool per batch (concurrent.futures, forked where the platform can), whose
  workers receive the shared value when they start and collect cyclic garbage (the govern command pauses
  collection in its own process; parsed SQL trees are cyclic garbage). The caller may take back a task
  no worker has started and run it itself, so that this process scans too (``Batch.take_back``).
- ``DaskExecutor``: a ``dask.distributed`` client of the scheduler at ``dask://HOST:PORT`` (the optional
  extra ``govern-mesh[dask]``; imported only when selected). The shared value is scattered to the
  workers once. Its workers never read the mesh: they get the SQL texts (``local_files`` is False).
  Every task first checks that its worker runs the same govern analysis code, sqlglot and Python
  version as this process, since those decide what a scan finds.

A failure of the executor (a worker process that died, an unreachable scheduler, a cluster without
workers, a worker lost during a task, a worker with other code) raises ``ExecutorError``: the command
exits 2 (it could not decide); an analysis with some files missing never reaches the rules.

The executor is chosen with ``executor_from("local" | "dask://HOST:PORT")`` (the ``--executor`` option,
or ``GOVERN_EXECUTOR``); importing this module imports neither concurrent.futures nor dask.
"""

from __future__ import annotations

import contextlib
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

from govern.model.errors import ConfigError, GovernError

LOCAL = "local"
DASK_SCHEME = "dask://"
EXECUTOR_SYNTAX = "local or dask://HOST:PORT"


class ExecutorError(GovernError):
    """The executor failed (a worker died, the cluster cannot be reached): the analysis is incomplete."""


class Batch(ABC):
    """Tasks under way; results by task index."""

    def take_back(self, index: int) -> bool:
        """True when task ``index`` had not started and now never will: the caller runs it itself."""
        return False

    @abstractmethod
    def result(self, index: int) -> Any:
        """The result of task ``index`` (waits for it); ``ExecutorError`` when the executor failed."""

    @abstractmethod
    def close(self) -> None:
        """Let go of the workers once the results were read."""

    def abandon(self) -> None:
        """Stop at once: results nobody read are dropped (tasks still running are not waited for)."""
        self.close()


class Executor(ABC):
    """Runs batches of analysis tasks (see the module docstring)."""

    name: str = ""
    local_files: bool = True  # its workers read this machine's files (the mesh root)

    @property
    @abstractmethod
    def parallel(self) -> bool:
        """True when tasks may run somewhere else than in this process."""

    @abstractmethod
    def workers(self) -> int:
        """How many tasks run at once (to size the tasks)."""

    def inline(self, tasks: int) -> bool:
        """True when ``tasks`` tasks are better run in this process than sent to workers."""
        return not self.parallel

    @abstractmethod
    def start(self, fn: Callable[..., Any], shared: Any, tasks: Sequence[tuple], share_work: bool = False) -> Batch:
        """Start ``fn(shared, *args)`` for every ``args`` of ``tasks``. With ``share_work`` this process
        takes part (it takes back tasks no worker has started), so one process fewer is started."""

    def close(self) -> None:  # noqa: B027 - nothing to release by default
        """Let go of what the executor holds (a cluster connection)."""


def executor_from(spec: str | None, workers: int = 0) -> Executor:
    """The executor a ``--executor`` value names: ``local`` (or nothing) is this machine's processes
    (``workers`` in all, this one included; 0 one per core), ``dask://HOST:PORT`` a Dask scheduler.

    ConfigError for anything else.
    """
    text = (spec or "").strip()
    if not text or text == LOCAL:
        return LocalExecutor(workers)
    if text.startswith(DASK_SCHEME):
        address = text[len(DASK_SCHEME):]
        host, _, port = address.rpartition(":")
        if host and port.isdigit() and "/" not in address:
            return DaskExecutor(f"tcp://{address}")
    from govern.model.suggest import did_you_mean

    raise ConfigError(f"unknown executor '{text}'{did_you_mean(text, [LOCAL])}", field="executor",
                      expected=EXECUTOR_SYNTAX)


# --- this machine ------------------------------------------------------------------------------------

_SHARED: list[Any] = [None]  # in a local worker process: the value its batch shares


def _start_local_worker(shared: Any, parent: int) -> None:
    import gc

    _die_with(parent)
    gc.enable()  # the govern command pauses collection in its own process; parsed SQL trees are cyclic garbage
    _SHARED[0] = shared


def _die_with(parent: int) -> None:
    """Make this worker end when the process that started it ends (Linux: ``PR_SET_PDEATHSIG``).

    A worker forked just as govern is interrupted may not be among the children its signal handler stops
    (govern/cli/entry.py); it would wait for tasks forever, holding the caller's output pipes open.
    """
    import signal
    import sys

    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent ended before the line above: nobody will ask for results
        os._exit(128 + int(signal.SIGTERM))


def _call_local(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(_SHARED[0], *args)


class LocalExecutor(Executor):
    """Processes of this machine: ``processes`` in all, this one included (0: one per core)."""

    local_files = True

    def __init__(self, processes: int = 0) -> None:
        self.processes = processes if processes > 0 else (os.cpu_count() or 1)
        self.name = LOCAL

    @property
    def parallel(self) -> bool:
        return self.processes > 1

    def workers(self) -> int:
        return self.processes

    def inline(self, tasks: int) -> bool:
        return self.processes <= 1 or tasks < 2

    def start(self, fn: Callable[..., Any], shared: Any, tasks: Sequence[tuple], share_work: bool = False) -> Batch:
        helpers = self.processes - 1 if share_work else self.processes
        if helpers < 1:
            return _InlineBatch(fn, shared, tasks)
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
        pool = ProcessPoolExecutor(helpers, mp_context=multiprocessing.get_context(method),
                                   initializer=_start_local_worker, initargs=(shared, os.getpid()))
        return _PoolBatch(pool, [pool.submit(_call_local, fn, *args) for args in tasks])


class _InlineBatch(Batch):
    """Tasks run in this process, each when its result is asked for."""

    def __init__(self, fn: Callable[..., Any], shared: Any, tasks: Sequence[tuple]) -> None:
        self.fn, self.shared, self.tasks = fn, shared, tasks

    def result(self, index: int) -> Any:
        from govern.analysis.sqlscan import collecting

        with collecting():
            return self.fn(self.shared, *self.tasks[index])

    def close(self) -> None:
        pass


class _PoolBatch(Batch):
    def __init__(self, pool: Any, futures: list[Any]) -> None:
        self.pool, self.futures = pool, futures

    def take_back(self, index: int) -> bool:
        return bool(self.futures[index].cancel())  # only a task still queued can be cancelled

    def result(self, index: int) -> Any:
        try:
            return self.futures[index].result()
        except Exception as exc:  # BrokenProcessPool: a worker died (killed, out of memory)
            raise ExecutorError(f"a SQL worker process failed: {type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        pool, self.pool = self.pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def abandon(self) -> None:
        pool = self.pool
        if pool is not None:  # do not wait for tasks still running
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.terminate()
        self.close()


# --- a Dask cluster ----------------------------------------------------------------------------------

WAIT_STEP = 2.0  # seconds between checks that the cluster still has workers while a result is awaited


def environment() -> tuple[str, ...]:
    """What decides a scan's result besides its input: govern's analysis code (a digest of the sources of
    govern/analysis and govern/model), the sqlglot version and the Python version. Computed once."""
    global _ENVIRONMENT
    if _ENVIRONMENT is None:
        import platform

        import sqlglot

        from govern.model.content import digest
        from govern.version import __version__

        package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        parts = []
        for folder in ("analysis", "model"):
            where = os.path.join(package, folder)
            for name in sorted(os.listdir(where)):
                if name.endswith(".py"):
                    with open(os.path.join(where, name), "rb") as fh:
                        parts.append(name.encode() + b"\0" + fh.read())
        code = digest(b"\0".join(parts)).hex()[:16]
        python = ".".join(platform.python_version_tuple()[:2])
        _ENVIRONMENT = (f"govern {__version__} (analysis code {code})", f"sqlglot {sqlglot.__version__}",
                        f"Python {python}")
    return _ENVIRONMENT


_ENVIRONMENT: tuple[str, ...] | None = None  # one assignment: a Dask worker's threads may compute it at once


def _call_dask(fn: Callable[..., Any], shared: Any, expected: tuple[str, ...], *args: Any) -> Any:
    """A task on a Dask worker: refuse to scan with other code than the client's, else ``fn``."""
    found = environment()
    if found != expected:
        different = [f"{theirs} there, {ours} here" for theirs, ours in zip(found, expected, strict=True)
                     if theirs != ours]
        raise ExecutorError("a Dask worker runs other code than this process: " + "; ".join(different),
                            expected="workers with the same govern, sqlglot and Python version as this process "
                                     "(restart them after an upgrade)")
    return fn(shared, *args)


class DaskExecutor(Executor):
    """The workers of a ``dask.distributed`` scheduler (``tcp://HOST:PORT``), or of a given ``Client``.

    Connects on first use; the connection timeout is Dask's (``distributed.comm.timeouts.connect``,
    e.g. ``DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=10s``).
    """

    local_files = False

    def __init__(self, address: str, client: Any = None) -> None:
        self.address = address
        self.name = DASK_SCHEME + address.removeprefix("tcp://")
        self._client = client
        self._owned = client is None

    @property
    def parallel(self) -> bool:
        return True

    def inline(self, tasks: int) -> bool:
        return False

    def _connect(self) -> Any:
        if self._client is not None:
            return self._client
        try:
            from distributed import Client
        except ImportError:
            raise ExecutorError(f"--executor {self.name} needs dask.distributed, which is not installed",
                                expected="pip install 'govern-mesh[dask]'") from None
        try:
            self._client = Client(self.address, set_as_default=False)
        except Exception as exc:  # OSError / TimeoutError: nothing listens there, or not a scheduler
            raise ExecutorError(f"cannot reach the Dask scheduler at {self.name}: {type(exc).__name__}: {exc}",
                                expected="a running dask scheduler at HOST:PORT") from None
        try:
            self._client.wait_for_workers(1, timeout=_connect_timeout())
        except Exception:
            raise ExecutorError(f"the Dask cluster at {self.name} has no workers",
                                expected="at least one dask worker connected to the scheduler") from None
        return self._client

    def workers(self) -> int:
        try:
            info = self._connect().scheduler_info(n_workers=-1)
        except ExecutorError:
            raise
        except Exception as exc:
            raise ExecutorError(f"lost the Dask scheduler at {self.name}: {type(exc).__name__}: {exc}") from None
        return max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))

    def start(self, fn: Callable[..., Any], shared: Any, tasks: Sequence[tuple], share_work: bool = False) -> Batch:
        import uuid

        client = self._connect()
        expected = environment()
        try:
            handle = client.scatter(shared, broadcast=True, hash=False) if shared is not None else None
            # the keys name the tasks on the cluster's dashboard: govern-scan-jobs-<batch>-<index>
            prefix = "govern-" + fn.__name__.strip("_").replace("_", "-")
            batch = uuid.uuid4().hex[:12]
            futures = [client.submit(_call_dask, fn, handle, expected, *args, key=f"{prefix}-{batch}-{i}")
                       for i, args in enumerate(tasks)]
        except Exception as exc:
            raise ExecutorError(f"the Dask cluster at {self.name} failed: {type(exc).__name__}: {exc}") from None
        return _DaskBatch(self, futures)

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None and self._owned:
            with contextlib.suppress(Exception):  # already gone: nothing more to release
                client.close()


def _connect_timeout() -> float:
    from dask.config import get
    from dask.utils import parse_timedelta

    return float(parse_timedelta(get("distributed.comm.timeouts.connect"), default="s"))


class _DaskBatch(Batch):
    def __init__(self, executor: DaskExecutor, futures: list[Any]) -> None:
        self.executor, self.futures = executor, futures

    def result(self, index: int) -> Any:
        future = self.futures[index]
        name = self.executor.name
        idle = 0.0
        while True:
            try:
                return future.result(timeout=WAIT_STEP)
            except ExecutorError:
                raise
            except TimeoutError as exc:
                if future.done():  # the task itself failed so
                    raise ExecutorError(f"the Dask cluster at {name} failed: {type(exc).__name__}: {exc}") from None
            except Exception as exc:  # KilledWorker, a lost scheduler, a cancelled task
                raise ExecutorError(f"the Dask cluster at {name} failed: {type(exc).__name__}: {exc}") from None
            # a cluster whose workers all left would keep the task waiting forever: fail closed instead
            client = self.executor._client
            try:
                workers = client is not None and client.status == "running" and bool(
                    client.scheduler_info(n_workers=-1).get("workers"))
            except Exception:
                workers = False
            idle = 0.0 if workers else idle + WAIT_STEP
            if idle >= max(_connect_timeout(), WAIT_STEP):
                raise ExecutorError(f"the Dask cluster at {name} has no workers left (or the scheduler is gone)")

    def close(self) -> None:
        futures, self.futures = self.futures, []
        client = self.executor._client
        if futures and client is not None:
            with contextlib.suppress(Exception):  # the cluster is gone: nothing to cancel
                client.cancel(futures)

    def abandon(self) -> None:
        self.close()
