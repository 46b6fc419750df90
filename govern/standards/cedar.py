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

from govern.model.findings import Location
from govern.model.product import CLASSIFICATION_RANK

if TYPE_CHECKING:
    from govern.model.lineage import Edge
    from govern.model.mesh import Mesh
    from govern.model.product import Product
    from govern.standards.pack import RuleSpec

NO_PERMIT = "auth.no-permit"
EVALUATION_ERROR = "auth.evaluation-error"


def _uid(kind: str, eid: str) -> dict[str, str]:
    return {"type": kind, "id": eid}


def _ref(kind: str, eid: str) -> dict[str, dict[str, str]]:
    """An entity reference inside an attribute value (Cedar's JSON entity format)."""
    return {"__entity": _uid(kind, eid)}


UNCLASSIFIED = "unclassified"


def highest_classification(product: Product, port: str | None = None) -> str:
    """Classification of the named port, or the highest of all ports.

    A value outside the scheme counts as restricted (auth.classification-enum reports it). A port with
    no classification is ``unclassified``, unless another port is restricted: that is its own error
    (auth.classification-required), not a restricted read reported again on every consumer.
    """
    ports = product.model.outputPorts
    if port is not None:
        ports = [p for p in ports if p.name == port] or ports
    ranks = [CLASSIFICATION_RANK.get(p.classification, 3) for p in ports if p.classification]
    rank = max(ranks) if ranks else CLASSIFICATION_RANK["internal"]
    if rank < CLASSIFICATION_RANK["restricted"] and any(not p.classification for p in ports):
        return UNCLASSIFIED
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


# The top-level manifest fields the entities and requests below read (what the Cedar rules read of a
# product): a request about a product whose value in one of them is invalid is not evaluated.
ENTITY_FIELDS = frozenset({"namespace", "domain", "owner", "access", "lifecycle", "outputPorts"})


def reads_invalid(request: Request, mesh: Mesh) -> bool:
    """True when ``request`` is about a product (principal's or resource) with an invalid value Cedar reads."""
    for pid in (request.product, request.body["resource"]["id"]):
        product = mesh.by_id.get(pid)
        if product is not None and product.invalid & ENTITY_FIELDS:
            return True
    return False


def build_entities(mesh: Mesh, only: set[str] | None = None) -> list[dict[str, Any]]:
    """Domains, teams, users and data products, with team → domain and user → team membership.

    ``only`` limits the DataProduct entities to those ids (the ones a batch of requests can reach; see
    ``reachable_products``); domains, teams and users are always complete.
    """
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
    if mesh.org is None:  # without org.yaml, a team belongs to the domains of the products it owns
        for team, owned in mesh.team_domains().items():
            teams.setdefault(team, set()).update(owned)
            domains.update(owned)
    products = []
    for product in mesh.products:
        m = product.model
        if m.domain:
            domains.add(m.domain)
        owner = m.owner
        if owner and owner.group:
            teams.setdefault(owner.group, set())
        if owner and owner.person:
            users.setdefault(owner.person, set())
        readers = m.access.readers if m.access else []
        for reader in readers:
            teams.setdefault(reader, set())
        if only is not None and product.id not in only:
            continue
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


def context_attributes(policies: Iterable[dict]) -> frozenset[str] | None:
    """The context attributes the policies (Cedar JSON) read, or None when one uses ``context`` whole.

    Attributes no policy reads cannot change a decision, its reasons or its errors, so they are left out
    of the requests: fewer bytes to parse, and requests that differ only there are decided once.
    """
    found: set[str] = set()
    whole = False

    def walk(node: Any) -> None:
        nonlocal whole
        if isinstance(node, dict):
            for op in (".", "has"):
                inner = node.get(op)
                if isinstance(inner, dict) and inner.get("left") == {"Var": "context"}:
                    found.add(inner.get("attr"))
                    walk({k: v for k, v in inner.items() if k != "left"})
                    break
            else:
                if node.get("Var") == "context":
                    whole = True
                for value in node.values():
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for policy in policies:
        walk(policy)
    return None if whole else frozenset(a for a in found if isinstance(a, str))


def _entity_refs(node: Any, kind: str, out: set[str]) -> None:
    """Ids of ``kind`` entities referenced anywhere in ``node`` (entity literals and ``__entity`` refs)."""
    if isinstance(node, dict):
        for key in ("__entity", "entity"):  # attribute values and literals; policy scope constraints
            ref = node.get(key)
            if isinstance(ref, dict) and ref.get("type") == kind and isinstance(ref.get("id"), str):
                out.add(ref["id"])
        for value in node.values():
            _entity_refs(value, kind, out)
    elif isinstance(node, list):
        for value in node:
            _entity_refs(value, kind, out)


def reachable_products(bodies: Iterable[dict], policies: Iterable[dict]) -> set[str]:
    """DataProduct ids a batch can reach: principals, resources, context references, policy literals.

    Product attributes refer only to domains, teams and users (always complete), so an entity outside
    this set can never be read while deciding the batch: leaving it out changes no decision.
    """
    out: set[str] = set()
    for body in bodies:
        for role in ("principal", "resource"):
            uid = body.get(role)
            if isinstance(uid, dict) and uid.get("type") == "DataProduct":
                out.add(uid["id"])
        _entity_refs(body.get("context"), "DataProduct", out)
    for policy in policies:
        _entity_refs(policy, "DataProduct", out)
    return out


class CedarEvaluator:
    """Holds the parsed PolicySet and Entities for one run.

    With ``requests``, only the DataProduct entities those requests can reach are built
    (``reachable_products``): in changed-files mode a handful instead of the whole mesh.

    With ``memo``, the verdicts of a batch are kept in the pack cache (govern/incremental/packcache.py) under the
    digest of everything Cedar reads (cedarpy build, policies, entities, requests), and an identical batch
    is answered from there: cedarpy is then not even imported. For small batches (changed-files mode).
    """

    def __init__(self, specs: list[RuleSpec], mesh: Mesh, requests: list[Request] | None = None,
                 memo: bool = False) -> None:
        policies = {s.id: s.cedar_json for s in sorted(specs, key=lambda s: s.id)}
        self.policies_json = json.dumps({"staticPolicies": policies, "templates": {}, "templateLinks": []})
        self.context_keys = context_attributes(policies.values())
        only = None
        if requests is not None:
            only = reachable_products((self._body(r) for r in requests), policies.values())
        self.entities_json = json.dumps(build_entities(mesh, only))
        self.memo = memo
        self._engine: tuple[Any, Any] | None = None
        if not memo:
            self._parsed()

    def _parsed(self) -> tuple[Any, Any]:
        """(PolicySet, Entities), parsed by cedarpy on first use."""
        if self._engine is None:
            import cedarpy

            self._engine = (cedarpy.PolicySet.from_json_str(self.policies_json),
                            cedarpy.Entities.from_json_str(self.entities_json))
        return self._engine

    @property
    def policy_set(self) -> Any:
        return self._parsed()[0]

    @property
    def entities(self) -> Any:
        return self._parsed()[1]

    def _body(self, request: Request) -> dict[str, Any]:
        """The request as sent to Cedar: context attributes no policy reads are left out."""
        body = request.body
        context = body.get("context")
        if self.context_keys is not None and isinstance(context, dict):
            context = {k: v for k, v in context.items() if k in self.context_keys}
        return {"principal": body["principal"], "action": body["action"], "resource": body["resource"],
                "context": context or {}}

    def decide(self, requests: list[Request]) -> list[Decision]:
        """Evaluate all requests in one batch; return the denied ones and the erroring ones.

        Identical requests (after leaving out unread context) are sent once; the context goes as JSON text.
        """
        if not requests:
            return []
        slots: dict[tuple, int] = {}
        unique: list[dict[str, Any]] = []
        index: list[int] = []
        texts: dict[tuple, str] = {}  # context items -> JSON text (contexts repeat a lot)
        order = sorted(self.context_keys) if self.context_keys is not None else None
        for request in requests:
            body = request.body
            context = body.get("context") or {}
            if order is not None:
                items = tuple((k, context[k]) for k in order if k in context)
            else:
                items = tuple(sorted(context.items()))
            try:
                text = texts.get(items)
                if text is None:
                    text = texts[items] = json.dumps(dict(items), separators=(",", ":"))
            except TypeError:  # an entity reference or a set in the context: not hashable
                text = json.dumps(dict(items), sort_keys=True, separators=(",", ":"))
            p, a, r = body["principal"], body["action"], body["resource"]
            key = (p["type"], p["id"], a["type"], a["id"], r["type"], r["id"], text)
            slot = slots.get(key)
            if slot is None:
                slot = slots[key] = len(unique)
                unique.append({"principal": p, "action": a, "resource": r, "context": text})
            index.append(slot)
        verdicts = self._verdicts(unique)
        self.evaluated = len(unique)
        out = []
        for request, slot in zip(requests, index, strict=True):
            verdict = verdicts[slot]
            if verdict is not None:
                out.append(Decision(request, list(verdict[0]), list(verdict[1])))
        return out

    def _verdicts(self, unique: list[dict[str, Any]]) -> list[tuple[list[str], list[str]] | None]:
        """Per request: None when allowed without errors, else (determining policy ids, errors)."""
        cache = key = None
        if self.memo:
            from govern.incremental import packcache

            build = packcache.cedar_build_cached()
            if build:
                batch = json.dumps(unique, sort_keys=True, separators=(",", ":"))
                key = packcache.decisions_key(build, self.policies_json, self.entities_json, batch)
                cache = packcache.PackCache()
                found = cache.take(key)
                if isinstance(found, list) and len(found) == len(unique) and all(
                        v is None or (isinstance(v, tuple) and len(v) == 2) for v in found):
                    return [None if v is None else (list(v[0]), list(v[1])) for v in found]
        import cedarpy

        policy_set, entities = self._parsed()
        verdicts: list[tuple[list[str], list[str]] | None] = []
        for result in cedarpy.is_authorized_batch(unique, policy_set, entities):
            errors = [str(e) for e in (result.diagnostics.errors or [])]
            if result.allowed and not errors:
                verdicts.append(None)
                continue
            reasons = [] if result.allowed else sorted(result.diagnostics.reasons or [])
            verdicts.append((reasons, errors))
        if cache is not None and key is not None:
            cache.put(key, [None if v is None else (list(v[0]), list(v[1])) for v in verdicts])
            cache.save()
        return verdicts
