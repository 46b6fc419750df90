"""Facts: what questions across the mesh need to know of one product, derived from its files.

A product's facts are a pure function of its manifest (and of the SQL files it is built by), of the
mesh's dialects and of the paths the standards read product references at. Changed-files mode needs
them for every product, but reads only the few manifests that changed: the facts of the others come
from the mesh index, which recorded them when their files had the content they have now.

``Facts`` is what the closure (govern/incremental/closure.py) asks: each question is a lookup, answered
here from products in memory (``MeshFacts``) and by the mesh index from its stored lookups with the
changed products laid over them (govern/incremental/index.py).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from govern.model.confusables import id_key

if TYPE_CHECKING:
    from govern.model.mesh import Mesh
    from govern.model.product import Product

TableKey = tuple[str, ...]
Ref = tuple[str, str]  # (manifest path, product id): one product of the mesh, duplicates included


@dataclass(frozen=True, slots=True)
class ProductFacts:
    """The facts of one product (see the module docstring)."""

    id: str
    path: str  # the manifest (or imported input) it is read from
    key: str  # id key: case, Unicode forms and look-alikes folded (namespace.unique-id)
    state: str | None
    domain: str | None
    team: str | None
    inputs: tuple[str, ...]  # declared input product ids
    refs: tuple[str, ...]  # every value at a product-reference field: inputs, replacedBy, the pack's
    code: tuple[str, ...]  # the SQL files it is built by, mesh-relative
    locations: tuple[str, ...]  # output locations as written, stripped ('' for none)
    dialect: str | None  # the dialect its SQL is read in
    has_sql: bool
    claims: tuple[str, ...]  # tokens of its output addresses, per dialect in use (namespace.unique-address)
    owns: tuple[str, ...]  # tokens its output table names match SQL by (analysis/catalog.py resolution)
    reads: tuple[str, ...]  # tokens of the tables its SQL reads or writes

    @property
    def ref(self) -> Ref:
        return (self.path, self.id)

    def to_row(self) -> tuple:
        return (self.id, self.path, self.key, self.state, self.domain, self.team, self.inputs, self.refs, self.code,
                self.locations, self.dialect, self.has_sql, self.claims, self.owns, self.reads)

    @classmethod
    def from_row(cls, row: Iterable[Any]) -> ProductFacts:
        (pid, path, key, state, domain, team, inputs, refs, code, locations, dialect, has_sql, claims, owns,
         reads) = row
        return cls(pid, path, key, state, domain, team, tuple(inputs), tuple(refs), tuple(code), tuple(locations),
                   dialect, has_sql, tuple(claims), tuple(owns), tuple(reads))


# --- tokens: how table names and addresses are compared ----------------------------------------------

_SEP = "\x1f"


def table_token(dialect: str | None, key: TableKey) -> str:
    return (dialect or "") + _SEP + "\x1e".join(key)


def match_tokens(dialect: str | None, key: TableKey) -> list[str]:
    """The key and its trailing parts of two or more: a table name and a location that share one of these
    may refer to each other (analysis/catalog.py ``Catalog.resolve`` matches exactly, by a location's
    suffix, or by the name's suffix; sharing a token is the superset of all three)."""
    out = [table_token(dialect, key)]
    out.extend(table_token(dialect, key[start:]) for start in range(1, len(key) - 1))
    return out


def raw_claim(location: str) -> str:
    """The claim token of a location that is no table name (a path, a topic): compared as written."""
    return _SEP + _SEP + location


# --- facts of a loaded product -----------------------------------------------------------------------


def code_paths(product: Product) -> list[str]:
    """The mesh-relative SQL files a product is built by: SQL an importer carried, and ``execution.code``
    relative to the manifest (``..`` resolved without touching the file system)."""
    out: set[str] = {_norm(s.path) for s in product.sql}
    execution = product.model.execution
    if execution is not None:
        folder = PurePosixPath(product.path).parent
        for code in execution.code:
            if isinstance(code, str) and code.strip():
                out.add(normalise_path(str(folder / code)))
    return sorted(out)


def _norm(path: str) -> str:
    return PurePosixPath(path.replace("\\", "/")).as_posix().removeprefix("./")


def normalise_path(path: str) -> str:
    """A mesh-relative POSIX path with ``.`` and ``..`` resolved lexically."""
    parts: list[str] = []
    for part in PurePosixPath(_norm(path)).parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def reference_values(product: Product, ref_paths: Iterable[Any]) -> list[str]:
    """Every string at a product-reference field: declared inputs, ``lifecycle.replacedBy``, and the
    paths the standards check references at (``ref_paths``: compiled paths of ``referenceExists`` rules)."""
    m = product.model
    out = {ref.product for ref in m.inputs}
    if m.lifecycle is not None and m.lifecycle.replacedBy:
        out.add(m.lifecycle.replacedBy)
    for path in ref_paths:
        for _fpath, value in path.select(product.data):
            if isinstance(value, str):
                out.add(value)
    return sorted(out)


def address_tokens(locations: Iterable[str], dialects: Iterable[str | None],
                   known: dict | None = None) -> tuple[list[str], list[str]]:
    """(claims, owns) of output locations in each dialect in use: ``claims`` compare as
    namespace.unique-address does, ``owns`` as SQL table names resolve (``match_tokens``). ``known``
    (dialect -> location -> key) are keys an earlier run normalised, so that sqlglot need not be imported."""
    claims: set[str] = set()
    owns: set[str] = set()
    for location in locations:
        if not location:
            continue
        for dialect in sorted(dialects, key=lambda d: d or ""):
            keys = (known or {}).get(dialect)
            if keys is not None and location in keys:
                key = tuple(keys[location]) if keys[location] is not None else None
            else:
                from govern.analysis.tablenames import location_key

                key = location_key(location, dialect)
            if key is None:
                claims.add(raw_claim(location))
                continue
            claims.add(table_token(dialect, key))
            owns.update(match_tokens(dialect, key))
    return sorted(claims), sorted(owns)


def product_facts(product: Product, *, dialects: Iterable[str | None], default_dialect: str | None,
                  ref_paths: Iterable[Any] = (), tables: Iterable[TableKey] = (), sql_files: Iterable[str] = (),
                  location_keys: Any = None) -> ProductFacts:
    """The facts of ``product``; ``tables`` are the tables its SQL reads or writes (normalised in its
    dialect), ``sql_files`` the files the analysis read for it, ``location_keys`` see ``address_tokens``."""
    from govern.analysis import has_sql

    m = product.model
    execution = m.execution
    dialect = (execution.dialect if execution else None) or default_dialect
    locations = tuple((p.location or "").strip() for p in m.outputPorts)
    claims, owns = address_tokens(locations, dialects, location_keys)
    reads = sorted({t for key in tables for t in match_tokens(dialect, tuple(key))})
    return ProductFacts(
        id=product.id, path=product.path, key=id_key(product.id), state=product.state, domain=m.domain,
        team=m.owner.group if m.owner else None, inputs=tuple(ref.product for ref in m.inputs),
        refs=tuple(reference_values(product, ref_paths)),
        code=tuple(sorted({*code_paths(product), *(_norm(f) for f in sql_files)})),
        locations=locations, dialect=dialect, has_sql=has_sql(product), claims=tuple(claims), owns=tuple(owns),
        reads=tuple(reads))


def mesh_facts(mesh: Mesh, analysis: Any, ref_paths: Iterable[Any] = (),
               location_keys: dict | None = None) -> list[ProductFacts]:
    """The facts of every loaded product of ``mesh`` (``analysis``: its SQL analysis, or None;
    ``location_keys``: see ``address_tokens``)."""
    dialects = mesh.dialects_in_use()
    ref_paths = list(ref_paths)
    out = []
    for product in mesh.products:
        sql = analysis.products.get(product.id) if analysis is not None else None
        tables = [r.key for r in (*sql.reads, *sql.writes)] if sql is not None else []
        out.append(product_facts(product, dialects=dialects, default_dialect=mesh.config.dialect,
                                 ref_paths=ref_paths, tables=tables, sql_files=sql.files if sql is not None else (),
                                 location_keys=location_keys))
    return out


# --- the questions ------------------------------------------------------------------------------------


class Facts(ABC):
    """The mesh's facts, as the closure asks them. Every answer is a list of ``Ref``s; each lookup is one
    of the named tables ``_find`` answers from (in memory, ``MeshFacts``; or the mesh index with fresh facts
    laid over it, ``index.IndexedFacts``)."""

    @abstractmethod
    def get(self, ref: Ref) -> ProductFacts | None:
        """The facts of one product."""

    @abstractmethod
    def _find(self, name: str, key: str) -> list[Ref]:
        """The products under ``key`` in the lookup table ``name``."""

    @abstractmethod
    def ids(self) -> frozenset[str]:
        """Every product id."""

    @abstractmethod
    def reference_values(self) -> Iterable[str]:
        """Every value at a product-reference field of any product (to find dangling references)."""

    def with_id(self, pid: str) -> list[Ref]:
        """Products of that id (more than one: duplicates)."""
        return self._find("id", pid)

    def with_key(self, key: str) -> list[Ref]:
        """Products whose id key is ``key``."""
        return self._find("key", key)

    def at_path(self, path: str) -> list[Ref]:
        """Products read from that manifest or input file."""
        return self._find("path", path)

    def built_by(self, path: str) -> list[Ref]:
        """Products whose SQL files include ``path``."""
        return self._find("code", path)

    def referencing(self, value: str) -> list[Ref]:
        """Products with ``value`` at a product-reference field."""
        return self._find("refs", value)

    def claiming(self, token: str) -> list[Ref]:
        """Products claiming that output address token."""
        return self._find("claims", token)

    def owning(self, token: str) -> list[Ref]:
        """Products whose output table names match that token."""
        return self._find("owns", token)

    def reading(self, token: str) -> list[Ref]:
        """Products whose SQL reads or writes a table matching that token."""
        return self._find("reads", token)

    def of_team(self, team: str) -> list[Ref]:
        """Products the team owns."""
        return self._find("team", team)

    def with_dialect(self, dialect: str | None) -> list[Ref]:
        """Products whose SQL (would be) read in that dialect."""
        return self._find("dialect", dialect_key(dialect))


@dataclass
class MeshFacts(Facts):
    """``Facts`` of products in memory: a loaded mesh, or the mesh index's rows laid over."""

    facts: dict[Ref, ProductFacts] = field(default_factory=dict)
    _lookups: dict[str, dict[str, list[Ref]]] | None = None
    _components: dict[Ref, list[Ref]] | None = None

    @classmethod
    def of(cls, facts: Iterable[ProductFacts]) -> MeshFacts:
        return cls({f.ref: f for f in facts})

    def _index(self) -> dict[str, dict[str, list[Ref]]]:
        if self._lookups is None:
            self._lookups = build_lookups(self.facts.values())
        return self._lookups

    def _find(self, name: str, key: str) -> list[Ref]:
        return self._index()[name].get(key, [])

    def get(self, ref: Ref) -> ProductFacts | None:
        return self.facts.get(ref)

    def ids(self) -> frozenset[str]:
        return frozenset(self._index()["id"])

    def reference_values(self) -> Iterable[str]:
        return self._index()["refs"].keys()

    def cycle_members(self, ref: Ref) -> set[Ref]:
        if self._components is None:
            self._components = components(self.facts, lambda r: successors(self, r))
        return set(self._components.get(ref, ()))

    def __iter__(self) -> Iterator[ProductFacts]:
        return iter(self.facts.values())


LOOKUPS = ("id", "key", "path", "code", "refs", "claims", "owns", "reads", "team", "dialect")


def dialect_key(dialect: str | None) -> str:
    return "\x00" if dialect is None else dialect


def build_lookups(facts: Iterable[ProductFacts]) -> dict[str, dict[str, list[Ref]]]:
    """Every lookup of ``Facts``, from the products' facts (values sorted)."""
    out: dict[str, dict[str, set[Ref]]] = {name: {} for name in LOOKUPS}
    for f in facts:
        ref = f.ref
        out["id"].setdefault(f.id, set()).add(ref)
        out["key"].setdefault(f.key, set()).add(ref)
        out["path"].setdefault(f.path, set()).add(ref)
        out["dialect"].setdefault(dialect_key(f.dialect), set()).add(ref)
        if f.team:
            out["team"].setdefault(f.team, set()).add(ref)
        for name, values in (("code", f.code), ("refs", f.refs), ("claims", f.claims), ("owns", f.owns),
                             ("reads", f.reads)):
            table = out[name]
            for value in values:
                table.setdefault(value, set()).add(ref)
    return {name: {k: sorted(v) for k, v in table.items()} for name, table in out.items()}


# --- the lineage graph the facts allow ----------------------------------------------------------------


def successors(view: Facts, ref: Ref) -> set[Ref]:
    """Where lineage can go from ``ref``: its declared inputs, and every owner of a table matching one its
    SQL names (wider than the edges the analysis resolves, never narrower)."""
    facts = view.get(ref)
    if facts is None:
        return set()
    out = {r for pid in facts.inputs for r in view.with_id(pid)}
    out.update(r for token in facts.reads for r in view.owning(token))
    return out


def predecessors(view: Facts, ref: Ref) -> set[Ref]:
    """Who can read ``ref``: products naming its id, and products whose SQL names one of its tables."""
    facts = view.get(ref)
    if facts is None:
        return set()
    out = set(view.referencing(facts.id))
    out.update(r for token in facts.owns for r in view.reading(token))
    return out


def reach(view: Facts, start: Ref, step: Any, within: set[Ref] | None = None) -> set[Ref]:
    """Products reachable from ``start`` in one or more steps of ``step`` (``start`` only on a cycle)."""
    seen: set[Ref] = set()
    todo = list(step(view, start))
    while todo:
        current = todo.pop()
        if current in seen or (within is not None and current not in within):
            continue
        seen.add(current)
        todo.extend(step(view, current))
    return seen


def members_by_search(view: Facts, ref: Ref) -> set[Ref]:
    """``cycle_members`` by searching from ``ref``: what it reaches and what reaches it."""
    forward = reach(view, ref, successors)
    if ref not in forward:
        return set()
    return forward & reach(view, ref, predecessors, within=forward)


def components(refs: Iterable[Ref], succ: Any) -> dict[Ref, list[Ref]]:
    """Each ref on a cycle -> the sorted members of its strongly connected component (Tarjan, iterative)."""
    index: dict[Ref, int] = {}
    low: dict[Ref, int] = {}
    stack: list[Ref] = []
    on_stack: set[Ref] = set()
    out: dict[Ref, list[Ref]] = {}
    counter = 0
    for root in sorted(refs):
        if root in index:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(sorted(succ(root))))]
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(succ(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                members = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == node:
                        break
                if len(members) > 1 or node in succ(node):
                    ordered = sorted(members)
                    for member in members:
                        out[member] = ordered
    return out
