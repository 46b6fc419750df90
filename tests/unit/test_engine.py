"""The evaluation pipeline: focus mode, waivers, modes, crashes, ordering, locations."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from meshkit import MeshDir

import govern
from govern.model.findings import Severity
from govern.standards.checks import registry
from govern.standards.pack import default_pack_root

TODAY = dt.date(2026, 6, 1)


def _violating_mesh(mesh: MeshDir) -> None:
    mesh.org()
    mesh.product("crm.customers", {"lifecycle": {"state": "deprecated", "sunset": "2026-01-01",
                                                 "replacedBy": "crm.customers_v2",
                                                 "events": [{"state": "init", "at": "2025-01-01"},
                                                            {"state": "active", "at": "2025-01-02"},
                                                            {"state": "deprecated", "at": "2025-06-01"}]}})
    mesh.product("sales.orders", {"inputs": [{"product": "crm.customers"}], "execution": {"code": ["q.sql"]}})
    mesh.product("finance.revenue", {"namespace": "qa", "owner": {"group": "nobody"}})


def test_clean_product_has_no_findings(mesh: MeshDir) -> None:
    mesh.org()
    mesh.product("sales.orders")
    result = govern.check([mesh.root], root=mesh.root, today=TODAY)
    assert [f for f in result.findings if f.severity is not Severity.INFO] == []
    assert result.summary()["passed"] == 1


def test_focus_reports_only_the_focused_products_but_resolves_against_all(mesh: MeshDir) -> None:
    _violating_mesh(mesh)
    full = govern.check([mesh.root], root=mesh.root, today=TODAY)
    focused = govern.check([mesh.root], root=mesh.root, today=TODAY, focus=["sales.orders"])
    expected = [f.to_dict() for f in full.findings if f.product == "sales.orders"]
    assert expected, "the fixture must give sales.orders findings"
    assert [f.to_dict() for f in focused.findings] == expected
    assert focused.products == ["sales.orders"]


def test_consuming_a_deprecated_product_past_sunset_is_an_error_before_it_a_warning(mesh: MeshDir) -> None:
    _violating_mesh(mesh)
    after = govern.check([mesh.root], root=mesh.root, today=TODAY)
    before = govern.check([mesh.root], root=mesh.root, today=dt.date(2025, 12, 1))
    def lifecycle_rules(result) -> list[str]:
        return [f.rule for f in result.findings if f.product == "sales.orders" and f.standard == "lifecycle"]

    assert lifecycle_rules(after) == ["lifecycle.consume-deprecated-past-sunset"]
    assert lifecycle_rules(before) == ["lifecycle.consume-deprecated"]


def test_findings_point_at_the_line_of_the_field(mesh: MeshDir) -> None:
    _violating_mesh(mesh)
    result = govern.check([mesh.root], root=mesh.root, today=TODAY)
    ns = next(f for f in result.findings if f.rule == "namespace.enum")
    path = mesh.root / ns.location.path
    assert path.read_text().splitlines()[ns.location.line - 1].startswith("namespace: qa")


def test_valid_waiver_marks_the_finding_and_the_gate_allows(mesh: MeshDir) -> None:
    mesh.org()
    mesh.product("finance.revenue", {"namespace": "qa"})
    mesh.write_yaml("waivers.yaml", {"waivers": [{
        "rule": "namespace.enum", "product": "finance.revenue", "reason": "migration",
        "approved_by": "governance@example.com", "expires": "2026-07-01"}]})
    result = govern.check([mesh.root], root=mesh.root, today=TODAY)
    finding = next(f for f in result.findings if f.rule == "namespace.enum")
    assert finding.waived and "migration" in finding.waiver_reason
    assert govern.decide(result).exit_code == 0


@pytest.mark.parametrize(
    ("waiver", "why"),
    [
        ({"expires": "2026-05-01"}, "expired on 2026-05-01"),
        ({"expires": None}, "missing expires"),
        ({"expires": "2027-06-01"}, "more than 180 days ahead"),
        ({"rule": "namespace.nope"}, "unknown rule 'namespace.nope'"),
        ({"product": "finance.nothing"}, "unknown product 'finance.nothing'"),
    ],
)
def test_invalid_waivers_do_not_apply_and_are_reported(mesh: MeshDir, waiver: dict, why: str) -> None:
    mesh.org()
    mesh.product("finance.revenue", {"namespace": "qa"})
    entry = {"rule": "namespace.enum", "product": "finance.revenue", "reason": "r",
             "approved_by": "a@example.com", "expires": "2026-07-01", **waiver}
    mesh.write_yaml("waivers.yaml", {"waivers": [{k: v for k, v in entry.items() if v is not None}]})
    result = govern.check([mesh.root], root=mesh.root, today=TODAY)
    assert not any(f.waived for f in result.findings)
    problem = next(f for f in result.findings if f.rule == "waiver.invalid")
    assert why in problem.message and problem.location.path == "waivers.yaml" and problem.location.line == 2
    assert govern.decide(result).exit_code == 1


def _custom_pack(tmp_path: Path, edit) -> Path:
    root = default_pack_root()
    dest = tmp_path / "pack"
    shutil.copytree(root / "rules", dest / "rules")
    shutil.copytree(root / "standards", dest / "standards")
    version = dest / "standards" / "mesh-core" / "1.0.0.yaml"
    version.write_text(edit(version.read_text()))
    relock(dest)  # an edited released version no longer matches the lock: every run verifies it
    return dest


def relock(pack: Path) -> None:
    """Lock the pack copy afresh (what a pack maintainer does when releasing)."""
    from govern.standards.pack import load_pack, write_lock

    (pack / "standards" / "mesh-core" / "standards.lock").unlink()
    write_lock(load_pack(pack))


@pytest.mark.parametrize(
    ("mode", "severity", "blocks"),
    [("enforce", Severity.ERROR, True), ("warn", Severity.WARNING, False), ("audit", Severity.INFO, False)],
)
def test_enforcement_modes(mesh: MeshDir, tmp_path: Path, mode: str, severity: Severity, blocks: bool) -> None:
    mesh.org()
    mesh.product("finance.revenue", {"namespace": "qa"})
    pack = _custom_pack(tmp_path, lambda t: t.replace("{id: namespace.enum, mode: enforce}",
                                                      f"{{id: namespace.enum, mode: {mode}}}"))
    result = govern.check([mesh.root], root=mesh.root, today=TODAY, pack_root=pack)
    finding = next(f for f in result.findings if f.rule == "namespace.enum")
    assert (finding.severity, finding.mode) == (severity, mode)
    assert (govern.decide(result).exit_code == 1) is blocks


def test_effective_date_in_the_future_only_warns(mesh: MeshDir, tmp_path: Path) -> None:
    mesh.org()
    mesh.product("finance.revenue", {"namespace": "qa"})
    pack = _custom_pack(tmp_path, lambda t: t.replace("{id: namespace.enum, mode: enforce}",
                                                      "{id: namespace.enum, mode: enforce, effective: 2026-09-01}"))
    early = govern.check([mesh.root], root=mesh.root, today=TODAY, pack_root=pack)
    late = govern.check([mesh.root], root=mesh.root, today=dt.date(2026, 9, 1), pack_root=pack)
    assert next(f for f in early.findings if f.rule == "namespace.enum").mode == "warn"
    assert next(f for f in late.findings if f.rule == "namespace.enum").mode == "enforce"


def test_a_crashing_rule_is_a_finding_and_the_gate_cannot_decide(mesh: MeshDir, monkeypatch, tmp_path: Path) -> None:
    mesh.org()
    mesh.product("sales.orders")

    def boom(ctx):
        raise KeyError("surprise")

    monkeypatch.setitem(registry(), "lineage.cycle", boom)
    pack = tmp_path / "pack"  # locked with the swapped rule: every run verifies the lock
    shutil.copytree(default_pack_root() / "rules", pack / "rules")
    shutil.copytree(default_pack_root() / "standards", pack / "standards")
    relock(pack)
    result = govern.check([mesh.root], root=mesh.root, today=TODAY, pack_root=pack)
    crash = next(f for f in result.findings if f.rule == "rule.crashed")
    assert "lineage.cycle" in crash.message and crash.severity is Severity.ERROR
    assert govern.decide(result).exit_code == 2


def test_a_broken_manifest_does_not_hide_the_others(mesh: MeshDir) -> None:
    mesh.org()
    mesh.write("crm/broken/dataproduct.yaml", "kind: DataProduct\nid: crm.broken\nowner: [oops\n")
    mesh.product("finance.revenue", {"namespace": "qa"})
    result = govern.check([mesh.root], root=mesh.root, today=TODAY)
    rules = {(f.rule, f.location.path) for f in result.findings}
    assert ("manifest.invalid", "crm/broken/dataproduct.yaml") in rules
    assert ("namespace.enum", "finance/revenue/dataproduct.yaml") in rules


def test_cycles_are_reported_as_paths(mesh: MeshDir) -> None:
    mesh.org()
    mesh.product("sales.a", {"inputs": [{"product": "sales.b"}], "execution": {"code": ["q.sql"]}})
    mesh.product("sales.b", {"inputs": [{"product": "sales.c"}], "execution": {"code": ["q.sql"]}})
    mesh.product("sales.c", {"inputs": [{"product": "sales.a"}], "execution": {"code": ["q.sql"]}})
    result = govern.check([mesh.root], root=mesh.root, today=TODAY)
    cycles = [f for f in result.findings if f.rule == "lineage.cycle"]
    assert [(f.product, f.message) for f in cycles] == [
        (pid, "lineage cycle: sales.a -> sales.b -> sales.c -> sales.a") for pid in ("sales.a", "sales.b", "sales.c")]


def test_changed_files_runs_still_report_a_broken_org_yaml(mesh: MeshDir) -> None:
    mesh.write("org.yaml", "teams:\n  - id: sales-data\n    domain: [sales\n")
    mesh.product("sales.orders")
    mesh.product("finance.revenue")
    focused = govern.check([mesh.root], root=mesh.root, today=TODAY, focus=["finance.revenue"])
    problems = [f for f in focused.findings if f.location.path == "org.yaml"]
    assert problems and problems[0].severity is Severity.ERROR
    assert govern.decide(focused).exit_code == 1
