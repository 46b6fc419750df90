"""The result of the last whole-mesh check, reused while nothing it was computed from has changed.

A whole-mesh ``govern check`` that decided (nothing undecided, no SQL analysis cut short by its time
limit) and whose run also wrote the mesh index (govern/incremental/index.py) seals its findings into
``.govern-cache/last-check.bin``, with this user's key, next to the index. A later whole-mesh check uses
them instead of loading and evaluating the mesh only when every input is known to be the same, the way
Bazel's action cache reuses an action's outputs:

- the *key*, which the facade computes afresh on every run: the mesh root, the options (standard version,
  ``--today``, ``--pack``), the content of the standards pack in force (``Pack.fingerprint``: every rule,
  policy, version file, lock and Python rule's code), the bytes of ``govern.yaml``, ``org.yaml`` and
  ``waivers.yaml`` (each a regular file or absent, never a link), and the versions of the parsers and of
  Cedar; govern's own code and sqlglot's version are in the sealed file's version (``index.version``);
- the *disk*: the index written by the very run that sealed the result, every file it stamped last changed
  (ctime) well before that run started (so the run read the bytes the index holds the hash of), and
  ``stamps.compare`` finding no manifest, SQL file, folder or possible input of another format changed
  since (stat as git's index compares it, content hashed when the stat cannot vouch); every file named like
  a manifest in a walked folder is one the run read (or one ``exclude:`` leaves out), and no folder
  discovery does not walk holds a manifest (the search a full run makes for ``input.not-discovered``);
- *time*: without ``--today``, the result holds from the instant its run started until the next UTC
  midnight or the first waiver expiry after that start, whichever comes first.

Anything else, or any doubt, and the run loads and evaluates the whole mesh as if there were no cache.
The deployment gate reads no cache (``sealed.caches_off``) unless told to trust them.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from govern.incremental.stamps import CACHE_DIR, MESH_FILES
from govern.model import content

FORMAT = 1
MEMO_NAME = "last-check.bin"
_KIND = "check-result"
ROOT_FILES = ("govern.yaml", "org.yaml", "waivers.yaml")  # read by every run from the mesh root


def memo_path(root: Path) -> Path:
    return root / CACHE_DIR / MEMO_NAME


def _version() -> str:
    from govern.incremental.index import version

    return f"{version()} memo {FORMAT}"


def root_files_digest(root: Path) -> bytes | None:
    """The digest of the bytes of govern.yaml, org.yaml and waivers.yaml at ``root`` (absent ones count as
    absent); None when one is not a regular file (a link, a folder): such a mesh is always evaluated."""
    from stat import S_ISREG

    parts = []
    for name in ROOT_FILES:
        path = os.path.join(root, name)
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            parts.append(f"{name} absent".encode())
            continue
        except OSError:
            return None
        if not S_ISREG(st.st_mode):
            return None
        try:
            with open(path, "rb") as fh:
                parts.append(name.encode() + b"\0" + content.digest(fh.read()))
        except OSError:
            return None
    return content.digest(b"\0\0".join(parts))


def root_files_settled(root: Path, started_ns: int) -> bool:
    """True when none of govern.yaml, org.yaml and waivers.yaml changed (ctime) since shortly before a run
    that started at ``started_ns``: the key computed from them and the run that read them saw the same bytes."""
    from govern.incremental.stamps import MARGIN_NS

    for name in ROOT_FILES:
        try:
            st = os.lstat(os.path.join(root, name))
        except FileNotFoundError:
            continue
        except OSError:
            return False
        if st.st_ctime_ns >= started_ns - MARGIN_NS:
            return False
    return True


def store(root: Path, key: bytes, started_ns: int, valid_until_ns: int | None, payload: dict[str, Any]) -> bool:
    """Seal ``payload`` (the result of a whole-mesh run that started at ``started_ns``) under ``key``;
    False when it cannot be reused, and then any earlier memo is removed.

    Kept only when the mesh index at ``root`` was written by this very run: it is what later runs compare
    the disk with.
    """
    from govern.incremental import sealed
    from govern.incremental.index import enabled, load_index
    from govern.load.paths import no_link_below

    path = memo_path(root)
    if not enabled() or not no_link_below(root, path):
        return False
    index = load_index(root)
    if index is not None:
        index.body.close()
    if index is None or index.started_ns != started_ns:
        forget(root)
        return False
    data = {"key": key, "started": started_ns, "until": valid_until_ns, "payload": payload}
    return sealed.write(path, data, _KIND, _version())


def forget(root: Path) -> None:
    """Remove the memo of ``root`` (a run that could not seal its own must not leave an older one)."""
    from govern.load.paths import no_link_below

    path = memo_path(root)
    if no_link_below(root, path):
        with contextlib.suppress(OSError):
            os.unlink(path)


def recall(root: Path, key: bytes, now_ns: int, exclude: list[str]) -> dict[str, Any] | None:
    """The payload sealed under ``key`` when nothing it was computed from changed (module docstring),
    else None. ``now_ns`` is the instant of this run, ``exclude`` govern.yaml's ``exclude:`` patterns."""
    from govern.incremental import sealed
    from govern.incremental.index import debug, enabled, load_index
    from govern.incremental.sealed import Corrupt
    from govern.incremental.stamps import DiskChanges, compare
    from govern.load.paths import no_link_below

    path = memo_path(root)
    if not enabled() or not no_link_below(root, path):
        return None
    found = sealed.read(path, _KIND, _version())
    if found is None:
        return None
    data, body = found
    body.close()
    if not isinstance(data, dict) or data.get("key") != key:
        debug("last result not used: the options, the standards or the mesh files differ")
        return None
    started, until = data["started"], data["until"]
    if now_ns < started or (until is not None and now_ns >= until):
        debug("last result not used: a day ended or a waiver expired since")
        return None
    index = load_index(root)
    if index is None:
        return None
    try:
        if index.started_ns != started:
            return None
        disk = index.on_disk()
        if not _settled(disk, index.started_ns):
            debug("last result not used: a file changed just before or while its run read it")
            return None
        changes = compare(str(root), disk, index.started_ns)
        if not isinstance(changes, DiskChanges) or changes.manifests or changes.sqls or changes.added:
            debug(f"last result not used: {changes if isinstance(changes, str) else 'files changed'}")
            return None
        why = _unread_manifests(root, disk, exclude)
        if why:
            debug(f"last result not used: {why}")
            return None
    except Corrupt:
        return None
    finally:
        index.body.close()
    debug("last result used: nothing it was computed from changed")
    return data["payload"]


def _settled(disk: Any, started_ns: int) -> bool:
    """True when every file the index stamped had last changed (ctime) well before its run started: the run
    read exactly the bytes the index holds the hash of. (The index itself also vouches for a file that
    changed just before, by hashing it; a result cannot, as the run may have read it before that change.)"""
    from govern.incremental.stamps import MARGIN_NS

    trusted_before = started_ns - MARGIN_NS
    if disk.config is not None and disk.config[2] >= trusted_before:
        return False
    for table in (disk.manifests, disk.sqls, disk.others):
        if any(m < 0 for m in table.mtimes) or any(c >= trusted_before for c in table.ctimes):
            return False
    return True


def _unread_manifests(root: Path, disk: Any, exclude: list[str]) -> str | None:
    """Why the folders the index lists may hold a manifest the sealed run did not read, or None.

    The listings are the index's (``compare`` found them unchanged): a manifest name there that is not a
    manifest the run read, not left out by ``exclude:``, means the run did not see it (it came while the
    run walked); a name like a manifest in another case, or a mesh file below the root, is reported by a
    full run. Folders discovery does not walk are searched for manifests as a full run searches them.
    """
    import fnmatch

    from govern.load.discovery import NEVER_SEARCHED, SKIP_DIRS, manifests_not_walked
    from govern.load.manifest import MANIFEST_NAMES

    read = set(disk.manifests.paths)
    pruned: list[Path] = []
    dir_paths, _stats, listings = disk.dirs
    for rel, names in zip(dir_paths, listings, strict=True):
        for name in names.split("\n") if names else ():
            if name.endswith("/"):
                folder = name[:-1]
                if (folder in SKIP_DIRS or folder.startswith(".")) and folder not in NEVER_SEARCHED:
                    pruned.append(root / rel / folder if rel else root / folder)
                continue
            path = f"{rel}/{name}" if rel else name
            if name in MANIFEST_NAMES:
                if path not in read and not any(fnmatch.fnmatch(path, pat) for pat in exclude):
                    return f"{path} was not read"
            elif name.lower() in MANIFEST_NAMES or (rel and name in MESH_FILES):
                return f"{path} is reported by a full run"
    if pruned and manifests_not_walked(root, [root], exclude, pruned)[0]:
        return "a folder discovery does not walk holds a manifest"
    return None
