"""The declarative YAML rule language: selectors, conditions, check functions, messages."""

from __future__ import annotations

import datetime as dt

import pytest

from govern.model.errors import StandardsError
from govern.standards.ruledsl import EvalContext, compile_path, compile_rule, format_message

TODAY = dt.date(2026, 6, 1)


def run(rule: dict, data: dict, products=(), teams=None) -> list[tuple]:
    compiled = compile_rule(rule.get("given"), rule.get("when"), rule.get("then"), "test.yaml")
    ctx = EvalContext(data=data, today=TODAY, product_ids=frozenset(products),
                      team_ids=frozenset(teams) if teams is not None else None)
    return [(path, value) for path, value, _ in compiled.run(ctx)]


def test_path_selects_list_items_with_their_field_paths() -> None:
    expr = compile_path("outputPorts[*].classification", "t")
    data = {"outputPorts": [{"classification": "public"}, {"name": "x"}]}
    selected = list(expr.select(data))
    assert selected[0] == (("outputPorts", 0, "classification"), "public")
    assert selected[1][0] == ("outputPorts", 1, "classification")


@pytest.mark.parametrize("bad", ["", "a..b", "a[0]", "a.b-c", "1a"])
def test_malformed_paths_are_rejected(bad: str) -> None:
    with pytest.raises(StandardsError):
        compile_path(bad, "t")


def test_required_fails_only_on_missing_or_empty() -> None:
    rule = {"given": "namespace", "then": {"function": "required"}}
    assert run(rule, {}) == [(("namespace",), "")]
    assert run(rule, {"namespace": ""}) == [(("namespace",), "")]
    assert run(rule, {"namespace": "prod"}) == []


def test_enum_ignores_missing_values_and_reports_wrong_ones() -> None:
    rule = {"given": "namespace", "then": {"function": "enum", "values": ["prod", "test"]}}
    assert run(rule, {}) == []
    assert run(rule, {"namespace": "prod"}) == []
    assert run(rule, {"namespace": "qa"}) == [(("namespace",), "qa")]


def test_pattern_is_a_full_match() -> None:
    rule = {"given": "id", "then": {"function": "pattern", "match": "[a-z]+\\.[a-z]+"}}
    assert run(rule, {"id": "sales.orders"}) == []
    assert run(rule, {"id": "sales.orders!"}) != []
    assert run(rule, {"id": 42}) != []


def test_equals_against_a_segment_of_another_field() -> None:
    rule = {"given": "domain", "then": {"function": "equals", "field": "id", "separator": ".", "index": 0}}
    assert run(rule, {"id": "sales.orders", "domain": "sales"}) == []
    assert run(rule, {"id": "sales.orders", "domain": "crm"}) == [(("domain",), "crm")]


def test_when_conditions_gate_the_check() -> None:
    rule = {
        "given": "lifecycle.sunset",
        "when": [{"path": "lifecycle.state", "equals": "deprecated"}],
        "then": {"function": "required"},
    }
    assert run(rule, {"lifecycle": {"state": "active"}}) == []
    assert run(rule, {"lifecycle": {"state": "deprecated"}}) == [(("lifecycle", "sunset"), "")]


def test_present_condition() -> None:
    rule = {"given": "execution.code", "when": [{"path": "inputs", "present": True}],
            "then": {"function": "required"}}
    assert run(rule, {"inputs": []}) == []
    assert run(rule, {"inputs": [{"product": "a.b"}]}) == [(("execution", "code"), "")]


def test_ascending_dates() -> None:
    rule = {"given": "events", "then": {"function": "ascending", "key": "at"}}
    ok = {"events": [{"at": dt.date(2025, 1, 1)}, {"at": dt.date(2025, 2, 1)}]}
    bad = {"events": [{"at": dt.date(2025, 3, 1)}, {"at": dt.date(2025, 2, 1)}]}
    assert run(rule, ok) == []
    assert len(run(rule, bad)) == 1


def test_date_after_today() -> None:
    rule = {"given": "expires", "then": {"function": "dateAfter", "today": True}}
    assert run(rule, {"expires": dt.date(2027, 1, 1)}) == []
    assert run(rule, {"expires": dt.date(2020, 1, 1)}) != []


def test_reference_exists_for_products_and_teams() -> None:
    rule = {"given": "inputs[*].product", "then": {"function": "referenceExists", "target": "product"}}
    data = {"inputs": [{"product": "a.b"}, {"product": "c.d"}]}
    assert run(rule, data, products={"a.b"}) == [(("inputs", 1, "product"), "c.d")]
    team_rule = {"given": "owner.group", "then": {"function": "referenceExists", "target": "team"}}
    assert run(team_rule, {"owner": {"group": "x"}}, teams=None) == []  # no org.yaml: not checked
    assert run(team_rule, {"owner": {"group": "x"}}, teams={"y"}) != []


def test_require_any_and_all() -> None:
    any_rule = {"given": "owner", "then": {"function": "requireAny", "fields": ["group", "person"]}}
    assert run(any_rule, {"owner": {"person": "a@b.c"}}) == []
    assert run(any_rule, {"owner": {}}) != []
    assert run(any_rule, {}) != []
    all_rule = {"given": "tombstone", "then": {"function": "requireAll", "fields": ["at", "reason"]}}
    assert run(all_rule, {"tombstone": {"at": "2025-01-01"}}) != []


def test_semver() -> None:
    rule = {"given": "version", "then": {"function": "semver"}}
    assert run(rule, {"version": "1.4.0"}) == []
    assert run(rule, {"version": "1.4.0-rc.1+build.5"}) == []
    assert run(rule, {"version": "1.4"}) != []
    assert run(rule, {"version": "01.4.0"}) != []


@pytest.mark.parametrize(
    "then",
    [{}, {"function": "eval"}, {"function": "enum"}, {"function": "pattern", "match": "("}],
)
def test_malformed_checks_are_standards_errors(then: dict) -> None:
    with pytest.raises(StandardsError):
        compile_rule("a", None, then, "rules/x.yaml:3")


def test_when_needs_exactly_one_operator() -> None:
    with pytest.raises(StandardsError):
        compile_rule("a", [{"path": "b", "equals": 1, "in": [1]}], {"function": "required"}, "t")


def test_messages_fill_only_simple_placeholders() -> None:
    assert format_message("{value} is not {allowed}", {"value": "qa", "allowed": "prod"}) == "qa is not prod"
    assert format_message("{value.__class__} {missing}", {"value": "x"}) == "{value.__class__} {missing}"
    assert format_message("at {d}", {"d": dt.date(2026, 1, 2)}) == "at 2026-01-02"
