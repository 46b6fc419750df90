"""The CLI: output formats, thresholds and exit codes of check, gate, schema and standards."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from meshkit import MeshDir, base_product

from govern.cli.main import cli
from govern.standards.pack import default_pack_root


def invoke(*args: str):
    return CliRunner().invoke(cli, [*args, "--today", "2026-06-01"] if args[0] in ("check", "gate") else list(args))


@pytest.fixture
def warn_only(mesh: MeshDir) -> MeshDir:
    mesh.org()
    mesh.product("sales.orders", {"description": None})
    return mesh


@pytest.fixture
def failing(mesh: MeshDir) -> MeshDir:
    mesh.org()
    mesh.product("sales.orders")
    mesh.product("finance.revenue", {"namespace": "qa"})
    return mesh


def test_check_clean_mesh_exits_0(mesh: MeshDir) -> None:
    mesh.org()
    mesh.product("sales.orders")
    res = invoke("check", str(mesh.root))
    assert res.exit_code == 0, res.output
    assert "1 product checked against mesh-core 1.0.0: 0 errors" in res.output


def test_check_text_names_file_line_rule_and_fix(failing: MeshDir) -> None:
    res = invoke("check", str(failing.root))
    assert res.exit_code == 1
    assert "finance/revenue/dataproduct.yaml:7: error   [namespace.enum] namespace 'qa' is not one of" in res.output
    assert "fix: Use one of prod, preprod or test." in res.output


@pytest.mark.parametrize(("fail_on", "code"), [("error", 0), ("warning", 1), ("never", 0)])
def test_fail_on_threshold(warn_only: MeshDir, fail_on: str, code: int) -> None:
    res = invoke("check", str(warn_only.root), "--fail-on", fail_on)
    assert res.exit_code == code, res.output


def test_json_output_has_the_documented_shape(failing: MeshDir) -> None:
    res = invoke("check", str(failing.root), "-f", "json")
    data = json.loads(res.output)
    assert data["version"] == 1 and data["standards"] == {
        "pack": "mesh-core", "version": "1.0.0", "status": "released", "rules": data["standards"]["rules"]}
    assert data["summary"]["products"] == 2 and data["summary"]["bySeverity"]["error"] >= 1
    finding = next(f for f in data["findings"] if f["rule"] == "namespace.enum")
    assert finding["standard"] == "namespace" and finding["product"] == "finance.revenue"
    assert finding["location"] == {"path": "finance/revenue/dataproduct.yaml", "line": 7}
    assert finding["waived"] is False and finding["engine"] == "yaml"


def test_several_outputs_in_one_run(failing: MeshDir, tmp_path: Path) -> None:
    out = tmp_path / "out" / "result.json"
    res = invoke("check", str(failing.root), "-f", "text", "-f", f"json={out}")
    assert "[namespace.enum]" in res.output
    assert json.loads(out.read_text())["summary"]["products"] == 2


def test_unknown_format_is_a_usage_error(failing: MeshDir) -> None:
    res = invoke("check", str(failing.root), "-f", "yaml")
    assert res.exit_code == 2 and "unknown format 'yaml'" in res.output


def test_gate_exit_codes(failing: MeshDir, mesh: MeshDir) -> None:
    res = invoke("gate", str(failing.root))
    assert res.exit_code == 1 and "gate: BLOCKED (1 product)" in res.output
    shutil.rmtree(failing.root / "finance")
    res = invoke("gate", str(failing.root))
    assert res.exit_code == 0 and "gate: ALLOWED" in res.output


def test_gate_json_lists_decisions(failing: MeshDir) -> None:
    data = json.loads(invoke("gate", str(failing.root), "-f", "json").output)
    decisions = {p["product"]: p["decision"] for p in data["gate"]["products"]}
    assert decisions == {"finance.revenue": "blocked", "sales.orders": "allowed"}
    assert data["gate"]["decision"] == "blocked"


def test_gate_exits_2_on_a_broken_config(failing: MeshDir) -> None:
    failing.write("govern.yaml", "standards: {pack: mesh-core, version: 7.0.0}\n")
    res = invoke("gate", str(failing.root))
    assert res.exit_code == 2 and "standards version '7.0.0' not found" in res.output


def test_gate_exits_2_on_a_broken_standards_pack(failing: MeshDir, tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(default_pack_root() / "rules", pack / "rules")
    shutil.copytree(default_pack_root() / "standards", pack / "standards")
    (pack / "rules" / "owner.yaml").write_text("rules: [\n")
    res = invoke("gate", str(failing.root), "--pack", str(pack))
    assert res.exit_code == 2 and "rules/owner.yaml" in res.output


def test_missing_path_exits_2(tmp_path: Path) -> None:
    res = invoke("check", str(tmp_path / "nope"))
    assert res.exit_code == 2 and "path does not exist" in res.output


def test_schema_is_a_json_schema_that_accepts_a_valid_manifest() -> None:
    res = invoke("schema")
    schema = json.loads(res.output)
    jsonschema.Draft202012Validator.check_schema(schema)
    manifest = yaml.safe_load(yaml.safe_dump(base_product("sales.orders")))
    manifest["lifecycle"]["events"] = [{"state": "init", "at": "2025-01-10"}]
    jsonschema.validate(manifest, schema)
    assert schema["properties"]["namespace"]["enum"] == ["prod", "preprod", "test"]


def test_standards_commands() -> None:
    assert "mesh-core 1.0.0" in invoke("standards", "list").output
    shown = invoke("standards", "show")
    assert shown.exit_code == 0 and "owner.group-exists" in shown.output
    assert invoke("standards", "validate").exit_code == 0
    assert invoke("standards", "verify").exit_code == 0


def test_standards_verify_fails_on_an_edited_release(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(default_pack_root() / "rules", pack / "rules")
    shutil.copytree(default_pack_root() / "standards", pack / "standards")
    owner = pack / "rules" / "owner.yaml"
    owner.write_text(owner.read_text().replace("[^@\\\\s]+@", "[^@]+@"))
    res = invoke("standards", "verify", "--pack", str(pack))
    assert res.exit_code == 2 and "changed since it was locked" in res.output


def test_standards_validate_fails_on_a_broken_cedar_policy(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(default_pack_root() / "rules", pack / "rules")
    shutil.copytree(default_pack_root() / "standards", pack / "standards")
    (pack / "rules" / "cedar" / "x.cedar").write_text(
        '@id("auth.x")\n@standard("auth")\n@severity("error")\n@message("m")\n@help("h")\n'
        'forbid(principal, action == Action::"read", resource) when { resource.nope };\n')
    res = invoke("standards", "validate", "--pack", str(pack))
    assert res.exit_code == 2 and "auth.x" in res.output


def test_console_script_runs_as_a_module(failing: MeshDir) -> None:
    proc = subprocess.run([sys.executable, "-m", "govern", "gate", str(failing.root), "--today", "2026-06-01"],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "gate: BLOCKED" in proc.stdout


def test_commands_that_check_run_without_cyclic_collection(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from govern.cli import common

    monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", "")  # so that the test's end removes what quick_start sets
    monkeypatch.delenv("PYDANTIC_DISABLE_PLUGINS")
    assert gc.isenabled()
    try:
        common.quick_start("init")  # runs no check: collection stays on
        assert gc.isenabled()
        assert common.os.environ["PYDANTIC_DISABLE_PLUGINS"] == "__all__"
        for command in common.COMMANDS_THAT_CHECK:
            gc.enable()
            common.quick_start(command)
            assert not gc.isenabled(), command
        common.library_loaded()  # the imports are frozen for the SQL workers; collection stays paused
        assert not gc.isenabled() and gc.get_freeze_count() > 0
    finally:
        gc.enable()
        gc.unfreeze()
        common._GC_HELD = False


def test_sql_scanned_in_this_process_is_collected_even_when_the_command_paused_collection() -> None:
    import gc

    from govern.analysis.sqlscan import collecting

    gc.disable()
    try:
        with collecting():  # parsed SQL trees are cyclic garbage: scanning turns collection on
            assert gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()
    with collecting():  # a caller that collects is left as it is
        assert gc.isenabled()
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_the_console_script_gives_the_same_output_as_the_library(failing: MeshDir) -> None:
    """python -m govern (quick_start: no plugin scan, collection paused during imports) == CliRunner."""
    args = ["check", str(failing.root), "--today", "2026-06-01", "-f", "json"]
    proc = subprocess.run([sys.executable, "-m", "govern", *args], capture_output=True, text=True)
    res = CliRunner().invoke(cli, args)
    assert proc.returncode == res.exit_code == 1
    assert proc.stdout == res.output
