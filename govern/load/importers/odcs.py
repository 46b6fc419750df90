"""ODCS v3.x data contracts (YAML) → products or ports.

The contract is first validated against the published ODCS JSON Schema (v3.1.0); every violation is a
``manifest.invalid`` error at its line. Then:

- each schema object becomes an output port: ``physicalName`` (or ``name``) at the address of the
  contract's server (``database.schema.table``, ``project.dataset.table``, ...), its properties the
  port's columns with their ``classification`` and PII (``customProperties: pii`` or a ``pii`` tag);
- ``team`` becomes the owner (team name → group, a member with role owner → person), ``status`` the
  lifecycle state, a server's ``environment`` the namespace (unless ``customProperties.namespace``);
- ``transformSourceObjects`` of properties become inputs when they name a port of another product;
- fields with no place in ODCS come from ``customProperties`` (see bitol.CUSTOM_PROPERTIES).

A contract that an ODPS product names in an output port (``contractId``) is a port of that product;
any other contract is a product of its own. Locations are the contract's own line numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govern.load.importers.bitol import attribute, custom_properties, map_common, product_id, read_document
from govern.load.importers.common import Mapper, as_dict, as_list, as_text, normalise_location, truthy
from govern.load.importers.context import ImportContext
from govern.model.findings import Finding
from govern.model.product import NAMESPACES
from govern.model.source import FieldPath, SourceMap

PHYSICAL_TO_PORT = {"table": "table", "view": "view", "topic": "stream", "stream": "stream", "file": "file",
                    "api": "api", "materialized_view": "view", "object": "table"}
_PREFIX_KEYS = (("catalog", "database", "project", "account"), ("schema", "dataset"))


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

    def server(self, namespace: str | None) -> tuple[dict, FieldPath] | None:
        """The server a port lives on: the one of the product's namespace, else the first."""
        servers = [(as_dict(s), ("servers", i)) for i, s in enumerate(as_list(self.data.get("servers")))]
        for server, where in servers:
            if namespace and as_text(server.get("environment")) == namespace:
                return server, where
        return servers[0] if servers else None

    def namespace(self) -> tuple[str | None, FieldPath | None]:
        if "namespace" in self.props:
            return as_text(self.props["namespace"][0]), self.props["namespace"][1]
        servers = [(as_dict(s), i) for i, s in enumerate(as_list(self.data.get("servers")))]
        for server, i in servers:  # a server in one of the mesh's namespaces wins
            if as_text(server.get("environment")) in NAMESPACES:
                return as_text(server["environment"]), ("servers", i, "environment")
        for server, i in servers:
            if as_text(server.get("environment")):
                return as_text(server["environment"]), ("servers", i, "environment")
        return None, None

    def ports(self, namespace: str | None) -> list[list[tuple[FieldPath, Any, FieldPath]]]:
        """Each schema object as a port: a list of (sub-path in the port, value, path in the contract)."""
        server = self.server(namespace)
        default_class = self.props.get("classification")
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
            own = custom_properties(obj.get("customProperties"), (*base, "customProperties"))
            classification = own.get("classification") or default_class
            if classification:
                fields.append((("classification",), as_text(classification[0]), classification[1]))
            for c, prop in enumerate(as_list(obj.get("properties"))):
                prop = as_dict(prop)
                pbase: FieldPath = (*base, "properties", c)
                pprops = custom_properties(prop.get("customProperties"), (*pbase, "customProperties"))
                tags = [str(t).lower() for t in as_list(prop.get("tags"))]
                col: FieldPath = ("columns", c)
                fields.append(((*col,), {}, pbase))
                fields.append(((*col, "name"), as_text(prop.get("name")) or f"property_{c}", (*pbase, "name")))
                ctype = as_text(prop.get("logicalType")) or as_text(prop.get("physicalType"))
                fields.append(((*col, "type"), ctype, (*pbase, "logicalType" if prop.get("logicalType")
                                                      else "physicalType")))
                fields.append(((*col, "description"), as_text(prop.get("description")), (*pbase, "description")))
                fields.append(((*col, "classification"), as_text(prop.get("classification")),
                               (*pbase, "classification")))
                if ("pii" in pprops and truthy(pprops["pii"][0])) or "pii" in tags:
                    fields.append(((*col, "pii"), True, pprops["pii"][1] if "pii" in pprops else (*pbase, "tags")))
            out.append(fields)
        return out

    def reads(self) -> list[tuple[str, FieldPath]]:
        """Physical tables the contract says its data is derived from (``transformSourceObjects``)."""
        out = []
        for k, obj in enumerate(as_list(self.data.get("schema"))):
            for c, prop in enumerate(as_list(as_dict(obj).get("properties"))):
                for s, src in enumerate(as_list(as_dict(prop).get("transformSourceObjects"))):
                    if as_text(src):
                        out.append((src, ("schema", k, "properties", c, "transformSourceObjects", s)))
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
        namespace, where = contract.namespace()
        if "namespace" not in m.data:
            m.put(("namespace",), namespace, where)
        for k, fields in enumerate(contract.ports(namespace)):
            for sub, value, src in fields:
                if value is not None and value != {}:
                    m.put(("outputPorts", k, *sub), value, src)
                elif value == {}:
                    m.at(("outputPorts", k, *sub), src)
            m.at(("outputPorts", k), ("schema", k))
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
