"""ODPS v1.0 data products (YAML) → products.

The document is validated against the published ODPS JSON Schema (v1.0.0, which accepts v0.9.0
documents; an older apiVersion is mentioned) first; every place that breaks it is one
``manifest.invalid`` error at its line. Then:

- ``id`` (when already ``<domain>.<name>``, else derived from ``domain`` and ``name``), ``name``,
  ``version``, ``domain``, ``description.purpose`` map across; ``status`` → lifecycle state;
  ``team`` → owner (team name → group, a current member with role owner → person); ``support`` kept;
- output ports → ports, each with its ``version`` (two ports of one name and two versions are two
  ports, never merged) and the contract it implements; a port's ``contractId`` brings the ODCS
  contract's schema (columns with classification, PII, keys, quality), server address (location),
  classification and namespace, located at the ``contractId`` line; ``inputContracts`` are kept on the
  port and, like input ports, become inputs;
- input ports → inputs: the product whose output port carries that ``contractId`` (the port of the
  same version when several do), or the product a standalone contract became; an unknown contract id
  stays as written, so ``lineage.input-exists`` reports it at the input port's line;
- namespace, format, complexity, structure, tombstone, ... come from ``customProperties``
  (bitol.CUSTOM_PROPERTIES). Locations are the document's own line numbers.
"""

from __future__ import annotations

from pathlib import Path

from govern.load.importers.bitol import attribute, custom_properties, map_common, product_id, read_document
from govern.load.importers.common import Mapper, as_dict, as_list, as_text
from govern.load.importers.context import ImportContext
from govern.load.importers.odcs import Contract, map_ports
from govern.model.product import PORT_TYPES
from govern.model.source import FieldPath

_PORT_TYPE_WORDS = {"tables": "table", "dataset": "table", "views": "view", "files": "file", "topic": "stream",
                    "kafka": "stream", "rest": "api", "sql": "table"}
# contract id → [(product id, port name, port version)] of the output ports that offer it
Offers = dict[str, list[tuple[str, str | None, str | None]]]


def load_all(files: list[tuple[Path, str]], ctx: ImportContext, contracts: list[Contract]) -> None:
    """Import every ODPS document; mark the contracts their output ports use."""
    docs = []
    for path, display in files:
        data, smap, problems = read_document(path, display, "odps", ctx, "ODPS data product", "DataProduct")
        if data is not None and smap is not None:
            docs.append((display, data, smap, problems))
    by_contract = {c.id: c for c in contracts if c.id}
    offers: Offers = {}
    mapped = []
    for display, data, smap, problems in docs:
        m = Mapper(display, src=smap)
        props = custom_properties(data.get("customProperties"), ("customProperties",))
        map_common(m, data, props, ctx)
        pid = product_id(m, data, props, as_text(data.get("domain")), as_text(data.get("name")))
        _output_ports(m, data, props, by_contract, pid, ctx)
        for port in as_list(data.get("outputPorts")):
            port = as_dict(port)
            cid = as_text(port.get("contractId"))
            if cid:
                offers.setdefault(cid, []).append((pid, as_text(port.get("name")) or cid,
                                                   as_text(port.get("version"))))
        mapped.append((m, data, problems, pid, display))
    for contract in contracts:
        if contract.id and contract.id not in offers and contract.used_by is None:
            offers[contract.id] = [(_standalone_id(contract), None, None)]
    for m, data, problems, pid, display in mapped:
        _inputs(m, data, offers, pid)
        m.finish(ctx, "odps")
        product = ctx.add(m.product("odps"))
        if product is not None:
            product.source_name = f"data product `{as_text(data.get('name')) or pid}` ({display})"
        attribute(problems, product.id if product else pid, ctx)


def _standalone_id(contract: Contract) -> str:
    """The id a contract no product claimed will get (computed the same way as odcs.load_standalone)."""
    scratch = Mapper(contract.display, src=contract.smap)
    data = contract.data
    return product_id(scratch, data, contract.props, as_text(data.get("domain")), as_text(data.get("name")))


def _output_ports(m: Mapper, data: dict, props: dict, contracts: dict[str, Contract], pid: str,
                  ctx: ImportContext) -> None:
    namespace = m.data.get("namespace")
    for k, port in enumerate(as_list(data.get("outputPorts"))):
        port = as_dict(port)
        base: FieldPath = ("outputPorts", k)
        name = as_text(port.get("name")) or f"port_{k}"
        m.put((*base, "name"), name, (*base, "name"))
        kind = (as_text(port.get("type")) or "").strip().lower()
        if kind:
            m.put((*base, "type"), kind if kind in PORT_TYPES else _PORT_TYPE_WORDS.get(kind, kind), (*base, "type"))
        m.put((*base, "description"), as_text(port.get("description")), (*base, "description"))
        m.put((*base, "version"), as_text(port.get("version")), (*base, "version"))
        cid = as_text(port.get("contractId"))
        if cid:
            m.put((*base, "contract"), {"id": cid}, (*base, "contractId"))
        for i, ref in enumerate(as_list(port.get("inputContracts"))):
            ref = as_dict(ref)
            m.put((*base, "inputContracts", i),
                  {k: as_text(ref.get(k)) for k in ("id", "version") if as_text(ref.get(k))},
                  (*base, "inputContracts", i))
        own = custom_properties(port.get("customProperties"), (*base, "customProperties"))
        for key in ("classification", "location"):
            if key in own:
                m.put((*base, key), as_text(own[key][0]), own[key][1])
        contract = contracts.get(cid) if cid else None
        if contract is not None:
            contract.used_by = contract.used_by or pid
            cns = namespace
            because = None
            if cns is None:
                cns, _, because = contract.namespace(ctx)
            _contract_port(m, contract, cns, ctx, k, base)
            if namespace is None and cns:
                m.put(("namespace",), cns, (*base, "contractId"))
                if because:
                    m.inferred[("namespace",)] = because
                namespace = cns
        if "classification" not in m.data["outputPorts"][k] and "classification" in props:
            m.put((*base, "classification"), as_text(props["classification"][0]), props["classification"][1])
        m.at(base, (*base, "name"))


def _contract_port(m: Mapper, contract: Contract, namespace: str | None, ctx: ImportContext, k: int,
                   base: FieldPath) -> None:
    """The contract's first schema object describes port ``k``: its columns, location, classification,
    keys and quality, located at the port's ``contractId`` (the contract is another file)."""
    scratch = Mapper(contract.display, src=contract.smap)
    map_ports(scratch, contract, namespace, ctx)
    described = as_list(scratch.data.get("outputPorts"))
    if not described:
        return
    target = m.data["outputPorts"][k]
    for key, value in as_dict(described[0]).items():
        if key in ("name", "description", "type", "version") or value in (None, [], {}):
            continue
        if key == "contract":
            target.setdefault("contract", {}).update({kk: vv for kk, vv in value.items() if vv is not None})
            continue
        if key in target:
            continue
        m.put((*base, key), value, (*base, "contractId"))
        if key == "columns":
            for c in range(len(value)):
                m.at((*base, "columns", c), (*base, "contractId"))
        because = scratch.inferred.get(("outputPorts", 0, key))
        if because:
            m.inferred[(*base, key)] = because


def _inputs(m: Mapper, data: dict, offers: Offers, own: str) -> None:
    """Input ports and the output ports' input contracts → inputs (one per product port read)."""
    refs: list[tuple[str, str | None, FieldPath]] = []
    for k, port in enumerate(as_list(data.get("inputPorts"))):
        port = as_dict(port)
        cid = as_text(port.get("contractId"))
        if cid:
            refs.append((cid, as_text(port.get("version")), ("inputPorts", k, "contractId")))
    for k, port in enumerate(as_list(data.get("outputPorts"))):
        for i, ref in enumerate(as_list(as_dict(port).get("inputContracts"))):
            ref = as_dict(ref)
            if as_text(ref.get("id")):
                refs.append((as_text(ref["id"]) or "", as_text(ref.get("version")),
                             ("outputPorts", k, "inputContracts", i, "id")))
    i = 0
    seen: set[tuple[str, str | None, str | None]] = set()
    for cid, version, where in refs:
        producer, pname, pversion = _offer(offers, cid, version)
        if producer == own or (producer, pname, pversion) in seen:
            continue
        seen.add((producer, pname, pversion))
        m.put(("inputs", i, "product"), producer, where)
        m.put(("inputs", i, "port"), pname, where)
        contract = {"id": cid, **({"version": version} if version else {})}
        m.put(("inputs", i, "contract"), contract, where)
        m.at(("inputs", i), where)
        i += 1


def _offer(offers: Offers, cid: str, version: str | None) -> tuple[str, str | None, str | None]:
    """The output port offering contract ``cid`` (of ``version`` when several ports offer it), or the
    contract id itself when no product of the mesh offers it (lineage.input-exists reports that)."""
    found = offers.get(cid) or []
    for producer, pname, pversion in found:
        if version is not None and pversion == version:
            return producer, pname, pversion
    if found:
        return found[0]
    return cid, None, None
