"""Fail closed: whatever stops govern from deciding, `govern gate` exits 2, never 0.

The crashing rules below are the thing *around* the test (a rule with a bug); the thing under test is
the engine, the gate and the CLI, which are real.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from meshkit import MeshDir
from trustkit import BAD, base_mesh, copy_pack, relocked_pack
from trustkit import govern as run_govern

import govern
from govern.evaluate.gate import decide
from govern.standards.checks import registry


def _boom(ctx):  # a rule with a bug
    raise ZeroDivisionError("division by zero in a rule")
    yield  # pragma: no cover


@pytest.fixture
def clean(tmp_path: Path) -> MeshDir:
    """A mesh that passes: check and gate exit 0 before anything is broken."""
    mesh = base_mesh(tmp_path / "mesh")
    assert run_govern("gate", str(mesh.root)).exit_code == 0
    return mesh


def test_a_crashing_python_rule_makes_the_gate_exit_2_and_is_named(clean: MeshDir, monkeypatch,
                                                                    tmp_path: Path) -> None:
    monkeypatch.setitem(registry(), "namespace.unique-id", _boom)
    pack = str(relocked_pack(tmp_path / "pack"))  # locked with the rule that crashes
    gate = run_govern("gate", str(clean.root), "-f", "json", "--pack", pack)
    assert gate.exit_code == 2, gate.stdout[-1500:]
    assert '"decision": "undecided"' in gate.stdout
    text = run_govern("gate", str(clean.root), "--pack", pack)
    assert text.exit_code == 2
    crash = "[rule.crashed] rule 'namespace.unique-id' failed: ZeroDivisionError: division by zero in a rule"
    assert crash in text.stdout
    assert "gate: UNDECIDED (fails closed)" in text.stdout
    # check reports the crash as an error and also exits 2, even with --fail-on never.
    assert run_govern("check", str(clean.root), "--fail-on", "never", "--pack", pack).exit_code == 2


def test_a_crashing_rule_of_a_custom_pack_is_reported_and_the_other_rules_still_run(
    tmp_path: Path, monkeypatch
) -> None:
    """A pack in a temp dir with its own Python rule (registered by the test) that raises."""
    mesh = base_mesh(tmp_path / "mesh")
    mesh.product("finance.revenue", {"namespace": "qa"})  # a real violation next to the crash
    pack = copy_pack(tmp_path / "pack")
    (pack / "rules" / "trust.yaml").write_text(
        "rules:\n  - id: trust.crash\n    standard: quality\n    severity: warning\n    engine: python\n"
        "    message: never shown\n", encoding="utf-8")
    version = (pack / "standards" / "mesh-core" / "1.0.0.yaml").read_text(encoding="utf-8")
    version = version.replace("version: 1.0.0", "version: 1.1.0").replace("status: released", "status: draft")
    version += "  - {id: trust.crash, mode: audit}\n"  # even an audit-only rule must not crash silently
    (pack / "standards" / "mesh-core" / "1.1.0.yaml").write_text(version, encoding="utf-8")
    monkeypatch.setitem(registry(), "trust.crash", _boom)

    gate = run_govern("gate", str(mesh.root), "--pack", str(pack), "--standards-version", "1.1.0")
    assert gate.exit_code == 2, gate.stdout[-1500:] + gate.stderr
    assert "rule 'trust.crash' failed: ZeroDivisionError" in gate.stdout
    assert "namespace 'qa' is not one of" in gate.stdout  # the other rules still ran


def test_crashing_yaml_rules_make_the_gate_exit_2(clean: MeshDir, monkeypatch) -> None:
    from govern.standards.ruledsl import CompiledRule

    def broken_run(self, ctx):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(CompiledRule, "run", broken_run)
    gate = run_govern("gate", str(clean.root))
    assert gate.exit_code == 2
    assert "[rule.crashed] rule 'owner.required' failed: RecursionError" in gate.stdout


def test_a_cedar_crash_makes_the_gate_exit_2(clean: MeshDir, monkeypatch) -> None:
    from govern.standards.cedar import CedarEvaluator

    def broken_decide(self, requests):
        raise RuntimeError("cedar engine unavailable")

    monkeypatch.setattr(CedarEvaluator, "decide", broken_decide)
    gate = run_govern("gate", str(clean.root))
    assert gate.exit_code == 2
    assert "Cedar evaluation failed: cedar engine unavailable" in gate.stdout


def test_a_real_cedar_evaluation_error_makes_the_result_undecided(tmp_path: Path) -> None:
    """A policy that passes schema validation but errors at run time (Long overflow): Cedar skips it,
    so a deny it would have produced is missing; the gate cannot trust the result."""
    mesh = base_mesh(tmp_path / "mesh")
    pack = copy_pack(tmp_path / "pack")
    shutil.copyfile(BAD / "cedar" / "runtime_overflow.cedar", pack / "rules" / "cedar" / "test.cedar")
    shutil.copyfile(BAD / "cedar" / "version_enabling_test_policy.yaml",
                    pack / "standards" / "mesh-core" / "1.1.0.yaml")
    result = govern.check([mesh.root], root=mesh.root, version="1.1.0", pack_root=pack,
                          today=dt.date(2026, 6, 1))
    errors = [f for f in result.findings if f.rule == "auth.evaluation-error"]
    assert {f.product for f in errors} == {"crm.customers", "sales.orders"}
    assert result.undecided and "Cedar could not evaluate" in result.undecided[0]
    decision = decide(result)
    assert decision.exit_code == 2 and not decision.allowed


@pytest.mark.parametrize("command", ["check", "gate"])
def test_a_crash_while_loading_exits_2_with_a_message(clean: MeshDir, monkeypatch, command: str) -> None:
    import govern.load.manifest

    def broken(*args, **kwargs):
        raise MemoryError("out of memory while parsing")

    monkeypatch.setattr(govern.load.manifest, "parse_manifest", broken)
    out = run_govern(command, str(clean.root))
    assert out.exit_code == 2
    assert out.stderr == "govern: internal error: MemoryError: out of memory while parsing\n"


def test_a_crash_while_rendering_exits_2(clean: MeshDir, monkeypatch) -> None:
    import govern.output.render.text

    def broken(*args, **kwargs):
        raise UnicodeEncodeError("ascii", "é", 0, 1, "terminal cannot show it")

    monkeypatch.setattr(govern.output.render.text, "render", broken)
    out = run_govern("gate", str(clean.root))
    assert out.exit_code == 2 and "internal error: UnicodeEncodeError" in out.stderr


def test_a_broken_standards_pack_or_config_stops_every_deciding_command(tmp_path: Path) -> None:
    mesh = base_mesh(tmp_path / "mesh")
    pack = copy_pack(tmp_path / "pack")
    shutil.copyfile(BAD / "cedar" / "syntax_error.cedar", pack / "rules" / "cedar" / "test.cedar")
    for args in (["check", str(mesh.root)], ["gate", str(mesh.root)]):
        out = run_govern(*args, "--pack", str(pack))
        assert out.exit_code == 2 and "rules/cedar/test.cedar:2: Cedar syntax error" in out.stderr
    for sub in ("validate", "verify", "list", "show"):
        out = run_govern("standards", sub, "--pack", str(pack))
        assert out.exit_code == 2, (sub, out.stdout, out.stderr)
    mesh.write("govern.yaml", "standards: [mesh-core\n")
    for command in ("check", "gate"):
        out = run_govern(command, str(mesh.root))
        assert out.exit_code == 2 and out.stderr.startswith("govern: govern.yaml:2:"), out.stderr


def test_waivers_cannot_hide_unreadable_inputs_or_crashes(tmp_path: Path, monkeypatch) -> None:
    """A waiver for manifest.invalid, input.invalid or rule.crashed never applies."""
    mesh = base_mesh(tmp_path / "mesh")
    mesh.product("logistics.shipments")
    mesh.write("logistics/shipments_v2/dataproduct.yaml",
               "kind: DataProduct\nid: logistics.shipments\noutputPorts: x\n")
    mesh.write("waivers.yaml", (
        "waivers:\n"
        "  - {rule: manifest.invalid, product: logistics.shipments, reason: r, approved_by: a, expires: 2026-07-01}\n"
        "  - {rule: rule.crashed, product: sales.orders, reason: r, approved_by: a, expires: 2026-07-01}\n"
    ))
    monkeypatch.setitem(registry(), "namespace.unique-id", _boom)
    pack = relocked_pack(tmp_path / "pack")
    check = run_govern("check", str(mesh.root), "--pack", str(pack), text_out=tmp_path / "out.txt")
    assert check.exit_code == 2
    invalid = [f for f in check.findings if f["rule"] == "waiver.invalid"]
    assert len(invalid) == 2 and all("cannot be waived" in f["message"] for f in invalid)
    hidden = [f for f in check.findings if f["rule"] in ("manifest.invalid", "rule.crashed")]
    assert any(f["product"] == "logistics.shipments" for f in hidden)
    assert not any(f["waived"] for f in hidden)
