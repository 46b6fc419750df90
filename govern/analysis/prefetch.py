"""Scan the mesh's SQL files while its manifests are still being loaded.

Parsing SQL is most of the work of a full check, and it hardly depends on the manifests: ``scan_sql``
needs the catalog of port locations and the product's lineage floor only to decide whether a statement
needs column lineage (it reads data more sensitive than the product's outputs). So a whole-mesh run
queues one task per folder of the mesh (scan every ``.sql`` file in it with the mesh's default dialect
and no catalog) and starts one worker process per core but one, while the main process loads the
manifests. Once loaded, the main process takes the queued folders no worker has started yet, from the
end of the queue, so that every core scans and no more processes run than there are cores (with a
third process on two cores the workers spent 15-25% more CPU time per file).

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
    from concurrent.futures import Future

    from govern.analysis.catalog import Catalog
    from govern.analysis.sqlscan import FileScan, Limits


def text_sha(text: str) -> bytes:
    """The content hash of a SQL text (BLAKE2b, 32 bytes)."""
    from govern.model.content import digest

    return digest(text.encode("utf-8", "surrogatepass"))


def _scan_folder(root: str, folder: str, recursive: bool, dialect: str | None, limits: Limits,
                 known: frozenset[str] = frozenset()) -> list[tuple[str, bytes, FileScan]]:
    """(mesh-relative path, hash of the text, scan) of every plain .sql file under ``folder`` but those
    in ``known`` (mesh-relative paths whose scan the mesh index holds)."""
    from govern.analysis.dbt import is_template
    from govern.analysis.sqlscan import scan_sql
    from govern.load.discovery import SKIP_DIRS

    out: list[tuple[str, bytes, FileScan]] = []
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
            if is_template(text):
                continue  # rendered with the mesh's refs first
            try:
                scan = scan_sql(text, dialect, limits)
            except Exception:  # scanned again (and reported) by the analysis
                continue
            out.append((rel, text_sha(text), scan))
    return out


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


_WORKER_KNOWN: frozenset[str] = frozenset()  # in a worker process: what its tasks leave out


def _start_worker(known: frozenset[str]) -> None:
    from govern.analysis.sqlscan import collect_in_worker

    global _WORKER_KNOWN
    collect_in_worker()
    _WORKER_KNOWN = known


def _scan_queued(*args: Any) -> list[tuple[str, bytes, FileScan]]:
    """``_scan_folder`` in a worker process."""
    return _scan_folder(*args, known=_WORKER_KNOWN)


@dataclass
class Prefetch:
    """Scans under way in a process pool, by mesh-relative path once collected; and the scans a
    previous run recorded in the mesh index (``recorded``) for the files it left out (``recorded.known``)."""

    root: Path
    dialect: str | None
    limits: Limits
    pool: Any
    tasks: list[tuple[Future, tuple]] = field(default_factory=list)  # (future, arguments of _scan_folder)
    scans: dict[str, tuple[bytes, FileScan]] | None = None
    recorded: Recorded | None = None

    @property
    def known(self) -> frozenset[str]:
        return self.recorded.known if self.recorded is not None else frozenset()

    def results(self, scanned: Callable[[int], None] | None = None) -> dict[str, tuple[bytes, FileScan]]:
        """Scan the folders no worker has started here, then wait for the workers; ``scanned(n)`` after
        each folder's ``n`` files (progress, govern/model/progress.py).

        A failed task only means those files are scanned again by the analysis.
        """
        if self.scans is None:
            from govern.analysis.sqlscan import collecting

            scans: dict[str, tuple[bytes, FileScan]] = {}
            with collecting():
                for future, args in reversed(self.tasks):
                    if future.cancel():  # still queued: no worker will take it now
                        batch = _scan_folder(*args, known=self.known)
                        scans.update((rel, (sha, scan)) for rel, sha, scan in batch)
                        if scanned is not None:
                            scanned(len(batch))
            for future, _ in self.tasks:
                if future.cancelled():
                    continue
                try:
                    batch = future.result()
                except Exception:  # a broken worker: the analysis scans those files itself
                    continue
                scans.update((rel, (sha, scan)) for rel, sha, scan in batch)
                if scanned is not None:
                    scanned(len(batch))
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
        pool, self.pool = self.pool, None
        if pool is None:
            return
        if self.scans is None:  # not collected: do not wait for folders still being scanned
            for process in list(getattr(pool, "_processes", {}).values()):
                process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)


TASKS_WANTED = 32  # folders split one level deeper below this many tasks, so that the work shares out evenly


def start(root: Path, dialect: str | None, limits: Limits, workers: int,
          recorded: Recorded | None = None) -> Prefetch | None:
    """Start scanning the SQL files under ``root`` with ``workers`` processes in all, this one included
    (``workers - 1`` in a pool now, this one once it asks for the results). None when not worth it.

    ``recorded`` serves the files in ``recorded.known`` (the mesh index holds their scans and they are
    unchanged on disk), which no process scans then; ``workers`` 1 starts no pool and serves only those.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

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
    if workers <= 1 or (not deep and len(flat) == 1):
        if recorded is None:
            return None
        return Prefetch(root, dialect, limits, None, recorded=recorded)
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    prefetch = Prefetch(root, dialect, limits, None, recorded=recorded)
    prefetch.pool = ProcessPoolExecutor(max(1, workers - 1), mp_context=multiprocessing.get_context(method),
                                        initializer=_start_worker, initargs=(prefetch.known,))
    for folder, recursive in [*((d, True) for d in deep), *((f, False) for f in flat)]:
        args = (str(root), folder, recursive, dialect, limits)
        prefetch.tasks.append((prefetch.pool.submit(_scan_queued, *args), args))
    return prefetch
