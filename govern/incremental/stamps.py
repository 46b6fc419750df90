"""The disk as the mesh index saw it, and what changed since, compared the way git compares its index.

A file's stat (size, mtime, ctime, inode, device) only decides whether it must be read again: when
all five are what the index recorded, and the entry is not *racy*, the file holds what it held; in
every other case its content is hashed, and only a different hash counts as a change. An entry is
racy when its ctime is not older than the indexing run's start less ``MARGIN_NS`` (git's rule: on a
file system with coarse timestamps a later change could carry the same ctime). Archive tools, Nix and
CI cache layers give every file one mtime, so an edit can keep size and mtime: the ctime (which only
root can set back, by changing the clock) and the inode (a file replaced by a rename) still tell it.

Directories are compared the same way; a directory whose stat moved is listed again, and the names
that came or went are reported, so that a new manifest, SQL file or product folder is read and every
other new thing makes the caller load the whole mesh.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISREG
from typing import Any

MARGIN_NS = 1_000_000_000  # files modified this close to the start of a run are not trusted by stat
CACHE_DIR = ".govern-cache"
CANDIDATE_SUFFIXES = (".yaml", ".yml", ".json", ".ndjson", ".jsonl")  # inputs of other formats may end so
MESH_FILES = ("govern.yaml", "org.yaml")  # markers of a mesh root: one below the root is a nested mesh


def _sha(data: bytes) -> bytes:
    from govern.model.content import digest

    return digest(data)


def stamp(path: str, started_ns: int) -> tuple | None:
    """(size, mtime_ns, ctime_ns, inode, device, sha) of a regular file last modified well before
    ``started_ns``; None otherwise (a file changed while it was indexed is never vouched for)."""
    try:
        st = os.stat(path)
        if st.st_mtime_ns >= started_ns - MARGIN_NS or not S_ISREG(st.st_mode):
            return None  # a FIFO or device would block open() or never end
        with open(path, "rb") as fh:
            data = fh.read()
        after = os.stat(path)
        if (after.st_mtime_ns, after.st_ctime_ns, after.st_ino) != (st.st_mtime_ns, st.st_ctime_ns, st.st_ino):
            return None
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev, _sha(data))


def same_stat(st: os.stat_result, recorded: tuple, trusted_before: int) -> bool:
    """True when ``st`` vouches for the content ``recorded`` the way git's index vouches for a file: size,
    mtime, ctime, inode and device all equal, and the entry not racy (see the module docstring)."""
    size, mtime, ctime, ino, dev = recorded[:5]
    return (st.st_mtime_ns == mtime and st.st_size == size and st.st_ctime_ns == ctime and st.st_ino == ino
            and st.st_dev == dev and ctime < trusted_before)


def same_content(path: str, recorded: tuple) -> bool:
    """True when ``path`` is a regular file holding exactly the bytes whose hash ``recorded`` holds."""
    try:
        if not S_ISREG(os.stat(path).st_mode):
            return False
        with open(path, "rb") as fh:
            return _sha(fh.read()) == recorded[5]
    except OSError:
        return False


def unchanged(path: str, recorded: tuple | None, trusted_before: int) -> bool:
    """True when the file holds what ``recorded`` says (its stat first, ``same_stat``; else its hash)."""
    if recorded is None:
        return False
    try:
        st = os.stat(path)
    except OSError:
        return False
    if same_stat(st, recorded, trusted_before):
        return True
    if st.st_size != recorded[0] or not S_ISREG(st.st_mode):
        return False
    return same_content(path, recorded)


def listing(path: str) -> tuple[str, ...]:
    """The entries of a directory, as ``name``, ``name/`` (directories) or ``name@`` (links), sorted.

    Hidden files, ``.govern-cache`` and ``.git`` are left out: neither the loader nor the importers read
    them. Skipped and hidden folders (``node_modules``, ``.staging``) are listed although they are not
    walked: a new one makes the whole mesh load, where a manifest in it is reported (input.not-discovered).
    """
    out = []
    with os.scandir(path) as it:
        for entry in it:
            if entry.name in (".git", CACHE_DIR):
                continue
            if entry.is_symlink():
                out.append(entry.name + "@")
            elif entry.is_dir(follow_symlinks=False):
                out.append(entry.name + "/")
            elif not entry.name.startswith("."):
                out.append(entry.name)
    return tuple(sorted(out))


def walk(root: Path) -> tuple[dict[str, str], list[str]]:
    """Directories the loader walks (mesh-relative path -> path) and candidate files of other input
    formats under them (not manifests, not the mesh files every run reads again)."""
    from govern.load.discovery import SKIP_DIRS
    from govern.load.importers import NOT_INPUTS
    from govern.load.manifest import MANIFEST_NAMES

    dirs: dict[str, str] = {}
    candidates: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        rel = os.path.relpath(dirpath, root).replace(os.sep, "/")
        rel = "" if rel == "." else rel
        dirs[rel] = dirpath
        for name in filenames:
            if (not name.startswith(".") and name.lower().endswith(CANDIDATE_SUFFIXES)
                    and name not in MANIFEST_NAMES and name not in NOT_INPUTS):
                candidates.append(f"{rel}/{name}" if rel else name)
    return dirs, candidates


class Stamps:
    """Stamps of files (``stamp``), stored as parallel columns (cheap to load and to walk).

    A file recorded with ``mtime_ns`` -1 is not trusted by its stat (it changed during the indexing run).
    """

    __slots__ = ("ctimes", "devs", "inos", "mtimes", "paths", "shas", "sizes")

    def __init__(self, paths: list[str], sizes: list[int], mtimes: list[int], ctimes: list[int], inos: list[int],
                 devs: list[int], shas: bytes) -> None:
        self.paths, self.sizes, self.mtimes, self.shas = paths, sizes, mtimes, shas
        self.ctimes, self.inos, self.devs = ctimes, inos, devs

    @classmethod
    def of(cls, stamps: dict[str, tuple | None]) -> Stamps:
        paths = sorted(stamps)
        rows = [stamps[p] or (-1, -1, -1, -1, -1, bytes(32)) for p in paths]
        return cls(paths, *([r[k] for r in rows] for k in range(5)), b"".join(r[5] for r in rows))

    def to_data(self) -> tuple:
        return ("\n".join(self.paths), self.sizes, self.mtimes, self.ctimes, self.inos, self.devs, self.shas)

    @classmethod
    def from_data(cls, data: tuple) -> Stamps:
        joined, *columns = data
        return cls(joined.split("\n") if joined else [], *columns)

    def __len__(self) -> int:
        return len(self.paths)

    def stamp(self, i: int) -> tuple | None:
        if self.mtimes[i] < 0:
            return None
        return (self.sizes[i], self.mtimes[i], self.ctimes[i], self.inos[i], self.devs[i],
                self.shas[32 * i:32 * i + 32])

    def items(self) -> list[tuple[str, tuple | None]]:
        return [(p, self.stamp(i)) for i, p in enumerate(self.paths)]


@dataclass
class Disk:
    """What the indexing run saw on disk: govern.yaml, every file and directory (read only to compare)."""

    config: tuple | None  # stamp of govern.yaml
    manifests: Stamps
    sqls: Stamps
    others: Stamps  # candidate input files of other formats (none imported)
    missing_sql: list[str]  # SQL paths products name that did not exist
    dirs: tuple  # (relpaths, (mtime_ns or -1, ctime_ns, inode, device), entry names joined by newlines)

    def to_data(self) -> tuple:
        return (self.config, self.manifests.to_data(), self.sqls.to_data(), self.others.to_data(),
                self.missing_sql, self.dirs)

    @classmethod
    def from_data(cls, data: tuple) -> Disk:
        config, manifests, sqls, others, missing, dirs = data
        return cls(config, Stamps.from_data(manifests), Stamps.from_data(sqls), Stamps.from_data(others),
                   missing, dirs)

    @classmethod
    def record(cls, root: Path, manifests: list[str], sqls: list[str], missing_sql: list[str], started_ns: int,
               ) -> Disk | None:
        """The disk state of a run over ``root`` that started at ``started_ns`` (None: govern.yaml changed
        too recently to vouch for, a folder cannot be read, or a link is in a walked folder: what a link
        leads to can change without anything here changing)."""
        base = str(root)
        dirs, candidates = walk(root)
        config = os.path.join(base, "govern.yaml")
        config_stamp = stamp(config, started_ns) if os.path.isfile(config) else None
        if os.path.isfile(config) and config_stamp is None:
            return None
        dir_paths: list[str] = []
        dir_stats: list[tuple[int, int, int, int]] = []
        dir_listings: list[str] = []
        for rel, path in sorted(dirs.items()):
            try:
                st = os.stat(path)
                names = listing(path)
            except OSError:
                return None
            if any(name.endswith("@") for name in names):
                return None
            dir_listings.append("\n".join(names))
            dir_paths.append(rel)
            mtime = st.st_mtime_ns if st.st_mtime_ns < started_ns - MARGIN_NS else -1
            dir_stats.append((mtime, st.st_ctime_ns, st.st_ino, st.st_dev))
        return cls(
            config=config_stamp,
            manifests=Stamps.of({p: stamp(os.path.join(base, p), started_ns) for p in manifests}),
            sqls=Stamps.of({p: stamp(os.path.join(base, p), started_ns) for p in sqls}),
            others=Stamps.of({p: stamp(os.path.join(base, p), started_ns) for p in candidates}),
            missing_sql=sorted(missing_sql),
            dirs=(dir_paths, dir_stats, dir_listings),
        )


@dataclass
class DiskChanges:
    """What differs from the index on disk: recorded manifests and SQL files whose content changed or that
    are gone, and manifests and SQL files that appeared."""

    manifests: list[str] = field(default_factory=list)
    sqls: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)

    def to_data(self) -> tuple:
        return (self.manifests, self.sqls, self.added)

    @classmethod
    def from_data(cls, data: Any) -> DiskChanges:
        manifests, sqls, added = data
        return cls(list(manifests), list(sqls), list(added))


def compare(root: str, disk: Disk, started_ns: int) -> DiskChanges | str:
    """What changed on disk since the index was written, or why the whole mesh must be loaded instead.

    This is a ``stat`` of every directory and file the index knows, the largest fixed cost of
    changed-files mode, so the loops stay plain.
    """
    prefix = root.rstrip("/") + "/"
    config = prefix + "govern.yaml"
    trusted_before = started_ns - MARGIN_NS
    if not unchanged(config, disk.config, trusted_before) if disk.config else os.path.exists(config):
        return "govern.yaml changed"
    changes = DiskChanges()
    stat = os.stat
    dir_paths, dir_stats, dir_listings = disk.dirs
    known_dirs = set(dir_paths)
    for i, (rel, (mtime, ctime, ino, dev)) in enumerate(zip(dir_paths, dir_stats, strict=True)):
        path = prefix + rel if rel else root
        try:
            if mtime >= 0 and ctime < trusted_before:
                st = stat(path)
                if (st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev) == (mtime, ctime, ino, dev):
                    continue
            now = listing(path)
        except FileNotFoundError:
            continue  # a folder that is gone: its files are gone too, and reported below
        except OSError:
            return f"{rel or '.'} cannot be read"
        before = set(dir_listings[i].split("\n")) if dir_listings[i] else set()
        for name in sorted(set(now) - before):
            child = f"{rel}/{name.rstrip('/')}" if rel else name.rstrip("/")
            if name.endswith("/"):
                if child in known_dirs:
                    continue
                why = _new_folder(root, child, changes)
                if why:
                    return why
            else:
                why = _new_file(child, changes)
                if why:
                    return why
    for rel, recorded in disk.others.items():
        if not unchanged(prefix + rel, recorded, trusted_before):
            return f"{rel} (a possible input of another format) changed"
    for rel in disk.missing_sql:  # a SQL file a product names appeared: that product changed
        if os.path.lexists(prefix + rel):
            changes.added.append(rel)
    for table, out in ((disk.manifests, changes.manifests), (disk.sqls, changes.sqls)):
        for i, (rel, size, mtime, ctime, ino, dev) in enumerate(zip(
                table.paths, table.sizes, table.mtimes, table.ctimes, table.inos, table.devs, strict=True)):
            if mtime < 0:
                out.append(rel)
                continue
            try:
                st = stat(prefix + rel)
            except FileNotFoundError:
                out.append(rel)  # deleted
                continue
            except OSError:
                return f"{rel} cannot be read"
            if (st.st_mtime_ns == mtime and st.st_size == size and st.st_ctime_ns == ctime and st.st_ino == ino
                    and st.st_dev == dev and ctime < trusted_before):  # same_stat, inlined: the hot loop
                continue
            if st.st_size != size or not same_content(prefix + rel, table.stamp(i)):
                out.append(rel)
    changes.added = sorted(set(changes.added))
    return changes


def _new_file(rel: str, changes: DiskChanges) -> str | None:
    """Take a file that appeared in a walked folder: a manifest or SQL file is read as a change; a link, a
    manifest named in another case or a possible input of another format needs the whole mesh."""
    from govern.load.manifest import MANIFEST_NAMES

    name = rel.rsplit("/", 1)[-1]
    if name.endswith("@"):
        return f"{rel[:-1]} is a link that appeared"
    if name in MANIFEST_NAMES or name.endswith(".sql"):
        changes.added.append(rel)
        return None
    if name.lower() in MANIFEST_NAMES or name in MESH_FILES:
        return f"{rel} appeared"
    if name.lower().endswith(CANDIDATE_SUFFIXES):
        return f"{rel} (a possible input of another format) appeared"
    return None


def _new_folder(root: str, rel: str, changes: DiskChanges) -> str | None:
    """Take a folder that appeared: every file in it as ``_new_file``; a skipped or hidden folder in it
    (discovery would search it for manifests) needs the whole mesh."""
    from govern.load.discovery import SKIP_DIRS

    name = rel.rsplit("/", 1)[-1]
    if name in SKIP_DIRS or name.startswith("."):
        return f"{rel}/ appeared (a folder discovery does not walk)"
    top = os.path.join(root, rel)
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        here = os.path.relpath(dirpath, root).replace(os.sep, "/")
        for d in dirnames:
            if d in SKIP_DIRS or d.startswith(".") or os.path.islink(os.path.join(dirpath, d)):
                return f"{here}/{d}/ appeared (a folder discovery does not walk, or a link)"
        for filename in sorted(filenames):
            if filename.startswith("."):
                continue
            shown = filename + "@" if os.path.islink(os.path.join(dirpath, filename)) else filename
            why = _new_file(f"{here}/{shown}", changes)
            if why:
                return why
    return None
