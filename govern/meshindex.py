"""The mesh index: a persistent cache that lets changed-files mode (pre-commit) skip the unchanged mesh.

A full run over the whole mesh writes ``.govern-cache/mesh-index.json`` under the mesh root (JSON, never
pickle: the cache directory is not trusted to hold code). It records

- for every manifest, SQL file and other candidate input file: size, ``mtime_ns`` and sha256;
- for every directory walked: its ``mtime_ns`` and the names it holds;
- per product a summary: id, id key, state, domain, owner team, declared inputs, the product ids its
  manifest names anywhere, output-port locations, SQL files, the products its SQL reads and every product
  owning a table its SQL names;
- the load findings of every file, the normalised table names of port locations, and the lineage cycles.

``govern check FILE...`` then calls ``check_changed``. It validates the index against the disk (a stat of
every file; a file whose size or mtime changed is re-hashed, and only a different hash counts as a
change), and evaluates a *sub-mesh*: the products the change affects (``govern.changes.affected``) plus
every product their findings can depend on:

- their declared inputs and every product their manifests name (reference rules, ``replacedBy``);
- every owner of a table their SQL names (so a table resolves, or stays ambiguous, as in the whole mesh);
- the products that share their id key (``namespace.unique-id``, tombstoned ids);
- the members of a lineage cycle through them (``lineage.cycle``), and the owners of what their SQL reads;
- the products waivers name; without org.yaml, one product per domain of each owning team (Cedar).

The SQL of the affected products and of the cycle members is analysed; nothing else is parsed. The index
is only used when it can vouch for the answer: any change to govern.yaml, to a directory listing, to
the id, inputs, port locations or SQL files of a manifest, a SQL change outside the affected products, a
dbt template, another input format or ``--base`` falls back to the normal path, which loads the whole
mesh. ``GOVERN_CACHE=0`` disables the index. Whatever path runs, the findings are the same (tested in
tests/unit/test_meshindex.py).

A file is trusted by its stat only when it was last modified at least ``MARGIN_NS`` before the run that
indexed it started, so a file changed while a run reads it is never recorded with stale content.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govern.findings import Finding, Location, Severity

if TYPE_CHECKING:
    from govern.ci import Arguments
    from govern.engine import Result
    from govern.loader import Mesh
    from govern.model import Product

FORMAT = 1
CACHE_DIR = ".govern-cache"
INDEX_NAME = "mesh-index.bin"
MARGIN_NS = 1_000_000_000  # files modified this close to the start of a run are not trusted by stat
_CANDIDATE_SUFFIXES = (".yaml", ".yml", ".json", ".ndjson", ".jsonl")


LAST: dict[str, Any] = {"reason": None}  # why the last check_changed declined (None: it answered)


def _why(reason: str) -> None:
    LAST["reason"] = reason
    return None


def _decline(reason: str) -> None:
    """Record why the index cannot answer (GOVERN_CACHE_DEBUG=1 prints it) and return None."""
    LAST["reason"] = reason
    if os.environ.get("GOVERN_CACHE_DEBUG"):
        import sys

        print(f"govern: mesh index not used: {reason}", file=sys.stderr)
    return None


def enabled() -> bool:
    """The index is on unless GOVERN_CACHE is 0, false, no or off."""
    return os.environ.get("GOVERN_CACHE", "1").strip().lower() not in ("0", "false", "no", "off")


def index_path(root: Path) -> Path:
    return root / CACHE_DIR / INDEX_NAME


def _environment() -> dict[str, str]:
    import sys

    from govern import __version__

    return {"govern": __version__, "python": sys.version.split()[0], "format": str(FORMAT)}


# --- serialisation of findings --------------------------------------------------------------------


def _finding_out(f: Finding) -> list:
    loc = f.location
    return [f.rule, f.standard, int(f.severity), f.message, f.product, loc.path, loc.line, loc.column, loc.pointer,
            f.engine, f.mode, f.help]


def _finding_in(row: list) -> Finding:
    rule, standard, severity, message, product, path, line, column, pointer, engine, mode, help_ = row
    return Finding(rule, standard, Severity(severity), message, product, Location(path, line, column, pointer),
                   engine=engine, mode=mode, help=help_)


# --- what the index holds ----------------------------------------------------------------------------

_RECORD_FIELDS = ("id", "path", "key", "state", "domain", "team", "inputs", "names", "code", "raw_code", "ports",
                  "dialect", "has_sql", "sql_files", "sql_producers", "sql_owners")


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
    code: list[str]  # mesh-relative SQL paths (as govern.changes.sql_index maps them)
    raw_code: list[str]  # execution.code as written
    ports: list  # [name, location]
    dialect: str | None
    has_sql: bool
    sql_files: list[str]  # the SQL files read by the analysis (mesh-relative)
    sql_producers: list[str]  # products its SQL reads (resolved lineage edges)
    sql_owners: list[str]  # every product owning a table its SQL names (also ambiguous ones)

    def shape(self) -> list:
        """What the whole-mesh parts of the index depend on; a change here needs a full run."""
        return [self.id, self.key, list(self.inputs), [list(p) for p in self.ports], list(self.code),
                list(self.raw_code), self.dialect, self.has_sql, self.team, self.domain]

    def to_row(self) -> tuple:
        return tuple(getattr(self, f) for f in _RECORD_FIELDS)


@dataclass
class Index:
    """The index as stored: plain JSON data; records are JSON text of their own, decoded on demand."""

    root: str
    started_ns: int
    config: tuple | None  # stamp of govern.yaml
    manifests: dict[str, tuple | None]  # path -> (size, mtime_ns, sha); None: not trusted
    sqls: dict[str, tuple | None]
    others: dict[str, tuple | None]  # candidate input files of other formats (none imported)
    missing_sql: list[str]  # SQL paths products name that did not exist
    dirs: dict[str, tuple]  # relpath -> (mtime_ns or None, entry names joined by newlines)
    rows: dict[str, str]  # product id -> Record row as JSON text (only a few are ever decoded)
    by_path: dict[str, list[str]]  # manifest path -> ids
    sql_map: dict[str, list[str]]  # govern.changes.sql_index of the mesh
    consumers: dict[str, list[str]]  # producer -> consumers (declared inputs)
    by_file: dict[str, list[str]]  # SQL path -> products naming or reading it
    by_key: dict[str, list[str]]  # id key -> ids
    team_domains: dict[str, dict]  # team -> domain -> first product (Cedar entities without org.yaml)
    head_findings: list  # outside-root links found while discovering (after org and waivers)
    file_findings: dict[str, list]  # manifest path -> its load findings
    catalog: dict[str, str]  # dialect -> JSON text of [(table key, product, port, location)]
    cycles: list[list[str]]  # strongly connected components with a cycle

    def record(self, pid: str) -> Record:
        return Record(*json.loads(self.rows[pid]))


def _key_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "govern" / "index.key"


def _secret(create: bool) -> bytes | None:
    """This user's key for authenticating indexes: an index written elsewhere (committed into a repository,
    planted by a pull request) is never trusted, because it could claim a mesh is clean."""
    path = _key_file()
    try:
        return path.read_bytes()
    except OSError:
        if not create:
            return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(os.urandom(32))
        return path.read_bytes()
    except FileExistsError:
        return path.read_bytes()
    except OSError:
        return None


_MAGIC = b"govern-mesh-index\n"


def _seal(payload: bytes, key: bytes) -> bytes:
    """Header, keyed BLAKE2b MAC of header and payload, payload."""
    header = _MAGIC + json.dumps(_environment(), sort_keys=True).encode() + b"\n"
    return header + hashlib.blake2b(header + payload, key=key, digest_size=32).digest() + payload


def load_index(root: Path) -> Index | None:
    """The index of the mesh at ``root``, or None when absent, forged, corrupt or from another version."""
    import gc
    import hmac

    key = _secret(create=False)
    if key is None:
        return None
    try:
        blob = index_path(root).read_bytes()
    except OSError:
        return None
    header = _MAGIC + json.dumps(_environment(), sort_keys=True).encode() + b"\n"
    if not blob.startswith(header) or len(blob) < len(header) + 32:
        return None
    mac, payload = blob[len(header):len(header) + 32], blob[len(header) + 32:]
    if not hmac.compare_digest(mac, hashlib.blake2b(header + payload, key=key, digest_size=32).digest()):
        return None
    enabled_gc = gc.isenabled()
    gc.disable()  # decoding allocates many containers: no collections meanwhile
    try:
        data = json.loads(payload)  # authenticated above: written by this user's govern
        index = Index(**data)
    except (ValueError, EOFError, TypeError):
        return None
    finally:
        if enabled_gc:
            gc.enable()
    return index if index.root == str(root) else None


def _store(root: Path, index: Index) -> bool:
    key = _secret(create=True)
    if key is None:
        return False
    target = index_path(root)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(_seal(json.dumps(dict(index.__dict__), separators=(",", ":")).encode(), key))
        os.replace(tmp, target)
    except (OSError, ValueError):
        return False
    return True


# --- stamps ------------------------------------------------------------------------------------------


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _stamp(path: str, started_ns: int) -> tuple | None:
    """(size, mtime_ns, sha) of a file last modified well before ``started_ns``; None otherwise."""
    try:
        st = os.stat(path)
        if st.st_mtime_ns >= started_ns - MARGIN_NS:
            return None
        with open(path, "rb") as fh:
            data = fh.read()
        if os.stat(path).st_mtime_ns != st.st_mtime_ns:
            return None
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, _sha(data))


def _unchanged(path: str, stamp: tuple | None) -> bool:
    """True when the file holds what the stamp recorded (stat first; the hash when the stat differs)."""
    if stamp is None:
        return False
    try:
        st = os.stat(path)
        if st.st_mtime_ns == stamp[1] and st.st_size == stamp[0]:
            return True
        if st.st_size != stamp[0]:
            return False
        with open(path, "rb") as fh:
            return _sha(fh.read()) == stamp[2]
    except OSError:
        return False


def _listing(path: str) -> tuple[str, ...]:
    """The entries of a directory the loader can read, as ``name`` or ``name/`` (directories), sorted.

    Hidden entries (``.govern-cache``, ``.git``) and skipped directories (``node_modules``) are left out:
    neither the loader nor the importers ever read them.
    """
    from govern.loader import SKIP_DIRS

    out = []
    with os.scandir(path) as it:
        for entry in it:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                if entry.name not in SKIP_DIRS:
                    out.append(entry.name + "/")
            else:
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
    from govern.loader import SKIP_DIRS

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
            sql_edges: dict[str, set[str]]) -> Record:
    from govern.analysis.run import has_sql
    from govern.checks.unique_id import id_key

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
    )


def record(mesh: Mesh, result: Result, started_ns: int) -> bool:
    """Write the index of ``mesh`` after a full run that started at ``started_ns``; False when it cannot.

    Meshes with inputs of other formats, runtime lineage, dbt templates or duplicate ids are not indexed
    (changed-files mode then always loads the whole mesh).
    """
    from govern.analysis.dbt import is_template
    from govern.changes import consumers_index, sql_index
    from govern.findings import MANIFEST_INVALID
    from govern.importers import _NOT_INPUTS
    from govern.loader import MANIFEST_NAMES
    from govern.paths import INPUT_SYMLINK_SKIPPED

    root = mesh.root.resolve()
    if mesh.observed_edges or any(p.origin != "native" or p.sql for p in mesh.products):
        return False
    if len(mesh.by_id) != len(mesh.products):
        return False
    analysis = getattr(result, "analysis", None)
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
    for edge in result.edges:
        if edge.kind == "sql":
            sql_edges.setdefault(edge.consumer, set()).add(edge.producer)
    all_ids = set(mesh.by_id)
    records = [_record(p, all_ids, sorted(code_of.get(p.id, [])), analysis, sql_edges) for p in mesh.products]
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
    dir_stamps: dict[str, tuple] = {}
    for rel, path in dirs.items():
        try:
            mtime = os.stat(path).st_mtime_ns
            dir_stamps[rel] = (mtime if mtime < started_ns - MARGIN_NS else None, "\n".join(_listing(path)))
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
        config=config_stamp,
        manifests={p: _stamp(os.path.join(root, p), started_ns) for p in sorted(manifests)},
        sqls=sqls,
        others={p: _stamp(os.path.join(root, p), started_ns) for p in sorted(others)},
        missing_sql=missing,
        dirs=dir_stamps,
        rows={r.id: json.dumps(r.to_row(), separators=(",", ":")) for r in records},
        by_path=by_path,
        sql_map={k: list(v) for k, v in sql_map.items()},
        consumers={k: sorted(v) for k, v in consumers_index(mesh).items()},
        by_file={k: sorted(v) for k, v in by_file.items()},
        by_key=by_key,
        team_domains=team_domains,
        head_findings=head,
        file_findings=per_file,
        catalog={d: json.dumps(rows, separators=(",", ":")) for d, rows in _catalog_rows(mesh, records).items()},
        cycles=cycles_of({r.id: r for r in records}),
    )
    return _store(root, index)


def _catalog_rows(mesh: Mesh, records: list[Record]) -> dict[str, list]:
    """Per dialect the mesh's SQL uses: (normalised table key, product, port, location) of every port.

    ``location_key`` is memoised: the analysis of the same run already computed every key.
    """
    from govern.analysis.catalog import location_key

    default = mesh.config.dialect
    dialects = sorted({r.dialect or default for r in records if r.has_sql}, key=str)
    out: dict[str, list] = {}
    for dialect in dialects:
        rows = []
        for r in records:
            for port, location in r.ports:
                key = location_key(location, dialect) if location else None
                if key is not None:
                    rows.append((tuple(key), r.id, port, location))
        out[str(dialect)] = rows
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
    """Just enough of a Product for govern.changes.affected and govern.ci.plan."""

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

    def record(self, pid: str) -> Record:
        rec = self.records.get(pid)
        if rec is None:
            rec = self.records[pid] = self.index.record(pid)
        return rec


def _validate(root: str, index: Index) -> _State | None:
    """Compare the index with the disk; None when a change needs the whole mesh."""
    prefix = root.rstrip("/") + "/"
    config = prefix + "govern.yaml"
    if not _unchanged(config, index.config) if index.config else os.path.exists(config):
        return _why("govern.yaml changed")
    stat = os.stat
    for rel, (mtime, names) in index.dirs.items():
        path = prefix + rel if rel else root
        try:
            if mtime is not None and stat(path).st_mtime_ns == mtime:
                continue
            if "\n".join(_listing(path)) != names:
                return _why(f"files were added or removed in {rel or '.'}")
        except OSError:
            return _why(f"{rel or '.'} cannot be read")
    for rel, stamp in index.others.items():
        if not _unchanged(prefix + rel, stamp):
            return _why(f"{rel} (a possible input of another format) changed")
    for rel in index.missing_sql:
        if os.path.exists(prefix + rel):
            return _why(f"{rel} appeared")
    state = _State(index)
    for table, out in ((index.manifests, state.changed_manifests), (index.sqls, state.changed_sqls)):
        for rel, stamp in table.items():
            if stamp is None:
                out.append(rel)
                continue
            try:
                st = stat(prefix + rel)
                if st.st_mtime_ns == stamp[1] and st.st_size == stamp[0]:
                    continue
            except OSError:
                return _why(f"{rel} cannot be read")
            if not _unchanged(prefix + rel, stamp):
                out.append(rel)
    return state


def _refresh_manifests(root: Path, state: _State, has_org: bool) -> bool:
    """Re-read changed manifests; False when one changed in a way the whole-mesh parts depend on."""
    from govern.loader import load_manifest_file

    index = state.index
    for rel in state.changed_manifests:
        product, findings = load_manifest_file(root / rel, root)
        ids = index.by_path.get(rel, [])
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
    from govern.changes import sql_index
    from govern.checks.unique_id import id_key

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
    )


def _rescan(root: Path, config: Any, state: _State, pids: set[str]) -> bool | None:
    """Re-derive what the changed SQL of ``pids`` reads; True when a product's SQL lineage changed.

    None when the index cannot vouch for the answer (a template, a link, an unknown dialect).
    """
    from govern.analysis.catalog import Catalog, PortInfo
    from govern.analysis.dbt import is_template
    from govern.analysis.sqlscan import Limits, scan_sql

    limits = Limits(max_nodes=config.sql.maxNodes, timeout=config.sql.timeoutSeconds)
    catalogs: dict[str, Catalog] = {}
    changed = False
    for pid in sorted(pids):
        rec = state.record(pid)
        dialect = rec.dialect or config.dialect
        blob = state.index.catalog.get(str(dialect))
        if blob is None:
            return None
        catalog = catalogs.get(str(dialect))
        if catalog is None:
            catalog = catalogs[str(dialect)] = Catalog(dialect)
            for key, product, port, location in json.loads(blob):
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


def check_changed(args: Arguments, root: Path, version: str | None = None, today: Any = None,
                  pack_root: str | Path | None = None) -> Result | None:
    """Changed-files mode from the index; None when the whole mesh must be loaded instead."""
    from govern.api import _check_config_version, pack_for
    from govern.ci import plan
    from govern.engine import evaluate
    from govern.errors import InputError
    from govern.loader import Mesh, _load_org, _load_waivers, load_config, load_manifest_file

    root = root.resolve()
    LAST["reason"] = None
    index = load_index(root)
    if index is None:
        return _decline("no usable index")
    state = _validate(str(root), index)
    if state is None:
        return _decline(LAST["reason"] or "the mesh changed")
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
    for path in sorted(index.manifests):
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
    pack = pack_for(mesh, pack_root)
    _check_config_version(mesh, pack, version)
    analysis = None
    if index.by_file:  # some product of the mesh has SQL: the full run analyses, so does this one
        from govern.analysis import analyse

        analysis = analyse(mesh, products=sorted(closure.analysed))
    LAST.update(reason=None, products=len(mesh.products), analysed=len(closure.analysed))
    return evaluate(mesh, pack, version=version, today=today, focus=focus, focus_paths=changed,
                    extra_edges=analysis.edges if analysis else (), analysis=analysis)


def _relevant(root: Path, state: _State, args: Arguments) -> list[Record]:
    """The products ``affected`` can touch for these changes: at the changed paths, owning changed SQL,
    named by load findings of changed paths, their consumers, and products under given directories."""
    from govern.changes import _norm, relative_to, under

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
    for pid in analysed:
        closure.update(rec(pid).sql_owners)
        closure.update(rec(pid).sql_producers)
    closure.update(w.waiver.product for w in mesh.waivers if w.waiver.product in index.rows)
    if mesh.org is None:  # a team belongs to the domains of the products it owns (Cedar entities)
        for pid in focus:
            closure.update(index.team_domains.get(rec(pid).team or "", {}).values())
    return _Closure(closure, analysed)


def record_full_run(paths: Iterable[str | Path], mesh: Mesh, result: Result, started_ns: int) -> None:
    """Write the index after a run that loaded the whole mesh (never fails the run)."""
    if not enabled():
        return
    root = mesh.root.resolve()
    if any(Path(p).resolve() != root for p in paths):
        return
    try:
        record(mesh, result, started_ns)
    except Exception:  # the cache is an optimisation: a failure to write it must not fail a check
        return
