"""The evaluation pipeline: mesh + standards version → findings.

load → edges → YAML rules, Python rules, Cedar → modes → waivers → sorted findings.
A rule that raises becomes a ``rule.crashed`` error finding and marks the result undecided.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from govern.evaluate.fingerprint import Fingerprinter
from govern.evaluate.waivers import UNWAIVABLE, check_waivers
from govern.model.findings import (
    GOVERN_YAML,
    INPUT_INVALID,
    MANIFEST_INVALID,
    META_STANDARD,
    RULE_CRASHED,
    Finding,
    Location,
    Severity,
)
from govern.model.lineage import Edge, declared_edges
from govern.model.mesh import Mesh
from govern.model.product import Product
from govern.model.source import field_path_text
from govern.standards.checks import Hit, RuleContext, registry
from govern.standards.pack import Pack, RuleSpec, SelectedRule, StandardVersion
from govern.standards.ruledsl import EvalContext, format_message

if TYPE_CHECKING:
    from govern.model.progress import Progress

MESH_FILES = ("org.yaml", "waivers.yaml", "govern.yaml")
RESULT_SCHEMA = "https://govern.dev/schemas/check-result/v1"


@dataclass
class Result:
    """Everything one evaluation produced. Renderers read it; nothing here raises."""

    findings: list[Finding]
    products: list[str]
    standard: StandardVersion
    pack: Pack
    root: str
    today: dt.date
    undecided: list[str] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    mesh: Mesh | None = None  # the mesh evaluated (product metadata for scorecards and reports)
    baselined: list[Finding] | None = None  # findings hidden by a baseline (None: no baseline applied)
    analysis: object | None = None  # the SQL analysis the rules read (govern/analysis; the mesh index keeps its facts)
    # product id -> rules not evaluated on it because they read one of its invalid values (Product.invalid):
    # no verdict, so a scorecard cannot show those standards as passed
    not_evaluated: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def rules(self) -> dict[str, RuleSpec]:
        return self.pack.rules

    def summary(self) -> dict:
        by_sev = {str(s): 0 for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)}
        waived = 0
        failing: set[str] = set()
        for f in self.findings:
            if f.waived:
                waived += 1
                continue
            by_sev[str(f.severity)] += 1
            if f.product and f.severity is Severity.ERROR:
                failing.add(f.product)
        return {
            "products": len(self.products),
            "passed": len([p for p in self.products if p not in failing]),
            "failed": len(failing & set(self.products)),
            "findings": len(self.findings),
            "waived": waived,
            "bySeverity": by_sev,
            "blocking": sum(1 for f in self.findings if f.blocking),
        }

    def to_dict(self) -> dict:
        """The documented, versioned JSON form of a check result."""
        return {
            "$schema": RESULT_SCHEMA,
            "version": 1,
            "standards": {
                "pack": self.standard.pack,
                "version": self.standard.version,
                "status": self.standard.status,
                "rules": len(self.standard.rules),
            },
            "date": self.today.isoformat(),
            "summary": self.summary(),
            "undecided": list(self.undecided),
            "findings": [f.to_dict() for f in self.findings],
        }


def _fingerprint(f: Finding, fingerprinter: Fingerprinter | None = None) -> str:
    """Rule, product, file and offending content; never line numbers (see govern/evaluate/fingerprint.py)."""
    return (fingerprinter or Fingerprinter(None))(f)


class _Emitter:
    def __init__(self, mesh: Mesh, selected: SelectedRule, today: dt.date) -> None:
        self.mesh = mesh
        self.spec = selected.spec
        self.mode = selected.mode_on(today)

    def finding(self, product: Product | None, hit: Hit, base: dict) -> Finding:
        params = {**base, **hit.params}
        location = hit.location
        if location is None:
            if product is not None:
                location = Location(product.path, product.source.line_of(hit.path),
                                    pointer=product.source.pointer_of(hit.path))
            else:
                location = Location()
        elif location.pointer is None and hit.product:
            # an edge or request located in an imported JSON input: add the field's JSON pointer
            owner = product or self.mesh.by_id.get(hit.product)
            if owner is not None and owner.source.pointers and location.path == owner.path:
                location = replace(location, pointer=owner.source.pointer_of(hit.path))
        # a finding about a value the source did not write says where it came from (same rule, severity)
        provenance = product.provenance_of(hit.path) if product is not None and product.inferred else None
        severity = self.spec.severity
        if self.mode == "warn":
            severity = min(severity, Severity.WARNING)
        elif self.mode == "audit":
            severity = Severity.INFO
        return Finding(
            rule=self.spec.id,
            standard=self.spec.standard,
            severity=severity,
            message=_with_closest(format_message(self.spec.message, params), self.spec.message, params)
            + _lookalike_note(params),
            product=hit.product,
            location=location,
            engine=self.spec.engine,
            mode=self.mode,
            help=format_message(self.spec.help, params) or None,
            provenance=provenance,
        )


def _with_closest(message: str, template: str, params: dict) -> str:
    """A check that names the closest known name (``closest``) gets "did you mean" unless the rule's
    message places it itself."""
    closest = params.get("closest")
    if not closest or "{closest}" in template:
        return message
    return f"{message} (did you mean '{closest}'?)"


def _lookalike_note(params: dict) -> str:
    """A reference that is not a team but looks like one (confusable characters) says which."""
    similar = params.get("lookalike")
    return f" (it looks like team '{similar}' but is not: check its characters)" if similar else ""


def _team_lookalikes(mesh: Mesh) -> list[Finding]:
    """Team ids of org.yaml that look alike (govern/model/confusables.py) are ambiguous: an error on each."""
    from govern.model.confusables import lookalike_groups

    if mesh.org is None:
        return []
    out = []
    first_index = {}
    for i, team in enumerate(mesh.org.teams):
        first_index.setdefault(team.id, i)
    for group in lookalike_groups(t.id for t in mesh.org.teams):
        for name in group[1:]:
            line = mesh.org_source.line_of(("teams", first_index[name], "id")) if mesh.org_source else None
            out.append(Finding(INPUT_INVALID, META_STANDARD, Severity.ERROR,
                               f"team id '{name}' looks like team '{group[0]}': team ids must differ in more "
                               "than case, Unicode look-alikes or invisible characters", None,
                               Location("org.yaml", line), engine="loader"))
    return out


def _invalid_producers(targets: list[Product], edges: list[Edge], mesh: Mesh) -> set[str]:
    """Ids of products outside ``targets`` with an invalid value that a target reads (a lineage edge)."""
    if not any(p.invalid for p in mesh.products):
        return set()
    ids = {p.id for p in targets}
    out = set()
    for edge in edges:
        if edge.consumer in ids and edge.producer not in ids:
            producer = mesh.by_id.get(edge.producer)
            if producer is not None and producer.invalid:
                out.add(producer.id)
    return out


def _crash(spec: RuleSpec, exc: BaseException) -> Finding:
    return Finding(
        rule=RULE_CRASHED,
        standard=META_STANDARD,
        severity=Severity.ERROR,
        message=f"rule '{spec.id}' failed: {type(exc).__name__}: {exc}",
        location=Location(spec.source, spec.line),
        engine=spec.engine,
    )


def _run_yaml(sel: SelectedRule, mesh: Mesh, targets: list[Product], base_ctx: dict, today: dt.date,
              contexts: list[EvalContext] | None = None, skipped: set[str] | frozenset[str] = frozenset()
              ) -> list[Finding]:
    emitter = _Emitter(mesh, sel, today)
    out = []
    compiled = sel.spec.compiled
    assert compiled is not None
    for i, product in enumerate(targets):
        if product.id in skipped:
            continue  # it reads a value that is invalid (reported as manifest.invalid): no verdict on it
        ctx = contexts[i] if contexts is not None else EvalContext(data=product.data, **base_ctx)
        for fpath, value, params in compiled.run(ctx):
            hit = Hit(product.id, fpath, {"value": value, "field": field_path_text(fpath), **params})
            out.append(emitter.finding(product, hit, {"product": product.id}))
    return out


def _fields_read(spec: RuleSpec) -> frozenset[str] | tuple[str, ...] | None:
    """The top-level manifest fields a rule reads of a product (None: any): YAML rules the fields of
    their paths, Python rules what they declare at @register, Cedar what its entities hold."""
    if spec.engine == "yaml" and spec.compiled is not None:
        return spec.compiled.fields
    if spec.engine == "python":
        from govern.standards.checks import declared

        return declared(spec.id).fields
    if spec.engine == "cedar":
        from govern.standards.cedar import ENTITY_FIELDS

        return ENTITY_FIELDS
    return None


def _not_evaluated(targets: list[Product], fields: frozenset[str] | tuple[str, ...] | None) -> set[str]:
    """Ids of the targets a rule reading ``fields`` (None: any field) does not run on: those with an
    invalid value in one of them. An id another (valid) target shares stays evaluated."""
    def reads_invalid(product: Product) -> bool:
        return bool(product.invalid) and (fields is None or not product.invalid.isdisjoint(fields))

    skipped = {p.id for p in targets if reads_invalid(p)}
    return skipped - {p.id for p in targets if not reads_invalid(p)} if skipped else skipped


def _run_python(sel: SelectedRule, mesh: Mesh, ctx: RuleContext, today: dt.date,
                skipped: set[str] | frozenset[str] = frozenset()) -> list[Finding]:
    fn = registry()[sel.spec.id]
    emitter = _Emitter(mesh, sel, today)
    if skipped:
        ctx = replace(ctx, targets=[p for p in ctx.targets if p.id not in skipped])
    out = []
    for hit in fn(ctx):
        if hit.product in skipped:
            continue
        product = mesh.by_id.get(hit.product) if hit.product else None
        if product is not None and product.id != hit.product:
            product = None
        out.append(emitter.finding(product, hit, {"product": hit.product or ""}))
    return out


def _run_cedar(cedar_rules: list[SelectedRule], mesh: Mesh, ctx: RuleContext, today: dt.date,
               specs: dict[str, RuleSpec]) -> list[Finding]:
    from govern.standards.cedar import (
        EVALUATION_ERROR,
        NO_PERMIT,
        CedarEvaluator,
        deploy_requests,
        read_requests,
        reads_invalid,
    )

    requests = read_requests(mesh, ctx.target_edges()) + deploy_requests(ctx.targets)
    if any(p.invalid for p in mesh.products):
        requests = [r for r in requests if not reads_invalid(r, mesh)]
    # Entities only for what these requests can reach (a few products in changed-files mode).
    partial = len(ctx.targets) < len(mesh.products)
    evaluator = CedarEvaluator([s.spec for s in cedar_rules], mesh, requests if partial else None, memo=partial)
    by_id = {s.spec.id: s for s in cedar_rules}
    out = []
    for decision in evaluator.decide(requests):
        req = decision.request
        hit = Hit(req.product, (), dict(req.params), location=req.location)
        if decision.errors:
            sel = SelectedRule(specs[EVALUATION_ERROR], "enforce")
            hit.params["errors"] = "; ".join(decision.errors)
            out.append(_Emitter(mesh, sel, today).finding(None, hit, {}))
        reasons = [r for r in decision.reasons if r in by_id and by_id[r].spec.cedar_effect == "forbid"]
        if not reasons and not decision.errors:
            sel = SelectedRule(specs[NO_PERMIT], "enforce")
            hit.params["action"] = req.body["action"]["id"]
            hit.params["resource"] = req.body["resource"]["id"]
            out.append(_Emitter(mesh, sel, today).finding(None, hit, {}))
        for reason in reasons:
            out.append(_Emitter(mesh, by_id[reason], today).finding(None, hit, {}))
    return out


def _require_valid_cedar(pack: Pack) -> None:
    """Refuse to evaluate Cedar policies that do not validate against the Cedar schema.

    A policy that type-checks wrongly (``context.namespace == 1``) may silently never match and let a
    product through; so an invalid pack stops the run (StandardsError: exit 2), as a syntax error does.
    """
    from govern.model.errors import StandardsError
    from govern.standards.pack import validate_pack

    key = pack.cedar_validation_key()  # the same policies and schema validated before: govern/incremental/packcache.py
    if key is not None and key == pack.cedar_validated:
        return
    problems = validate_pack(pack)
    if problems:
        raise StandardsError("Cedar policies do not validate against the schema: " + "; ".join(problems),
                             expected="policies that pass 'govern standards validate'")
    if key is not None:
        from govern.incremental.packcache import remember

        remember(key)
        pack.cedar_validated = key


def evaluate(
    mesh: Mesh,
    pack: Pack,
    version: str | None = None,
    today: dt.date | None = None,
    focus: Iterable[str] | None = None,
    extra_edges: Iterable[Edge] | None = None,
    analysis: object | None = None,
    base: object | None = None,
    focus_paths: Iterable[str] = (),
    progress: Progress | None = None,
) -> Result:
    """Run every rule of the standard version in force against the mesh.

    ``focus`` limits reporting to those product ids (changed-files mode) while every reference still
    resolves against the whole mesh. ``analysis`` carries the facts the analysis stage found, for the
    Python rules that read them; it may be a function that returns them, called once the YAML rules
    (which never read it) have run, so that a caller's SQL analysis can finish meanwhile. ``extra_edges``
    adds observed lineage (SQL, runtime events); None: the analysis's edges.
    ``base`` is the mesh at a git base revision (govern/load/gitbase.py) for the history rules;
    ``focus_paths`` (mesh-relative files) keeps load findings of those files in focus mode too.
    ``progress`` is called as ``progress("rules", done, total)`` (govern/model/progress.py).
    """
    # the instant waivers are compared with: now, or the start (UTC) of the day --today names
    now = dt.datetime.now(dt.UTC) if today is None else dt.datetime.combine(today, dt.time.min, dt.UTC)
    today = today or now.date()
    standard = pack.version(version or mesh.config.standards.version)
    focus_ids = set(focus) if focus is not None else None
    targets = [p for p in mesh.products if focus_ids is None or p.id in focus_ids]
    team_ids = frozenset(t.id for t in mesh.org.teams) if mesh.org else None
    base_ctx = {"today": today, "product_ids": mesh.product_ids(), "team_ids": team_ids}

    findings: list[Finding] = []
    undecided: list[str] = []
    total, finished = len(standard.rules), 0
    # product id -> the rules not evaluated on it, because they read a value of it that is invalid
    not_evaluated: dict[str, set[str]] = {}
    any_invalid = any(p.invalid for p in targets)
    rules = sorted(standard.rules, key=lambda r: r.spec.id)
    yaml_contexts: list[EvalContext] | None = None
    for sel in (r for r in rules if r.spec.engine == "yaml"):  # they read the manifests alone
        spec = sel.spec
        skipped = _not_evaluated(targets, _fields_read(spec)) if any_invalid else set()
        for pid in skipped:
            not_evaluated.setdefault(pid, set()).add(spec.id)
        try:
            if yaml_contexts is None:  # one context per product, shared by every YAML rule
                yaml_contexts = [EvalContext(data=p.data, **base_ctx) for p in targets]
            findings.extend(_run_yaml(sel, mesh, targets, base_ctx, today, yaml_contexts, skipped))
        except Exception as exc:  # a crashing rule must never let the gate pass
            findings.append(_crash(spec, exc))
            undecided.append(f"rule '{spec.id}' crashed")
        if progress is not None:
            finished += 1
            progress("rules", finished, total)

    if callable(analysis):
        analysis = analysis()
    if extra_edges is None:
        extra_edges = getattr(analysis, "edges", None) or ()
    # With duplicate ids, every manifest is a target (each is reported on).
    edges = declared_edges(mesh.products) + list(mesh.observed_edges) + list(extra_edges)
    ctx = RuleContext(mesh=mesh, targets=targets, today=today, edges=edges, analysis=analysis, base=base)
    # Problems of the mesh-wide files (org.yaml, waivers.yaml, govern.yaml) concern every product:
    # a changed-files run reports them too, so a broken org.yaml can never pass unseen.
    target_paths = {p.path for p in targets} | set(focus_paths) | set(MESH_FILES)
    # In focus, the invalid values of a product the targets read are reported too: what the targets'
    # rules read of it is not known, so the run must not pass on it.
    read_invalid = _invalid_producers(targets, edges, mesh) if focus_ids is not None else set()
    for f in mesh.findings:
        if (focus_ids is None or f.product in focus_ids or f.location.path in target_paths
                or (f.product in read_invalid and f.rule == MANIFEST_INVALID)):
            findings.append(f)
    findings.extend(_team_lookalikes(mesh))

    cedar_rules: list[SelectedRule] = []
    for sel in (r for r in rules if r.spec.engine != "yaml"):
        spec = sel.spec
        skipped = _not_evaluated(targets, _fields_read(spec)) if any_invalid else set()
        for pid in skipped:
            not_evaluated.setdefault(pid, set()).add(spec.id)
        try:
            if spec.engine == "python":
                findings.extend(_run_python(sel, mesh, ctx, today, skipped))
            elif spec.engine == "cedar":
                cedar_rules.append(sel)
        except Exception as exc:  # a crashing rule must never let the gate pass
            findings.append(_crash(spec, exc))
            undecided.append(f"rule '{spec.id}' crashed")
        if progress is not None and spec.engine != "cedar":
            finished += 1
            progress("rules", finished, total)
    if cedar_rules:
        _require_valid_cedar(pack)
        try:
            cedar_findings = _run_cedar(cedar_rules, mesh, ctx, today, pack.rules)
            findings.extend(cedar_findings)
            # Cedar skips a policy that errors, so a deny it would have produced is missing: undecided.
            errored = sorted({f.product or "" for f in cedar_findings if f.rule == "auth.evaluation-error"})
            if errored:
                undecided.append(f"Cedar could not evaluate requests of {', '.join(errored)}")
        except Exception as exc:
            spec = cedar_rules[0].spec
            findings.append(_crash(spec, exc))
            undecided.append(f"Cedar evaluation failed: {exc}")

    if progress is not None:
        progress("rules", total, total)
    valid, problems = check_waivers(
        mesh.waivers, mesh.waivers_path, set(pack.rules), set(mesh.product_ids()), today, mesh.config.waiverMaxDays,
        now=now,
    )
    findings.extend(problems)
    fingerprinter = Fingerprinter(mesh.root)
    for f in findings:
        if f.product and (f.rule, f.product) in valid and f.rule not in UNWAIVABLE:
            w = valid[(f.rule, f.product)].waiver
            f.waived = True
            f.waiver_reason = f"{w.reason} (approved by {w.approved_by}, expires {w.expires.isoformat()})"
        if f.help is None and f.rule in pack.rules:
            f.help = pack.rules[f.rule].help or None
        if f.product and f.product in mesh.by_id and mesh.by_id[f.product].source_name:
            from govern.load.importers.hints import source_fix  # lazy: only meshes with imported products

            f.help = source_fix(f.rule, mesh.by_id[f.product]) or f.help
        if f.provenance is not None and f.provenance.kind == GOVERN_YAML:
            from govern.load.importers.hints import govern_yaml_fix

            f.help = govern_yaml_fix(f.help, f.provenance)
        f.fingerprint = _fingerprint(f, fingerprinter)
    if any(p.origin != "native" for p in mesh.products):  # one finding per problem on imported products
        from govern.load.importers.hints import one_per_problem

        findings = one_per_problem(findings, mesh.by_id)
    findings.sort(key=Finding.sort_key)
    return Result(
        findings=findings,
        products=sorted({p.id for p in targets}),
        standard=standard,
        pack=pack,
        root=str(mesh.root),
        today=today,
        undecided=undecided,
        edges=edges,
        mesh=mesh,
        analysis=analysis,
        not_evaluated={pid: frozenset(rules) for pid, rules in sorted(not_evaluated.items())},
    )
