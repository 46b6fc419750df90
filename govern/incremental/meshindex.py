"""The mesh index: a persistent cache that lets changed-files mode (pre-commit) skip the unchanged mesh.

A full run over the whole mesh writes ``.govern-cache/mesh-index.bin`` under the mesh root, sealed with
this user's key (``govern.incremental.sealed``: plain marshalled data, decoded only after its MAC matched; never
pickle, and an index planted by someone else is never trusted). It records

- for every manifest, SQL file and other candidate input file: size, ``mtime_ns``, ``ctime_ns``, inode,
  device and a BLAKE2b hash;
- for every directory walked: its ``mtime_ns``, ``ctime_ns``, inode, device and the names it holds;
- per product a summary: id, id key, state, domain, owner team, declared inputs, the product ids its
  manifest names anywhere, output-port locations and their normalised table names, SQL files, the
  products its SQL reads and every product owning a table its SQL names;
- the scan of every SQL file that needed no column lineage (what ``govern.analysis.prefetch.Recorded``
  hands back when the file's text, dialect and limits are the same);
- the load findings of every file, the port locations per dialect, and the lineage cycles.

Its head (what every run reads) is small; the disk state, the lookup tables, the product summaries and
the scans are entries of the body, each read only when needed and checked against a digest the sealed
head holds.

``govern check FILE...`` then calls ``check_changed``. It validates the index against the disk (a stat of
every file, compared as git compares its index: size, mtime, ctime, inode and device; a file whose stat
differs, or whose entry is racy, is re-hashed, and only a different hash counts as a change). The files
named on the command line (what pre-commit passes: the changed files) are never trusted by stat or
hash: they are re-read, and their SQL re-analysed, whatever the disk says. It then evaluates a
*sub-mesh*: the products the change affects (``govern.incremental.impact.affected``) plus
every product their findings can depend on:

- their declared inputs and every product their manifests name (reference rules, ``replacedBy``);
- every owner of a table their SQL names (so a table resolves, or stays ambiguous, as in the whole mesh);
- the products that share their id key (``namespace.unique-id``, tombstoned ids);
- the members of a lineage cycle through them (``lineage.cycle``), and the owners of what their SQL reads;
- the products waivers name; without org.yaml, one product per domain of each owning team (Cedar).

The SQL of the affected products and of the cycle members is analysed, from the recorded scans where
the text is unchanged (then sqlglot is not even imported). The index is only used when it can vouch for
the answer: any change to govern.yaml, to a directory listing, to the id, inputs, port locations or SQL
files of a manifest, a SQL change outside the affected products, a dbt template, another input format or
``--base`` falls back to the normal path, which loads the whole mesh. ``GOVERN_CACHE=0`` disables the
index. Whatever path runs, the findings are the same (tested in tests/unit/test_meshindex.py).

The ``stat`` of every file is the largest fixed cost; the console script starts it in a forked child
before it imports click, pydantic and cedarpy (``start_early``), so on two cores it costs no wall time.

A file is recorded at all only when it was last modified at least ``MARGIN_NS`` before the run that
indexed it started, so a file changed while a run reads it is never recorded with stale content; an entry
whose ctime is that recent is *racy* (git's rule: a later change could carry the same timestamp on a
coarse file system) and is compared by its hash on every run, never by its stat. Archive tools, Nix and
CI cache layers give every file one mtime, so an edit can keep size and mtime: the ctime (which only
root can set back, by changing the clock) and the inode (a file replaced by a rename) still tell it.
An index restored from another checkout is therefore checked file by file like any other.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISREG
from typing import TYPE_CHECKING, Any

from govern.incremental.sealed import encode
from govern.load.paths import marker_root
from govern.model.findings import Finding, Location, Severity

if TYPE_CHECKING:
    from govern.incremental.impact import Arguments
    from govern.model.mesh import Mesh
    from govern.model.product import Product

FORMAT = 6  # 3: stat as git's index (ctime, inode, device); 4: input.symlink-skipped is an error;
# 5: MySQL executable comments are analysed (recorded scans of older indexes are stale); 6: a manifest
# with an invalid value is a product (Product.invalid), load messages in govern's own words
CACHE_DIR = ".govern-cache"
INDEX_NAME = "mesh-index.bin"
MARGIN_NS = 1_000_000_000  # files modified this close to the start of a run are not trusted by stat
_CANDIDATE_SUFFIXES = (".yaml", ".yml", ".json", ".ndjson", ".jsonl")
_SEALED_KIND = "mesh-index"


LAST: dict[str, Any] = {"reason": None}  # why the last check_changed declined (None: it answered)


def _why(reason: str) -> None:
    LAST["reason"] = reason
    return None


def _debug(message: str) -> None:
    """Print ``message`` to stderr when GOVERN_CACHE_DEBUG is set."""
    if os.environ.get("GOVERN_CACHE_DEBUG"):
        import sys

        print(f"govern: mesh index: {message}", file=sys.stderr)


def _decline(reason: str) -> None:
    """Record why the index cannot answer (GOVERN_CACHE_DEBUG=1 prints it) and return None."""
    LAST["reason"] = reason
    _debug(f"not used: {reason}")
    return None


def enabled() -> bool:
    """The index is on unless GOVERN_CACHE is 0, false, no or off (``sealed.caches_enabled``)."""
    from govern.incremental.sealed import caches_enabled

    return caches_enabled()


def index_path(root: Path) -> Path:
    return root / CACHE_DIR / INDEX_NAME


def _version() -> str:
    from govern.version import __version__

    return f"{__version__} format {FORMAT}"


# --- serialisation of findings --------------------------------------------------------------------


def _finding_out(f: Finding) -> tuple:
    loc = f.location
    return (f.rule, f.standard, int(f.severity), f.message, f.product, loc.path, loc.line, loc.column, loc.pointer,
            f.engine, f.mode, f.help)


def _finding_in(row: tuple) -> Finding:
    rule, standard, severity, message, product, path, line, column, pointer, engine, mode, help_ = row
    return Finding(rule, standard, Severity(severity), message, product, Location(path, line, column, pointer),
                   engine=engine, mode=mode, help=help_)


# --- what the index holds ----------------------------------------------------------------------------

_RECORD_FIELDS = ("id", "path", "key", "state", "domain", "team", "inputs", "names", "code", "raw_code", "ports",
                  "dialect", "has_sql", "sql_files", "sql_producers", "sql_owners", "port_keys")


@dataclass
class Record:
    """The summary of one product: what whole-mesh questions about it need."""

    id: str
    path: str
    key: str  # id key (case and look-alike folded): namespace.unique-id, tombstoning.id-reserved
    state: str | None
    domain: str | None
    team: str | None
    inputs: list[str]
    names: list[str]  # product ids its manifest names anywhere (inputs, replacedBy, ...)
    code: list[str]  # mesh-relative SQL paths (as govern.incremental.impact.sql_index maps them)
    raw_code: list[str]  # execution.code as written
    ports: list  # [name, location]
    dialect: str | None
    has_sql: bool
    sql_files: list[str]  # the SQL files read by the analysis (mesh-relative)
    sql_producers: list[str]  # products its SQL reads (resolved lineage edges)
    sql_owners: list[str]  # every product owning a table its SQL names (also ambiguous ones)
    port_keys: dict  # dialect -> normalised table key of each port location (None: not a table name)

    def shape(self) -> list:
        """What the whole-mesh parts of the index depend on; a change here needs a full run."""
        return [self.id, self.key, list(self.inputs), [list(p) for p in self.ports], list(self.code),
                list(self.raw_code), self.dialect, self.has_sql, self.team, self.domain]

    def to_row(self) -> tuple:
        return tuple(getattr(self, f) for f in _RECORD_FIELDS)


class Stamps:
    """(size, mtime_ns, ctime_ns, inode, device, BLAKE2b digest) of files, stored as parallel columns (cheap
    to load and to walk).

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


_BUCKETS = 64


def _bucket(key: str) -> int:
    from binascii import crc32

    return crc32(key.encode("utf-8", "surrogatepass")) % _BUCKETS


class Lookup:
    """A map from a string to a few strings (newline-joined, split on demand).

    Stored in ``_BUCKETS`` entries of the index body by a hash of the key, so a run reads only the
    buckets of the keys it asks about.
    """

    __slots__ = ("body", "count", "parts", "refs")

    def __init__(self, data: dict[str, str] | None = None, refs: list[bytes] | None = None, body: Any = None,
                 count: int = 0) -> None:
        self.parts: dict[int, dict[str, str]] = {}
        self.refs = refs
        self.body = body
        self.count = count
        if data is not None:
            for key, joined in data.items():
                self.parts.setdefault(_bucket(key), {})[key] = joined
            self.count = len(data)

    @classmethod
    def of(cls, mapping: dict[str, Iterable[str]]) -> Lookup:
        return cls({k: "\n".join(v) for k, v in sorted(mapping.items())})

    def to_data(self, writer: Any) -> tuple:
        return (self.count, [writer.add(encode(self.parts.get(b, {}))) for b in range(_BUCKETS)])

    @classmethod
    def from_data(cls, data: tuple, body: Any) -> Lookup:
        count, refs = data
        return cls(refs=refs, body=body, count=count)

    def _part(self, bucket: int) -> dict[str, str]:
        part = self.parts.get(bucket)
        if part is None:
            part = self.parts[bucket] = self.body.load(self.refs[bucket]) if self.refs is not None else {}
        return part

    def get(self, key: str, default: Iterable[str] = ()) -> list[str]:
        joined = self._part(_bucket(key)).get(key)
        return joined.split("\n") if joined else list(default)

    def __contains__(self, key: str) -> bool:
        return key in self._part(_bucket(key))

    def __bool__(self) -> bool:
        return self.count > 0

    def items(self) -> Iterator[tuple[str, list[str]]]:
        for bucket in range(_BUCKETS):
            for key, joined in sorted(self._part(bucket).items()):
                yield key, joined.split("\n") if joined else []


_LOOKUPS = ("by_path", "sql_map", "consumers", "by_file", "by_key")


@dataclass
class Disk:
    """What the indexing run saw on disk: govern.yaml, every file and directory (read only to validate)."""

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


@dataclass
class Index:
    """The index as stored. Its sealed head holds what every run needs; the disk state, lookups, rows,
    scans and catalogs are entries of the body, read when needed."""

    root: str
    started_ns: int
    disk: Disk | bytes  # bytes: the reference of a loaded index's entry (see ``on_disk``)
    rows: dict[str, bytes]  # product id -> Record row (an entry of the body; only a few are ever read)
    by_path: Lookup  # manifest path -> ids
    sql_map: Lookup  # govern.incremental.impact.sql_index of the mesh
    consumers: Lookup  # producer -> consumers (declared inputs)
    by_file: Lookup  # SQL path -> products naming or reading it
    by_key: Lookup  # id key -> ids
    team_domains: dict[str, dict]  # team -> domain -> first product (Cedar entities without org.yaml)
    head_findings: list  # outside-root links found while discovering (after org and waivers)
    file_findings: dict[str, list]  # manifest path -> its load findings
    catalog: dict  # dialect -> entry of [(table key, product, port, location)]
    cycles: list[list[str]]  # strongly connected components with a cycle
    dialects: list  # dialect names sqlglot knew in the indexing run
    scans: dict[str, bytes]  # SQL path -> entry of a reusable scan (govern.analysis.prefetch.Recorded)
    body: Any = None  # a loaded index: rows, scans and catalogs are references into this sealed body

    def entry(self, ref: bytes) -> Any:
        """The data of one entry of a loaded index (read from its body and checked against its digest)."""
        return self.body.load(ref)

    def record(self, pid: str) -> Record:
        return Record(*self.entry(self.rows[pid]))

    def on_disk(self) -> Disk:
        """The disk state the index was built from (read from the body on first use)."""
        if isinstance(self.disk, bytes):
            self.disk = Disk.from_data(self.entry(self.disk))
        return self.disk

    def to_data(self, body: Any) -> dict[str, Any]:
        """Plain data for ``sealed.write``; everything but the head goes into ``body`` (a BodyWriter)."""
        data = dict(self.__dict__)
        del data["body"]
        data["disk"] = body.add(encode(self.on_disk().to_data()))
        for name in _LOOKUPS:
            data[name] = data[name].to_data(body)
        for name in _ENTRIES:
            data[name] = {k: body.add(v) for k, v in data[name].items()}
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any], body: Any) -> Index:
        for name in _LOOKUPS:
            data[name] = Lookup.from_data(data[name], body)
        return cls(**data, body=body)


_ENTRIES = ("rows", "scans", "catalog")


class _Scans:
    """Recorded scans, read when asked for (what ``prefetch.Recorded`` reads)."""

    __slots__ = ("index",)

    def __init__(self, index: Index) -> None:
        self.index = index

    def get(self, path: str) -> tuple | None:
        ref = self.index.scans.get(path)
        return self.index.entry(ref) if ref is not None else None


def recorded_scans(root: Path) -> Any:
    """For a whole-mesh run: the SQL scans the index holds, as a ``prefetch.Recorded`` whose ``known`` are
    the paths whose file is unchanged since (no process needs to scan them); None without a usable index.
    The caller releases it (``Recorded.release`` closes the index).

    ``known`` only spares work: ``Recorded.take`` still hands a scan back only for the same text hash,
    dialect and limits, and no table more sensitive than the product's outputs.
    """
    from govern.analysis.prefetch import Recorded
    from govern.incremental.sealed import Corrupt

    index = load_index(root)
    if index is None:
        return None
    if not index.scans:
        index.body.close()
        return None
    try:
        stamps = dict(index.on_disk().sqls.items())
    except Corrupt:  # a damaged entry: nothing is known, every file is scanned
        stamps = {}
    trusted_before = index.started_ns - MARGIN_NS
    known = frozenset(p for p in index.scans if _unchanged(os.path.join(root, p), stamps.get(p), trusted_before))
    return Recorded(_Scans(index), known, len(stamps) - len(known), index.body.close)


def load_index(root: Path) -> Index | None:
    """The index of the mesh at ``root``, or None when absent, forged, corrupt or from another version.

    Only its head is read and authenticated here; rows, scans and catalogs are read when needed, each
    checked against the digest the head holds (``govern.incremental.sealed.Body``). Close ``index.body`` when done.
    """
    from govern.incremental import sealed
    from govern.load.paths import no_link_below

    if not no_link_below(root, index_path(root)):  # never read through a link (.govern-cache -> elsewhere)
        return None
    found = sealed.read(index_path(root), _SEALED_KIND, _version())
    if found is None:
        return None
    data, body = found
    try:
        index = Index.from_data(data, body) if isinstance(data, dict) else None
    except (TypeError, ValueError, KeyError):
        index = None
    if index is None or index.root != str(root):
        body.close()
        return None
    return index


def _store(root: Path, index: Index) -> bool:
    from govern.incremental import sealed
    from govern.load.paths import no_link_below

    if not no_link_below(root, index_path(root)):  # caches are written in their own folder, never through a link
        return False
    body = sealed.BodyWriter()
    data = index.to_data(body)
    return sealed.write(index_path(root), data, _SEALED_KIND, _version(), body.bytes())


# --- stamps ------------------------------------------------------------------------------------------


def _sha(data: bytes) -> bytes:
    from govern.model.content import digest

    return digest(data)


def _stamp(path: str, started_ns: int) -> tuple | None:
    """(size, mtime_ns, ctime_ns, inode, device, sha) of a file last modified well before ``started_ns``;
    None otherwise."""
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


def _same_stat(st: os.stat_result, stamp: tuple, trusted_before: int) -> bool:
    """True when ``st`` vouches for the content recorded in ``stamp`` the way git's index vouches for a file.

    Size, mtime, ctime, inode and device must all be equal: an edit that puts the size and the mtime back
    (archive tools, Nix, CI cache layers give every file one mtime) still moves the ctime, and a file
    replaced by a rename (editors, ``git checkout``) has another inode. An entry whose ctime is not older
    than ``trusted_before`` (the start of the indexing run less ``MARGIN_NS``) is *racy*: on a file system
    with coarse timestamps a later change could carry the same ctime, so it is never trusted by stat.
    """
    size, mtime, ctime, ino, dev = stamp[:5]
    return (st.st_mtime_ns == mtime and st.st_size == size and st.st_ctime_ns == ctime and st.st_ino == ino
            and st.st_dev == dev and ctime < trusted_before)


def _same_content(path: str, stamp: tuple) -> bool:
    """True when ``path`` is a regular file holding exactly the bytes whose hash ``stamp`` recorded."""
    try:
        if not S_ISREG(os.stat(path).st_mode):
            return False
        with open(path, "rb") as fh:
            return _sha(fh.read()) == stamp[5]
    except OSError:
        return False


def _unchanged(path: str, stamp: tuple | None, trusted_before: int) -> bool:
    """True when the file holds what the stamp recorded (stat first, ``_same_stat``; else the hash)."""
    if stamp is None:
        return False
    try:
        st = os.stat(path)
    except OSError:
        return False
    if _same_stat(st, stamp, trusted_before):
        return True
    if st.st_size != stamp[0] or not S_ISREG(st.st_mode):
        return False
    return _same_content(path, stamp)


def _listing(path: str) -> tuple[str, ...]:
    """The entries of a directory the loader can read, as ``name`` or ``name/`` (directories), sorted.

    Hidden files, ``.govern-cache`` and ``.git`` are left out: neither the loader nor the importers ever
    read them. Skipped and hidden folders (``node_modules``, ``.staging``) are listed although they are not
    walked: a new one makes the whole mesh load, where a manifest in it is reported (input.not-discovered).
    """
    out = []
    with os.scandir(path) as it:
        for entry in it:
            if entry.name in (".git", CACHE_DIR):
                continue
            if entry.is_dir(follow_symlinks=False):
                out.append(entry.name + "/")
            elif not entry.name.startswith("."):
                out.append(entry.name)
    return tuple(sorted(out))


# --- building the index after a full run ---------------------------------------------------------------


def _strings(node: Any, out: set[str]) -> None:
    """Every string value in plain data (iteratively: manifests may nest deeply)."""
    todo = [node]
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            out.add(item)
        elif isinstance(item, dict):
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)


def _walk(root: Path) -> tuple[dict[str, str], list[str]]:
    """Directories the loader walks (relpath -> path) and candidate files of other input formats."""
    from govern.load.discovery import SKIP_DIRS

    dirs: dict[str, str] = {}
    candidates: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        rel = os.path.relpath(dirpath, root).replace(os.sep, "/")
        rel = "" if rel == "." else rel
        dirs[rel] = dirpath
        for name in filenames:
            if not name.startswith(".") and name.lower().endswith(_CANDIDATE_SUFFIXES):
                candidates.append(f"{rel}/{name}" if rel else name)
    return dirs, candidates


def _tarjan(nodes: list[str], succ: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components that hold a cycle (iterative Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for start in nodes:
        if start in index:
            continue
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        work = [(start, iter(succ.get(start, ())))]
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(succ.get(nxt, ()))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in succ.get(node, ()):
                    out.append(sorted(component))
    return sorted(out)


def cycles_of(records: dict[str, Record]) -> list[list[str]]:
    """Lineage cycles (declared inputs and SQL reads) among ``records``."""
    succ: dict[str, list[str]] = {}
    for pid, r in records.items():
        nxt = sorted({p for p in (*r.inputs, *r.sql_producers) if p in records})
        if nxt:
            succ[pid] = nxt
    return _tarjan(sorted(records), succ)


def _record(product: Product, all_ids: set[str], code: list[str], analysis: Any,
            sql_edges: dict[str, set[str]], dialects: list) -> Record:
    from govern.analysis.run import has_sql
    from govern.model.confusables import id_key

    m = product.model
    names: set[str] = set()
    _strings(product.data, names)
    facts = analysis.product(product.id) if analysis is not None else None
    owners: set[str] = set()
    files: list[str] = []
    if facts is not None:
        files = list(facts.files)
        for ref in (*facts.reads, *facts.writes):
            owners.update(ref.candidates)
            if ref.producer:
                owners.add(ref.producer)
    return Record(
        id=product.id,
        path=product.path,
        key=id_key(product.id),
        state=product.state,
        domain=m.domain,
        team=m.owner.group if m.owner else None,
        inputs=[ref.product for ref in m.inputs],
        names=sorted((names & all_ids) - {product.id}),
        code=code,
        raw_code=list(m.execution.code) if m.execution else [],
        ports=[(p.name, p.location) for p in m.outputPorts],
        dialect=m.execution.dialect if m.execution else None,
        has_sql=has_sql(product),
        sql_files=files,
        sql_producers=sorted(sql_edges.get(product.id, ())),
        sql_owners=sorted(owners - {product.id}),
        port_keys=_port_keys([p.location for p in m.outputPorts], dialects),
    )


def _port_keys(locations: list[str | None], dialects: list) -> dict:
    """Per dialect, the normalised table key of each port location (``location_key`` is memoised: the
    analysis of the same run already computed them)."""
    from govern.analysis.tablenames import location_key

    return {d: [location_key(loc, d) if loc else None for loc in locations] for d in dialects}


def _sql_dialects(mesh: Mesh) -> list:
    """The dialects the mesh's SQL is read in (that sqlglot knows), sorted."""
    from govern.analysis.run import has_sql

    default = mesh.config.dialect
    wanted = {(p.model.execution.dialect if p.model.execution else None) or default
              for p in mesh.products if has_sql(p)}
    if not wanted:
        return []
    from sqlglot.dialects.dialect import Dialect

    known = []
    for name in sorted(wanted, key=str):
        try:
            Dialect.get_or_raise(name)
        except ValueError:
            continue
        known.append(name)
    return known


def record(mesh: Mesh, analysis: Any, started_ns: int) -> bool:
    """Write the index of ``mesh`` (and its SQL ``analysis``) for a full run that started at ``started_ns``.

    False when it cannot. Nothing here depends on the rules' findings: the index holds what the mesh
    is (summaries, SQL scans, load findings), so it can be written while the rules are evaluated.

    Meshes with inputs of other formats, runtime lineage, dbt templates or duplicate ids are not indexed
    (changed-files mode then always loads the whole mesh).
    """
    from govern.analysis.dbt import is_template
    from govern.incremental.impact import consumers_index, sql_index
    from govern.load.discovery import INPUT_MISNAMED, INPUT_NESTED_ROOT, INPUT_NOT_DISCOVERED
    from govern.load.importers import _NOT_INPUTS
    from govern.load.manifest import MANIFEST_NAMES
    from govern.load.paths import INPUT_SYMLINK_SKIPPED
    from govern.model.findings import MANIFEST_INVALID

    root = mesh.root.resolve()
    if any(f.rule in (INPUT_NOT_DISCOVERED, INPUT_MISNAMED, INPUT_NESTED_ROOT) for f in mesh.findings):
        return False  # found by a whole-mesh search the index does not repeat: always load the whole mesh
    if mesh.observed_edges or any(p.origin != "native" or p.sql for p in mesh.products):
        return False
    if len(mesh.by_id) != len(mesh.products):
        return False
    dirs, candidates = _walk(root)
    if any(c.rsplit("/", 1)[-1] == "dbt_project.yml" for c in candidates):
        return False
    manifests = {p.path for p in mesh.products}
    head: list = []
    per_file: dict[str, list] = {}
    for f in mesh.findings:
        path = f.location.path
        if path in ("govern.yaml", "org.yaml", "waivers.yaml"):
            continue  # re-read on every run
        if f.rule == INPUT_SYMLINK_SKIPPED:
            head.append(_finding_out(f))
        elif path and (path in manifests or f.rule == MANIFEST_INVALID
                       or path.rsplit("/", 1)[-1] in MANIFEST_NAMES):
            per_file.setdefault(path, []).append(_finding_out(f))
            manifests.add(path)
        else:
            return False  # a finding the index cannot attribute: do not guess
    others = [c for c in candidates if c.rsplit("/", 1)[-1] not in (*MANIFEST_NAMES, *_NOT_INPUTS)
              and c not in manifests]
    sql_map = sql_index(mesh)
    code_of: dict[str, list[str]] = {}
    for path, ids in sql_map.items():
        for pid in ids:
            code_of.setdefault(pid, []).append(path)
    sql_edges: dict[str, set[str]] = {}
    for edge in analysis.edges if analysis else ():
        if edge.kind == "sql":
            sql_edges.setdefault(edge.consumer, set()).add(edge.producer)
    all_ids = set(mesh.by_id)
    dialects = _sql_dialects(mesh)
    records = [_record(p, all_ids, sorted(code_of.get(p.id, [])), analysis, sql_edges, dialects)
               for p in mesh.products]
    by_file: dict[str, set[str]] = {}
    for r in records:
        for path in (*r.code, *r.sql_files):
            by_file.setdefault(path, set()).add(r.id)
    sqls: dict[str, tuple | None] = {}
    missing: list[str] = []
    for path in sorted(by_file):
        full = os.path.join(root, path)
        if not os.path.isfile(full):
            missing.append(path)
            continue
        stamp = _stamp(full, started_ns)
        sqls[path] = stamp
        if stamp is not None:
            try:
                with open(full, "rb") as fh:
                    if is_template(fh.read().decode("utf-8-sig")):
                        return False
            except (OSError, UnicodeDecodeError):
                sqls[path] = None
    dir_paths: list[str] = []
    dir_stats: list[tuple[int, int, int, int]] = []  # (mtime_ns or -1, ctime_ns, inode, device)
    dir_listings: list[str] = []
    for rel, path in sorted(dirs.items()):
        try:
            st = os.stat(path)
            dir_paths.append(rel)
            mtime = st.st_mtime_ns if st.st_mtime_ns < started_ns - MARGIN_NS else -1
            dir_stats.append((mtime, st.st_ctime_ns, st.st_ino, st.st_dev))
            dir_listings.append("\n".join(_listing(path)))
        except OSError:
            return False
    team_domains: dict[str, dict] = {}
    by_key: dict[str, list[str]] = {}
    by_path: dict[str, list[str]] = {}
    for r in records:
        if r.team:
            team_domains.setdefault(r.team, {}).setdefault(r.domain or "", r.id)
        by_key.setdefault(r.key, []).append(r.id)
        by_path.setdefault(r.path, []).append(r.id)
    config = os.path.join(root, "govern.yaml")
    config_stamp = _stamp(config, started_ns) if os.path.isfile(config) else None
    if os.path.isfile(config) and config_stamp is None:
        return False  # govern.yaml changed too recently to vouch for
    index = Index(
        root=str(root),
        started_ns=started_ns,
        disk=Disk(
            config=config_stamp,
            manifests=Stamps.of({p: _stamp(os.path.join(root, p), started_ns) for p in manifests}),
            sqls=Stamps.of(sqls),
            others=Stamps.of({p: _stamp(os.path.join(root, p), started_ns) for p in others}),
            missing_sql=missing,
            dirs=(dir_paths, dir_stats, dir_listings),
        ),
        rows={r.id: encode(r.to_row()) for r in records},
        by_path=Lookup.of(by_path),
        sql_map=Lookup.of(sql_map),
        consumers=Lookup.of({k: sorted(v) for k, v in consumers_index(mesh).items()}),
        by_file=Lookup.of({k: sorted(v) for k, v in by_file.items()}),
        by_key=Lookup.of(by_key),
        team_domains=team_domains,
        head_findings=head,
        file_findings=per_file,
        catalog={d: encode(rows) for d, rows in _catalog_rows(records, dialects).items()},
        cycles=cycles_of({r.id: r for r in records}),
        dialects=dialects,
        scans={path: encode(entry) for path, entry in sorted(analysis.scans.items())} if analysis else {},
    )
    return _store(root, index)


def _catalog_rows(records: list[Record], dialects: list) -> dict:
    """Per dialect the mesh's SQL uses: (normalised table key, product, port, location) of every port."""
    out: dict = {}
    for dialect in dialects:
        rows = []
        for r in records:
            for (port, location), key in zip(r.ports, r.port_keys[dialect], strict=True):
                if key is not None:
                    rows.append((tuple(key), r.id, port, location))
        out[dialect] = rows
    return out


# --- changed-files mode from the index ----------------------------------------------------------------


class _Ref:
    __slots__ = ("product",)

    def __init__(self, product: str) -> None:
        self.product = product


class _Execution:
    __slots__ = ("code",)

    def __init__(self, code: list[str]) -> None:
        self.code = code


class _Model:
    __slots__ = ("execution", "inputs")

    def __init__(self, record: Record) -> None:
        self.inputs = [_Ref(p) for p in record.inputs]
        self.execution = _Execution(list(record.raw_code))


class _Summary:
    """Just enough of a Product for govern.incremental.impact.affected and govern.incremental.impact.plan."""

    __slots__ = ("id", "model", "path", "sql")

    def __init__(self, record: Record) -> None:
        self.id = record.id
        self.path = record.path
        self.sql: list = []
        self.model = _Model(record)


class _SummaryMesh:
    __slots__ = ("by_id", "config", "findings", "products", "root")

    def __init__(self, root: Path, config: Any, records: list[Record], findings: list[Finding]) -> None:
        self.root = root
        self.config = config
        self.products = [_Summary(r) for r in sorted(records, key=lambda r: (r.path, r.id))]
        self.by_id = {p.id: p for p in self.products}
        self.findings = findings


@dataclass
class _State:
    """The index brought up to date with the disk."""

    index: Index
    changed_manifests: list[str] = field(default_factory=list)
    changed_sqls: list[str] = field(default_factory=list)
    fresh: dict[str, tuple[Any, list[Finding]]] = field(default_factory=dict)  # path -> (product, findings)
    records: dict[str, Record] = field(default_factory=dict)  # materialised (fresh or from rows)
    early: bool = False  # compared with the disk by the child of ``start_early``

    def record(self, pid: str) -> Record:
        rec = self.records.get(pid)
        if rec is None:
            rec = self.records[pid] = self.index.record(pid)
        return rec


def _validate(root: str, index: Index) -> _State | None:
    """Compare the index with the disk; None when a change needs the whole mesh.

    This is a ``stat`` of every directory and file the index knows, the largest fixed cost of
    changed-files mode, so the loops stay plain. A file is trusted by its stat only as git trusts its
    index (``_same_stat``); otherwise its content is hashed, and only a different hash counts as a change.
    """
    prefix = root.rstrip("/") + "/"
    config = prefix + "govern.yaml"
    disk = index.on_disk()
    trusted_before = index.started_ns - MARGIN_NS
    if not _unchanged(config, disk.config, trusted_before) if disk.config else os.path.exists(config):
        return _why("govern.yaml changed")
    stat = os.stat
    dir_paths, dir_stats, dir_listings = disk.dirs
    for i, (rel, (mtime, ctime, ino, dev)) in enumerate(zip(dir_paths, dir_stats, strict=True)):
        path = prefix + rel if rel else root
        try:
            if mtime >= 0 and ctime < trusted_before:
                st = stat(path)
                if (st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev) == (mtime, ctime, ino, dev):
                    continue
            if "\n".join(_listing(path)) != dir_listings[i]:
                return _why(f"files were added or removed in {rel or '.'}")
        except OSError:
            return _why(f"{rel or '.'} cannot be read")
    for rel, stamp in disk.others.items():
        if not _unchanged(prefix + rel, stamp, trusted_before):
            return _why(f"{rel} (a possible input of another format) changed")
    for rel in disk.missing_sql:
        if os.path.exists(prefix + rel):
            return _why(f"{rel} appeared")
    state = _State(index)
    for table, out in ((disk.manifests, state.changed_manifests), (disk.sqls, state.changed_sqls)):
        for i, (rel, size, mtime, ctime, ino, dev) in enumerate(zip(
                table.paths, table.sizes, table.mtimes, table.ctimes, table.inos, table.devs, strict=True)):
            if mtime < 0:
                out.append(rel)
                continue
            try:
                st = stat(prefix + rel)
            except OSError:
                return _why(f"{rel} cannot be read")
            if (st.st_mtime_ns == mtime and st.st_size == size and st.st_ctime_ns == ctime and st.st_ino == ino
                    and st.st_dev == dev and ctime < trusted_before):  # _same_stat, inlined: the hot loop
                continue
            if st.st_size != size or not _same_content(prefix + rel, table.stamp(i)):
                out.append(rel)
    return state


def _named_afresh(root: Path, state: _State, args: Arguments) -> bool:
    """Files named on the command line (what pre-commit passes: the changed files) are never trusted by
    their stat: manifests and SQL files are re-read and re-analysed, govern.yaml and inputs of other
    formats compared by content. False when one of those differs (the whole mesh must be loaded)."""
    from govern.incremental.impact import _norm, relative_to

    disk = state.index.on_disk()
    named = {_norm(rel) for f in args.files if (rel := relative_to(f, root)) is not None}
    if "govern.yaml" in named and disk.config and not _same_content(str(root / "govern.yaml"), disk.config):
        return bool(_why("govern.yaml changed"))
    for rel, stamp in disk.others.items():
        if rel in named and (stamp is None or not _same_content(str(root / rel), stamp)):
            return bool(_why(f"{rel} (a possible input of another format) changed"))
    for table, out in ((disk.manifests, state.changed_manifests), (disk.sqls, state.changed_sqls)):
        seen = set(out)
        out.extend(rel for rel in sorted(named & set(table.paths)) if rel not in seen)
    return True


# --- validating early, in a child process -------------------------------------------------------------

_EARLY: dict[str, tuple[int, int]] = {}  # mesh root -> (child pid, read end of its pipe)


def start_early(argv: list[str]) -> None:
    """For ``govern check FILE...`` in a fresh process: compare the index with the disk in a forked child.

    The ``stat`` of every file and directory of the mesh is the largest fixed cost of changed-files mode
    (about 85 ms at 10,000 products). Started before click, pydantic and cedarpy are imported, it runs
    on the other core while this process imports them. ``check_changed`` takes the child's answer only
    for the same root and the same index (its MAC); anything else, and it validates itself.
    Called by the console script alone (``govern.cli.entry``): never in a process that runs threads.
    """
    if not argv or argv[0] != "check" or not hasattr(os, "fork") or not enabled():
        return
    if any(a == "--base" or a.startswith("--base=") for a in argv):
        return
    try:
        if len(os.sched_getaffinity(0)) < 2:
            return  # one core: the child would only compete with the imports
    except (AttributeError, OSError):
        return
    files = [a for a in argv[1:] if not a.startswith("-") and os.path.isfile(a)]
    root = marker_root(files[0]) if files else None
    if root is None or root in _EARLY or not os.path.isfile(os.path.join(root, CACHE_DIR, INDEX_NAME)):
        return
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return
    if pid == 0:  # the child: answer through the pipe, then leave without running any exit handler
        try:
            os.close(read_end)
            answer = _early_answer(root)
            with os.fdopen(write_end, "wb") as fh:
                import json

                fh.write(json.dumps(answer).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    _EARLY[root] = (pid, read_end)


def _early_answer(root: str) -> tuple:
    """(index MAC, changed manifests, changed SQL files) or (index MAC, None, why the index cannot answer)."""
    index = load_index(Path(root))
    if index is None:
        return ("", None, "no usable index")
    try:
        state = _validate(root, index)
    finally:
        index.body.close()
    if state is None:
        return (index.body.mac.hex(), None, LAST["reason"] or "the mesh changed")
    return (index.body.mac.hex(), state.changed_manifests, state.changed_sqls)


def _validated(root: str, index: Index) -> _State | None:
    """``_validate``, or the answer of the child ``start_early`` forked for this root and this index."""
    early = _EARLY.pop(root, None)
    if early is not None:
        import json

        pid, read_end = early
        try:
            with os.fdopen(read_end, "rb") as fh:
                blob = fh.read()
            os.waitpid(pid, 0)
            mac, manifests, other = json.loads(blob)
        except (OSError, ValueError, EOFError, TypeError):
            mac = None
        if mac and mac == index.body.mac.hex():
            if manifests is None:
                return _why(other)
            return _State(index, list(manifests), list(other), early=True)
    return _validate(root, index)


def _refresh_manifests(root: Path, state: _State, has_org: bool) -> bool:
    """Re-read changed manifests; False when one changed in a way the whole-mesh parts depend on."""
    from govern.load.manifest import load_manifest_file

    index = state.index
    for rel in state.changed_manifests:
        product, findings = load_manifest_file(root / rel, root)
        ids = index.by_path.get(rel, [])
        if product is None and not ids and rel in index.file_findings:
            state.fresh[rel] = (None, findings)  # still not a product: its load findings, read afresh
            continue
        if product is None or len(ids) != 1:
            _why(f"{rel} no longer loads" if product is None else f"{rel} is a new manifest")
            return False
        old = index.record(ids[0])
        new = _fresh_record(product, old)
        if new.shape()[:8] != old.shape()[:8] or (not has_org and new.shape() != old.shape()):
            _why(f"{rel} changed its id, inputs, output ports or SQL files")
            return False
        state.fresh[rel] = (product, findings)
        state.records[new.id] = new
    return True


def _fresh_record(product: Product, old: Record) -> Record:
    """The record of a re-read manifest (SQL facts kept from the index: its SQL is re-analysed anyway)."""
    from types import SimpleNamespace

    from govern.analysis.run import has_sql
    from govern.incremental.impact import sql_index
    from govern.model.confusables import id_key

    m = product.model
    names: set[str] = set()
    _strings(product.data, names)
    return Record(
        id=product.id, path=product.path, key=id_key(product.id), state=product.state, domain=m.domain,
        team=m.owner.group if m.owner else None, inputs=[r.product for r in m.inputs],
        names=sorted(names - {product.id}),  # narrowed to existing ids by the closure
        code=sorted(sql_index(SimpleNamespace(products=[product]))),
        raw_code=list(m.execution.code) if m.execution else [],
        ports=[(p.name, p.location) for p in m.outputPorts],
        dialect=m.execution.dialect if m.execution else None, has_sql=has_sql(product),
        sql_files=old.sql_files, sql_producers=old.sql_producers, sql_owners=old.sql_owners,
        port_keys=old.port_keys,  # the port locations are the same (or the index declines)
    )


def _rescan(root: Path, config: Any, state: _State, pids: set[str]) -> bool | None:
    """Re-derive what the changed SQL of ``pids`` reads; True when a product's SQL lineage changed.

    None when the index cannot vouch for the answer (a template, a link, an unknown dialect).
    """
    from govern.analysis.catalog import Catalog, PortInfo
    from govern.analysis.dbt import is_template
    from govern.analysis.sqlscan import Limits, scan_sql

    limits = Limits(max_nodes=config.sql.maxNodes, timeout=config.sql.timeoutSeconds)
    catalogs: dict[str | None, Catalog] = {}
    changed = False
    for pid in sorted(pids):
        rec = state.record(pid)
        dialect = rec.dialect or config.dialect
        blob = state.index.catalog.get(dialect)
        if blob is None:
            return None
        catalog = catalogs.get(dialect)
        if catalog is None:
            catalog = catalogs[dialect] = Catalog(dialect)
            for key, product, port, location in state.index.entry(blob):
                catalog.add(tuple(key), PortInfo(product, port, location, None))
        producers: set[str] = set()
        owners: set[str] = set()
        for rel in rec.code:
            path = root / rel
            if path.is_symlink() or not path.is_file():
                return None
            try:
                text = path.read_bytes().decode("utf-8-sig")
            except (OSError, UnicodeDecodeError):
                return None
            if is_template(text):
                return None
            scan = scan_sql(text, dialect, limits)
            for ref in scan.reads:
                found = sorted({i.product for i in catalog.resolve(ref.key)})
                owners.update(found)
                if len(found) == 1 and found[0] != pid:
                    producers.add(found[0])
            for ref in scan.writes:
                owners.update(i.product for i in catalog.resolve(ref.key))
        new_producers = sorted(producers)
        changed = changed or new_producers != list(rec.sql_producers)
        rec.sql_producers = new_producers
        rec.sql_owners = sorted(owners - {pid})
    return changed


@dataclass
class Prepared:
    """A changed-files run the index answered: the sub-mesh, what to report, and its SQL analysis."""

    mesh: Mesh
    focus: set[str]
    changed: list[str]
    analysis: Any


def check_changed(args: Arguments, root: Path) -> Prepared | None:
    """Changed-files mode from the index: the sub-mesh to evaluate; None when the whole mesh must be
    loaded instead."""
    from govern.incremental.sealed import Corrupt
    from govern.load.paths import forget_roots

    forget_roots()  # folders are resolved afresh by every run (govern/load/paths.py)
    root = root.resolve()
    LAST["reason"] = None
    index = load_index(root)
    if index is None:
        return _decline("no usable index")
    try:
        return _answer(index, args, root)
    except Corrupt:
        return _decline("no usable index")
    finally:
        index.body.close()


def _answer(index: Index, args: Arguments, root: Path) -> Prepared | None:
    from govern.incremental.impact import plan
    from govern.load.loader import _load_org, _load_waivers, load_config
    from govern.load.manifest import load_manifest_file
    from govern.model.errors import InputError
    from govern.model.mesh import Mesh

    state = _validated(str(root), index)
    if state is None:
        return _decline(LAST["reason"] or "the mesh changed")
    if not _named_afresh(root, state, args):
        return _decline(LAST["reason"] or "a named file changed")
    config_findings: list[Finding] = []
    config = load_config(root, config_findings)
    mesh = Mesh(root=root, config=config, findings=config_findings)
    _load_org(mesh)
    _load_waivers(mesh)
    try:
        if not _refresh_manifests(root, state, mesh.org is not None):
            return _decline(LAST["reason"] or "a manifest changed its id, inputs, ports or SQL files")
    except InputError:
        return _decline("a changed manifest could not be read")
    mesh.findings.extend(_finding_in(row) for row in index.head_findings)
    for path in sorted({*index.file_findings, *state.fresh}):  # manifest paths with load findings
        if path in state.fresh:
            mesh.findings.extend(state.fresh[path][1])
        else:
            mesh.findings.extend(_finding_in(row) for row in index.file_findings.get(path, ()))
    impact, changed = plan(_SummaryMesh(root, config, _relevant(root, state, args), mesh.findings), args)
    if impact.everything:
        return _decline("the change affects every product")
    focus = set(impact.products)
    sql_changed: set[str] = set()
    for rel in state.changed_sqls:
        owners = set(index.by_file.get(rel, ()))
        if not owners or not owners <= focus:
            return _decline(f"{rel} changed outside the affected products")
        sql_changed |= owners
    cycles = index.cycles
    if sql_changed:
        moved = _rescan(root, config, state, sql_changed)
        if moved is None:
            return _decline("changed SQL the index cannot analyse alone")
        if moved:
            cycles = cycles_of({pid: state.record(pid) for pid in index.rows})
    closure = _closure(state, focus, cycles, mesh)
    for pid in sorted(closure.products):
        path = state.record(pid).path
        if path in state.fresh:
            product = state.fresh[path][0]
        else:
            product, _ = load_manifest_file(root / path, root)
            if product is None or product.id != pid:
                return _decline(f"{path} changed while reading it")
        mesh.products.append(product)
    mesh.index()
    analysis = None
    if index.by_file:  # some product of the mesh has SQL: the full run analyses, so does this one
        from govern.analysis import analyse
        from govern.analysis.prefetch import Recorded

        keys: dict[str | None, dict[str, Any]] = {}
        for pid in closure.products:
            rec = state.record(pid)
            for dialect, per_port in rec.port_keys.items():
                known = keys.setdefault(dialect, {})
                for (_, location), key in zip(rec.ports, per_port, strict=True):
                    if location:
                        known[location] = tuple(key) if key is not None else None
        analysis = analyse(mesh, products=sorted(closure.analysed), prefetch=Recorded(_Scans(index)),
                           known_dialects=index.dialects, location_keys=keys)
    LAST.update(reason=None, products=len(mesh.products), analysed=len(closure.analysed))
    _debug(f"answered: {len(mesh.products)} products loaded, {len(closure.analysed)} with SQL analysed; "
           f"the disk was compared with it {'by the early child' if state.early else 'here'}")
    return Prepared(mesh, focus, changed, analysis)


def _relevant(root: Path, state: _State, args: Arguments) -> list[Record]:
    """The products ``affected`` can touch for these changes: at the changed paths, owning changed SQL,
    named by load findings of changed paths, their consumers, and products under given directories."""
    from govern.incremental.impact import _norm, relative_to, under

    index = state.index
    paths = [rel for f in args.files if (rel := relative_to(f, root)) is not None]
    ids: set[str] = set()
    for raw in {_norm(p) for p in paths}:
        ids.update(index.by_path.get(raw, ()))
        ids.update(index.sql_map.get(raw, ()))
        for row in index.file_findings.get(raw, ()):
            if row[4]:
                ids.add(row[4])
        if raw in state.fresh:
            ids.update(f.product for f in state.fresh[raw][1] if f.product)
    for pid in list(ids):
        ids.update(index.consumers.get(pid, ()))
    ids &= set(index.rows)
    folders = [rel for d in args.dirs if (rel := relative_to(d, root)) is not None]
    if folders:
        ids.update(pid for path, pids in index.by_path.items() if under(path, folders) for pid in pids)
    return [state.record(pid) for pid in sorted(ids)]


@dataclass
class _Closure:
    products: set[str]
    analysed: set[str]


def _closure(state: _State, focus: set[str], cycles: list[list[str]], mesh: Mesh) -> _Closure:
    """The affected products and every product their findings can depend on (see the module docstring)."""
    index = state.index
    rec = state.record
    member_of: dict[str, list[str]] = {m: c for c in cycles for m in c}
    analysed = {pid for pid in focus if rec(pid).has_sql}
    for pid in focus:
        analysed.update(m for m in member_of.get(pid, ()) if rec(m).has_sql)
    todo = list(analysed)
    while todo:  # products sharing a SQL file are analysed together (one scan, the lowest floor)
        pid = todo.pop()
        for path in (*rec(pid).code, *rec(pid).sql_files):
            for other in index.by_file.get(path, ()):
                if other not in analysed and rec(other).has_sql:
                    analysed.add(other)
                    todo.append(other)
    closure = set(focus) | analysed
    for pid in focus:
        closure.update(p for p in rec(pid).inputs if p in index.rows)
        closure.update(p for p in rec(pid).names if p in index.rows)
        closure.update(member_of.get(pid, ()))
        closure.update(index.by_key.get(rec(pid).key, ()))
    closure.update(_address_claimants(state, focus, mesh.config.dialect))
    for pid in analysed:
        closure.update(rec(pid).sql_owners)
        closure.update(rec(pid).sql_producers)
    closure.update(w.waiver.product for w in mesh.waivers if w.waiver.product in index.rows)
    if mesh.org is None:  # a team belongs to the domains of the products it owns (Cedar entities)
        for pid in focus:
            closure.update(index.team_domains.get(rec(pid).team or "", {}).values())
    return _Closure(closure, analysed)


def _address_claimants(state: _State, focus: set[str], default_dialect: str | None) -> set[str]:
    """Products claiming an output location of a focus product (namespace.unique-address reports both).

    Table names compare by their key normalised per dialect (the index's catalog of that dialect, else
    every record's locations); other locations as written (every record is read: rare).
    """
    index = state.index
    if not any(loc for pid in focus for _port, loc in state.record(pid).ports):
        return set()
    # the dialects the mesh's SQL reads locations in (the index's catalogs); none: the mesh's default
    dialects = set(index.catalog) or {default_dialect}
    out: set[str] = set()
    raw: set[str] = set()
    for dialect in sorted(dialects, key=lambda d: d or ""):
        wanted = set()
        for pid in focus:
            r = state.record(pid)
            known = r.port_keys.get(dialect)  # normalised when the index was written: no sqlglot import
            if known is None:
                from govern.analysis.tablenames import location_key

                known = [location_key(loc.strip(), dialect) if loc else None for _port, loc in r.ports]
            for (_port, loc), key in zip(r.ports, known, strict=False):
                if key is not None:
                    wanted.add(tuple(key))
                elif loc and loc.strip():
                    raw.add(loc.strip())
        blob = index.catalog.get(dialect)
        if blob is not None:
            out.update(product for key, product, _port, _loc in index.entry(blob) if tuple(key) in wanted)
        elif wanted:
            from govern.analysis.tablenames import location_key

            out.update(other for other in index.rows
                       if any(loc and location_key(loc.strip(), dialect) in wanted
                              for _port, loc in state.record(other).ports))
    if raw:
        out.update(other for other in index.rows
                   if any((loc or "").strip() in raw for _port, loc in state.record(other).ports))
    return out


def _covers_mesh(paths: Iterable[str | Path], mesh: Mesh) -> bool:
    root = mesh.root.resolve()
    return all(Path(p).resolve() == root for p in paths)


def record_full_run(paths: Iterable[str | Path], mesh: Mesh, analysis: Any, started_ns: int) -> None:
    """Write the index after a run that loaded the whole mesh (never fails the run)."""
    if not enabled() or not _covers_mesh(paths, mesh):
        return
    from govern.incremental.sealed import no_collection

    # summarising allocates much and frees little: collecting the whole mesh's heap costs ~1 s
    with no_collection(), contextlib.suppress(Exception):  # the cache is an optimisation: never fail a check
        record(mesh, analysis, started_ns)


def record_meanwhile(paths: Iterable[str | Path], mesh: Mesh, analysis: Any, started_ns: int) -> Callable[[], None]:
    """Start writing the index of a whole-mesh run; returns the function that waits until it is written.

    The index does not depend on the rules' findings, so on a machine with a second core a forked
    child writes it (about 2 s at 10,000 products) while this process evaluates the rules. Without
    ``fork``, with one core, or with threads running (forking them is unsafe) it is written here and now.
    """
    import threading

    if not enabled() or not _covers_mesh(paths, mesh):
        return _nothing
    if not hasattr(os, "fork") or (os.cpu_count() or 1) < 2 or threading.active_count() > 1:
        record_full_run(paths, mesh, analysis, started_ns)
        return _nothing
    try:
        pid = os.fork()
    except OSError:
        record_full_run(paths, mesh, analysis, started_ns)
        return _nothing
    if pid == 0:  # the child: write, then leave without running the parent's exit handlers or flushing its output
        code = 1
        try:
            record_full_run(paths, mesh, analysis, started_ns)
            code = 0
        finally:
            os._exit(code)

    def wait() -> None:
        with contextlib.suppress(ChildProcessError, InterruptedError):
            os.waitpid(pid, 0)

    return wait


def _nothing() -> None:
    return None
