"""A cache of what loading the standards pack parses and Cedar decides, so a run does not redo it.

Every run loads the pack: about a dozen YAML files read with govern's line-tracking reader
(govern/load/yamlio.py), the Cedar policies parsed by cedarpy, and before evaluating, the check that those
policies validate against the Cedar schema: some 12 ms of every run, pre-commit included, for files that
hardly ever change. A changed-files run then sends a handful of requests to Cedar, mostly the very batch
the previous run sent; importing cedarpy and parsing policies and entities for it costs some 20 ms more.
This cache keeps the results as plain data (YAML data with its line map, Cedar policies as JSON text,
"these policies validated", the verdicts of a batch) in a sealed file in the user's cache directory, next
to the key of govern/incremental/sealed.py (written and read by this user's govern alone), one per govern and Python
version; installations of the same versions (a pre-commit environment, a development one) share it.
When everything Cedar needs is found here, cedarpy is not imported at all.

Safety: every pack file is still read on every run, and an entry is keyed by the BLAKE2b digest of the
exact input it was made from, together with what computed it (the govern, PyYAML and libyaml versions,
govern/load/yamlio.py itself, the installed cedarpy): the bytes of a pack file; the policies, entities and
requests exactly as cedarpy would be given them. An edited, added or removed file is therefore seen at
once, and an entry is only ever used for the very input that produced it: the results are the same with
or without the cache. Files that do not parse are not cached: their error is raised as before.
``GOVERN_CACHE=0`` turns the cache off (the same switch as the mesh index, govern/incremental/index.py).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from govern.incremental import sealed
from govern.load.yamlio import expect_mapping, parse_yaml, read_bounded
from govern.model import content
from govern.model.source import FieldPath, SourceMap

FORMAT = 1
CACHE_NAME = "pack-cache-{}.bin"  # one file per govern and Python version (``_version``)
MAX_ENTRIES = 48  # a few packs' worth of files and batches; the least recently used are dropped first
_KIND = "pack-cache"


def enabled() -> bool:
    """On unless GOVERN_CACHE is 0, false, no or off (the switch of the mesh index too)."""
    return sealed.caches_enabled()


def cache_path() -> Path:
    """The cache file of this govern and Python version (a sealed file of another is not read anyway)."""
    tag = content.digest(f"{_version()} python {sys.version}".encode()).hex()[:16]
    return sealed.key_file().parent / CACHE_NAME.format(tag)


def _version() -> str:
    from govern.version import __version__

    return f"{__version__} format {FORMAT}"


@functools.cache
def yaml_reader() -> str:
    """What parses YAML besides the bytes: PyYAML, libyaml and govern's reader (the digest of govern/load/yamlio.py,
    so that installations of the same code share entries)."""
    import yaml

    from govern.load import yamlio

    try:
        libyaml = yaml._yaml.get_version_string() if yaml.__with_libyaml__ else "none"
    except AttributeError:  # pragma: no cover - PyYAML without its C extension
        libyaml = "none"
    with open(yamlio.__file__, "rb") as fh:
        reader = content.digest(fh.read()).hex()
    return f"pyyaml {yaml.__version__} libyaml {libyaml} reader {reader}"


@functools.cache
def cedar_build() -> str:
    """The installed cedarpy, found without importing it: its distribution and its native module (name, size,
    mtime, ctime, inode, device). Empty when it cannot be told (nothing Cedar then comes from the cache)."""
    from importlib.util import find_spec

    try:
        spec = find_spec("cedarpy")
        folder = spec.submodule_search_locations[0] if spec and spec.submodule_search_locations else None
        if folder is None:
            return ""
        stamps = []
        for name in sorted(os.listdir(folder)):
            if name.startswith("_internal"):
                info = os.stat(os.path.join(folder, name))
                # as git's index tells a file: a rebuilt module of the same size and mtime has another
                # inode or ctime (a Cedar verdict is reused only for the very build that gave it)
                stamps.append(f"{name}:{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}:{info.st_ino}:{info.st_dev}")
        site = os.path.dirname(folder)
        dists = sorted(n for n in os.listdir(site) if n.startswith("cedarpy-") and n.endswith(".dist-info"))
    except (ImportError, ValueError, OSError):
        return ""
    return " ".join([folder, *dists, *stamps]) if stamps else ""


def cedar_build_cached() -> str:
    """``cedar_build()`` when the cache is on, else empty: what keys Cedar entries, or nothing to key them by."""
    return cedar_build() if enabled() else ""


def cedar_key(schema: str, files: dict[str, str], build: str) -> bytes:
    """The key of "these Cedar policies validate against this schema with this cedarpy build"."""
    parts = [build, schema, *(f"{path}\0{text}" for path, text in sorted(files.items()))]
    return b"v" + content.digest("\0\0".join(parts).encode("utf-8", "surrogatepass"))


def decisions_key(build: str, policies: str, entities: str, batch: str) -> bytes:
    """The key of the verdicts of one batch of Cedar requests (govern/standards/cedar.py ``CedarEvaluator``).

    Everything ``is_authorized_batch`` reads, as the JSON text cedarpy is given: the same key, the same
    verdicts.
    """
    text = "\0\0".join((build, policies, entities, batch))
    return b"d" + content.digest(text.encode("utf-8", "surrogatepass"))


class _Unsupported(Exception):
    """A value plain data cannot hold as it is (a timestamp with a time): the file is not cached."""


def _plain(value: Any, fpath: FieldPath, dates: list[FieldPath]) -> Any:
    """A copy of parsed YAML as builtins only: dates become ISO text, their paths go into ``dates``."""
    kind = type(value)
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str:
                raise _Unsupported
            out[key] = _plain(item, (*fpath, key), dates)
        return out
    if kind is list:
        return [_plain(item, (*fpath, i), dates) for i, item in enumerate(value)]
    if kind is dt.date:
        dates.append(fpath)
        return value.isoformat()
    if value is None or kind in (str, int, float, bool):
        return value
    raise _Unsupported


def _yaml_entry(data: Any, smap: SourceMap) -> tuple[Any, dict[FieldPath, int], list[FieldPath]] | None:
    """(data as builtins, line map, paths of dates) for the cache; None when the data cannot be kept
    (a document that is not a mapping is an error anyway)."""
    if type(data) is not dict:
        return None
    dates: list[FieldPath] = []
    try:
        return _plain(data, (), dates), dict(smap.lines), dates
    except _Unsupported:
        return None


def _restore(data: Any, dates: Iterable[FieldPath]) -> Any:
    """Cached data with its dates made dates again (in place)."""
    for fpath in dates:
        holder = data
        for part in fpath[:-1]:
            holder = holder[part]
        holder[fpath[-1]] = dt.date.fromisoformat(holder[fpath[-1]])
    return data


class PackCache:
    """The cache as one ``load_pack`` uses it: ``take`` what was parsed before, ``put`` what was not."""

    def __init__(self) -> None:
        self.version = _version()
        self.path = cache_path()
        self.entries = self._read()
        self.used: list[bytes] = []  # keys taken or put in this run, in order
        self.added: dict[bytes, Any] = {}

    def _read(self) -> dict[bytes, Any]:
        found = sealed.read(self.path, _KIND, self.version)
        if found is None:
            return {}
        data, body = found
        body.close()
        return data if isinstance(data, dict) else {}

    def take(self, key: bytes) -> Any:
        """The entry under ``key`` (once: it is the caller's now), or None."""
        entry = self.entries.pop(key, None)
        if entry is not None:
            self.used.append(key)
        return entry

    def put(self, key: bytes, entry: Any) -> None:
        """Add an entry (plain builtins, not shared with anything the caller keeps) for ``save``."""
        self.added[key] = entry
        self.used.append(key)

    def save(self) -> None:
        """Write the cache when this run added to it: this run's entries first, then the most recent others."""
        if not self.added:
            return
        on_disk = self._read()  # unaltered copies of the entries this run took (callers own theirs)
        merged: dict[bytes, Any] = {}
        for key in self.used:
            entry = self.added.get(key, on_disk.get(key))
            if entry is not None:
                merged[key] = entry
        for key, entry in on_disk.items():
            if len(merged) >= MAX_ENTRIES:
                break
            merged.setdefault(key, entry)
        sealed.write(self.path, merged, _KIND, self.version)
        self.added = {}

    def load_yaml_mapping(self, path: Path, display: str, what: str) -> tuple[dict, SourceMap]:
        """What ``yamlio.load_yaml_mapping`` returns, without parsing bytes that were parsed before."""
        raw = read_bounded(path, display)
        key = b"y" + content.digest(yaml_reader().encode() + b"\0" + raw)
        entry = self.take(key)
        if isinstance(entry, tuple) and len(entry) == 3:
            data, lines, dates = entry
            data, smap = _restore(data, dates), SourceMap(display, lines)
        else:
            data, smap = parse_yaml(raw, display)
            stored = _yaml_entry(data, smap)
            if stored is not None:
                self.put(key, stored)
        return expect_mapping(data, smap, what), smap

    def cedar_json(self, text: str, parse: Callable[[str], str], build: str) -> str:
        """``parse(text)`` (cedarpy's policies as JSON), unless this build parsed this text before."""
        key = b"c" + content.digest(f"{build}\0{text}".encode("utf-8", "surrogatepass"))
        entry = self.take(key)
        if isinstance(entry, str):
            return entry
        out = parse(text)
        self.put(key, out)
        return out

    def known(self, key: bytes) -> bool:
        """Whether a fact such as ``cedar_key`` was recorded (``remember``)."""
        return self.take(key) is not None


def remember(key: bytes) -> None:
    """Record a fact such as ``cedar_key`` (a run that validated the Cedar policies)."""
    if not enabled():
        return
    cache = PackCache()
    cache.put(key, True)
    cache.save()
