"""Authenticated cache files: plain data written by this user's govern, refused when anything else wrote it.

A cache that changes what a check reports must never be trusted just because it is on disk: an index
committed into a repository or planted by a pull request could claim a mesh is clean. Every cache file
is therefore sealed with a keyed BLAKE2b MAC under this user's key (``~/.cache/govern/index.key``,
created with mode 0600 on first write, atomically; a bad key is never used but replaced), and its header
names the govern, Python and format versions, so a cache written by another version is simply not used.

The payload is ``marshal`` data: builtins only (dict, list, tuple, str, bytes, int, float, bool, None),
which loads several times faster than JSON. It is decoded only after the MAC matched, so only data this
user's govern wrote is ever decoded; callers store plain values, never code.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from stat import S_ISDIR, S_ISREG
from typing import Any

try:  # the BLAKE2 module alone: hashlib (and hmac) would also load OpenSSL, a few ms of every cold start
    from _blake2 import blake2b
    from _operator import _compare_digest as compare_digest
except ImportError:  # pragma: no cover - other Python builds
    from hashlib import blake2b
    from hmac import compare_digest

_MAGIC = b"govern-sealed\n"
_MAC_SIZE = 32


def caches_enabled() -> bool:
    """govern's caches (mesh index, pack cache) are on unless GOVERN_CACHE is 0, false, no or off, or
    the caller is inside ``caches_off``."""
    if _CACHES_OFF:
        return False
    return os.environ.get("GOVERN_CACHE", "1").strip().lower() not in ("0", "false", "no", "off")


_CACHES_OFF: list[bool] = []


@contextlib.contextmanager
def caches_off() -> Iterator[None]:
    """Every cache off meanwhile, in this process and the children it forks.

    The deployment gate runs inside this unless told to trust the caches: whoever can write the cache
    home (an earlier CI job, a restored runner cache) can also write the key that seals them.
    """
    _CACHES_OFF.append(True)
    try:
        yield
    finally:
        _CACHES_OFF.pop()


@contextlib.contextmanager
def no_collection() -> Iterator[None]:
    """Cyclic garbage collection paused meanwhile (as it was before, after): for work that allocates many
    containers and frees few, where a collection would only walk the heap."""
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def key_file() -> Path:
    """Where this user's cache key lives (``$XDG_CACHE_HOME/govern/index.key``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "govern" / "index.key"


KEY_SIZE = 32
_SAFE_OPEN = getattr(os, "O_SAFE_OPEN", 0) | getattr(os, "O_NONBLOCK", 0)  # no link; a FIFO never blocks open()


def _read_key(path: Path) -> bytes | None:
    """The key in ``path`` if it is a regular file (not a link) of exactly ``KEY_SIZE`` bytes; else None
    (what govern writes: an empty, short or overlong file is not a key it made)."""
    try:
        fd = os.open(path, os.O_RDONLY | _SAFE_OPEN)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as fh:
            if not S_ISREG(os.fstat(fh.fileno()).st_mode):
                return None
            data = fh.read(KEY_SIZE + 1)
    except OSError:
        return None
    return data if len(data) == KEY_SIZE else None


def own_dir(folder: Path, create: bool) -> bool:
    """True when ``folder`` is a real directory (not a symbolic link), made (one level) when ``create``.

    Caches are written only inside their own directory, never through a link to another one.
    """
    try:
        st = os.lstat(folder)
    except FileNotFoundError:
        if not create:
            return False
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)
            os.mkdir(folder, 0o700)
            st = os.lstat(folder)
        except OSError:
            return False
    except OSError:
        return False
    return S_ISDIR(st.st_mode)


def _write_new(path: Path, data: bytes, mode: int) -> Path:
    """A new temporary file next to ``path`` holding ``data``, flushed to disk; removed again if that fails."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _SAFE_OPEN, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def secret(create: bool) -> bytes | None:
    """This user's key; None when it cannot be had.

    A key file that is empty, short, not a regular file or unreadable is never used. When ``create``, a
    missing or bad key is (re)made atomically: a temporary file, fsync, then a rename over the bad one (a
    link when there was none, so two runs starting together agree on one key). Any failure (a full disk, a
    read-only or linked directory) gives None: caching is off for this run, and no temporary file is left.
    """
    path = key_file()
    if not own_dir(path.parent, create=create):
        return None
    key = _read_key(path)
    if key is not None or not create:
        return key
    tmp: Path | None = None
    try:
        tmp = _write_new(path, os.urandom(KEY_SIZE), 0o600)
        if os.path.lexists(path):
            os.replace(tmp, path)
        else:
            with contextlib.suppress(FileExistsError):  # another run made it meanwhile: use that one
                os.link(tmp, path)
    except OSError:
        return None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return _read_key(path)


def _header(kind: str, version: str) -> bytes:
    python = ".".join(map(str, sys.version_info[:3]))
    return _MAGIC + f"{kind} {version} python {python} marshal {marshal.version}\n".encode()


def seal(data: Any, kind: str, version: str, key: bytes, body: bytes = b"") -> bytes:
    """Sealed bytes: header, MAC, the length of the marshalled ``data``, that data, then ``body``.

    The MAC covers header, length and data; ``body`` holds entries a reader fetches one by one, each
    checked against a digest that ``data`` carries (see ``Body``).
    """
    header = _header(kind, version)
    payload = marshal.dumps(data)
    sized = len(payload).to_bytes(8, "little") + payload
    return header + blake2b(header + sized, key=key, digest_size=_MAC_SIZE).digest() + sized + body


def encode(data: Any) -> bytes:
    """An entry for ``BodyWriter.add``: plain builtins, marshalled."""
    return marshal.dumps(data)


class BodyWriter:
    """Collects the entries of a sealed file's body; ``add`` returns the reference ``data`` keeps."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def add(self, entry: bytes) -> bytes:
        """A 28-byte reference to ``entry``: offset, length and digest."""
        ref = self.size.to_bytes(8, "little") + len(entry).to_bytes(4, "little") + _entry_digest(entry)
        self.parts.append(entry)
        self.size += len(entry)
        return ref

    def bytes(self) -> bytes:
        return b"".join(self.parts)


def _entry_digest(entry: bytes) -> bytes:
    return blake2b(entry, digest_size=16).digest()


class Body:
    """The body of a sealed file, read entry by entry; an entry whose digest differs raises ``Corrupt``."""

    def __init__(self, fh: Any, start: int, mac: bytes = b"") -> None:
        self.fh = fh
        self.start = start
        self.mac = mac  # the MAC of the head: tells one written file from another

    def get(self, ref: bytes) -> bytes:
        offset = int.from_bytes(ref[:8], "little")
        length = int.from_bytes(ref[8:12], "little")
        self.fh.seek(self.start + offset)
        entry = self.fh.read(length)
        if len(entry) != length or _entry_digest(entry) != ref[12:28]:
            raise Corrupt("an entry of the cache does not match its digest")
        return entry

    def load(self, ref: bytes) -> Any:
        """The data of one entry (checked against its digest first, so only what govern wrote is decoded)."""
        try:
            return marshal.loads(self.get(ref))
        except (ValueError, EOFError, TypeError):
            raise Corrupt("an entry of the cache cannot be decoded") from None

    def close(self) -> None:
        self.fh.close()


class Corrupt(Exception):
    """A sealed file changed after it was written (its body no longer matches the sealed digests)."""


def _unseal_head(head: bytes, fh: Any, kind: str, version: str, key: bytes) -> Any:
    header = _header(kind, version)
    if not head.startswith(header) or len(head) < len(header) + _MAC_SIZE + 8:
        return None
    mac = head[len(header):len(header) + _MAC_SIZE]
    size = int.from_bytes(head[len(header) + _MAC_SIZE:len(header) + _MAC_SIZE + 8], "little")
    payload = head[len(header) + _MAC_SIZE + 8:]
    if len(payload) < size:
        payload += fh.read(size - len(payload))
        if len(payload) != size:
            return None
    payload = payload[:size]
    digest = blake2b(header, key=key, digest_size=_MAC_SIZE)
    digest.update(size.to_bytes(8, "little"))
    digest.update(payload)
    if not compare_digest(mac, digest.digest()):
        return None
    with no_collection():  # decoding allocates many containers and frees none
        try:
            return marshal.loads(payload), len(header) + _MAC_SIZE + 8 + size, mac
        except (ValueError, EOFError, TypeError):
            return None


def write(path: Path, data: Any, kind: str, version: str, body: bytes = b"") -> bool:
    """Seal ``data`` (and ``body``) into ``path`` atomically; False when it cannot (never raises for I/O).

    Written only inside ``path``'s own directory (created if missing, refused if a symbolic link): a
    temporary file there, fsync, then a rename over ``path`` (which replaces a link, never writes through
    it). A failed write (a full disk, a read-only directory) leaves no temporary file behind.
    """
    key = secret(create=True)
    if key is None or not own_dir(path.parent, create=True):
        return False
    try:
        tmp = _write_new(path, seal(data, kind, version, key, body), 0o600)
    except (OSError, ValueError):
        return False
    try:
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return False
    return True


def read(path: Path, kind: str, version: str) -> tuple[Any, Body] | None:
    """(the data sealed in ``path``, its body), or None when absent, unreadable, forged or another version.

    The caller closes the body when done with it.
    """
    key = secret(create=False)
    if key is None:
        return None
    if not own_dir(path.parent, create=False):
        return None  # a cache directory that is a link (or not a directory) is not ours
    try:  # never through a link (a planted index elsewhere), never waiting on a FIFO planted there
        fd = os.open(path, os.O_RDONLY | _SAFE_OPEN)
    except OSError:
        return None
    try:
        if not S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            return None
        fh = os.fdopen(fd, "rb")  # the body stays open for reading entries
    except OSError:
        os.close(fd)
        return None
    try:
        found = _unseal_head(fh.read(1 << 16), fh, kind, version, key)
    except OSError:
        found = None
    if found is None:
        fh.close()
        return None
    data, start, mac = found
    return data, Body(fh, start, mac)
