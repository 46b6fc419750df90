"""The test cases of a pack's rules (``rules/cases/*.yaml``): a passing and a failing example per rule.

The suite runs every case (tests/unit/test_rule_cases.py), ``govern standards test`` runs the cases of any
pack (``govern.api.run_rule_cases``: an organisation's pack, its plugin rules included), and
``govern explain`` prints them, so the examples a user reads are the ones the behaviour is tested with.
Cases are not rules: the pack loads ``rules/*.yaml`` only, and cases are outside the digest of a released
version. Each case is an overlay of ``base_product`` (it passes every rule of mesh-core on its own) in a
mesh with the teams of ``BASE_ORG``.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govern.model.errors import InputError, StandardsError

CASES_DIR = "rules/cases"
DEFAULT_PRODUCT = "sales.orders"
DEFAULT_TODAY = dt.date(2026, 6, 1)
_FIELDS = ("rule", "product", "pass", "fail", "others", "files", "today", "version")

BASE_ORG: dict[str, Any] = {
    "teams": [
        {"id": "sales-data", "domain": "sales", "members": ["ana@example.com"]},
        {"id": "crm-core", "domain": "crm", "members": ["ben@example.com"]},
        {"id": "finance-analytics", "domain": "finance", "members": ["cy@example.com"]},
        {"id": "logistics-ops", "domain": "logistics", "members": ["dee@example.com"]},
    ]
}

DOMAIN_TEAMS = {"sales": "sales-data", "crm": "crm-core", "finance": "finance-analytics", "logistics": "logistics-ops"}


def base_product(product_id: str) -> dict[str, Any]:
    """A manifest that passes every rule of mesh-core on its own: what a case's overlays apply to."""
    domain, _, name = product_id.partition(".")
    return {
        "kind": "DataProduct",
        "id": product_id,
        "name": name.replace("_", " ").title(),
        "description": f"The {name} data product of the {domain} domain",
        "domain": domain,
        "version": "1.0.0",
        "namespace": "prod",
        "owner": {"group": DOMAIN_TEAMS.get(domain, f"{domain}-team"), "person": "ana@example.com"},
        "format": "structured",
        "complexity": "simple",
        "structure": "append",
        "lifecycle": {
            "state": "active",
            "events": [{"state": "init", "at": "2025-01-10"}, {"state": "active", "at": "2025-02-01"}],
        },
        "execution": {"job": f"airflow:{domain}/{name}_daily"},
        "outputPorts": [
            {
                "name": name,
                "type": "table",
                "location": f"analytics.{domain}_prod.{name}",
                "classification": "internal",
                "columns": [{"name": "id", "type": "string"}],
            }
        ],
        "access": {"visibility": "mesh"},
    }


def merge(base: Any, overlay: Any) -> Any:
    """Deep-merge ``overlay`` into ``base``; a None value deletes the key; lists replace."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        out = copy.deepcopy(base)
        for key, value in overlay.items():
            if value is None:
                out.pop(key, None)
            else:
                out[key] = merge(out.get(key), value)
        return out
    return copy.deepcopy(overlay)


@dataclass(frozen=True)
class RuleCase:
    """A passing and a failing overlay of one product for one rule."""

    rule: str
    product: str
    passing: dict[str, Any]
    failing: dict[str, Any]
    source: str
    line: int | None
    others: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # files of the product's folder (SQL), by name
    today: dt.date = DEFAULT_TODAY
    version: str | None = None  # the standards version the case runs against (None: the latest released)

    def tested_product(self, overlay: dict[str, Any]) -> str:
        """The id of the product an example is about (an example may change the id itself)."""
        value = overlay.get("id", self.product)
        return value if isinstance(value, str) else self.product

    def mesh_files(self, overlay: dict[str, Any], pack: str) -> dict[str, str]:
        """The files of the mesh the case describes, by path: org.yaml, govern.yaml naming ``pack`` (and the
        case's version), the product with ``overlay`` (its passing or failing example), the other products
        and the files of the product's folder."""
        import yaml

        def dump(data: Any) -> str:
            return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)

        def manifest(product_id: str) -> str:
            domain, _, name = product_id.partition(".")
            return f"{domain}/{name}/dataproduct.yaml"

        standards: dict[str, Any] = {"pack": pack}
        if self.version is not None:
            standards["version"] = self.version
        files = {"org.yaml": dump(BASE_ORG), "govern.yaml": dump({"standards": standards})}
        for other, other_overlay in self.others.items():
            files[manifest(other)] = dump(merge(base_product(other), other_overlay))
        files[manifest(self.product)] = dump(merge(base_product(self.product), overlay))
        folder = manifest(self.product).rsplit("/", 1)[0]
        for rel, text in self.files.items():
            files[f"{folder}/{rel}"] = text
        return files


@dataclass(frozen=True)
class CaseOutcome:
    """A case run against a pack: ``problem`` says why it does not hold (None: it holds)."""

    case: RuleCase
    problem: str | None = None

    @property
    def where(self) -> str:
        return f"{self.case.source}:{self.case.line}" if self.case.line else self.case.source


def _mapping(value: Any, name: str, where: str, line: int | None) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise StandardsError(f"'{name}' must be a mapping (an overlay of the product)", path=where, line=line,
                             field=name)
    return value


def _parse(entry: Any, where: str, line: int | None) -> RuleCase:
    from govern.model.suggest import did_you_mean

    if not isinstance(entry, dict):
        raise StandardsError("each case must be a mapping", path=where, line=line)
    for key in entry:
        if key not in _FIELDS:
            raise StandardsError(f"unknown field '{key}'{did_you_mean(str(key), _FIELDS)}", path=where,
                                 line=line, expected=", ".join(_FIELDS))
    for key in ("rule", "pass", "fail"):
        if key not in entry:
            raise StandardsError(f"a case needs '{key}'", path=where, line=line, field=key)
    today = entry.get("today", DEFAULT_TODAY)
    if isinstance(today, str):
        try:
            today = dt.date.fromisoformat(today)
        except ValueError:
            raise StandardsError(f"'{today}' is not a date", path=where, line=line, field="today",
                                 expected="YYYY-MM-DD") from None
    others = _mapping(entry.get("others"), "others", where, line)
    files = _mapping(entry.get("files"), "files", where, line)
    return RuleCase(
        rule=str(entry["rule"]), product=str(entry.get("product") or DEFAULT_PRODUCT),
        passing=_mapping(entry["pass"], "pass", where, line), failing=_mapping(entry["fail"], "fail", where, line),
        others={str(k): _mapping(v, f"others.{k}", where, line) for k, v in others.items()},
        files={str(k): str(v) for k, v in files.items()}, today=today, source=where, line=line,
        version=str(entry["version"]) if entry.get("version") is not None else None,
    )


def load_cases(pack_root: Path) -> dict[str, RuleCase]:
    """Every case of the pack at ``pack_root`` by rule id (empty when the pack has none)."""
    from govern.load.yamlio import load_yaml_mapping

    cases: dict[str, RuleCase] = {}
    for path in sorted((pack_root / CASES_DIR).glob("*.yaml")):
        display = f"{CASES_DIR}/{path.name}"
        try:
            data, smap = load_yaml_mapping(path, display, "a rule cases file")
        except InputError as exc:
            raise StandardsError(exc.message, path=exc.path, line=exc.line) from None
        entries = data.get("cases")
        if not isinstance(entries, list):
            raise StandardsError("a rule cases file needs a top-level 'cases:' list", path=display, line=1)
        for i, entry in enumerate(entries):
            case = _parse(entry, display, smap.line_of(("cases", i)))
            if case.rule in cases:
                raise StandardsError(f"rule '{case.rule}' has two cases", path=display, line=case.line)
            cases[case.rule] = case
    return cases
