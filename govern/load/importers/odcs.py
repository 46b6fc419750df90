"""ODCS v3.x data contracts (YAML) → products or ports.

The contract is first validated against the published ODCS JSON Schema (v3.1.0, or the schema of the
version it declares); every place that breaks it is one ``manifest.invalid`` error at its line. Then:

- each schema object becomes an output port: ``physicalName`` (or ``name``) at the address of the
  contract's server (``database.schema.table``, ``project.dataset.table``, ...), its properties the
  port's columns with their ``classification``, PII (``customProperties: pii`` or a ``pii`` tag),
  ``primaryKey``, ``required``, ``unique`` and ``quality``; the object's own ``quality`` and
  ``relationships`` (and those of its properties) stay on the port, and the port names the contract
  (``contract: {id, version}``);
- the port's classification, unless the object or the contract gives one in ``customProperties``,
  is the most sensitive classification of its properties (inferred, with where it came from);
  a value outside the scheme is mapped by govern.yaml ``importers.classifications``;
- ``team`` becomes the owner (team name → group, a current member whose role is owner → person),
  ``status`` the lifecycle state, ``slaProperties`` / ``support`` / ``roles`` the product's ``sla`` /
  ``support`` / ``roles``;
- the namespace is ``customProperties.namespace``, else a server's ``environment`` through govern.yaml
  ``importers.namespaces`` (``production: prod``), the most production-like server winning;
- ``format`` (structured: the schema has typed properties) and ``complexity`` (complex when a property
  is an object or array) are inferred; ``structure`` is not in ODCS (customProperties or govern.yaml);
- ``transformSourceObjects`` of properties become inputs when they name a port of another product;
- fields with no place in ODCS come from ``customProperties`` (see bitol.CUSTOM_PROPERTIES).

A contract that an ODPS product names in an output port (``contractId``) is a port of that product;
any other contract is a product of its own. Locations are the contract's own line numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govern.load.importers.bitol import (
    attribute,
    custom_properties,
    map_common,
    map_quality,
    product_id,
    read_document,
)
from govern.load.importers.common import Mapper, as_dict, as_list, as_text, normalise_location, truthy
from govern.load.importers.context import ImportContext
from govern.model.findings import Finding
from govern.model.product import CLASSIFICATION_RANK, NAMESPACES
from govern.model.source import FieldPath, SourceMap

PHYSICAL_TO_PORT = {"table": "table", "view": "view", "topic": "stream", "stream": "stream", "file": "file",
                    "api": "api", "materialized_view": "view", "object": "table"}
_PREFIX_KEYS = (("catalog", "database", "project", "account"), ("schema", "dataset"))
_NESTED = {"object", "array"}
_COMPLEX_PHYSICAL = re.compile(r"\b(struct|array|map|json|jsonb|variant|object|record|super|list)\b|\[\]", re.I)
NAMESPACE_RANK = {"prod": 0, "preprod": 1, "test": 2}


@dataclass
class Contract:
    """A parsed ODCS document, before it becomes a product or the ports of one."""

    path: Path
    display: str
    data: dict
    smap: SourceMap
    problems: list[Finding]
    used_by: str | None = None  # id of the ODPS product whose output port names this contract
    props: dict = field(default_factory=dict)

    @property
    def id(self) -> str | None:
        return as_text(self.data.get("id"))

    @property
    def name(self) -> str:
        return as_text(self.data.get("name")) or self.id or self.display

    def server(self, namespace: str | None, ctx: ImportContext) -> tuple[dict, FieldPath] | None:
        """The server a port lives on: the one of the product's namespace, else the first."""
        servers = [(as_dict(s), ("servers", i)) for i, s in enumerate(as_list(self.data.get("servers")))]
        for server, where in servers:
            env = as_text(server.get("environment"))
            if namespace and (env == namespace or ctx.options.namespace_of(env) == namespace):
                return server, where
        return servers[0] if servers else None

    def namespace(self, ctx: ImportContext) -> tuple[str | None, FieldPath | None, str | None]:
        """(namespace, where it is written, how it was inferred or None when written as such)."""
        if "namespace" in self.props:
            return as_text(self.props["namespace"][0]), self.props["namespace"][1], None
        best: tuple[int, int, str, FieldPath, str | None] | None = None
        first: tuple[str, FieldPath] | None = None
        for i, server in enumerate(as_list(self.data.get("servers"))):
            env = as_text(as_dict(server).get("environment"))
            if not env:
                continue
            where: FieldPath = ("servers", i, "environment")
            first = first or (env, where)
            mapped = ctx.options.namespace_of(env)
            if mapped is not None:
                candidate = (NAMESPACE_RANK.get(mapped, 9), i, mapped, where,
                             f"ODCS servers[{i}].environment '{env}' (govern.yaml importers.namespaces)")
            elif env in NAMESPACES:
                candidate = (NAMESPACE_RANK[env], i, env, where, f"ODCS servers[{i}].environment '{env}'")
            else:
                continue
            if best is None or candidate[:2] < best[:2]:
                best = candidate
        if best is not None:
            return best[2], best[3], best[4]
        if first is not None:  # an environment no mapping names: kept, so namespace.enum says which
            return first[0], first[1], (f"ODCS servers[{first[1][1]}].environment '{first[0]}', which govern.yaml "
                                        "importers.namespaces does not map")
        return None, None, None

    def ports(self, namespace: str | None, ctx: ImportContext) -> list[list[tuple[FieldPath, Any, FieldPath]]]:
        """Each schema object as a port: a list of (sub-path in the port, value, path in the contract)."""
        server = self.server(namespace, ctx)
        out = []
        for k, obj in enumerate(as_list(self.data.get("schema"))):
            obj = as_dict(obj)
            base: FieldPath = ("schema", k)
            fields: list[tuple[FieldPath, Any, FieldPath]] = []
            name = as_text(obj.get("name")) or f"object_{k}"
            fields.append((("name",), name, (*base, "name")))
            physical = (as_text(obj.get("physicalType")) or "table").strip().lower()
            fields.append((("type",), PHYSICAL_TO_PORT.get(physical, physical), (*base, "physicalType")))
            table = as_text(obj.get("physicalName")) or name
            location, where = _address(server, table, base)
            fields.append((("location",), location, where))
            fields.append((("description",), as_text(obj.get("description")), (*base, "description")))
            if self.id or as_text(self.data.get("version")):
                fields.append((("contract",), {"id": self.id, "version": as_text(self.data.get("version"))},
                               ("id",)))
            for q, check in enumerate(as_list(obj.get("quality"))):
                fields.append((("quality", q), map_quality(check), (*base, "quality", q)))
            for r, rel in enumerate(as_list(obj.get("relationships"))):
                fields.append((("relationships", r), _relationship(rel, None), (*base, "relationships", r)))
            rels = len(as_list(obj.get("relationships")))
            for c, prop in enumerate(as_list(obj.get("properties"))):
                prop = as_dict(prop)
                pbase: FieldPath = (*base, "properties", c)
                pprops = custom_properties(prop.get("customProperties"), (*pbase, "customProperties"))
                tags = [str(t).lower() for t in as_list(prop.get("tags"))]
                col: FieldPath = ("columns", c)
                cname = as_text(prop.get("name")) or f"property_{c}"
                fields.append(((*col,), {}, pbase))
                fields.append(((*col, "name"), cname, (*pbase, "name")))
                ctype = as_text(prop.get("logicalType")) or as_text(prop.get("physicalType"))
                fields.append(((*col, "type"), ctype, (*pbase, "logicalType" if prop.get("logicalType")
                                                      else "physicalType")))
                fields.append(((*col, "description"), as_text(prop.get("description")), (*pbase, "description")))
                classification = as_text(prop.get("classification"))
                fields.append(((*col, "classification"), _classification(classification, ctx),
                               (*pbase, "classification")))
                if ("pii" in pprops and truthy(pprops["pii"][0])) or "pii" in tags:
                    fields.append(((*col, "pii"), True, pprops["pii"][1] if "pii" in pprops else (*pbase, "tags")))
                for key in ("primaryKey", "required", "unique"):
                    if prop.get(key) is True:
                        fields.append(((*col, key), True, (*pbase, key)))
                for q, check in enumerate(as_list(prop.get("quality"))):
                    fields.append(((*col, "quality", q), map_quality(check), (*pbase, "quality", q)))
                for rel in as_list(prop.get("relationships")):
                    fields.append((("relationships", rels), _relationship(rel, f"{name}.{cname}"),
                                   (*pbase, "relationships")))
                    rels += 1
            out.append(fields)
        return out

    def port_classification(self, k: int, ctx: ImportContext) -> tuple[str | None, FieldPath | None, str | None]:
        """The classification of port ``k``: written (customProperties of the object, then of the
        contract), else the most sensitive of its properties' classifications (inferred)."""
        obj = as_dict(as_list(self.data.get("schema"))[k])
        own = custom_properties(obj.get("customProperties"), ("schema", k, "customProperties"))
        written = own.get("classification") or self.props.get("classification")
        if written:
            return _classification(as_text(written[0]), ctx), written[1], None
        worst: tuple[int, str, FieldPath, str] | None = None
        for c, prop in enumerate(as_list(obj.get("properties"))):
            raw = as_text(as_dict(prop).get("classification"))
            value = _classification(raw, ctx)
            if not value:
                continue
            # a value outside the scheme counts as the most sensitive (auth.classification-enum names it)
            rank = CLASSIFICATION_RANK.get(value, len(CLASSIFICATION_RANK))
            if worst is None or rank > worst[0]:
                worst = (rank, value, ("schema", k, "properties", c, "classification"), raw or value)
        if worst is None:
            return None, None, None
        c = worst[2][3]
        name = as_text(as_dict(as_list(obj.get("properties"))[c]).get("name")) or "?"
        return worst[1], worst[2], (f"ODCS schema[{k}].properties[{c}].classification '{worst[3]}' ({name}), "
                                    "the most sensitive of the object's properties")

    def infer_shape(self, m: Mapper) -> None:
        """format and complexity from the schema: typed properties are structured data; an object or
        array property (or a nested physical type) makes it complex."""
        types: list[tuple[str | None, str | None]] = []
        for obj in as_list(self.data.get("schema")):
            for prop in as_list(as_dict(obj).get("properties")):
                prop = as_dict(prop)
                types.append((as_text(prop.get("logicalType")), as_text(prop.get("physicalType"))))
        if not types:
            return
        if any(logical or physical for logical, physical in types):
            m.infer(("format",), "structured", ("schema",), "ODCS schema with typed properties")
        if not all(logical or physical for logical, physical in types):
            return  # a property of unknown type: nothing to infer complexity from
        nested = next((logical or physical for logical, physical in types
                       if (logical or "").lower() in _NESTED or _COMPLEX_PHYSICAL.search(physical or "")), None)
        m.infer(("complexity",), "complex" if nested else "simple", ("schema",),
                f"ODCS property type '{nested}'" if nested else "ODCS property types (all flat)")

    def reads(self) -> list[tuple[str, FieldPath]]:
        """Physical tables the contract says its data is derived from (``transformSourceObjects``)."""
        out = []
        for k, obj in enumerate(as_list(self.data.get("schema"))):
            for c, prop in enumerate(as_list(as_dict(obj).get("properties"))):
                for s, src in enumerate(as_list(as_dict(prop).get("transformSourceObjects"))):
                    if as_text(src):
                        out.append((src, ("schema", k, "properties", c, "transformSourceObjects", s)))
        return out


def _classification(value: str | None, ctx: ImportContext) -> str | None:
    """A classification through govern.yaml ``importers.classifications`` (exact, then ignoring case)."""
    if not value:
        return None
    mapping = ctx.options.classifications
    if value in mapping:
        return mapping[value]
    low = value.strip().lower()
    for key in sorted(mapping):
        if key.strip().lower() == low:
            return mapping[key]
    return low if low in CLASSIFICATION_RANK else value


def _relationship(rel: Any, source: str | None) -> dict:
    rel = as_dict(rel)
    out: dict[str, Any] = {"type": as_text(rel.get("type")) or "foreignKey"}
    origin = rel.get("from") if rel.get("from") is not None else source
    if origin is not None:
        out["from"] = origin
    if rel.get("to") is not None:
        out["to"] = rel.get("to")
    return out


def _address(server: tuple[dict, FieldPath] | None, table: str, base: FieldPath) -> tuple[str, FieldPath]:
    """``database.schema.table`` (or the server's location/path joined with the table) on a server."""
    if server is None:
        return table, (*base, "physicalName")
    data, where = server
    parts = []
    for keys in _PREFIX_KEYS:
        for key in keys:
            value = as_text(data.get(key))
            if value:
                parts.append(value)
                break
    if parts:
        return ".".join([*parts, table]), where
    for key in ("location", "path", "topic"):
        value = as_text(data.get(key))
        if value:
            return f"{value.rstrip('/')}/{table}", (*where, key)
    return table, (*base, "physicalName")


def looks_like(head: str) -> bool:
    return "DataContract" in head


def parse_all(files: list[tuple[Path, str]], ctx: ImportContext) -> list[Contract]:
    """Read and validate every contract; mapping waits until ODPS products have claimed theirs."""
    contracts = []
    for path, display in files:
        data, smap, problems = read_document(path, display, "odcs", ctx, "ODCS contract", "DataContract")
        if data is None or smap is None:
            continue
        contract = Contract(path, display, data, smap, problems)
        contract.props = custom_properties(data.get("customProperties"), ("customProperties",))
        contracts.append(contract)
    return contracts


def map_ports(m: Mapper, contract: Contract, namespace: str | None, ctx: ImportContext, at: int = 0,
              where: FieldPath | None = None) -> None:
    """The contract's schema objects as output ports ``at``, ``at + 1``, ... of ``m``.

    ``where``: locate everything at this field of the mapped document (an ODPS ``contractId``)
    instead of the contract's own lines (another file).
    """
    for k, fields in enumerate(contract.ports(namespace, ctx)):
        port = ("outputPorts", at + k)
        for sub, value, src in fields:
            target = where or src
            if value == {}:
                m.at((*port, *sub), target)
            elif value is not None:
                m.put((*port, *sub), value, target)
        value, src, because = contract.port_classification(k, ctx)
        if value and not as_dict(as_list(m.data.get("outputPorts"))[at + k]).get("classification"):
            m.put((*port, "classification"), value, where or src)
            if because:
                m.inferred[(*port, "classification")] = because
        m.at(port, where or ("schema", k))


def load_standalone(contracts: list[Contract], ctx: ImportContext) -> None:
    """Contracts no ODPS product claimed become products: one port per schema object."""
    pending = []
    for contract in contracts:
        if contract.used_by is not None:
            attribute(contract.problems, contract.used_by, ctx)
            continue
        m = Mapper(contract.display, src=contract.smap)
        data, props = contract.data, contract.props
        map_common(m, data, props, ctx)
        pid = product_id(m, data, props, as_text(data.get("domain")), as_text(data.get("name")))
        namespace, where, because = contract.namespace(ctx)
        if "namespace" not in m.data:
            m.put(("namespace",), namespace, where)
            if because and namespace:
                m.inferred[("namespace",)] = because
        map_ports(m, contract, namespace, ctx)
        contract.infer_shape(m)
        pending.append((contract, m, pid))
    index = ctx.port_index()
    for _contract, m, _ in pending:  # contracts may read each other's tables
        for port in m.data.get("outputPorts") or []:
            if isinstance(port, dict) and port.get("location"):
                index.setdefault(normalise_location(port["location"]), (m.data["id"], port.get("name")))
    for contract, m, pid in pending:
        _inputs(m, contract, index, pid)
        m.finish(ctx, "odcs")
        product = ctx.add(m.product("odcs"))
        if product is not None:
            product.source_name = f"contract `{contract.name}` ({contract.display})"
        attribute(contract.problems, product.id if product else pid, ctx)


def _inputs(m: Mapper, contract: Contract, index: dict[str, tuple[str, str]], own: str) -> None:
    seen: set[tuple[str, str]] = set()
    i = 0
    if "inputs" in contract.props:
        value, where = contract.props["inputs"]
        for k, pid in enumerate(value if isinstance(value, list) else [value]):
            if as_text(pid) and (pid, "") not in seen:
                seen.add((pid, ""))
                m.put(("inputs", i, "product"), pid, (*where, k) if isinstance(value, list) else where)
                i += 1
    for table, where in contract.reads():
        hit = index.get(normalise_location(table))
        if hit is None or hit[0] == own or hit in seen:
            continue
        seen.add(hit)
        m.put(("inputs", i, "product"), hit[0], where)
        m.put(("inputs", i, "port"), hit[1], where)
        i += 1
