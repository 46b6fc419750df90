"""Scan the mesh's SQL files while its manifests are still being loaded.

Parsing SQL is most of the work of a full check, and it hardly depends on the manifests: ``scan_sql``
needs the catalog of port locations and the product's lineage floor only to decide whether a statement
needs column lineage (it reads data more sensitive than the product's outputs). So a whole-mesh run
starts worker processes first; each walks one top-level directory of the mesh and scans every ``.sql``
file in it with the mesh's default dialect and no catalog, while the main process loads the manifests.

``analyse`` then takes a prefetched scan for a job only when it is the same file, dialect, limits and
text (sha256), no table it names or writes is more sensitive than the job's lineage floor (so the scan
with the catalog would have been identical), and it did not hit the time limit; every other job is
scanned as before. The results are the same with or without prefetching (tests/unit/test_sql_pool.py).
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govern.analysis.catalog import Catalog
    from govern.analysis.sqlscan import FileScan, Limits


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _scan_folder(root: str, folder: str, recursive: bool, dialect: str | None,
                 limits: Limits) -> list[tuple[str, str, FileScan]]:
    """(mesh-relative path, sha256 of the text, scan) of every plain .sql file under ``folder``."""
    from govern.analysis.dbt import is_template
    from govern.analysis.sqlscan import scan_sql
    from govern.loader import SKIP_DIRS

    out: list[tuple[str, str, FileScan]] = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")) if recursive else []
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            if not name.endswith(".sql") or os.path.islink(path):
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
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            out.append((rel, text_sha(text), scan))
    return out


@dataclass
class Prefetch:
    """Scans under way in a process pool, by mesh-relative path once collected."""

    root: Path
    dialect: str | None
    limits: Limits
    pool: Any
    futures: list[Future] = field(default_factory=list)
    scans: dict[str, tuple[str, FileScan]] | None = None

    def results(self) -> dict[str, tuple[str, FileScan]]:
        """Wait for every scan (a failed task only means those files are scanned again)."""
        if self.scans is None:
            scans: dict[str, tuple[str, FileScan]] = {}
            for future in self.futures:
                try:
                    for rel, sha, scan in future.result():
                        scans[rel] = (sha, scan)
                except Exception:  # a broken worker: the analysis scans those files itself
                    continue
            self.scans = scans
            self.close()
        return self.scans

    def take(self, path: str, dialect: str | None, limits: Limits, text: str, floor: int | None,
             catalog: Catalog | None) -> FileScan | None:
        """The prefetched scan of ``path`` if it is exactly what scanning the job now would give."""
        from govern.analysis.sqlscan import TOO_COMPLEX

        if dialect != self.dialect or limits != self.limits:
            return None
        hit = self.results().get(path)
        if hit is None or hit[0] != text_sha(text):
            return None
        scan = hit[1]
        if any(p.kind == TOO_COMPLEX for p in scan.problems):
            return None  # a time limit may have tripped only because the machine was busy loading
        if catalog is not None and floor is not None:
            for ref in (*scan.reads, *scan.writes):
                if any(info.sensitivity > floor for info in catalog.resolve(ref.key)):
                    return None  # column lineage needed: the catalog-aware scan differs
        return scan

    def close(self) -> None:
        """Stop the workers; scans nobody collected (the run failed or had no SQL) are abandoned."""
        pool, self.pool = self.pool, None
        if pool is None:
            return
        if self.scans is None:  # not collected: do not wait for folders still being scanned
            for process in list(getattr(pool, "_processes", {}).values()):
                process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)


def start(root: Path, dialect: str | None, limits: Limits, workers: int) -> Prefetch | None:
    """Start scanning the SQL files under ``root`` in ``workers`` processes (None when not worth it)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from govern.loader import SKIP_DIRS

    def subdirs(path: str) -> list[str]:
        try:
            with os.scandir(path) as it:
                return sorted(e.path for e in it if e.is_dir(follow_symlinks=False) and e.name not in SKIP_DIRS
                              and not e.name.startswith("."))
        except OSError:
            return []

    # One task per folder; a mesh with few top-level folders is split one level deeper so that every
    # worker gets a share. Each folder's own files go with a non-recursive task.
    flat: list[str] = [str(root)]
    deep = subdirs(str(root))
    if len(deep) < 4 * workers:
        flat += deep
        deep = [sub for folder in deep for sub in subdirs(folder)]
    if not deep and len(flat) == 1:
        return None
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method))
    prefetch = Prefetch(root, dialect, limits, pool)
    for folder in deep:
        prefetch.futures.append(pool.submit(_scan_folder, str(root), folder, True, dialect, limits))
    for folder in flat:
        prefetch.futures.append(pool.submit(_scan_folder, str(root), folder, False, dialect, limits))
    return prefetch
