"""A deterministic generator of synthetic data meshes for benchmarks.

``generate(root, n, seed)`` writes ``n`` products across ``max(4, n // 250)`` domains: one
``dataproduct.yaml`` and one SQL file each, an ``org.yaml``, a ``govern.yaml`` and a ``waivers.yaml``.
Products form a DAG: each derived product reads 1-5 earlier products (fan-in), mostly of its own domain,
and its SQL is a TPC-H / TPC-DS query whose base tables are renamed to the upstream products' output-port
locations. Source products read raw tables (allowed by ``sql.allowTables``).

A known sprinkling of violations is planted (``PLANTS``); every finding each one must cause is recorded in
``.bench/expected.json`` under the mesh root (a dot directory, so govern never reads it as input).
The same ``(n, seed)`` always writes byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.corpus import Template, load_templates

DIALECT = "snowflake"
TODAY = dt.date(2026, 6, 1)
EXPECTED_FILE = ".bench/expected.json"
RANK = {"public": 0, "internal": 1, "confidential": 2, "restricted": 3}
_DOMAIN_WORDS = ("sales", "crm", "finance", "logistics", "marketing", "hr", "supply", "risk", "payments",
                 "inventory", "pricing", "support", "billing", "fraud", "catalog", "loyalty", "web", "mobile",
                 "stores", "partners")
_NOUNS = ("orders", "customers", "returns", "revenue", "shipments", "invoices", "visits", "campaigns", "stock",
          "prices", "claims", "tickets", "accounts", "sessions", "refunds", "margins", "forecasts", "leads")
_PORT_SUFFIXES = ("daily", "history")


@dataclass
class Spec:
    """One product as planned, before it is written."""

    index: int
    id: str
    domain: str
    name: str
    team: str
    person: str
    namespace: str = "prod"
    state: str = "active"
    visibility: str = "mesh"
    readers: list[str] = field(default_factory=list)
    classification: str = "internal"
    ports: list[dict[str, Any]] = field(default_factory=list)
    inputs: list[dict[str, Any]] = field(default_factory=list)  # {product, port?}
    reads: dict[str, str] = field(default_factory=dict)  # template table -> product id it reads
    read_ports: dict[str, str] = field(default_factory=dict)  # product id -> port it reads
    template: Template | None = None
    create: bool = True
    sql_override: Callable[[dict[str, Spec]], str] | None = None
    sql_suffix: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # manifest fields set by plants (None deletes)
    touched: bool = False

    @property
    def location(self) -> str:
        return self.ports[0]["location"]

    def port_location(self, port: str) -> str:
        return next(p["location"] for p in self.ports if p["name"] == port)


def domains_for(n: int) -> list[str]:
    count = max(4, round(n / 250))
    out = []
    for i in range(count):
        word = _DOMAIN_WORDS[i % len(_DOMAIN_WORDS)]
        out.append(word if i < len(_DOMAIN_WORDS) else f"{word}{i // len(_DOMAIN_WORDS) + 1}")
    return out


def _column_type(name: str) -> str:
    if "date" in name or name.endswith(("_dt", "_day", "_year")):
        return "date"
    if any(w in name for w in ("name", "desc", "flag", "status", "type", "id", "code", "city", "state", "zip",
                               "category", "class", "brand", "mode", "priority", "segment")):
        return "string"
    return "number"


def _may_read(consumer: Spec, producer: Spec) -> bool:
    """A read that no rule objects to: in force, mesh-visible or same domain, never prod reading lower."""
    if producer.state not in ("active",) or producer.classification == "restricted":
        return False
    if consumer.namespace == "prod" and producer.namespace != "prod":
        return False
    if producer.visibility == "domain" and producer.domain != consumer.domain:
        return False
    return not (producer.visibility == "private" and consumer.team not in (*producer.readers, producer.team))


class Planner:
    """Plans the products of one mesh (random choices from one seeded generator)."""

    def __init__(self, n: int, seed: int) -> None:
        self.n = n
        self.rng = random.Random(seed)
        self.domains = domains_for(n)
        self.teams = {d: [f"{d}-data", f"{d}-analytics"] for d in self.domains}
        self.members = {t: [f"{t.replace('-', '.')}.{who}@example.com" for who in ("ana", "ben")]
                        for ts in self.teams.values() for t in ts}
        # Queries with SELECT * are left out: sql.select-star is planted on purpose (plant_select_star).
        self.templates = tuple(t for t in load_templates(DIALECT) if not t.star)
        self.by_width: dict[int, list[Template]] = {}
        for t in self.templates:
            for k in range(1, len(t.tables) + 1):
                self.by_width.setdefault(k, []).append(t)
        self.specs: list[Spec] = []
        self.by_id: dict[str, Spec] = {}
        self.consumers: dict[str, list[str]] = {}

    def plan(self) -> list[Spec]:
        rng = self.rng
        n_sources = max(4, self.n * 15 // 100)
        per_domain: dict[str, list[Spec]] = {d: [] for d in self.domains}
        for i in range(self.n):
            domain = self.domains[i % len(self.domains)]
            name = f"{_NOUNS[(i // len(self.domains)) % len(_NOUNS)]}_{i:05d}"
            team = rng.choice(self.teams[domain])
            spec = Spec(i, f"{domain}.{name}", domain, name, team, rng.choice(self.members[team]))
            roll = rng.random()
            spec.namespace = "prod" if roll < 0.9 else ("preprod" if roll < 0.97 else "test")
            roll = rng.random()
            spec.state = "active" if roll < 0.88 else ("init" if roll < 0.96 else "deprecated")
            roll = rng.random()
            spec.visibility = "mesh" if roll < 0.85 else ("domain" if roll < 0.95 else "private")
            if spec.visibility == "private":
                other = self.domains[(i + 1) % len(self.domains)]
                spec.readers = [self.teams[other][0]]
            if i < n_sources:
                spec.template = rng.choice(self.templates)
                spec.classification = rng.choices(["public", "internal", "confidential"], [10, 75, 15])[0]
                spec.reads = {t: "" for t in spec.template.tables}  # raw tables
            else:
                self._choose_inputs(spec, per_domain[domain])
            spec.create = rng.random() < 0.5
            self._ports(spec)
            self.specs.append(spec)
            self.by_id[spec.id] = spec
            per_domain[domain].append(spec)
            for ref in spec.inputs:
                self.consumers.setdefault(ref["product"], []).append(spec.id)
        return self.specs

    def _choose_inputs(self, spec: Spec, same_domain: list[Spec]) -> None:
        rng = self.rng
        k = rng.choices([1, 2, 3, 4, 5], [30, 30, 20, 12, 8])[0]
        chosen: list[Spec] = []
        for _ in range(k * 6):
            if len(chosen) == k:
                break
            pool = same_domain if same_domain and rng.random() < 0.6 else self.specs
            producer = pool[rng.randrange(len(pool))]
            if producer not in chosen and _may_read(spec, producer):
                chosen.append(producer)
        if not chosen:  # nothing readable upstream: a source product after all
            spec.template = rng.choice(self.templates)
            spec.reads = {t: "" for t in spec.template.tables}
            return
        spec.template = rng.choice(self.by_width[len(chosen)])
        tables = list(spec.template.tables)
        rng.shuffle(tables)
        for j, table in enumerate(tables):
            producer = chosen[j] if j < len(chosen) else chosen[rng.randrange(len(chosen))]
            spec.reads[table] = producer.id
        for producer in chosen:
            port = producer.ports[rng.randrange(len(producer.ports))]["name"]
            spec.read_ports[producer.id] = port
            ref: dict[str, Any] = {"product": producer.id}
            if rng.random() < 0.5:
                ref["port"] = port
            spec.inputs.append(ref)
        rank = max([RANK[p.classification] for p in chosen] + [RANK["internal"]])
        spec.classification = next(c for c, r in RANK.items() if r == rank)

    def _ports(self, spec: Spec) -> None:
        rng = self.rng
        count = rng.choices([1, 2, 3], [60, 30, 10])[0]
        columns = list(spec.template.columns if spec.template else ()) or ["id", "updated_at"]
        schema = f"analytics.{spec.domain}_{spec.namespace}"
        pii = spec.classification == "confidential" and rng.random() < 0.5
        for k in range(count):
            pname = spec.name if k == 0 else f"{spec.name}_{_PORT_SUFFIXES[k - 1]}"
            cols = columns if k == 0 else columns[: max(1, len(columns) // 2)]
            port = {
                "name": pname,
                "type": "table",
                "location": f"{schema}.{pname}",
                "classification": spec.classification,
                "description": f"{pname.replace('_', ' ')} of the {spec.domain} domain",
                "columns": [
                    {"name": c, "type": _column_type(c), **({"pii": True} if pii and i == 0 else {})}
                    for i, c in enumerate(cols[:14])
                ],
            }
            spec.ports.append(port)

    def relocate(self, spec: Spec, namespace: str) -> None:
        """Move a product to another namespace (its port locations follow)."""
        spec.namespace = namespace
        for port in spec.ports:
            port["location"] = f"analytics.{spec.domain}_{namespace}.{port['name']}"


# --- planted violations -------------------------------------------------------------------------

Expect = list[dict[str, Any]]


def _expect(rule: str, product: str, plant: str, waived: bool = False) -> dict[str, Any]:
    return {"rule": rule, "product": product, "plant": plant, "waived": waived}


def _free(p: Planner, spec: Spec, *others: str) -> bool:
    """Nothing planted on the product, its inputs or its consumers yet."""
    ids = [spec.id, *others, *(r["product"] for r in spec.inputs), *p.consumers.get(spec.id, ())]
    return not any(p.by_id[i].touched for i in ids if i in p.by_id)


def _mark(p: Planner, *ids: str) -> None:
    for i in ids:
        p.by_id[i].touched = True


def _pick(p: Planner, ok: Callable[[Spec], bool]) -> Spec | None:
    """A random product that fits (random probes first: a full scan per plant is quadratic at 50k)."""
    n = len(p.specs)
    for _ in range(min(4 * n, 2000)):
        s = p.specs[p.rng.randrange(n)]
        if _free(p, s) and ok(s):
            return s
    candidates = [s for s in p.specs if _free(p, s) and ok(s)]
    return p.rng.choice(candidates) if candidates else None


def _leaf(p: Planner, s: Spec) -> bool:
    return not p.consumers.get(s.id)


def plant_missing_description(p: Planner, waivers: list) -> Expect:
    s = _pick(p, lambda s: True)
    if s is None:
        return []
    s.extra["description"] = None
    _mark(p, s.id)
    return [_expect("documentation.description", s.id, "missing-description")]


def plant_waived_description(p: Planner, waivers: list) -> Expect:
    s = _pick(p, lambda s: True)
    if s is None:
        return []
    s.extra["description"] = None
    _mark(p, s.id)
    waivers.append({"rule": "documentation.description", "product": s.id,
                    "reason": "Description to be written after the quarterly review.",
                    "approved_by": "governance-board@example.com",
                    "expires": (TODAY + dt.timedelta(days=90)).isoformat()})
    return [_expect("documentation.description", s.id, "waived-description", waived=True)]


def plant_ghost_owner(p: Planner, waivers: list) -> Expect:
    # a team outside org.yaml belongs to no domain: only mesh-visible inputs keep auth quiet
    s = _pick(p, lambda s: _leaf(p, s) and all(p.by_id[r["product"]].visibility == "mesh" for r in s.inputs))
    if s is None:
        return []
    s.team = f"ghost-team-{s.index}"
    _mark(p, s.id)
    return [_expect("owner.group-exists", s.id, "ghost-owner"),
            _expect("auth.deploy-own-domain", s.id, "ghost-owner")]


def plant_dangling_input(p: Planner, waivers: list) -> Expect:
    s = _pick(p, lambda s: bool(s.inputs))
    if s is None:
        return []
    s.inputs.append({"product": f"{s.domain}.gone_{s.index:05d}"})
    _mark(p, s.id)
    return [_expect("lineage.input-exists", s.id, "dangling-input")]


def _repeated_table(s: Spec) -> str | None:
    """A template table whose producer is also read through another table (remapping it drops no input)."""
    seen: dict[str, int] = {}
    for pid in s.reads.values():
        seen[pid] = seen.get(pid, 0) + 1
    return next((t for t, pid in s.reads.items() if pid and seen[pid] > 1), None)


def plant_undeclared_read(p: Planner, waivers: list) -> Expect:
    s = _pick(p, lambda s: bool(s.inputs) and _repeated_table(s) is not None)
    if s is None:
        return []
    declared = {r["product"] for r in s.inputs}
    others = [o for o in p.specs[: s.index] if o.id not in declared and _may_read(s, o) and not o.touched
              and RANK[o.classification] <= RANK[s.classification]]
    if not others:
        return []
    other = p.rng.choice(others)
    s.reads[_repeated_table(s)] = other.id
    s.read_ports[other.id] = other.ports[0]["name"]
    p.consumers.setdefault(other.id, []).append(s.id)
    _mark(p, s.id, other.id)
    return [_expect("lineage.undeclared-dependency", s.id, "undeclared-read")]


def plant_select_star(p: Planner, waivers: list) -> Expect:
    s = _pick(p, lambda s: len(s.inputs) == 1 and s.namespace == "prod")
    if s is None:
        return []
    src = s.inputs[0]["product"]
    s.sql_override = lambda specs: (f"-- {s.id}: everything of its input\n"
                                    f"select * from {specs[src].port_location(s.read_ports[src])}")
    _mark(p, s.id)
    return [_expect("sql.select-star", s.id, "select-star")]


def plant_past_sunset(p: Planner, waivers: list) -> Expect:
    def ok(q: Spec) -> bool:
        cons = p.consumers.get(q.id, [])
        return q.state == "active" and 1 <= len(cons) <= 2 and all(_free(p, p.by_id[c]) for c in cons)

    q = _pick(p, ok)
    if q is None:
        return []
    successor = next((o for o in p.specs if o.domain == q.domain and o.id != q.id and not o.touched), None)
    if successor is None:
        return []
    q.state = "deprecated"
    q.extra["lifecycle"] = {
        "state": "deprecated",
        "events": [{"state": "init", "at": "2025-01-06"}, {"state": "active", "at": "2025-02-03"},
                   {"state": "deprecated", "at": (TODAY - dt.timedelta(days=90)).isoformat()}],
        "sunset": (TODAY - dt.timedelta(days=30)).isoformat(),
        "replacedBy": successor.id,
    }
    consumers = list(p.consumers[q.id])
    _mark(p, q.id, *consumers)
    return [_expect("lifecycle.consume-deprecated-past-sunset", c, "past-sunset") for c in consumers]


def plant_domain_read(p: Planner, waivers: list) -> Expect:
    def ok(q: Spec) -> bool:
        cons = [p.by_id[c] for c in p.consumers.get(q.id, [])]
        return (q.visibility == "mesh" and bool(cons) and len(cons) <= 3
                and any(c.domain != q.domain for c in cons) and all(_free(p, c) for c in cons))

    q = _pick(p, ok)
    if q is None:
        return []
    q.visibility = "domain"
    outsiders = [c for c in p.consumers[q.id] if p.by_id[c].domain != q.domain]
    _mark(p, q.id, *p.consumers[q.id])
    return [_expect("auth.domain-read", c, "domain-read") for c in outsiders]


def plant_bad_namespace(p: Planner, waivers: list) -> Expect:
    s = _pick(p, lambda s: _leaf(p, s))
    if s is None:
        return []
    s.extra["namespace"] = "production"
    _mark(p, s.id)
    return [_expect("namespace.enum", s.id, "bad-namespace")]


def plant_bad_version(p: Planner, waivers: list) -> Expect:
    s = _pick(p, lambda s: True)
    if s is None:
        return []
    s.extra["version"] = "1.0"
    _mark(p, s.id)
    return [_expect("versioning.semver", s.id, "bad-version")]


def plant_parse_error(p: Planner, waivers: list) -> Expect:
    s = _pick(p, lambda s: True)
    if s is None:
        return []
    s.sql_suffix = ";\n\n-- a half-finished edit\nselect sum( from where;\n"
    _mark(p, s.id)
    return [_expect("sql.parse-error", s.id, "parse-error")]


def plant_cycle(p: Planner, waivers: list) -> Expect:
    # q reads s (declared and in SQL) while s already reads q: a cycle.
    def partner(s: Spec) -> Spec | None:
        if not (s.namespace == "prod" and s.state == "active" and s.visibility == "mesh"):
            return None
        for ref in s.inputs:
            q = p.by_id.get(ref["product"])
            if (q is not None and _free(p, q) and _repeated_table(q) and q.namespace == "prod"
                    and RANK[s.classification] <= RANK[q.classification]):
                return q
        return None

    s = _pick(p, lambda s: partner(s) is not None)
    if s is None:
        return []
    q = partner(s)
    assert q is not None
    q.reads[_repeated_table(q)] = s.id
    q.read_ports[s.id] = s.ports[0]["name"]
    q.inputs.append({"product": s.id, "port": s.ports[0]["name"]})
    p.consumers.setdefault(s.id, []).append(q.id)
    _mark(p, s.id, q.id)
    # The rule reports every product on the shortest cycle through the smallest id of the component.
    return [_expect("lineage.cycle", pid, "cycle") for pid in _reported_cycle(p, s.id)]


def _reads(p: Planner, pid: str) -> set[str]:
    spec = p.by_id[pid]
    return {x for x in ({r["product"] for r in spec.inputs} | {x for x in spec.reads.values() if x}) if x in p.by_id}


def _reported_cycle(p: Planner, member: str) -> list[str]:
    """The products lineage.cycle names: a shortest cycle (breadth first, successors in sorted order)
    through the smallest id of the strongly connected component of ``member``."""
    from collections import deque

    component = _component(p, member)
    start = min(component)
    parent: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in sorted(_reads(p, node)):
            if nxt == start:
                path = [node]
                while (up := parent[path[-1]]) is not None:
                    path.append(up)
                return sorted(set(path))
            if nxt in component and nxt not in parent:
                parent[nxt] = node
                queue.append(nxt)
    return [start]


def _component(p: Planner, start: str) -> set[str]:
    """Products on a lineage cycle through ``start`` (declared inputs and SQL reads)."""

    def reads(pid: str) -> set[str]:
        return _reads(p, pid)

    def reach(succ) -> set[str]:
        seen, todo = {start}, [start]
        while todo:
            for nxt in succ(todo.pop()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    back: dict[str, set[str]] = {}
    for pid in p.by_id:
        for producer in reads(pid):
            back.setdefault(producer, set()).add(pid)
    return reach(reads) & reach(lambda pid: back.get(pid, set()))


def plant_downgrade(p: Planner, waivers: list) -> Expect:
    # s (internal) copies the columns of q, which becomes confidential: sensitive data written lower.
    def ok(s: Spec) -> bool:
        if len(s.inputs) != 1 or s.classification != "internal" or s.namespace != "prod":
            return False
        q = p.by_id[s.inputs[0]["product"]]
        return p.consumers.get(q.id) == [s.id] and _free(p, q)

    s = _pick(p, ok)
    if s is None:
        return []
    q = p.by_id[s.inputs[0]["product"]]
    q.classification = "confidential"
    for port in q.ports:
        port["classification"] = "confidential"
    port = next(pt for pt in q.ports if pt["name"] == s.read_ports[q.id])
    cols = [c["name"] for c in port["columns"]]
    s.ports[0]["columns"] = [dict(c) for c in port["columns"]]
    for c in s.ports[0]["columns"]:
        c.pop("pii", None)
    s.sql_override = lambda specs: (f"-- {s.id}: a copy of {q.id}\n"
                                    f"select {', '.join(cols)}\nfrom {port['location']}")
    _mark(p, s.id, q.id)
    return [_expect("sql.classification-downgrade", s.id, "downgrade")]


def plant_leakage(p: Planner, waivers: list) -> Expect:
    def ok(q: Spec) -> bool:
        cons = p.consumers.get(q.id, [])
        return (q.namespace == "prod" and len(cons) == 1 and p.by_id[cons[0]].namespace == "prod"
                and _free(p, p.by_id[cons[0]]))

    q = _pick(p, ok)
    if q is None:
        return []
    p.relocate(q, "test")
    consumer = p.consumers[q.id][0]
    _mark(p, q.id, consumer)
    return [_expect("lineage.namespace-leakage", consumer, "leakage")]


PLANTS: tuple[Callable[[Planner, list], Expect], ...] = (
    # the pickiest first, so that small meshes still get one of each
    plant_downgrade, plant_leakage, plant_cycle, plant_domain_read, plant_past_sunset, plant_undeclared_read,
    plant_select_star, plant_dangling_input, plant_ghost_owner, plant_bad_namespace, plant_bad_version,
    plant_parse_error, plant_missing_description, plant_waived_description,
)


# --- writing --------------------------------------------------------------------------------------


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    if text == "" or not all(ch.isalnum() or ch in "._-@/: " for ch in text) or text[0] in "-:@ " \
            or text.lower() in ("yes", "no", "true", "false", "null", "on", "off") or ": " in text:
        return json.dumps(text)
    return text


def _dump(value: Any, indent: int = 0) -> list[str]:
    """A small, deterministic block-style YAML writer (flow style for short scalar mappings)."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                lines.append(f"{pad}{key}:")
                lines.extend(_dump(item, indent + 2))
            elif isinstance(item, list):
                lines.append(f"{pad}{key}: []")
            else:
                lines.append(f"{pad}{key}: {_yaml_scalar(item)}")
    else:
        for item in value:
            if isinstance(item, dict) and all(not isinstance(v, dict | list) for v in item.values()) \
                    and len(item) <= 3:
                inner = ", ".join(f"{k}: {_yaml_scalar(v)}" for k, v in item.items())
                lines.append(f"{pad}- {{{inner}}}")
            elif isinstance(item, dict):
                sub = _dump(item, indent + 2)
                lines.append(f"{pad}- {sub[0].lstrip()}")
                lines.extend(sub[1:])
            else:
                lines.append(f"{pad}- {_yaml_scalar(item)}")
    return lines


def manifest(spec: Spec, planner: Planner) -> dict[str, Any]:
    """The manifest of one product as a plain mapping (key order as written)."""
    events = [{"state": "init", "at": f"2025-{1 + spec.index % 9:02d}-{1 + spec.index % 27:02d}"}]
    if spec.state in ("active", "deprecated"):
        events.append({"state": "active", "at": f"2025-{2 + spec.index % 9:02d}-{1 + spec.index % 27:02d}"})
    lifecycle: dict[str, Any] = {"state": spec.state, "events": events}
    if spec.state == "deprecated":
        successor = planner.specs[(spec.index + 1) % len(planner.specs)].id
        events.append({"state": "deprecated", "at": "2026-03-02"})
        lifecycle.update({"sunset": (TODAY + dt.timedelta(days=120)).isoformat(), "replacedBy": successor})
    doc: dict[str, Any] = {
        "kind": "DataProduct",
        "id": spec.id,
        "name": spec.name.replace("_", " ").capitalize(),
        "description": f"{spec.name.split('_')[0].capitalize()} of the {spec.domain} domain, "
                       f"built from {spec.template.name if spec.template else 'raw data'}",
        "domain": spec.domain,
        "version": f"{1 + spec.index % 3}.{spec.index % 7}.{spec.index % 5}",
        "namespace": spec.namespace,
        "owner": {"group": spec.team, "person": spec.person},
        "format": "structured",
        "complexity": "complex" if len(spec.inputs) >= 3 else "simple",
        "structure": ("lot", "set", "append")[spec.index % 3],
        "lifecycle": lifecycle,
        "tags": [spec.domain, spec.template.name if spec.template else "raw"],
        "inputs": spec.inputs,
        "execution": {"job": f"airflow:{spec.domain}/{spec.name}_daily", "code": [f"{spec.name}.sql"]},
        "outputPorts": spec.ports,
        "access": {"visibility": spec.visibility, **({"readers": spec.readers} if spec.readers else {})},
    }
    if not spec.inputs:
        del doc["inputs"]
    for key, value in spec.extra.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    return doc


def sql_text(spec: Spec, specs: dict[str, Spec]) -> str:
    if spec.sql_override is not None:
        body = spec.sql_override(specs)
    else:
        assert spec.template is not None
        mapping = {}
        for table, pid in spec.reads.items():
            if pid:
                mapping[table] = specs[pid].port_location(spec.read_ports[pid])
            else:
                mapping[table] = f"raw.{spec.domain}.{table}"
        query = spec.template.render(mapping)
        head = f"-- {spec.id}: adapted from {spec.template.name}\n"
        body = head + (f"create or replace table {spec.location} as\n{query}" if spec.create else query)
    return body + (spec.sql_suffix or ";\n")


@dataclass
class Generated:
    """What was written: counts, the products, and the findings the planted violations must cause."""

    root: Path
    products: int
    domains: int
    sql_files: int
    yaml_files: int
    expected: Expect
    ids: list[str]
    sample: dict[str, str]  # role -> mesh-relative path (files the runner changes)


def generate(root: str | Path, n: int, seed: int = 7, plants_per_kind: int | None = None) -> Generated:
    """Write a synthetic mesh of ``n`` products under ``root`` (which must be empty or absent)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    planner = Planner(n, seed)
    specs = planner.plan()
    waivers: list[dict[str, Any]] = []
    expected: Expect = []
    per_kind = plants_per_kind if plants_per_kind is not None else max(1, n // 1000)
    for _ in range(per_kind):
        for plant in PLANTS:
            expected.extend(plant(planner, waivers))
    by_id = {s.id: s for s in specs}
    for spec in specs:
        folder = root / spec.domain / spec.name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "dataproduct.yaml").write_text("\n".join(_dump(manifest(spec, planner))) + "\n", encoding="utf-8")
        (folder / f"{spec.name}.sql").write_text(sql_text(spec, by_id), encoding="utf-8")
    org = {"teams": [
        {"id": t, "domain": d, "name": f"{t.replace('-', ' ').title()} team", "members": planner.members[t]}
        for d in planner.domains for t in planner.teams[d]
    ]}
    (root / "org.yaml").write_text("# Teams of the synthetic mesh\n" + "\n".join(_dump(org)) + "\n", encoding="utf-8")
    config = {"standards": {"pack": "mesh-core", "version": "1.0.0"}, "dialect": DIALECT,
              "sql": {"allowTables": ["raw.*"]}}
    (root / "govern.yaml").write_text("\n".join(_dump(config)) + "\n", encoding="utf-8")
    (root / "waivers.yaml").write_text("\n".join(_dump({"waivers": waivers})) + "\n", encoding="utf-8")
    sample = _samples(planner)
    (root / ".bench").mkdir(exist_ok=True)
    expected.sort(key=lambda e: (e["rule"], e["product"]))
    info = {"products": n, "seed": seed, "today": TODAY.isoformat(), "expected": expected, "sample": sample}
    (root / EXPECTED_FILE).write_text(json.dumps(info, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return Generated(root, n, len(planner.domains), n, n + 3, expected, [s.id for s in specs], sample)


def _samples(planner: Planner) -> dict[str, str]:
    """A clean derived product with consumers, in the middle of the mesh: the one pre-commit edits."""
    specs = planner.specs
    mid = len(specs) // 2
    order = specs[mid:] + specs[:mid]
    chosen = next((s for s in order if s.inputs and planner.consumers.get(s.id) and not s.touched), order[0])
    return {"manifest": f"{chosen.domain}/{chosen.name}/dataproduct.yaml",
            "sql": f"{chosen.domain}/{chosen.name}/{chosen.name}.sql", "product": chosen.id}
