"""Every test case of the shipped pack (rules/cases/*.yaml) holds: its failing example reports the rule,
its passing example does not. ``govern explain`` prints these cases, so its examples cannot drift."""

from __future__ import annotations

from pathlib import Path

import pytest
from meshkit import BASE_ORG, MeshDir

import govern
from govern.standards.pack import default_pack_root, load_pack
from govern.standards.rulecases import RuleCase, load_cases

CASES = load_cases(default_pack_root())
PACK = load_pack()


def _findings(tmp_path: Path, case: RuleCase, overlay: dict) -> list[tuple[str, str | None]]:
    mesh = MeshDir(tmp_path)
    mesh.org(BASE_ORG)
    for other, other_overlay in case.others.items():
        mesh.product(other, other_overlay)
    mesh.product(case.product, overlay)
    domain, _, name = case.product.partition(".")
    for rel, text in case.files.items():
        mesh.write(f"{domain}/{name}/{rel}", text)
    if case.version is not None:  # pinned as a team would pin it
        mesh.write("govern.yaml", f"standards:\n  pack: mesh-core\n  version: {case.version}\n")
    result = govern.check([mesh.root], root=mesh.root, today=case.today)
    return [(f.rule, f.product) for f in result.findings]


def test_every_case_names_a_rule_in_force() -> None:
    """In the latest released version, or in the version the case names (a rule of a draft)."""
    in_force = set(PACK.latest_released().rule_ids())
    assert sorted(r for r, c in CASES.items() if c.version is None and r not in in_force) == []
    assert sorted(r for r, c in CASES.items() if c.version is not None and r not in PACK.version(c.version).rule_ids()
                  ) == []
    assert len(CASES) >= 30


@pytest.mark.parametrize("rule", sorted(CASES))
def test_failing_example_reports_the_rule(tmp_path: Path, rule: str) -> None:
    case = CASES[rule]
    product = case.failing.get("id", case.product)  # an example may change the id itself
    assert (rule, product) in _findings(tmp_path, case, case.failing)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_passing_example_does_not(tmp_path: Path, rule: str) -> None:
    case = CASES[rule]
    found = _findings(tmp_path, case, case.passing)
    assert [f for f in found if f[0] == rule] == []
    # the passing example breaks no other rule either: it is an example to copy
    product = case.passing.get("id", case.product)
    assert [f for f in found if f[1] == product and not f[0].startswith("auth.read-baseline")
            and not f[0].startswith("auth.deploy-baseline")] == []
