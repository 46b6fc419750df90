"""The mesh index: the facts of every product, kept between runs so that changed-files mode reads only
what changed.

A whole-mesh run writes ``.govern-cache/mesh-index.bin`` under the mesh root, sealed with this user's
key (govern/incremental/sealed.py: plain marshalled data, decoded only after its MAC matched; never
pickle, and an index planted by someone else is never trusted). It holds

- the disk the run saw (govern/incremental/stamps.py): every manifest, SQL file, candidate input file
  and walked folder, with its stat and content hash;
- the facts of every product (govern/incremental/facts.py) and the lookups the closure asks
  (govern/incremental/closure.py), each split into buckets read only when a key falls in them;
- the strongly connected components of the lineage graph the facts allow, and the directory of the
  mesh (ids, dialects, team domains) that a sub-mesh answers mesh-wide questions with;
- the load findings of every file, and the SQL scans, by the hash of text, dialect and limits.

The head (what every run reads) is small; the rest are entries of the body, each checked against a
digest the sealed head holds when read. An index from another govern or sqlglot version, another root,
or written for other standards reference paths is never used.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govern.incremental.facts import LOOKUPS, Facts, ProductFacts, Ref, build_lookups, members_by_search
from govern.incremental.sealed import encode
from govern.incremental.stamps import CACHE_DIR, Disk
from govern.model.findings import Finding, finding_from_row, finding_row

FORMAT = 8  # 8: lookups (and location keys) in buckets_for(their size) buckets
INDEX_NAME = "mesh-index.bin"
_SEALED_KIND = "mesh-index"
MIN_BUCKETS = 64
KEYS_PER_BUCKET = 32  # a lookup of more keys gets more buckets: a run reads a few small entries, whatever the size
_SEP = "\x00"  # between the path and the id of a Ref in lookups

LAST: dict[str, Any] = {"reason": None}  # why the index was last not used (None: it answered)


def decline(reason: str) -> None:
    """Record why the index cannot answer (GOVERN_CACHE_DEBUG=1 prints it) and return None."""
    LAST["reason"] = reason
    debug(f"not used: {reason}")
    return None


def debug(message: str) -> None:
    """Print ``message`` to stderr when GOVERN_CACHE_DEBUG is set."""
    if os.environ.get("GOVERN_CACHE_DEBUG"):
        import sys

        print(f"govern: mesh index: {message}", file=sys.stderr)


def enabled() -> bool:
    """The index is on unless GOVERN_CACHE is 0, false, no or off (``sealed.caches_enabled``)."""
    from govern.incremental.sealed import caches_enabled

    return caches_enabled()


def index_path(root: Path) -> Path:
    return root / CACHE_DIR / INDEX_NAME


def version() -> str:
    """What an index must have been written by: this govern (its version and its code), this sqlglot,
    this format."""
    from govern.version import __version__

    return f"{__version__} format {FORMAT} code {code_stamp()}"


def code_stamp() -> str:
    """A stamp of the code that decides what the index holds: govern's own modules (path, size, mtime of
    each) and sqlglot's version file, so that an index written by other code of the same version (a
    checkout between releases, another sqlglot) is not read. The installed packages are trusted (the threat
    model in docs/readme-trust.md), so their stat data is enough here; the mesh's files never are."""
    if _CODE[0] is None:
        from importlib.util import find_spec

        from govern.model.content import digest

        package = Path(__file__).resolve().parents[1]
        parts = []
        for dirpath, dirnames, filenames in os.walk(package):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                if name.endswith(".py"):
                    st = os.stat(os.path.join(dirpath, name))
                    parts.append(f"{os.path.relpath(os.path.join(dirpath, name), package)} {st.st_size} "
                                 f"{st.st_mtime_ns}")
        spec = find_spec("sqlglot")  # not imported: a pre-commit run may need no SQL at all
        if spec is not None and spec.origin:
            try:
                with open(os.path.join(os.path.dirname(spec.origin), "_version.py"), "rb") as fh:
                    parts.append(fh.read().decode("utf-8", "replace"))
            except OSError:
                parts.append(spec.origin)
        _CODE[0] = digest("\n".join(parts).encode()).hex()[:16]
    return _CODE[0]


_CODE: list[str | None] = [None]


def encode_ref(ref: Ref) -> str:
    return ref[0] + _SEP + ref[1]


def decode_ref(text: str) -> Ref:
    path, _, pid = text.partition(_SEP)
    return (path, pid)


# --- lookups -----------------------------------------------------------------------------------------


def buckets_for(count: int) -> int:
    """How many buckets a lookup of ``count`` keys is stored in."""
    return max(MIN_BUCKETS, count // KEYS_PER_BUCKET)


def _bucket(key: str, buckets: int) -> int:
    from binascii import crc32

    return crc32(key.encode("utf-8", "surrogatepass")) % buckets


class Lookup:
    """A map from a string to a few strings (newline-joined, split on demand), stored in ``buckets_for``
    its size entries of the index body by a hash of the key, so a run reads only the buckets of the keys
    it asks."""

    __slots__ = ("body", "buckets", "count", "parts", "refs")

    def __init__(self, data: dict[str, str] | None = None, refs: list[bytes] | None = None, body: Any = None,
                 count: int = 0) -> None:
        self.parts: dict[int, dict[str, str]] = {}
        self.refs = refs
        self.body = body
        self.count = count
        self.buckets = len(refs) if refs is not None else buckets_for(len(data) if data is not None else 0)
        if data is not None:
            for key, joined in data.items():
                self.parts.setdefault(_bucket(key, self.buckets), {})[key] = joined
            self.count = len(data)

    @classmethod
    def of(cls, mapping: dict[str, Iterable[str]]) -> Lookup:
        return cls({k: "\n".join(v) for k, v in sorted(mapping.items())})

    def to_data(self, writer: Any) -> tuple:
        return (self.count, [writer.add(encode(self.parts.get(b, {}))) for b in range(self.buckets)])

    @classmethod
    def from_data(cls, data: tuple, body: Any) -> Lookup:
        count, refs = data
        return cls(refs=refs, body=body, count=count)

    def _part(self, bucket: int) -> dict[str, str]:
        part = self.parts.get(bucket)
        if part is None:
            part = self.parts[bucket] = self.body.load(self.refs[bucket]) if self.refs is not None else {}
        return part

    def get(self, key: str) -> list[str]:
        joined = self._part(_bucket(key, self.buckets)).get(key)
        return joined.split("\n") if joined else []

    def all_keys(self) -> Iterator[str]:
        for bucket in range(self.buckets):
            yield from self._part(bucket)


class LocationKeys:
    """Output location -> normalised table key (a tuple, or None) of one dialect, read from the index's
    buckets as asked (a pre-commit run asks a handful of the mesh's locations)."""

    __slots__ = ("lookup",)

    def __init__(self, lookup: Lookup) -> None:
        self.lookup = lookup

    def __contains__(self, location: object) -> bool:
        return isinstance(location, str) and bool(self.lookup.get(location))

    def __getitem__(self, location: str) -> tuple[str, ...] | None:
        import json

        found = self.lookup.get(location)
        if not found:
            raise KeyError(location)
        key = json.loads(found[0])
        return tuple(key) if key is not None else None


# --- the index ---------------------------------------------------------------------------------------


@dataclass
class Index:
    """The index as stored. Its sealed head holds what every run needs; the disk state, the facts of each
    product, the lookups and the scans are entries of the body, read when needed."""

    root: str
    started_ns: int
    ref_paths: list[str]  # the standards' product-reference paths the facts were computed with
    disk: Disk | bytes  # bytes: the reference of a loaded index's entry (see ``on_disk``)
    rows: dict[str, bytes]  # encoded Ref -> entry of its ProductFacts row
    lookups: dict[str, Lookup]  # facts.LOOKUPS: key -> encoded Refs
    cycles: Lookup  # encoded Ref -> the encoded Refs of its strongly connected component (on a cycle only)
    ids: str  # every product id, newline-joined
    dialects: list  # the dialects in use (default and every execution dialect): tokens exist for these
    team_domains: dict[str, list[str]]  # team -> domains of the products it owns
    domains: list[str]
    head_findings: list  # findings of no manifest (links out of the root)
    file_findings: Lookup  # path -> its load findings (encoded rows)
    scans: Lookup  # scan key -> entry of a reusable scan (govern.analysis.prefetch.Recorded)
    location_keys: dict[Any, Lookup]  # dialect -> location -> its normalised table key (JSON: a list, or null)
    known_dialects: list  # the dialects sqlglot knew when the index was written
    body: Any = None  # a loaded index: entries are read from this sealed body

    def entry(self, ref: bytes) -> Any:
        """The data of one entry of a loaded index (read from its body and checked against its digest)."""
        return self.body.load(ref)

    def on_disk(self) -> Disk:
        """The disk state the index was built from (read from the body on first use)."""
        if isinstance(self.disk, bytes):
            self.disk = Disk.from_data(self.entry(self.disk))
        return self.disk

    def facts(self, ref: Ref) -> ProductFacts | None:
        entry = self.rows.get(encode_ref(ref))
        return ProductFacts.from_row(self.entry(entry)) if entry is not None else None

    def findings_of(self, path: str) -> list[Finding]:
        """The load findings recorded for ``path``."""
        refs = self.file_findings.get(path)
        return [finding_from_row(row) for row in self.entry(bytes.fromhex(refs[0]))] if refs else []

    def scan(self, key: str) -> Any:
        """The recorded scan of that content key (``govern.analysis.prefetch.scan_key``), or None."""
        refs = self.scans.get(key)
        return self.entry(bytes.fromhex(refs[0])) if refs else None

    def keys_of_locations(self) -> dict[Any, LocationKeys]:
        """Per dialect sqlglot knew: output location -> normalised table key (so sqlglot need not be imported),
        each read from the index when asked."""
        return {d: LocationKeys(lookup) for d, lookup in self.location_keys.items()}

    def to_data(self, writer: Any) -> dict[str, Any]:
        data = dict(self.__dict__)
        del data["body"]
        data["disk"] = writer.add(encode(self.on_disk().to_data()))
        data["rows"] = {k: writer.add(v) for k, v in self.rows.items()}
        data["lookups"] = {name: lookup.to_data(writer) for name, lookup in self.lookups.items()}
        for name in ("cycles", "file_findings", "scans"):
            data[name] = data[name].to_data(writer)
        data["location_keys"] = {d: keys.to_data(writer) for d, keys in self.location_keys.items()}
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any], body: Any) -> Index:
        data["lookups"] = {name: Lookup.from_data(value, body) for name, value in data["lookups"].items()}
        data["location_keys"] = {d: Lookup.from_data(value, body) for d, value in data["location_keys"].items()}
        for name in ("cycles", "file_findings", "scans"):
            data[name] = Lookup.from_data(data[name], body)
        return cls(**data, body=body)


def load_index(root: Path) -> Index | None:
    """The index of the mesh at ``root``, or None when absent, forged, corrupt or from another version.

    Only its head is read and authenticated here; everything else is read when needed, each entry checked
    against the digest the head holds (``govern.incremental.sealed.Body``). Close ``index.body`` when done.
    """
    from govern.incremental import sealed
    from govern.load.paths import no_link_below

    if not no_link_below(root, index_path(root)):  # never read through a link (.govern-cache -> elsewhere)
        return None
    found = sealed.read(index_path(root), _SEALED_KIND, version())
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
    writer = sealed.BodyWriter()
    data = index.to_data(writer)
    return sealed.write(index_path(root), data, _SEALED_KIND, version(), writer.bytes())


class Scans:
    """The index's scans by content key, as ``govern.analysis.prefetch.Recorded`` reads them."""

    __slots__ = ("index",)

    def __init__(self, index: Index) -> None:
        self.index = index

    def get(self, key: str) -> Any:
        return self.index.scan(key)


def recorded_scans(root: Path) -> Any:
    """For a whole-mesh run: the SQL scans the index holds, as a ``prefetch.Recorded`` whose ``known`` are
    the paths whose file is unchanged since (no process needs to scan them); None without a usable index.
    The caller releases it (``Recorded.release`` closes the index).

    ``known`` only spares work: ``Recorded.take`` still hands a scan back only for the same text, dialect
    and limits, and no table more sensitive than the product's outputs.
    """
    from govern.analysis.prefetch import Recorded
    from govern.incremental.sealed import Corrupt
    from govern.incremental.stamps import MARGIN_NS, unchanged

    index = load_index(root)
    if index is None:
        return None
    if not index.scans.count:
        index.body.close()
        return None
    try:
        stamps = index.on_disk().sqls.items()
    except Corrupt:  # a damaged entry: nothing is known, every file is scanned
        stamps = []
    trusted_before = index.started_ns - MARGIN_NS
    known = frozenset(p for p, s in stamps if unchanged(os.path.join(root, p), s, trusted_before))
    return Recorded(Scans(index), known, len(stamps) - len(known), index.body.close)


# --- writing the index after a whole-mesh run --------------------------------------------------------


@dataclass
class Recording:
    """What a whole-mesh run hands the index: the mesh, its SQL analysis, and the standards'
    product-reference paths (objects with ``text`` and ``select``, govern/standards/ruledsl.py)."""

    mesh: Any
    analysis: Any
    ref_paths: list[Any] = field(default_factory=list)


def record(recording: Recording, started_ns: int) -> bool:
    """Write the index of a whole-mesh run that started at ``started_ns``; False when it cannot.

    Nothing here depends on the rules' findings: the index holds what the mesh is, so it can be written
    while the rules are evaluated. Meshes with inputs of other formats, runtime lineage, dbt templates, links
    or discovery findings are not indexed (changed-files mode then always loads the whole mesh).
    """
    from govern.analysis.dbt import is_template
    from govern.incremental.facts import MeshFacts, components, mesh_facts, successors
    from govern.load.discovery import INPUT_MISNAMED, INPUT_NESTED_ROOT, INPUT_NOT_DISCOVERED
    from govern.load.manifest import MANIFEST_NAMES
    from govern.load.paths import INPUT_SYMLINK_SKIPPED
    from govern.model.findings import MANIFEST_INVALID

    mesh, analysis = recording.mesh, recording.analysis
    root = mesh.root.resolve()
    if any(f.rule in (INPUT_NOT_DISCOVERED, INPUT_MISNAMED, INPUT_NESTED_ROOT) for f in mesh.findings):
        return False  # found by a whole-mesh search the index does not repeat
    if mesh.observed_edges or any(p.origin != "native" or p.sql for p in mesh.products):
        return False
    if any(_SEP in p.path or "\n" in p.path or _SEP in p.id or "\n" in p.id for p in mesh.products):
        return False
    facts = mesh_facts(mesh, analysis, recording.ref_paths)
    manifests = {p.path for p in mesh.products}
    head: list = []
    per_file: dict[str, list] = {}
    finding_paths: dict[str, set[str]] = {}  # product id -> files with a load finding about it
    for f in mesh.findings:
        path = f.location.path
        if path in ("govern.yaml", "org.yaml", "waivers.yaml"):
            continue  # read afresh by every run
        if f.rule == INPUT_SYMLINK_SKIPPED:
            head.append(finding_row(f))
        elif path and (path in manifests or f.rule == MANIFEST_INVALID or path.rsplit("/", 1)[-1] in MANIFEST_NAMES):
            per_file.setdefault(path, []).append(finding_row(f))
            manifests.add(path)
            if f.product:
                finding_paths.setdefault(f.product, set()).add(path)
        else:
            return False  # a finding the index cannot attribute: do not guess
    if any(name == "dbt_project.yml" for _, _, names in os.walk(root) for name in names):
        return False  # a dbt project: its manifest is an input, and the root may move
    sql_paths = sorted({path for f in facts for path in f.code})
    present, missing = [], []
    for path in sql_paths:
        full = os.path.join(root, path)
        if not os.path.isfile(full):
            missing.append(path)
            continue
        present.append(path)
        try:
            with open(full, "rb") as fh:
                if is_template(fh.read().decode("utf-8-sig")):
                    return False
        except (OSError, UnicodeDecodeError):
            pass
    disk = Disk.record(root, sorted(manifests), present, missing, started_ns)
    if disk is None:
        return False
    table = MeshFacts.of(facts)
    lookups = build_lookups(facts)
    cycles = components(table.facts, lambda r: successors(table, r))
    locations = sorted({loc for f in facts for loc in f.locations if loc})
    known = _known_dialects(mesh)
    import json

    from govern.analysis.tablenames import location_key

    index = Index(
        root=str(root),
        started_ns=started_ns,
        ref_paths=sorted(p.text for p in recording.ref_paths),
        disk=disk,
        rows={encode_ref(f.ref): encode(f.to_row()) for f in facts},
        lookups={**{name: Lookup.of({k: [encode_ref(r) for r in v] for k, v in lookups[name].items()})
                    for name in LOOKUPS},
                 "findings": Lookup.of({pid: sorted(paths) for pid, paths in finding_paths.items()})},
        cycles=Lookup.of({encode_ref(r): [encode_ref(m) for m in members] for r, members in cycles.items()}),
        ids="\n".join(sorted(mesh.product_ids())),
        dialects=sorted(mesh.dialects_in_use(), key=lambda d: d or ""),
        team_domains={t: sorted(d) for t, d in sorted(mesh.team_domains().items())},
        domains=sorted({p.model.domain for p in mesh.products if p.model.domain}),
        head_findings=head,
        file_findings=_EntryLookup(per_file),
        scans=_EntryLookup(analysis.scans if analysis is not None else {}),
        location_keys={d: Lookup({loc: json.dumps(location_key(loc, d)) for loc in locations}) for d in known},
        known_dialects=known,
    )
    return _store(root, index)


class _EntryLookup(Lookup):
    """A Lookup being written whose values are entries of the body: key -> hex of the entry's reference."""

    __slots__ = ("values",)

    def __init__(self, values: dict[str, Any]) -> None:
        super().__init__()
        self.values = values

    def to_data(self, writer: Any) -> tuple:
        parts: dict[int, dict[str, str]] = {}
        buckets = buckets_for(len(self.values))
        for key, value in sorted(self.values.items()):
            parts.setdefault(_bucket(key, buckets), {})[key] = writer.add(encode(value)).hex()
        return (len(self.values), [writer.add(encode(parts.get(b, {}))) for b in range(buckets)])


def _known_dialects(mesh: Any) -> list:
    """The dialects in use that sqlglot knows, sorted (only when some product has SQL: sqlglot is imported)."""
    from govern.analysis import has_sql

    if not any(has_sql(p) for p in mesh.products):
        return []
    from sqlglot.dialects.dialect import Dialect

    known = []
    for name in sorted(mesh.dialects_in_use(), key=lambda d: d or ""):
        try:
            Dialect.get_or_raise(name)
        except ValueError:
            continue
        known.append(name)
    return known


def record_full_run(recording: Recording, started_ns: int) -> None:
    """``record``, never failing the run (the index is an optimisation)."""
    if not enabled():
        return
    from govern.incremental.sealed import no_collection

    # summarising allocates much and frees little: collecting the whole mesh's heap costs ~1 s
    with no_collection(), contextlib.suppress(Exception):
        record(recording, started_ns)


def record_meanwhile(recording: Recording, started_ns: int) -> Callable[[], None]:
    """Start writing the index of a whole-mesh run; returns the function that waits until it is written.

    The index does not depend on the rules' findings, so on a machine with a second core a forked child
    writes it while this process evaluates the rules. Without ``fork``, with one core, or with threads
    running (forking them is unsafe) it is written here and now.
    """
    import threading

    if not enabled():
        return _nothing
    if not hasattr(os, "fork") or (os.cpu_count() or 1) < 2 or threading.active_count() > 1:
        record_full_run(recording, started_ns)
        return _nothing
    try:
        pid = os.fork()
    except OSError:
        record_full_run(recording, started_ns)
        return _nothing
    if pid == 0:  # the child: write, then leave without running the parent's exit handlers or flushing its output
        code = 1
        try:
            record_full_run(recording, started_ns)
            code = 0
        finally:
            os._exit(code)

    def wait() -> None:
        with contextlib.suppress(ChildProcessError, InterruptedError):
            os.waitpid(pid, 0)

    return wait


def _nothing() -> None:
    return None


# --- the facts of now: the index with the changed products laid over it -------------------------------


class IndexedFacts(Facts):
    """``Facts`` (govern/incremental/facts.py) answered from the index, with the facts of the products at
    ``changed`` paths replaced by ``fresh`` ones (what the files say now). Without ``changed``: the facts
    as they were when the index was written."""

    def __init__(self, index: Index, fresh: dict[str, list[ProductFacts]] | None = None) -> None:
        self.index = index
        self.fresh = fresh or {}
        self._rows: dict[Ref, ProductFacts | None] = {}
        self._overlay = build_lookups([f for facts in self.fresh.values() for f in facts])
        self._ids: frozenset[str] | None = None
        self._edges_moved: bool | None = None

    def _changed(self, ref: Ref) -> bool:
        return ref[0] in self.fresh

    def get(self, ref: Ref) -> ProductFacts | None:
        if self._changed(ref):
            return next((f for f in self.fresh[ref[0]] if f.ref == ref), None)
        if ref not in self._rows:
            self._rows[ref] = self.index.facts(ref)
        return self._rows[ref]

    def _find(self, name: str, key: str) -> list[Ref]:
        out = [r for r in map(decode_ref, self.index.lookups[name].get(key)) if not self._changed(r)]
        out.extend(self._overlay[name].get(key, ()))
        return sorted(set(out))

    def ids(self) -> frozenset[str]:
        if self._ids is None:
            ids = set(self.index.ids.split("\n")) if self.index.ids else set()
            for path in self.fresh:
                for ref in map(decode_ref, self.index.lookups["path"].get(path)):
                    if not self.with_id(ref[1]):
                        ids.discard(ref[1])
            ids.update(f.id for facts in self.fresh.values() for f in facts)
            self._ids = frozenset(ids)
        return self._ids

    def reference_values(self) -> Iterable[str]:
        values = {v for v in self.index.lookups["refs"].all_keys() if self.referencing(v)}
        values.update(self._overlay["refs"])
        return sorted(values)

    def cycle_members(self, ref: Ref) -> set[Ref]:
        if not self._moved():
            return {decode_ref(r) for r in self.index.cycles.get(encode_ref(ref))}
        return members_by_search(self, ref)

    def _moved(self) -> bool:
        """True when a changed product's edges (id, declared inputs, tables it names or owns) differ from
        what the index recorded: then cycles are searched, not looked up."""
        if self._edges_moved is None:
            self._edges_moved = False
            for path, facts in self.fresh.items():
                old = sorted(_edge_facts(self.index.facts(decode_ref(r)))
                             for r in self.index.lookups["path"].get(path))
                if old != sorted(_edge_facts(f) for f in facts):
                    self._edges_moved = True
                    break
        return self._edges_moved


def _edge_facts(facts: ProductFacts | None) -> tuple:
    if facts is None:
        return ()
    return (facts.id, facts.inputs, facts.reads, facts.owns)
