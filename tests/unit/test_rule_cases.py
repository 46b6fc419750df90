"""Every test case of the shipped pack (rules/cases/*.yaml) holds: its failing example reports the rule,
its passing example does not. ``govern explain`` prints these cases, so its examples cannot drift."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from govern.api import check_rule_case, run_rule_cases
from govern.standards.pack import default_pack_root, load_pack
from govern.standards.rulecases import RuleCase, load_cases

CASES = load_cases(default_pack_root())
PACK = load_pack()


def _findings(tmp_path: Path, case: RuleCase, overlay: dict) -> list[tuple[str, str | None]]:
    """(rule, product) of every finding of the mesh the case describes (as ``govern standards test`` runs it)."""
    result = check_rule_case(case, overlay, PACK, tmp_path)
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


def test_govern_standards_test_runs_every_case_of_the_shipped_pack() -> None:
    """The library's runner (``govern standards test``) holds each case to the same two conditions."""
    outcomes = run_rule_cases(PACK)
    assert sorted(o.case.rule for o in outcomes) == sorted(CASES)
    assert [(o.where, o.problem) for o in outcomes if o.problem] == []


def _standards_test(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / "govern"), "standards", "test", *args],
                          capture_output=True, text=True)


def test_standards_test_of_a_rule_without_a_case_is_exit_2_with_the_closest_rule() -> None:
    proc = _standards_test("namespace.enun")
    assert proc.returncode == 2
    assert "govern: no case for rule 'namespace.enun'" in proc.stderr
    assert "(did you mean 'namespace.enum'?)" in proc.stderr
    assert proc.stdout == ""


def test_standards_test_of_a_pack_without_cases_says_so(pack_copy: Path) -> None:
    shutil.rmtree(pack_copy / "rules" / "cases")
    proc = _standards_test("--pack", str(pack_copy))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"mesh-core: no rule cases in {pack_copy / 'rules' / 'cases'} (rules/cases/*.yaml)\n"
