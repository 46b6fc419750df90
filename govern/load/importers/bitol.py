"""What ODCS and ODPS (both Bitol standards) share: custom properties, teams, ids and status.

Fields the global standards need and neither standard has a place for are read from
``customProperties`` under these documented names (``CUSTOM_PROPERTIES``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from govern.load.importers.common import (
    STATUS_TO_STATE,
    Mapper,
    as_date,
    as_dict,
    as_list,
    as_text,
    invalid,
    slug,
    team_id,
)
from govern.load.importers.context import ImportContext
from govern.load.importers.validate import bitol_schemas, problems, where
from govern.model.findings import Finding, Severity
from govern.model.source import FieldPath, SourceMap

# customProperties name → what it sets in the internal model
CUSTOM_PROPERTIES = {
    "productId": "id (when the document's id is not <domain>.<name>)",
    "namespace": "namespace (prod | preprod | test)",
    "format": "format (structured | unstructured)",
    "complexity": "complexity (simple | complex)",
    "structure": "structure (lot | set | append)",
    "classification": "classification of output ports that do not give their own",
    "location": "location of an ODPS output port whose contract gives none",
    "tombstone": "tombstone record {at, reason}",
    "sunset": "lifecycle.sunset",
    "replacedBy": "lifecycle.replacedBy",
    "deprecationReason": "lifecycle.reason",
    "lifecycleEvents": "lifecycle.events [{state, at}]",
    "visibility": "access.visibility (mesh | domain | private)",
    "readers": "access.readers (team ids)",
    "job": "execution.job",
    "code": "execution.code (SQL files, relative to the document)",
    "dialect": "execution.dialect",
    "inputs": "inputs (product ids), ODCS only; ODPS uses inputPorts",
    "pii": "a column is personal data (ODCS property level)",
}
OWNER_ROLES = ("owner", "product owner", "data owner", "productowner", "dataowner")


def custom_properties(items: Any, base: FieldPath) -> dict[str, tuple[Any, FieldPath]]:
    """``customProperties`` as name → (value, field path of the value); the first of a name wins."""
    out: dict[str, tuple[Any, FieldPath]] = {}
    for i, item in enumerate(as_list(items)):
        item = as_dict(item)
        name = as_text(item.get("property"))
        if name and name not in out:
            out[name] = (item.get("value"), (*base, i, "value"))
    return out


def product_id(m: Mapper, doc: dict, props: dict, domain: str | None, name: str | None) -> str:
    """The product id: customProperties.productId, an id already in ``<domain>.<name>`` form, else derived."""
    explicit = props.get("productId")
    if explicit and as_text(explicit[0]):
        m.put(("id",), as_text(explicit[0]), explicit[1])
        return m.data["id"]
    raw = as_text(doc.get("id"))
    if raw and "." in raw:
        m.put(("id",), raw, ("id",))
    elif domain and (name or raw):
        m.put(("id",), f"{slug(domain)}.{slug(name or raw or '')}", ("name",) if name else ("id",))
        standard = "ODCS" if doc.get("kind") == "DataContract" else "ODPS"
        m.inferred[("id",)] = f"{standard} domain '{domain}' and {'name' if name else 'id'} '{name or raw}'"
    else:
        # no domain to build <domain>.<name> from: the id's format follows from the missing domain,
        # which namespace.domain-required reports (one finding for one problem)
        m.put(("id",), slug(name or raw or "unnamed"), ("name",) if name else ("id",))
        m.consequences["namespace.id-format"] = "namespace.domain-required"
        m.consequences["auth.deploy-own-domain"] = "namespace.domain-required"  # no domain to deploy to
    return m.data["id"]


def map_team(m: Mapper, team: Any, ctx: ImportContext) -> None:
    """team → owner: the team's name is the owning group, a member whose role is owner the person."""
    members: list = []
    members_path: FieldPath = ("team",)
    if isinstance(team, dict):
        name = as_text(team.get("name"))
        if name:
            m.put(("owner", "group"), team_id(name, ctx.org), ("team", "name"))
        members, members_path = as_list(team.get("members")), ("team", "members")
    elif isinstance(team, list):  # ODCS v3.0: a list of members
        members = team
    for i, member in enumerate(members):
        member = as_dict(member)
        role = (as_text(member.get("role")) or "").strip().lower()
        if role in OWNER_ROLES and as_text(member.get("username")) and not member.get("dateOut"):
            m.put(("owner", "person"), as_text(member["username"]), (*members_path, i, "username"))
            break
    if "owner" in m.data:
        m.at(("owner",), ("team",))


_QUALITY_KEYS = {"name": "name", "type": "type", "metric": "metric", "rule": "metric", "dimension": "dimension",
                 "description": "description", "query": "query", "severity": "severity"}
_QUALITY_SKIP = {"authoritativeDefinitions", "customProperties", "tags", "id"}


def map_quality(check: Any) -> dict:
    """An ODCS quality item as a QualityCheck: name, type, metric (``rule`` in v3.0), dimension,
    description, query, severity; thresholds (mustBe, mustBeGreaterThan, ...) and other options in
    ``details``."""
    check = as_dict(check)
    out: dict[str, Any] = {}
    details: dict[str, Any] = {}
    for key, value in check.items():
        if key in _QUALITY_KEYS and as_text(value) and _QUALITY_KEYS[key] not in out:
            out[_QUALITY_KEYS[key]] = as_text(value)
        elif key not in _QUALITY_SKIP and key not in _QUALITY_KEYS and value is not None:
            details[str(key)] = value if isinstance(value, str | int | float | bool | list | dict) else str(value)
    if details:
        out["details"] = details
    return out


def map_service(m: Mapper, doc: dict) -> None:
    """slaProperties, support and roles: kept on the product as the document says them."""
    for i, sla in enumerate(as_list(doc.get("slaProperties"))):
        sla = as_dict(sla)
        if not as_text(sla.get("property")):
            continue
        entry = {k: sla[k] for k in ("property", "value", "unit", "element", "driver", "description")
                 if sla.get(k) is not None}
        if not isinstance(entry.get("value"), str | int | float | bool | type(None)):
            entry["value"] = str(entry["value"])
        for key in ("unit", "element", "driver", "description"):
            if key in entry:
                entry[key] = as_text(entry[key])
        m.put(("sla", i), entry, ("slaProperties", i))
    for i, item in enumerate(as_list(doc.get("support"))):
        item = as_dict(item)
        entry = {k: as_text(item.get(k)) for k in ("channel", "url", "tool", "scope", "description")
                 if as_text(item.get(k))}
        m.put(("support", i), entry, ("support", i))
    for i, role in enumerate(as_list(doc.get("roles"))):
        role = as_dict(role)
        if not as_text(role.get("role")):
            continue
        entry = {k: as_text(role.get(k)) for k in ("role", "access", "description", "firstLevelApprovers",
                                                     "secondLevelApprovers") if as_text(role.get(k))}
        m.put(("roles", i), entry, ("roles", i))


def map_common(m: Mapper, doc: dict, props: dict, ctx: ImportContext) -> None:
    """Fields ODCS and ODPS map the same way: names, description, lifecycle, custom properties."""
    m.put(("name",), as_text(doc.get("name")), ("name",))
    description = doc.get("description")
    if isinstance(description, dict):
        text = as_text(description.get("purpose")) or as_text(description.get("usage"))
        m.put(("description",), text, ("description", "purpose" if description.get("purpose") else "usage"))
    else:
        m.put(("description",), as_text(description), ("description",))
    m.put(("domain",), as_text(doc.get("domain")), ("domain",))
    m.put(("version",), as_text(doc.get("version")), ("version",))
    map_team(m, doc.get("team"), ctx)
    status = as_text(doc.get("status"))
    if status:
        m.put(("lifecycle", "state"), STATUS_TO_STATE.get(status.strip().lower(), status), ("status",))
        m.at(("lifecycle",), ("status",))
    for key in ("namespace", "format", "complexity", "structure"):
        if key in props:
            m.put((key,), as_text(props[key][0]), props[key][1])
    for key, target in (("sunset", "sunset"), ("replacedBy", "replacedBy"), ("deprecationReason", "reason")):
        if key in props:
            value = as_date(props[key][0]) if key == "sunset" else as_text(props[key][0])
            m.put(("lifecycle", target), value, props[key][1])
    if "lifecycleEvents" in props:
        value, where = props["lifecycleEvents"]
        for i, event in enumerate(as_list(value)):
            event = as_dict(event)
            m.put(("lifecycle", "events", i), {"state": event.get("state"), "at": as_date(event.get("at"))},
                  (*where, i))
    if "tombstone" in props:
        value, where = props["tombstone"]
        value = as_dict(value)
        m.put(("tombstone",), {"at": as_date(value.get("at")), "reason": as_text(value.get("reason"))}, where)
    if "visibility" in props:
        m.put(("access", "visibility"), as_text(props["visibility"][0]), props["visibility"][1])
    if "readers" in props:
        readers = [r for r in as_list(props["readers"][0]) if as_text(r)]
        m.put(("access", "readers"), readers or None, props["readers"][1])
    if "job" in props:
        m.put(("execution", "job"), as_text(props["job"][0]), props["job"][1])
    if "code" in props:
        value, where = props["code"]
        code = [c for c in (value if isinstance(value, list) else [value]) if as_text(c)]
        m.put(("execution", "code"), code or None, where)
    if "dialect" in props:
        m.put(("execution", "dialect"), as_text(props["dialect"][0]), props["dialect"][1])
    tags = [t for t in as_list(doc.get("tags")) if isinstance(t, str)]
    m.put(("tags",), tags or None, ("tags",))
    map_service(m, doc)


def read_document(path: Path, display: str, schema: str, ctx: ImportContext, what: str,
                  kind: str) -> tuple[dict | None, SourceMap | None, list[Finding]]:
    """Parse a YAML document, validate it against its published schema and say what is malformed.

    Returns the data (still mapped when the schema finds problems, so the product stays governed),
    its line map and the schema findings (the caller names the product on them once it is mapped);
    data is None when the document is not a mapping of the expected kind.
    """
    from govern.load.manifest import input_error_finding
    from govern.load.yamlio import read_yaml_file
    from govern.model.errors import InputError

    try:
        data, smap = read_yaml_file(path, display)
    except InputError as exc:
        ctx.findings.append(input_error_finding(exc, rule="manifest.invalid"))
        return None, None, []
    if not isinstance(data, dict):
        ctx.findings.append(invalid(f"{what} must be a YAML mapping", display, 1, rule="manifest.invalid"))
        return None, None, []
    names, note = bitol_schemas(schema, data.get("apiVersion"))
    found = [
        invalid(f"{what}: {where(p.path)}{p.message}", display, smap.line_of(p.path), rule="manifest.invalid")
        for p in problems(data, names)
    ]
    if note:
        found.append(invalid(f"{what}: {note}", display, smap.line_of(("apiVersion",)), rule="manifest.invalid",
                             severity=Severity.INFO))
    if data.get("kind") != kind:
        ctx.findings.extend(found)
        return None, None, []
    return data, smap, found


def attribute(findings: list[Finding], product: str | None, ctx: ImportContext) -> None:
    """Name the product on findings about its document and hand them to the context."""
    for f in findings:
        f.product = product
    ctx.findings.extend(findings)
