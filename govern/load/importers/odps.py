"""ODPS v1.0 data products (YAML) → products.

The document is validated against the published ODPS JSON Schema (v1.0.0) first; every violation is a
``manifest.invalid`` error at its line. Then:

- ``id`` (when already ``<domain>.<name>``, else derived from ``domain`` and ``name``), ``name``,
  ``version``, ``domain``, ``description.purpose`` map across; ``status`` → lifecycle state;
  ``team`` → owner (team name → group, a member with role owner → person);
- output ports → ports; a port's ``contractId`` brings the ODCS contract's schema (columns with
  classification and PII), server address (location) and classification;
- input ports → inputs: the product whose output port carries that ``contractId`` (or the product a
  standalone contract became); an unknown contract id stays as written, so ``lineage.input-exists``
  reports it;
- namespace, format, complexity, structure, tombstone, ... come from ``customProperties``
  (bitol.CUSTOM_PROPERTIES). Locations are the document's own line numbers.
"""

from __future__ import annotations

from pathlib import Path

from govern.load.importers.bitol import attribute, custom_properties, map_common, product_id, read_document
from govern.load.importers.common import Mapper, as_dict, as_list, as_text
from govern.load.importers.context import ImportContext
from govern.load.importers.odcs import Contract
from govern.model.product import PORT_TYPES
from govern.model.source import FieldPath

_PORT_TYPE_WORDS = {"tables": "table", "dataset": "table", "views": "view", "files": "file", "topic": "stream",
                    "kafka": "stream", "rest": "api", "sql": "table"}


def load_all(files: list[tuple[Path, str]], ctx: ImportContext, contracts: list[Contract]) -> None:
    """Import every ODPS document; mark the contracts their output ports use."""
    docs = []
    for path, display in files:
        data, smap, problems = read_document(path, display, "odps", ctx, "ODPS data product", "DataProduct")
        if data is not None and smap is not None:
            docs.append((display, data, smap, problems))
    by_contract = {c.id: c for c in contracts if c.id}
    # who exposes which contract: ODPS output ports first, then standalone contracts (decided below)
    exposes: dict[str, tuple[str, str]] = {}
    mapped = []
    for display, data, smap, problems in docs:
        m = Mapper(display, src=smap)
        props = custom_properties(data.get("customProperties"), ("customProperties",))
        map_common(m, data, props, ctx)
        pid = product_id(m, data, props, as_text(data.get("domain")), as_text(data.get("name")))
        _output_ports(m, data, props, by_contract, pid)
        for port in as_list(data.get("outputPorts")):
            port = as_dict(port)
            cid = as_text(port.get("contractId"))
            if cid:
                exposes.setdefault(cid, (pid, as_text(port.get("name")) or cid))
        mapped.append((m, data, problems, pid))
    for contract in contracts:
        if contract.id and contract.id not in exposes and contract.used_by is None:
            exposes[contract.id] = (_standalone_id(contract), None)  # type: ignore[assignment]
    for m, data, problems, pid in mapped:
        _input_ports(m, data, exposes, pid)
        m.finish(ctx, "odps")
        product = ctx.add(m.product("odps"))
        attribute(problems, product.id if product else pid, ctx)


def _standalone_id(contract: Contract) -> str:
    """The id a contract no product claimed will get (computed the same way as odcs.load_standalone)."""
    scratch = Mapper(contract.display, src=contract.smap)
    data = contract.data
    return product_id(scratch, data, contract.props, as_text(data.get("domain")), as_text(data.get("name")))


def _output_ports(m: Mapper, data: dict, props: dict, contracts: dict[str, Contract], pid: str) -> None:
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
        own = custom_properties(port.get("customProperties"), (*base, "customProperties"))
        for key in ("classification", "location"):
            if key in own:
                m.put((*base, key), as_text(own[key][0]), own[key][1])
        cid = as_text(port.get("contractId"))
        contract = contracts.get(cid) if cid else None
        if contract is not None:
            contract.used_by = contract.used_by or pid
            cns = namespace
            if cns is None:
                cns = contract.namespace()[0]
            ports = contract.ports(cns)
            if ports:
                # the contract's first schema object describes this port; columns point at contractId
                for sub, value, _src in ports[0]:
                    if sub[0] in ("name", "description", "type") or value is None:
                        continue
                    if value == {}:  # a column: located at the contractId too
                        m.at((*base, *sub), (*base, "contractId"))
                        continue
                    if sub[0] in ("classification", "location") and m.data["outputPorts"][k].get(sub[0]):
                        continue
                    m.put((*base, *sub), value, (*base, "contractId"))
            if namespace is None and cns:
                m.put(("namespace",), cns, (*base, "contractId"))
                namespace = cns
        if "classification" not in m.data["outputPorts"][k] and "classification" in props:
            m.put((*base, "classification"), as_text(props["classification"][0]), props["classification"][1])
        m.at(base, (*base, "name"))


def _input_ports(m: Mapper, data: dict, exposes: dict[str, tuple[str, str]], own: str) -> None:
    i = 0
    seen: set[tuple[str, str | None]] = set()
    for k, port in enumerate(as_list(data.get("inputPorts"))):
        port = as_dict(port)
        cid = as_text(port.get("contractId"))
        if not cid:
            continue
        producer, pname = exposes.get(cid, (cid, None))
        if producer == own or (producer, pname) in seen:
            continue
        seen.add((producer, pname))
        where = ("inputPorts", k, "contractId")
        m.put(("inputs", i, "product"), producer, where)
        m.put(("inputs", i, "port"), pname, where)
        m.at(("inputs", i), where)
        i += 1
