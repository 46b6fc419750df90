"""Step definitions shared by every feature file (tests/features/*.feature)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml
from meshkit import BASE_ORG, MeshDir
from pytest_bdd import given, parsers, then, when

import govern
from govern.model.findings import Severity


@pytest.fixture
def run() -> dict[str, Any]:
    return {"today": dt.date(2026, 6, 1)}


@given(parsers.parse('today is "{date}"'))
def given_today(run: dict, date: str) -> None:
    run["today"] = dt.date.fromisoformat(date)


@given("the standard org.yaml")
def given_org(mesh: MeshDir) -> None:
    mesh.org(BASE_ORG)


@given("the org.yaml", target_fixture="org_written")
def given_org_text(mesh: MeshDir, docstring: str) -> None:
    mesh.write("org.yaml", docstring)


@given(parsers.re(r'a valid product "(?P<pid>[^"]+)"'))
def given_product(mesh: MeshDir, pid: str) -> None:
    mesh.product(pid)


@given(parsers.re(r'a valid product "(?P<pid>[^"]+)" with'))
def given_product_with(mesh: MeshDir, pid: str, docstring: str) -> None:
    mesh.product(pid, yaml.safe_load(docstring) or {})


@given(parsers.re(r'a valid product "(?P<pid>[^"]+)" at "(?P<relpath>[^"]+)" with'))
def given_product_at(mesh: MeshDir, pid: str, relpath: str, docstring: str) -> None:
    mesh.product(pid, yaml.safe_load(docstring) or {}, relpath=relpath)


@given(parsers.parse('the file "{relpath}" contains'))
def given_file(mesh: MeshDir, relpath: str, docstring: str) -> None:
    mesh.write(relpath, docstring + "\n")


@when("the mesh is checked")
def when_checked(mesh: MeshDir, run: dict) -> None:
    run["result"] = govern.check([mesh.root], root=mesh.root, today=run["today"])


@when("the gate decides")
def when_gate(mesh: MeshDir, run: dict) -> None:
    run["result"] = govern.check([mesh.root], root=mesh.root, today=run["today"])
    run["gate"] = govern.decide(run["result"])


def _matching(run: dict, rule: str, pid: str) -> list:
    return [f for f in run["result"].findings if f.rule == rule and f.product == pid]


@then(parsers.re(r'an? (?P<standard>\w+) (?P<severity>error|warning|info) "(?P<rule>[\w.-]+)" is reported for "(?P<pid>[^"]+)"'))
def then_reported(run: dict, standard: str, severity: str, rule: str, pid: str) -> None:
    found = _matching(run, rule, pid)
    assert found, f"expected {rule} on {pid}; got {[(f.rule, f.product) for f in run['result'].findings]}"
    assert any(f.standard == standard and f.severity is Severity.parse(severity) for f in found), found


@then(parsers.re(r'"(?P<rule>[\w.-]+)" is reported for "(?P<pid>[^"]+)" at line (?P<line>\d+)'))
def then_at_line(run: dict, rule: str, pid: str, line: str) -> None:
    found = _matching(run, rule, pid)
    assert any(f.location.line == int(line) for f in found), [(f.location, f.message) for f in found]


@then(parsers.re(r'"(?P<rule>[\w.-]+)" is reported for "(?P<pid>[^"]+)" in "(?P<path>[^"]+)"'))
def then_in_file(run: dict, rule: str, pid: str, path: str) -> None:
    found = _matching(run, rule, pid)
    assert any(f.location.path == path for f in found), [(f.location, f.message) for f in found]


@then(parsers.re(r'the message of "(?P<rule>[\w.-]+)" for "(?P<pid>[^"]+)" mentions "(?P<text>[^"]+)"'))
def then_message(run: dict, rule: str, pid: str, text: str) -> None:
    found = _matching(run, rule, pid)
    assert any(text in f.message for f in found), [f.message for f in found]


@then(parsers.re(r'"(?P<rule>[\w.-]+)" is not reported for "(?P<pid>[^"]+)"'))
def then_not_reported(run: dict, rule: str, pid: str) -> None:
    assert not _matching(run, rule, pid), [f.message for f in _matching(run, rule, pid)]


@then(parsers.re(r'no (?P<standard>\w+) finding is reported for "(?P<pid>[^"]+)"'))
def then_no_standard(run: dict, standard: str, pid: str) -> None:
    found = [f for f in run["result"].findings if f.standard == standard and f.product == pid]
    assert not found, [(f.rule, f.message) for f in found]


@then(parsers.re(r'no finding is reported for "(?P<pid>[^"]+)"'))
def then_clean(run: dict, pid: str) -> None:
    found = [f for f in run["result"].findings if f.product == pid and f.severity is not Severity.INFO]
    assert not found, [(f.rule, f.message) for f in found]


@then(parsers.re(r'"(?P<rule>[\w.-]+)" for "(?P<pid>[^"]+)" is waived'))
def then_waived(run: dict, rule: str, pid: str) -> None:
    found = _matching(run, rule, pid)
    assert found and all(f.waived for f in found), found


@then(parsers.re(r'the gate (?P<verdict>blocks|allows) "(?P<pid>[^"]+)"'))
def then_gate_product(run: dict, verdict: str, pid: str) -> None:
    decision = next(p for p in run["gate"].products if p.product == pid)
    assert decision.allowed == (verdict == "allows"), decision.reasons


@then(parsers.re(r"the gate exits (?P<code>\d)"))
def then_gate_exit(run: dict, code: str) -> None:
    assert run["gate"].exit_code == int(code), run["gate"].to_dict()
