"""Scorecards: findings -> a score, a status per standard and a certitude level per product.

Pure functions over a ``Result``. How findings are weighed and what each certitude level requires is
data: the ``scoring:`` section of the standard version in force (``standards/<pack>/<version>.yaml``).
A version without that section uses the section of the shipped ``mesh-core`` pack.

Status of a standard for a product (info findings never count):

- ``fail``: an unwaived error of that standard
- ``warn``: an unwaived warning (and no unwaived error)
- ``waived``: only waived findings
- ``pass``: no finding
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govern.load.yamlio import load_yaml_mapping
from govern.model.errors import InputError, StandardsError
from govern.model.findings import STANDARDS, Finding, Severity
from govern.model.product import LIFECYCLE_STATES
from govern.standards.pack import StandardVersion, default_pack_root, version_key

SCORECARDS_SCHEMA = "https://govern.dev/schemas/scorecards/v1"
STATUSES = ("pass", "warn", "fail", "waived")
_STATUS_RANK = {"pass": 0, "waived": 1, "warn": 2, "fail": 3}


@dataclass(frozen=True)
class Level:
    """A certitude level and its criteria (cumulative with every lower level)."""

    name: str
    description: str = ""
    standards: tuple[str, ...] = ()
    accept: frozenset[str] = frozenset({"pass", "waived"})
    no_unwaived_errors: bool = False
    states: tuple[str, ...] = ()  # lifecycle states a product at this level may be in (empty: any)


@dataclass(frozen=True)
class ScoringConfig:
    """The ``scoring:`` section of a standard version, parsed and checked."""

    severity: Mapping[Severity, float]
    waived_factor: float
    max_per_rule: int
    rule_factors: Mapping[str, float]
    levels: tuple[Level, ...]
    source: str

    def level_rank(self, name: str) -> int:
        """Position of a level, lowest first; -1 when the level is not (or no longer) configured."""
        for i, level in enumerate(self.levels):
            if level.name == name:
                return i
        return -1

    @property
    def level_names(self) -> list[str]:
        return [lv.name for lv in self.levels]

    def to_dict(self) -> dict:
        return {
            "severity": {str(k): v for k, v in sorted(self.severity.items(), reverse=True)},
            "waivedFactor": self.waived_factor,
            "maxPerRule": self.max_per_rule,
            "rules": dict(sorted(self.rule_factors.items())),
            "levels": [
                {
                    "name": lv.name,
                    "description": lv.description,
                    "standards": list(lv.standards),
                    "accept": sorted(lv.accept, key=STATUSES.index),
                    "noUnwaivedErrors": lv.no_unwaived_errors,
                    "states": list(lv.states),
                }
                for lv in self.levels
            ],
            "source": self.source,
        }


def parse_scoring(data: Any, where: str, line_of: Any = None, known_standards: Iterable[str] = (),
                  known_rules: Iterable[str] = ()) -> ScoringConfig:
    """Check and parse a ``scoring:`` mapping. Any defect is a StandardsError naming file, line, field.

    ``line_of`` maps a field path (relative to the file) to a line; ``known_standards`` are the standard
    names a level may require besides the global vocabulary; ``known_rules``, when given, are the rule ids
    a factor may name (a typo would otherwise silently weigh nothing).
    """

    def lines(fpath: tuple) -> int | None:
        return line_of(("scoring", *fpath)) if line_of else None

    def fail(message: str, fpath: tuple, expected: str | None = None) -> StandardsError:
        return StandardsError(message, path=where, line=lines(fpath),
                              field=".".join(["scoring", *(str(p) for p in fpath)]), expected=expected)

    def num(value: Any, fpath: tuple) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise fail(f"must be a number >= 0 (got {value!r})", fpath)
        return float(value)

    if not isinstance(data, dict):
        raise fail("scoring must be a mapping", ())
    allowed = {"severity", "waivedFactor", "maxPerRule", "rules", "levels"}
    for key in data:
        if key not in allowed:
            raise fail(f"unknown key '{key}'", (key,), expected=", ".join(sorted(allowed)))
    sev_data = data.get("severity") or {}
    if not isinstance(sev_data, dict):
        raise fail("severity must map error/warning/info to weights", ("severity",))
    severity: dict[Severity, float] = {Severity.ERROR: 15.0, Severity.WARNING: 5.0, Severity.INFO: 0.0}
    for key, value in sev_data.items():
        try:
            sev = Severity.parse(str(key))
        except ValueError as exc:
            raise fail(str(exc), ("severity", key)) from None
        severity[sev] = num(value, ("severity", key))
    waived_factor = num(data.get("waivedFactor", 0), ("waivedFactor",))
    if waived_factor > 1:
        raise fail("waivedFactor must be between 0 and 1", ("waivedFactor",))
    max_per_rule = data.get("maxPerRule", 3)
    if isinstance(max_per_rule, bool) or not isinstance(max_per_rule, int) or max_per_rule < 1:
        raise fail(f"maxPerRule must be an integer >= 1 (got {max_per_rule!r})", ("maxPerRule",))
    rules_data = data.get("rules") or {}
    if not isinstance(rules_data, dict):
        raise fail("rules must map rule ids to factors", ("rules",))
    rule_factors = {str(rid): num(v, ("rules", rid)) for rid, v in rules_data.items()}
    rule_ids = set(known_rules)
    for rid in rule_factors:
        if rule_ids and rid not in rule_ids:
            raise fail(f"unknown rule '{rid}'", ("rules", rid), expected="a rule id of the standards pack")
    levels_data = data.get("levels")
    if not isinstance(levels_data, list) or not levels_data:
        raise fail("levels must be a non-empty list, lowest level first", ("levels",))
    vocabulary = set(STANDARDS) | set(known_standards)
    levels: list[Level] = []
    for i, entry in enumerate(levels_data):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
            raise fail("each level needs a 'name'", ("levels", i))
        extra = set(entry) - {"name", "description", "standards", "accept", "noUnwaivedErrors", "states"}
        if extra:
            raise fail(f"unknown key '{sorted(extra)[0]}' in level '{entry['name']}'", ("levels", i))
        if any(lv.name == entry["name"] for lv in levels):
            raise fail(f"level '{entry['name']}' is listed twice", ("levels", i))
        standards = entry.get("standards") or []
        if not isinstance(standards, list) or not all(isinstance(s, str) for s in standards):
            raise fail("standards must be a list of standard names", ("levels", i, "standards"))
        for j, std in enumerate(standards):
            if std not in vocabulary:
                raise fail(f"unknown standard '{std}'", ("levels", i, "standards", j),
                           expected=", ".join(sorted(vocabulary)))
        accept = entry.get("accept", ["pass", "waived"])
        if not isinstance(accept, list) or any(a not in STATUSES for a in accept) or "pass" not in accept:
            raise fail("accept must be a list of statuses that includes pass", ("levels", i, "accept"),
                       expected=", ".join(STATUSES))
        no_errors = entry.get("noUnwaivedErrors", False)
        if not isinstance(no_errors, bool):
            raise fail("noUnwaivedErrors must be true or false", ("levels", i, "noUnwaivedErrors"))
        states = entry.get("states") or []
        if not isinstance(states, list) or any(st not in LIFECYCLE_STATES for st in states):
            raise fail("states must be a list of lifecycle states", ("levels", i, "states"),
                       expected=", ".join(LIFECYCLE_STATES))
        if i == 0 and (standards or no_errors or states):
            raise fail("the first (lowest) level has no criteria: every product reaches it", ("levels", i))
        levels.append(Level(entry["name"], str(entry.get("description") or ""), tuple(standards),
                            frozenset(accept), no_errors, tuple(states)))
    return ScoringConfig(severity, waived_factor, max_per_rule, rule_factors, tuple(levels), where)


def _shipped_scoring_file() -> tuple[Path, str]:
    root = default_pack_root()
    candidates = sorted((root / "standards" / "mesh-core").glob("*.yaml"),
                        key=lambda p: version_key(p.stem) if p.stem.count(".") == 2 else (0,), reverse=True)
    for path in candidates:
        data, _ = load_yaml_mapping(path, path.relative_to(root).as_posix(), "a standard version")
        if "scoring" in data:
            return path, path.relative_to(root).as_posix()
    raise StandardsError("no scoring section in the shipped standards pack", path=str(root / "standards"))


def scoring_for(standard: StandardVersion, pack_root: Path | None = None,
                known_rules: Iterable[str] = ()) -> ScoringConfig:
    """The scoring configuration of a standard version (the shipped one when it has none).

    ``known_rules`` (the pack's rule ids) lets a factor for an unknown rule be reported.
    """
    known = {r.spec.standard for r in standard.rules}
    rule_ids = set(known_rules)
    if "scoring" in standard.raw:
        line_of = None
        if pack_root is not None and (pack_root / standard.path).is_file():
            try:
                _, smap = load_yaml_mapping(pack_root / standard.path, standard.path, "a standard version")
                line_of = smap.line_of
            except InputError:
                line_of = None
        return parse_scoring(standard.raw["scoring"], standard.path, line_of, known, rule_ids)
    path, display = _shipped_scoring_file()
    data, smap = load_yaml_mapping(path, display, "a standard version")
    config = parse_scoring(data["scoring"], display, smap.line_of, known)
    return ScoringConfig(config.severity, config.waived_factor, config.max_per_rule, config.rule_factors,
                         config.levels, f"{display} (default: {standard.path} has no scoring section)")


@dataclass(frozen=True)
class InferredValue:
    """A value of an imported product its source did not write: inferred from what the source implies
    (``kind`` inferred) or set in govern.yaml (``kind`` govern.yaml), with where it came from."""

    field: str
    value: Any
    source: str
    kind: str

    def to_dict(self) -> dict:
        return {"field": self.field, "value": self.value, "source": self.source, "kind": self.kind}


@dataclass
class ProductScorecard:
    """Score, standard statuses and certitude level of one product."""

    product: str
    domain: str
    score: float
    level: str
    statuses: dict[str, str]
    open_errors: int = 0
    warnings: int = 0
    infos: int = 0
    waived: int = 0
    name: str | None = None
    owner: str | None = None
    state: str | None = None
    path: str | None = None
    next_level: str | None = None
    blockers: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    # values the source did not write (an imported product's Product.inferred), by field: declared vs inferred
    inferred: list[InferredValue] = field(default_factory=list)

    def to_dict(self, with_findings: bool = True) -> dict:
        data = {
            "product": self.product,
            "domain": self.domain,
            "name": self.name,
            "owner": self.owner,
            "state": self.state,
            "path": self.path,
            "score": self.score,
            "level": self.level,
            "nextLevel": self.next_level,
            "blockers": list(self.blockers),
            "standards": dict(self.statuses),
            "openErrors": self.open_errors,
            "warnings": self.warnings,
            "info": self.infos,
            "waived": self.waived,
            "inferred": [v.to_dict() for v in self.inferred],
        }
        if with_findings:
            data["findings"] = [f.to_dict() for f in self.findings]
        return data


@dataclass
class DomainScorecard:
    domain: str
    products: int
    mean_score: float
    levels: dict[str, int]
    open_errors: int
    warnings: int
    waived: int

    def to_dict(self) -> dict:
        return {
            "domain": self.domain,
            "products": self.products,
            "meanScore": self.mean_score,
            "levels": dict(self.levels),
            "openErrors": self.open_errors,
            "warnings": self.warnings,
            "waived": self.waived,
        }


@dataclass
class StandardAggregate:
    standard: str
    counts: dict[str, int]
    open_errors: int
    products: int
    rules: int = 0  # rules of this standard in force in the standard version

    @property
    def pass_rate(self) -> float:
        """Share of products for which the standard passes or is waived, in percent."""
        if not self.products:
            return 100.0
        return round(100.0 * (self.counts["pass"] + self.counts["waived"]) / self.products, 1)

    def to_dict(self) -> dict:
        return {
            "standard": self.standard,
            "counts": dict(self.counts),
            "openErrors": self.open_errors,
            "products": self.products,
            "passRate": self.pass_rate,
            "rules": self.rules,
        }


@dataclass
class MeshTotal:
    products: int
    domains: int
    mean_score: float
    levels: dict[str, int]
    open_errors: int
    warnings: int
    waived: int
    mesh_findings: int

    def to_dict(self) -> dict:
        return {
            "products": self.products,
            "domains": self.domains,
            "meanScore": self.mean_score,
            "levels": dict(self.levels),
            "openErrors": self.open_errors,
            "warnings": self.warnings,
            "waived": self.waived,
            "meshFindings": self.mesh_findings,
        }


@dataclass
class Scorecards:
    """Every scorecard of one evaluation."""

    as_of: dt.date
    pack: str
    standards_version: str
    config: ScoringConfig
    standards: list[str]
    products: list[ProductScorecard]
    domains: list[DomainScorecard]
    aggregates: list[StandardAggregate]
    total: MeshTotal
    mesh_findings: list[Finding] = field(default_factory=list)

    def product(self, product_id: str) -> ProductScorecard | None:
        return next((p for p in self.products if p.product == product_id), None)

    def to_dict(self, with_findings: bool = True) -> dict:
        data = {
            "$schema": SCORECARDS_SCHEMA,
            "version": 1,
            "date": self.as_of.isoformat(),
            "standards": {"pack": self.pack, "version": self.standards_version},
            "scoring": self.config.to_dict(),
            "total": self.total.to_dict(),
            "domains": [d.to_dict() for d in self.domains],
            "standardAggregates": [a.to_dict() for a in self.aggregates],
            "products": [p.to_dict(with_findings) for p in self.products],
        }
        if with_findings:
            data["meshFindings"] = [f.to_dict() for f in self.mesh_findings]
        return data


def standard_status(findings: Iterable[Finding]) -> str:
    """pass / warn / fail / waived from the findings of one standard on one product."""
    status = "pass"
    for f in findings:
        if f.severity is Severity.INFO:
            continue
        here = "waived" if f.waived else ("fail" if f.severity is Severity.ERROR else "warn")
        if _STATUS_RANK[here] > _STATUS_RANK[status]:
            status = here
    return status


def product_score(findings: Iterable[Finding], config: ScoringConfig) -> float:
    """100 minus the weights of the findings, each rule counted at most maxPerRule times; floor 0."""
    per_rule: dict[str, list[float]] = {}
    for f in findings:
        weight = config.severity.get(f.severity, 0.0) * config.rule_factors.get(f.rule, 1.0)
        if f.waived:
            weight *= config.waived_factor
        per_rule.setdefault(f.rule, []).append(weight)
    penalty = sum(sum(sorted(ws, reverse=True)[: config.max_per_rule]) for ws in per_rule.values())
    return round(max(0.0, 100.0 - penalty), 1)


def _level_blockers(level: Level, statuses: Mapping[str, str], errors_by_standard: Mapping[str, int],
                    state: str | None) -> list[str]:
    blockers = []
    if level.states and state not in level.states:
        blockers.append(f"state: {state or 'none'}")
    for std in level.standards:
        status = statuses.get(std, "pass")
        if status not in level.accept:
            blockers.append(f"{std}: {status}")
    if level.no_unwaived_errors:
        open_errors = sum(errors_by_standard.values())
        if open_errors:
            where = ", ".join(sorted(s for s, n in errors_by_standard.items() if n))
            blockers.append(f"{open_errors} unwaived error{'s' if open_errors != 1 else ''} ({where})")
    return blockers


def certitude(statuses: Mapping[str, str], errors_by_standard: Mapping[str, int],
              config: ScoringConfig, state: str | None = None) -> tuple[str, str | None, list[str]]:
    """(level reached, next level or None, why the next level is not reached)."""
    reached = config.levels[0].name
    for level in config.levels[1:]:
        blockers = _level_blockers(level, statuses, errors_by_standard, state)
        if blockers:
            return reached, level.name, blockers
        reached = level.name
    return reached, None, []


def _ordered_standards(names: Iterable[str]) -> list[str]:
    order = {s: i for i, s in enumerate(STANDARDS)}
    return sorted(set(names), key=lambda s: (order.get(s, len(order)), s))


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 1) if values else 0.0


def score_product(product_id: str, domain: str, findings: list[Finding], standards: list[str],
                  config: ScoringConfig, state: str | None = None,
                  unchecked: Iterable[str] = ()) -> ProductScorecard:
    """The scorecard of one product from its findings. ``unchecked``: standards with a rule that could
    not be evaluated on it (it reads an invalid value): they fail, never pass unseen."""
    by_standard: dict[str, list[Finding]] = {}
    for f in findings:
        by_standard.setdefault(f.standard, []).append(f)
    statuses = {std: standard_status(by_standard.get(std, [])) for std in standards}
    for std in unchecked:
        if std in statuses:
            statuses[std] = "fail"
    errors_by_standard = {
        std: sum(1 for f in fs if f.severity is Severity.ERROR and not f.waived) for std, fs in by_standard.items()
    }
    level, next_level, blockers = certitude(statuses, errors_by_standard, config, state)
    return ProductScorecard(
        product=product_id,
        domain=domain,
        score=product_score(findings, config),
        level=level,
        statuses=statuses,
        open_errors=sum(errors_by_standard.values()),
        warnings=sum(1 for f in findings if f.severity is Severity.WARNING and not f.waived),
        infos=sum(1 for f in findings if f.severity is Severity.INFO and not f.waived),
        waived=sum(1 for f in findings if f.waived),
        next_level=next_level,
        blockers=blockers,
        findings=list(findings),
    )


def build_scorecards(result: Any, config: ScoringConfig | None = None,
                     products: Mapping[str, Any] | None = None) -> Scorecards:
    """Scorecards per product, domain and standard, and the mesh total, from a ``Result``.

    ``products`` maps product ids to ``Product`` objects for metadata (name, owner, domain, path);
    by default the mesh the result carries. Without metadata the domain is the id's prefix.
    """
    if config is None:
        config = scoring_for(result.standard, Path(result.pack.root), known_rules=result.pack.rules)
    if products is None:
        mesh = getattr(result, "mesh", None)
        products = mesh.by_id if mesh is not None else {}
    ids = list(result.products)
    id_set = set(ids)
    per_product: dict[str, list[Finding]] = {pid: [] for pid in ids}
    mesh_findings: list[Finding] = []
    for f in result.findings:
        if f.product in id_set:
            per_product[f.product].append(f)
        else:
            mesh_findings.append(f)
    standards = _ordered_standards(
        [r.spec.standard for r in result.standard.rules]
        + [s for lv in config.levels for s in lv.standards]
        + [f.standard for f in result.findings if f.product in id_set]
    )
    cards: list[ProductScorecard] = []
    for pid in ids:
        meta = products.get(pid)
        model = getattr(meta, "model", None)
        domain = (getattr(model, "domain", None) or pid.partition(".")[0]) if model else pid.partition(".")[0]
        state = getattr(meta, "state", None)
        rules = result.pack.rules
        unchecked = {rules[r].standard for r in getattr(result, "not_evaluated", {}).get(pid, ()) if r in rules}
        card = score_product(pid, str(domain), per_product[pid], standards, config, state, unchecked)
        if model is not None:
            card.name = model.name
            owner = model.owner
            if owner is not None:
                card.owner = owner.group or owner.person
            card.state = state
            card.path = getattr(meta, "path", None)
            if getattr(meta, "inferred", None):
                card.inferred = [InferredValue(p.field, _plain(value), p.source, p.kind)
                                 for p, value in meta.inferred_values()]
        else:
            card.path = next((f.location.path for f in per_product[pid] if f.location.path), None)
        cards.append(card)
    cards.sort(key=lambda c: c.product)

    empty_levels = {name: 0 for name in config.level_names}
    domains: list[DomainScorecard] = []
    by_domain: dict[str, list[ProductScorecard]] = {}
    for c in cards:
        by_domain.setdefault(c.domain, []).append(c)
    for domain in sorted(by_domain):
        members = by_domain[domain]
        levels = dict(empty_levels)
        for c in members:
            levels[c.level] += 1
        domains.append(DomainScorecard(
            domain=domain,
            products=len(members),
            mean_score=_mean([c.score for c in members]),
            levels=levels,
            open_errors=sum(c.open_errors for c in members),
            warnings=sum(c.warnings for c in members),
            waived=sum(c.waived for c in members),
        ))
    errors_per_standard: dict[str, int] = {}
    for c in cards:
        for f in c.findings:
            if f.severity is Severity.ERROR and not f.waived:
                errors_per_standard[f.standard] = errors_per_standard.get(f.standard, 0) + 1
    aggregates = []
    for std in standards:
        counts = {s: 0 for s in STATUSES}
        for c in cards:
            counts[c.statuses[std]] += 1
        open_errors = errors_per_standard.get(std, 0)
        in_force = sum(1 for r in result.standard.rules if r.spec.standard == std)
        aggregates.append(StandardAggregate(std, counts, open_errors, len(cards), in_force))
    levels = dict(empty_levels)
    for c in cards:
        levels[c.level] += 1
    total = MeshTotal(
        products=len(cards),
        domains=len(domains),
        mean_score=_mean([c.score for c in cards]),
        levels=levels,
        open_errors=sum(c.open_errors for c in cards)
        + sum(1 for f in mesh_findings if f.severity is Severity.ERROR and not f.waived),
        warnings=sum(c.warnings for c in cards)
        + sum(1 for f in mesh_findings if f.severity is Severity.WARNING and not f.waived),
        waived=sum(c.waived for c in cards) + sum(1 for f in mesh_findings if f.waived),
        mesh_findings=len(mesh_findings),
    )
    return Scorecards(
        as_of=result.today,
        pack=result.standard.pack,
        standards_version=result.standard.version,
        config=config,
        standards=standards,
        products=cards,
        domains=domains,
        aggregates=aggregates,
        total=total,
        mesh_findings=mesh_findings,
    )


def _plain(value: Any) -> Any:
    """A value as JSON holds it (dates as ISO text), so scorecards.json and the reports show the same."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def value_text(value: Any) -> str:
    """A value on one line: text as it is, anything else as compact JSON with sorted keys."""
    if isinstance(value, str):
        return value
    import json

    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def filter_scorecards(cards: Scorecards, domain: str | None = None,
                      product: str | None = None) -> list[ProductScorecard]:
    """The product scorecards of one domain and/or one product."""
    return [
        c for c in cards.products
        if (domain is None or c.domain == domain) and (product is None or c.product == product)
    ]
