"""Scan the mesh's SQL files while its manifests are still being loaded.

Parsing SQL is most of the work of a full check, and it hardly depends on the manifests: ``scan_sql``
needs the catalog of port locations and the product's lineage floor only to decide whether a statement
needs column lineage (it reads data more sensitive than the product's outputs). So a whole-mesh run
queues one task per folder of the mesh (scan every ``.sql`` file in it with the mesh's default dialect
and no catalog) on an executor (govern/analysis/executor.py) while the main process loads the manifests.

With the local executor, one worker process per core but one reads and scans the folders; once loaded,
the main process takes the queued folders no worker has started yet, from the end of the queue, so that
every core scans and no more processes run than there are cores (with a third process on two cores the
workers spent 15-25% more CPU time per file). A Dask cluster's workers do not see this machine's files:
the main process reads each folder's SQL files and sends their texts.

``analyse`` then takes a prefetched scan for a job only when it is the same file, dialect, limits and
text (hash), no table it names or writes is more sensitive than the job's lineage floor (so the scan
with the catalog would have been identical), and it did not hit the time limit; every other job is
scanned as before. The results are the same with or without prefetching (tests/unit/test_sql_pool.py).

``Recorded`` serves scans a run kept in the mesh index (govern/incremental/index.py), by the hash of their
text, dialect and limits, under the same conditions, so that pre-commit re-reads unchanged SQL without
parsing it, and so that the next whole-mesh run parses only the SQL files that changed since (no process
scans the files the index vouches for; ``take`` falls back to the recorded scan, checked like a
prefetched one).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govern.analysis.catalog import Catalog
    from govern.analysis.executor import Batch, Executor
    from govern.analysis.sqlscan import FileScan, Limits


def text_sha(text: str) -> bytes:
    """The content hash of a SQL text (BLAKE2b, 32 bytes)."""
    from govern.model.content import digest

    return digest(text.encode("utf-8", "surrogatepass"))


def _read_folder(root: str, folder: str, recursive: bool, limits: Limits,
                 known: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """(mesh-relative path, text) of every plain .sql file under ``folder`` but those in ``known``
    (mesh-relative paths whose scan the mesh index holds), dbt templates left out (rendered with the
    mesh's refs first)."""
    from govern.analysis.dbt import is_template
    from govern.load.discovery import SKIP_DIRS

    out: list[tuple[str, str]] = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")) if recursive else []
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            if not name.endswith(".sql") or os.path.islink(path):
                continue
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            if rel in known:
                continue
            try:
                with open(path, "rb") as fh:
                    text = fh.read(limits.max_bytes + 1).decode("utf-8-sig")
            except (OSError, UnicodeDecodeError):
                continue  # the analysis reports it for the products that name it
            if not is_template(text):
                out.append((rel, text))
    return out


def _scan_texts(dialect: str | None, limits: Limits, texts: list[tuple[str, str]]) -> list[tuple[str, bytes, FileScan]]:
    """(mesh-relative path, hash of the text, scan) of each (path, text); a text that fails is left out."""
    from govern.analysis.sqlscan import scan_sql

    out: list[tuple[str, bytes, FileScan]] = []
    for rel, text in texts:
        try:
            scan = scan_sql(text, dialect, limits)
        except Exception:  # scanned again (and reported) by the analysis
            continue
        out.append((rel, text_sha(text), scan))
    return out


def _scan_folder(root: str, folder: str, recursive: bool, dialect: str | None, limits: Limits,
                 known: frozenset[str] = frozenset()) -> list[tuple[str, bytes, FileScan]]:
    """(mesh-relative path, hash of the text, scan) of every plain .sql file under ``folder`` but those
    in ``known``."""
    return _scan_texts(dialect, limits, _read_folder(root, folder, recursive, limits, known))


def reusable(scan: FileScan, floor: int | None, catalog: Catalog | None) -> bool:
    """True when ``scan``, made without a catalog, is exactly what scanning with ``catalog`` and ``floor`` gives.

    That holds when no table it names or writes is more sensitive than the lineage floor (so no
    statement needs column lineage) and it did not hit the time limit (which a busy machine may trip).
    """
    from govern.analysis.sqlscan import TOO_COMPLEX

    if any(p.kind == TOO_COMPLEX for p in scan.problems):
        return False
    if catalog is not None and floor is not None:
        for ref in (*scan.reads, *scan.writes):
            if any(info.sensitivity > floor for info in catalog.resolve(ref.key)):
                return False
    return True


@dataclass
class Recorded:
    """Scans a previous run kept in the mesh index (govern/incremental/index.py), by content: the key of a
    scan is ``scan_key`` of its text, dialect and limits (the index is written by one govern and sqlglot
    version, and read only by the same). A scan is taken under the same conditions as a prefetched one.

    For a whole-mesh run, ``known`` are the paths whose file is unchanged since the index was written (no
    process needs to scan them), ``changed`` counts the indexed SQL files that changed since, and ``close``
    lets go of the index.
    """

    scans: Any  # scan key -> ``scan_to_data`` of the scan: a dict, or the index's lazy reader
    known: frozenset[str] = frozenset()
    changed: int = 0
    close: Callable[[], None] | None = None

    def release(self) -> None:
        """Let go of what the scans are read from (once)."""
        close, self.close = self.close, None
        if close is not None:
            close()

    def take(self, path: str, dialect: str | None, limits: Limits, text: str, floor: int | None,
             catalog: Catalog | None) -> FileScan | None:
        """The recorded scan of this text if it is exactly what scanning the job now would give."""
        from govern.analysis.sqlscan import scan_from_data

        hit = self.scans.get(scan_key(text, dialect, limits))
        if hit is None:
            return None
        scan = scan_from_data(hit)
        return scan if reusable(scan, floor, catalog) else None


def scan_key(text: str, dialect: str | None, limits: Limits) -> str:
    """The content address of a scan: the text's hash, the dialect and the limits (hex)."""
    from govern.model.content import digest

    return digest(b"\0".join((text_sha(text), (dialect or "").encode(), repr(limits_key(limits)).encode()))).hex()


def limits_key(limits: Limits) -> tuple:
    """The limits as a plain tuple."""
    return (limits.max_nodes, limits.timeout, limits.max_depth, limits.max_bytes)


def _scan_queued(known: frozenset[str], *args: Any) -> list[tuple[str, bytes, FileScan]]:
    """A task of the local executor: ``_scan_folder`` in a worker process that reads the mesh itself."""
    return _scan_folder(*args, known=known)


def _scan_sent(shared: tuple[str | None, Limits], texts: list[tuple[str, str]]) -> list[tuple[str, bytes, FileScan]]:
    """A task of an executor whose workers do not see the mesh (Dask): scan the texts sent."""
    return _scan_texts(shared[0], shared[1], texts)


@dataclass
class Prefetch:
    """Scans under way on an executor, by mesh-relative path once collected; and the scans a previous
    run recorded in the mesh index (``recorded``) for the files it left out (``recorded.known``)."""

    root: Path
    dialect: str | None
    limits: Limits
    batch: Batch | None = None
    size: int = 0  # tasks in the batch
    tasks: list[tuple] = field(default_factory=list)  # arguments of _scan_folder per task, when it can run here
    taken_back: set[int] = field(default_factory=set)  # the tasks this process ran
    scans: dict[str, tuple[bytes, FileScan]] | None = None
    recorded: Recorded | None = None

    @property
    def known(self) -> frozenset[str]:
        return self.recorded.known if self.recorded is not None else frozenset()

    def results(self, scanned: Callable[[int], None] | None = None) -> dict[str, tuple[bytes, FileScan]]:
        """Scan the folders no worker has started here, then wait for the workers; ``scanned(n)`` after
        each folder's ``n`` files (progress, govern/model/progress.py).

        A failed task only means those files are scanned again by the analysis (which fails closed
        when the executor fails it too).
        """
        if self.scans is None:
            from govern.analysis.executor import ExecutorError
            from govern.analysis.sqlscan import collecting

            scans: dict[str, tuple[bytes, FileScan]] = {}
            batch = self.batch
            if batch is not None:
                with collecting():
                    for i in reversed(range(len(self.tasks))):
                        if batch.take_back(i):  # still queued: no worker will take it now
                            self.taken_back.add(i)
                            done = _scan_folder(*self.tasks[i], known=self.known)
                            scans.update((rel, (sha, scan)) for rel, sha, scan in done)
                            if scanned is not None:
                                scanned(len(done))
                for i in range(self.size):
                    if i in self.taken_back:
                        continue
                    try:
                        done = batch.result(i)
                    except ExecutorError:
                        continue
                    scans.update((rel, (sha, scan)) for rel, sha, scan in done)
                    if scanned is not None:
                        scanned(len(done))
            self.scans = scans
            self._stop()
        return self.scans

    def take(self, path: str, dialect: str | None, limits: Limits, text: str, floor: int | None,
             catalog: Catalog | None) -> FileScan | None:
        """The prefetched (or recorded) scan of ``path`` if it is exactly what scanning the job now would give."""
        hit = self.results().get(path) if dialect == self.dialect and limits == self.limits else None
        if hit is not None and hit[0] == text_sha(text):
            return hit[1] if reusable(hit[1], floor, catalog) else None
        if self.recorded is not None:
            return self.recorded.take(path, dialect, limits, text, floor, catalog)
        return None

    def close(self) -> None:
        """Stop the workers and let go of the mesh index; scans nobody collected are abandoned."""
        self._stop()
        if self.recorded is not None:
            self.recorded.release()

    def _stop(self) -> None:
        batch, self.batch = self.batch, None
        if batch is None:
            return
        if self.scans is None:  # not collected: do not wait for folders still being scanned
            batch.abandon()
        else:
            batch.close()


TASKS_WANTED = 32  # folders split one level deeper below this many tasks, so that the work shares out evenly
SENT_PER_WORKER = 4  # tasks per worker when the texts are sent (each task costs a round trip to the cluster)


def start(root: Path, dialect: str | None, limits: Limits, executor: Executor,
          recorded: Recorded | None = None) -> Prefetch | None:
    """Start scanning the SQL files under ``root`` on ``executor`` (the local one: its processes, this one
    included, which scans once it asks for the results). None when not worth it.

    ``recorded`` serves the files in ``recorded.known`` (the mesh index holds their scans and they are
    unchanged on disk), which no process scans then; an executor that is not parallel starts nothing and
    only those are served.
    """
    from govern.load.discovery import SKIP_DIRS

    def subdirs(path: str) -> list[str]:
        try:
            with os.scandir(path) as it:
                return sorted(e.path for e in it if e.is_dir(follow_symlinks=False) and e.name not in SKIP_DIRS
                              and not e.name.startswith("."))
        except OSError:
            return []

    # One task per folder; a mesh with few top-level folders is split one level deeper so that every
    # process gets a share. Each folder's own files go with a non-recursive task.
    flat: list[str] = [str(root)]
    deep = subdirs(str(root))
    if len(deep) < TASKS_WANTED:
        flat += deep
        deep = [sub for folder in deep for sub in subdirs(folder)]
    if not executor.parallel or (not deep and len(flat) == 1):
        if recorded is None:
            return None
        return Prefetch(root, dialect, limits, recorded=recorded)
    prefetch = Prefetch(root, dialect, limits, recorded=recorded)
    folders = [*((d, True) for d in deep), *((f, False) for f in flat)]
    if executor.local_files:
        prefetch.tasks = [(str(root), folder, recursive, dialect, limits) for folder, recursive in folders]
        prefetch.batch = executor.start(_scan_queued, prefetch.known, prefetch.tasks, share_work=True)
        prefetch.size = len(prefetch.tasks)
    else:  # its workers do not see the mesh: the texts are read here and sent, in a few tasks per worker
        texts = [text for folder, recursive in folders
                 for text in _read_folder(str(root), folder, recursive, limits, prefetch.known)]
        if not texts:
            return Prefetch(root, dialect, limits, recorded=recorded) if recorded is not None else None
        size = max(1, len(texts) // (executor.workers() * SENT_PER_WORKER))
        chunks = [(texts[i:i + size],) for i in range(0, len(texts), size)]
        prefetch.batch = executor.start(_scan_sent, (dialect, limits), chunks)
        prefetch.size = len(chunks)
    return prefetch
