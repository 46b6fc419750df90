"""The test cases of a pack's rules (``rules/cases/*.yaml``): a passing and a failing example per rule.

The suite runs every case (tests/unit/test_rule_cases.py) and ``govern explain`` prints them, so the
examples a user reads are the ones the behaviour is tested with. Cases are not rules: the pack loads
``rules/*.yaml`` only, and cases are outside the digest of a released version.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govern.model.errors import InputError, StandardsError

CASES_DIR = "rules/cases"
DEFAULT_PRODUCT = "sales.orders"
DEFAULT_TODAY = dt.date(2026, 6, 1)
_FIELDS = ("rule", "product", "pass", "fail", "others", "files", "today", "version")


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
