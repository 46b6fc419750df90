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
import stat
import time
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
INDEX_NAME = "mesh-index.json"
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
    ports: list[list]  # [name, location]
    dialect: str | None
    has_sql: bool
    sql_files: list[str]  # the SQL files read by the analysis (mesh-relative)
    sql_producers: list[str]  # products its SQL reads (resolved lineage edges)
    sql_owners: list[str]  # every product owning a table its SQL names (also ambiguous ones)

    def shape(self) -> list:
        """What the whole-mesh parts of the index depend on; a change here needs a full run."""
        return [self.id, self.key, self.inputs, self.ports, self.code, self.dialect, self.has_sql]

    @classmethod
    def from_json(cls, data: dict) -> Record:
        return cls(**data)


@dataclass
class Index:
    root: str
    started_ns: int
    env: dict[str, str]
    config: list | None  # stamp of govern.yaml
    manifests: dict[str, list | None]  # path -> [size, mtime_ns, sha] (None: not trusted)
    sqls: dict[str, list | None]
    others: dict[str, list | None]  # candidate input files of other formats (none imported)
    missing_sql: list[str]  # SQL paths products name that did not exist
    dirs: dict[str, list]  # relpath -> [mtime_ns or None, sorted entry names]
    records: list[Record]
    head_findings: list[list]  # outside-root links found while discovering (after org and waivers)
    file_findings: dict[str, list[list]]  # manifest path -> its load findings
    keys: dict[str, dict[str, list | None]]  # dialect -> port location -> normalised table key
    cycles: list[list[str]]  # strongly connected components with a cycle

    def to_json(self) -> dict:
        out = dict(self.__dict__)
        out["records"] = [r.__dict__ for r in self.records]
        return out

    @classmethod
    def from_json(cls, data: dict) -> Index:
        data = dict(data)
        data["records"] = [Record.from_json(r) for r in data["records"]]
        return cls(**data)


def load_index(root: Path) -> Index | None:
    """The index of the mesh at ``root``, or None when absent, unreadable or from another version."""
    try:
        data = json.loads(index_path(root).read_bytes())
        index = Index.from_json(data)
    except (OSError, ValueError, TypeError, KeyError):
        return None
    if index.env != _environment() or index.root != str(root):
        return None
    return index


# --- stamps ------------------------------------------------------------------------------------------


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _stamp(path: Path, started_ns: int) -> list | None:
    """[size, mtime_ns, sha] of a file last modified well before ``started_ns``; None otherwise."""
    try:
        st = os.stat(path)
        if st.st_mtime_ns >= started_ns - MARGIN_NS or not stat.S_ISREG(st.st_mode):  # FIFO: never read
            return None
        data = path.read_bytes()
        if os.stat(path).st_mtime_ns != st.st_mtime_ns:
            return None
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, _sha(data)]


def _unchanged(path: Path, stamp: list | None) -> bool:
    """True when the file holds what the stamp recorded (stat first; the hash when the stat differs)."""
    if stamp is None:
        return False
    try:
        st = os.stat(path)
        if st.st_size == stamp[0] and st.st_mtime_ns == stamp[1]:
            return True
        if st.st_size != stamp[0]:
            return False
        return _sha(path.read_bytes()) == stamp[2]
    except OSError:
        return False


def _listing(path: Path) -> list[str]:
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
    return sorted(out)


# --- building the index after a full run ---------------------------------------------------------------


def _strings(node: Any, out: set[str]) -> None:
    if isinstance(node, str):
        out.add(node)
    elif isinstance(node, dict):
        for value in node.values():
            _strings(value, out)
    elif isinstance(node, list):
        for value in node:
            _strings(value, out)


def _walk(root: Path, exclude_dirs: Iterable[str]) -> tuple[dict[str, Path], list[str]]:
    """Directories the loader walks (relpath -> path) and candidate files of other input formats."""
    from govern.loader import SKIP_DIRS

    skip = set(SKIP_DIRS) | set(exclude_dirs)
    dirs: dict[str, Path] = {}
    candidates: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in skip and not d.startswith("."))
        here = Path(dirpath)
        rel = here.relative_to(root).as_posix()
        dirs["" if rel == "." else rel] = here
        for name in filenames:
            if name.startswith(".") or not name.lower().endswith(_CANDIDATE_SUFFIXES):
                continue
            candidates.append(f"{'' if rel == '.' else rel + '/'}{name}")
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
        work = [(start, iter(succ.get(start, ())))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
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


def _graph(records: Iterable[Record]) -> dict[str, list[str]]:
    """Consumer -> producers (declared and SQL), for products of the mesh only."""
    records = list(records)
    ids = {r.id for r in records}
    succ: dict[str, set[str]] = {}
    for r in records:
        for producer in (*r.inputs, *r.sql_producers):
            if producer in ids:
                succ.setdefault(r.id, set()).add(producer)
    return {k: sorted(v) for k, v in succ.items()}


def cycles_of(records: Iterable[Record]) -> list[list[str]]:
    records = list(records)
    return _tarjan(sorted(r.id for r in records), _graph(records))


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
        ports=[[p.name, p.location] for p in m.outputPorts],
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
    from govern.changes import sql_index
    from govern.findings import MANIFEST_INVALID
    from govern.paths import INPUT_SYMLINK_SKIPPED

    root = mesh.root.resolve()
    if mesh.observed_edges or any(p.origin != "native" or p.sql for p in mesh.products):
        return False
    if len(mesh.by_id) != len(mesh.products):
        return False
    analysis = getattr(result, "analysis", None)
    dirs, candidates = _walk(root, ())
    if any(Path(c).name == "dbt_project.yml" for c in candidates):
        return False
    manifests = {p.path for p in mesh.products}
    head: list[list] = []
    per_file: dict[str, list[list]] = {}
    for f in mesh.findings:
        path = f.location.path
        if path in ("govern.yaml", "org.yaml", "waivers.yaml"):
            continue  # re-read on every run
        if f.rule == INPUT_SYMLINK_SKIPPED:
            head.append(_finding_out(f))
        elif path and (path in manifests or f.rule == MANIFEST_INVALID or Path(path).name.startswith("dataproduct.")):
            per_file.setdefault(path, []).append(_finding_out(f))
            manifests.add(path)
        else:
            return False  # a finding the index cannot attribute: do not guess
    from govern.importers import _NOT_INPUTS
    from govern.loader import MANIFEST_NAMES

    others = [c for c in candidates if Path(c).name not in MANIFEST_NAMES and Path(c).name not in _NOT_INPUTS
              and c not in manifests]
    index_sql = sql_index(mesh)
    code_of: dict[str, list[str]] = {}
    for path, ids in index_sql.items():
        for pid in ids:
            code_of.setdefault(pid, []).append(path)
    sql_edges: dict[str, set[str]] = {}
    for edge in result.edges:
        if edge.kind == "sql":
            sql_edges.setdefault(edge.consumer, set()).add(edge.producer)
    all_ids = set(mesh.by_id)
    records = [_record(p, all_ids, sorted(code_of.get(p.id, [])), analysis, sql_edges) for p in mesh.products]
    sqls: dict[str, list | None] = {}
    missing: list[str] = []
    for path in sorted({*index_sql, *(f for r in records for f in r.sql_files)}):
        full = root / path
        if not full.is_file():
            missing.append(path)
            continue
        stamp = _stamp(full, started_ns)
        sqls[path] = stamp
        if stamp is not None:
            try:
                if is_template(full.read_text(encoding="utf-8-sig")):
                    return False
            except (OSError, UnicodeDecodeError):
                sqls[path] = None
    keys = _location_keys(mesh, records)
    dir_stamps: dict[str, list] = {}
    for rel, path in dirs.items():
        try:
            mtime = os.stat(path).st_mtime_ns
            dir_stamps[rel] = [mtime if mtime < started_ns - MARGIN_NS else None, _listing(path)]
        except OSError:
            return False
    config = root / "govern.yaml"
    index = Index(
        root=str(root),
        started_ns=started_ns,
        env=_environment(),
        config=_stamp(config, started_ns) if config.is_file() else None,
        manifests={p: _stamp(root / p, started_ns) for p in sorted(manifests)},
        sqls=sqls,
        others={p: _stamp(root / p, started_ns) for p in sorted(others)},
        missing_sql=missing,
        dirs=dir_stamps,
        records=records,
        head_findings=head,
        file_findings=per_file,
        keys=keys,
        cycles=cycles_of(records),
    )
    if config.is_file() and index.config is None:
        return False  # govern.yaml changed too recently to vouch for
    target = index_path(root)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(index.to_json(), separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, target)
    except OSError:
        return False
    return True


def _location_keys(mesh: Mesh, records: list[Record]) -> dict[str, dict[str, list | None]]:
    """Normalised table keys of every port location, per dialect the mesh's SQL uses (reusing the old index)."""
    from govern.analysis.catalog import location_key

    old = load_index(mesh.root.resolve())
    default = mesh.config.dialect
    dialects = sorted({r.dialect or default for r in records if r.has_sql}, key=str)
    out: dict[str, dict[str, list | None]] = {}
    for dialect in dialects:
        name = str(dialect)
        known = old.keys.get(name, {}) if old else {}
        table: dict[str, list | None] = {}
        for r in records:
            for _, location in r.ports:
                if location and location not in table:
                    if location in known:
                        table[location] = known[location]
                    else:
                        key = location_key(location, dialect)
                        table[location] = list(key) if key is not None else None
        out[name] = table
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
        self.execution = _Execution(record.raw_code)


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
        self.products = [_Summary(r) for r in records]
        self.by_id = {p.id: p for p in self.products}
        self.findings = findings


@dataclass
class _State:
    """The index brought up to date with the disk, or the reason it cannot be."""

    index: Index
    records: dict[str, Record] = field(default_factory=dict)  # product id -> record (current)
    changed_manifests: list[str] = field(default_factory=list)
    changed_sqls: list[str] = field(default_factory=list)
    fresh: dict[str, tuple[Any, list[Finding]]] = field(default_factory=dict)  # path -> (product, findings)


def _validate(root: Path, index: Index) -> _State | None:
    """Compare the index with the disk; None when a change needs the whole mesh."""
    if not _unchanged(root / "govern.yaml", index.config) if index.config else (root / "govern.yaml").exists():
        return _why("govern.yaml changed")
    for rel, (mtime, names) in index.dirs.items():
        path = root / rel if rel else root
        try:
            if mtime is not None and os.stat(path).st_mtime_ns == mtime:
                continue
            if _listing(path) != names:
                return _why(f"files were added or removed in {rel or '.'}")
        except OSError:
            return _why(f"{rel or '.'} cannot be read")
    for rel, stamp in index.others.items():
        if not _unchanged(root / rel, stamp):
            return _why(f"{rel} (a possible input of another format) changed")
    for rel in index.missing_sql:
        if (root / rel).exists():
            return _why(f"{rel} appeared")
    state = _State(index, {r.id: r for r in index.records})
    state.changed_manifests = [rel for rel, stamp in index.manifests.items() if not _unchanged(root / rel, stamp)]
    state.changed_sqls = [rel for rel, stamp in index.sqls.items() if not _unchanged(root / rel, stamp)]
    return state


def _refresh_manifests(root: Path, state: _State, mesh_config: Any) -> bool:
    """Re-read changed manifests; False when one changed in a way the whole-mesh parts depend on."""
    from govern.loader import load_manifest_file

    by_path = {r.path: r for r in state.index.records}
    for rel in state.changed_manifests:
        product, findings = load_manifest_file(root / rel, root)
        old = by_path.get(rel)
        if product is None or old is None:
            _why(f"{rel} no longer loads" if product is None else f"{rel} is a new manifest")
            return False
        state.fresh[rel] = (product, findings)
        new = _fresh_record(product, old, set(state.records))
        if new.shape() != old.shape():
            _why(f"{rel} changed its id, inputs, output ports or SQL files")
            return False
        state.records[new.id] = new
    return True


def _fresh_record(product: Product, old: Record, all_ids: set[str]) -> Record:
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
        names=sorted((names & all_ids) - {product.id}),
        code=sorted(sql_index(SimpleNamespace(products=[product]))),
        raw_code=list(m.execution.code) if m.execution else [],
        ports=[[p.name, p.location] for p in m.outputPorts],
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
        rec = state.records[pid]
        dialect = rec.dialect or config.dialect
        keys = state.index.keys.get(str(dialect))
        if keys is None:
            return None
        if str(dialect) not in catalogs:
            catalog = Catalog(dialect)
            for other in sorted(state.records.values(), key=lambda r: (r.path, r.id)):
                for name, location in other.ports:
                    key = keys.get(location) if location else None
                    if key is not None:
                        catalog.add(tuple(key), PortInfo(other.id, name, location, None))
            catalogs[str(dialect)] = catalog
        catalog = catalogs[str(dialect)]
        producers: set[str] = set()
        owners: set[str] = set()
        for rel in rec.code:
            path = root / rel
            if path.is_symlink() or not path.is_file():
                return None
            text = path.read_bytes().decode("utf-8-sig", errors="strict")
            if is_template(text):
                return None
            scan = scan_sql(text, dialect, limits)
            for ref in (*scan.reads, *scan.writes):
                found = sorted({i.product for i in catalog.resolve(ref.key)})
                owners.update(found)
                if len(found) == 1 and ref in scan.reads and found[0] != pid:
                    producers.add(found[0])
        new_producers = sorted(producers)
        changed = changed or new_producers != rec.sql_producers
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
    state = _validate(root, index)
    if state is None:
        return _decline(LAST["reason"] or "the mesh changed")
    config_findings: list[Finding] = []
    config = load_config(root, config_findings)
    try:
        if not _refresh_manifests(root, state, config):
            return _decline(LAST["reason"] or "a manifest changed its id, inputs, ports or SQL files")
    except InputError:
        return _decline("a changed manifest could not be read")
    mesh = Mesh(root=root, config=config, findings=config_findings)
    _load_org(mesh)
    _load_waivers(mesh)
    mesh.findings.extend(_finding_in(row) for row in index.head_findings)
    for path in sorted(index.manifests):
        if path in state.fresh:
            mesh.findings.extend(state.fresh[path][1])
        else:
            mesh.findings.extend(_finding_in(row) for row in index.file_findings.get(path, ()))
    records = sorted(state.records.values(), key=lambda r: (r.path, r.id))
    impact, changed = plan(_SummaryMesh(root, config, records, mesh.findings), args)
    if impact.everything:
        return _decline("the change affects every product")
    focus = set(impact.products)
    by_file: dict[str, set[str]] = {}
    for r in records:
        for path in (*r.code, *r.sql_files):
            by_file.setdefault(path, set()).add(r.id)
    sql_changed: set[str] = set()
    for rel in state.changed_sqls:
        owners = by_file.get(rel, set())
        if not owners or not owners <= focus:
            return _decline(f"{rel} changed outside the affected products")
        sql_changed |= owners
    cycles = index.cycles
    if sql_changed:
        moved = _rescan(root, config, state, sql_changed)
        if moved is None:
            return _decline("changed SQL the index cannot analyse alone")
        if moved:
            cycles = cycles_of(state.records.values())
    closure = _closure(state.records, records, focus, cycles, by_file, mesh)
    for pid in sorted(closure.products):
        path = state.records[pid].path
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
    if any(r.has_sql for r in records):
        from govern.analysis import analyse

        analysis = analyse(mesh, products=sorted(closure.analysed))
    LAST.update(reason=None, products=len(mesh.products), analysed=len(closure.analysed))
    return evaluate(mesh, pack, version=version, today=today, focus=focus, focus_paths=changed,
                    extra_edges=analysis.edges if analysis else (), analysis=analysis)


@dataclass
class _Closure:
    products: set[str]
    analysed: set[str]


def _closure(by_id: dict[str, Record], records: list[Record], focus: set[str], cycles: list[list[str]],
             by_file: dict[str, set[str]], mesh: Mesh) -> _Closure:
    """The affected products and every product their findings can depend on (see the module docstring)."""
    member_of: dict[str, list[str]] = {m: c for c in cycles for m in c}
    analysed = {pid for pid in focus if by_id[pid].has_sql}
    for pid in focus:
        analysed.update(m for m in member_of.get(pid, ()) if by_id[m].has_sql)
    todo = list(analysed)
    while todo:  # products sharing a SQL file are analysed together (one scan, the lowest floor)
        pid = todo.pop()
        for path in (*by_id[pid].code, *by_id[pid].sql_files):
            for other in by_file.get(path, ()):
                if other not in analysed and by_id[other].has_sql:
                    analysed.add(other)
                    todo.append(other)
    closure = set(focus) | analysed
    for pid in focus:
        closure.update(p for p in by_id[pid].inputs if p in by_id)
        closure.update(by_id[pid].names)
        closure.update(member_of.get(pid, ()))
    for pid in analysed:
        closure.update(by_id[pid].sql_owners)
        closure.update(by_id[pid].sql_producers)
    keys = {by_id[pid].key for pid in focus}
    closure.update(r.id for r in records if r.key in keys)
    closure.update(w.waiver.product for w in mesh.waivers if w.waiver.product in by_id)
    if mesh.org is None:  # a team belongs to the domains of the products it owns (Cedar entities)
        teams = {by_id[pid].team for pid in focus if by_id[pid].team}
        seen: set[tuple[str, str | None]] = set()
        for r in records:
            if r.team in teams and (r.team, r.domain) not in seen:
                seen.add((r.team, r.domain))
                closure.add(r.id)
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


def now_ns() -> int:
    return time.time_ns()
