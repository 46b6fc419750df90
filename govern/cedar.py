"""Cedar: the mesh as Cedar entities, lineage edges as ``read`` requests, products as ``deploy`` requests.

The PolicySet and Entities are built once per run and every request goes through one
``is_authorized_batch`` call. A forbid policy that determines a deny becomes a finding carrying that
policy's annotations; a deny with no determining policy is ``auth.no-permit``; an evaluation error
is ``auth.evaluation-error`` (Cedar skips an erroring policy, so the gate must not trust the result).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from govern.findings import Location

if TYPE_CHECKING:
    from govern.graph import Edge
    from govern.loader import Mesh
    from govern.model import Product
    from govern.standards import RuleSpec

CLASSIFICATION_RANK = {"public": 0, "internal": 1, "confidential": 2, "restricted": 3}
NO_PERMIT = "auth.no-permit"
EVALUATION_ERROR = "auth.evaluation-error"


def _uid(kind: str, eid: str) -> dict[str, str]:
    return {"type": kind, "id": eid}


def _ref(kind: str, eid: str) -> dict[str, dict[str, str]]:
    """An entity reference inside an attribute value (Cedar's JSON entity format)."""
    return {"__entity": _uid(kind, eid)}


def highest_classification(product: Product, port: str | None = None) -> str:
    """Classification of the named port, or the highest of all ports (unknown counts as restricted)."""
    ports = product.model.outputPorts
    if port is not None:
        ports = [p for p in ports if p.name == port] or ports
    ranks = [CLASSIFICATION_RANK.get(p.classification or "", 3) for p in ports]
    rank = max(ranks) if ranks else CLASSIFICATION_RANK["internal"]
    return next(k for k, v in CLASSIFICATION_RANK.items() if v == rank)


def principal_of(product: Product) -> dict[str, str] | None:
    """The owning team, else the owning person, as a Cedar entity uid."""
    owner = product.model.owner
    if owner is None:
        return None
    if owner.group:
        return _uid("Team", owner.group)
    if owner.person:
        return _uid("User", owner.person)
    return None


def build_entities(mesh: Mesh) -> list[dict[str, Any]]:
    """Domains, teams, users and data products, with team → domain and user → team membership."""
    domains: set[str] = set()
    teams: dict[str, set[str]] = {}
    users: dict[str, set[str]] = {}
    if mesh.org:
        domains.update(mesh.org.domains)
        for team in mesh.org.teams:
            parents = teams.setdefault(team.id, set())
            if team.domain:
                parents.add(team.domain)
                domains.add(team.domain)
            for member in team.members:
                users.setdefault(member, set()).add(team.id)
    org_known = mesh.org is not None
    products = []
    for product in mesh.products:
        m = product.model
        if m.domain:
            domains.add(m.domain)
        owner = m.owner
        if owner and owner.group:
            parents = teams.setdefault(owner.group, set())
            # Without org.yaml, a team belongs to the domains of the products it owns.
            if not org_known and m.domain:
                parents.add(m.domain)
        if owner and owner.person:
            users.setdefault(owner.person, set())
        readers = m.access.readers if m.access else []
        for reader in readers:
            teams.setdefault(reader, set())
        attrs: dict[str, Any] = {
            "namespace": m.namespace or "",
            "visibility": (m.access.visibility if m.access else None) or "mesh",
            "state": product.state or "",
            "classification": highest_classification(product),
            "readers": [_ref("Team", r) for r in readers],
        }
        if m.domain:
            attrs["domain"] = _ref("Domain", m.domain)
        if owner and owner.group:
            attrs["ownerTeam"] = _ref("Team", owner.group)
        elif owner and owner.person:
            attrs["ownerUser"] = _ref("User", owner.person)
        products.append(
            {"uid": _uid("DataProduct", product.id), "attrs": attrs,
             "parents": [_uid("Domain", m.domain)] if m.domain else []}
        )
    entities: list[dict[str, Any]] = [{"uid": _uid("Domain", d), "attrs": {}, "parents": []} for d in sorted(domains)]
    entities += [
        {"uid": _uid("Team", t), "attrs": {}, "parents": [_uid("Domain", d) for d in sorted(ps)]}
        for t, ps in sorted(teams.items())
    ]
    entities += [
        {"uid": _uid("User", u), "attrs": {}, "parents": [_uid("Team", t) for t in sorted(ps)]}
        for u, ps in sorted(users.items())
    ]
    # First manifest wins for duplicate ids (duplicates are reported by namespace.unique-id).
    seen: set[str] = set()
    for entity in products:
        if entity["uid"]["id"] not in seen:
            seen.add(entity["uid"]["id"])
            entities.append(entity)
    return entities


@dataclass
class Request:
    """One Cedar request and what a finding about it needs."""

    product: str
    body: dict[str, Any]
    params: dict[str, str]
    location: Location


def read_requests(mesh: Mesh, edges: Iterable[Edge]) -> list[Request]:
    """A ``read`` request for each lineage edge whose producer is a product of the mesh."""
    out = []
    for edge in edges:
        consumer = mesh.by_id.get(edge.consumer)
        producer = mesh.by_id.get(edge.producer)
        if consumer is None or producer is None:
            continue
        principal = principal_of(consumer)
        if principal is None:
            continue
        classification = highest_classification(producer, edge.port)
        out.append(
            Request(
                product=consumer.id,
                body={
                    "principal": principal,
                    "action": _uid("Action", "read"),
                    "resource": _uid("DataProduct", producer.id),
                    "context": {
                        "consumer": _ref("DataProduct", consumer.id),
                        "consumerNamespace": consumer.model.namespace or "",
                        "classification": classification,
                        "via": edge.kind,
                    },
                },
                params={
                    "principal": principal["id"],
                    "consumer": consumer.id,
                    "producer": producer.id,
                    "classification": classification,
                    "via": edge.kind,
                },
                location=edge.location,
            )
        )
    return out


def deploy_requests(products: Iterable[Product]) -> list[Request]:
    """A ``deploy`` request for each product, to its own namespace."""
    out = []
    for product in products:
        principal = principal_of(product)
        if principal is None:
            continue
        m = product.model
        out.append(
            Request(
                product=product.id,
                body={
                    "principal": principal,
                    "action": _uid("Action", "deploy"),
                    "resource": _uid("DataProduct", product.id),
                    "context": {"namespace": m.namespace or ""},
                },
                params={
                    "principal": principal["id"],
                    "product": product.id,
                    "namespace": m.namespace or "",
                    "domain": m.domain or "",
                },
                location=Location(product.path, product.source.line_of(("namespace",))),
            )
        )
    return out


@dataclass
class Decision:
    """A denied request with the rule ids that determined it (empty: no permit applied)."""

    request: Request
    reasons: list[str]
    errors: list[str]


class CedarEvaluator:
    """Holds the parsed PolicySet and Entities for one run."""

    def __init__(self, specs: list[RuleSpec], mesh: Mesh) -> None:
        import cedarpy

        policies = {s.id: s.cedar_json for s in sorted(specs, key=lambda s: s.id)}
        self.policy_set = cedarpy.PolicySet.from_json_str(
            json.dumps({"staticPolicies": policies, "templates": {}, "templateLinks": []})
        )
        self.entities = cedarpy.Entities.from_json_str(json.dumps(build_entities(mesh)))

    def decide(self, requests: list[Request]) -> list[Decision]:
        """Evaluate all requests in one batch; return the denied ones and the erroring ones."""
        import cedarpy

        if not requests:
            return []
        results = cedarpy.is_authorized_batch([r.body for r in requests], self.policy_set, self.entities)
        out = []
        for request, result in zip(requests, results, strict=True):
            errors = [str(e) for e in (result.diagnostics.errors or [])]
            if result.allowed and not errors:
                continue
            reasons = [] if result.allowed else sorted(result.diagnostics.reasons or [])
            out.append(Decision(request, reasons, errors))
        return out
