"""CLI of the importers: check --dbt / --input-format, init, convert --to native."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import govern
from govern.cli.main import cli
from govern.standards.pack import default_pack_root

FIXTURES = Path(__file__).parent.parent / "fixtures"
TODAY = "2026-06-01"
MANIFEST = FIXTURES / "dbt_project" / "target" / "manifest.json"


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _pairs(findings) -> set[tuple[str, str | None]]:
    return {(f["rule"], f["product"]) if isinstance(f, dict) else (f.rule, f.product) for f in findings}


def test_check_dbt_manifest_reports_json_pointers() -> None:
    result = run("check", "--dbt", str(MANIFEST), "--today", TODAY, "-f", "json")
    assert result.exit_code == 1, result.output
    out = json.loads(result.output)
    assert out["summary"]["products"] == 15
    enum = next(f for f in out["findings"] if f["rule"] == "namespace.enum")
    assert enum["product"] == "finance.bad_ledger"
    assert enum["location"] == {"path": "target/manifest.json",
                                "pointer": "/nodes/model.jaffle_mesh.bad_ledger/config/meta/namespace"}


def test_gate_takes_dbt_too() -> None:
    result = run("gate", "--dbt", str(MANIFEST), "--today", TODAY, "-f", "json")
    assert result.exit_code == 1, result.output


def test_input_format_reads_a_file_detection_would_not(tmp_path: Path) -> None:
    (tmp_path / "govern.yaml").write_text("standards: {pack: mesh-core}\n")
    contract = yaml.safe_load((FIXTURES / "bitol_mesh/contracts/crm_customers.odcs.yaml").read_text())
    (tmp_path / "customers.contract").write_text(json.dumps(contract, default=str))  # JSON, odd name
    plain = run("check", str(tmp_path / "customers.contract"), "--today", TODAY, "-f", "json")
    assert json.loads(plain.stdout)["summary"]["products"] == 0
    forced = run("check", str(tmp_path / "customers.contract"), "--input-format", "odcs", "--today", TODAY,
                 "-f", "json")
    assert forced.exit_code == 0, forced.output
    assert json.loads(forced.output)["summary"]["products"] == 1
    bad = run("check", str(tmp_path / "customers.contract"), "--input-format", "odcs", "--base", "HEAD")
    assert bad.exit_code == 2 and "--input-format cannot be combined" in bad.output


def test_init_scaffolds_a_repository_that_checks_and_validates(tmp_path: Path) -> None:
    target = tmp_path / "gov"
    first = run("init", str(target))
    assert first.exit_code == 0, first.output
    for rel in ("govern.yaml", "org.yaml", "waivers.yaml", ".pre-commit-config.yaml", ".github/workflows/govern.yml"):
        assert (target / rel).is_file(), rel
        assert f"wrote {rel}" in first.output
    config = yaml.safe_load((target / "govern.yaml").read_text())
    assert config["standards"] == {"pack": "mesh-core", "version": "1.0.0"}
    workflow = yaml.safe_load((target / ".github/workflows/govern.yml").read_text())
    assert workflow["jobs"]["gate"]["steps"][-1]["run"].startswith("govern gate .")
    precommit = subprocess.run([sys.executable, "-m", "pre_commit", "validate-config", ".pre-commit-config.yaml"],
                               cwd=target, capture_output=True, text=True)
    assert precommit.returncode == 0, precommit.stdout + precommit.stderr
    # the example product passes; without it, nothing is decided (exit 2) unless the run accepts that
    assert run("check", str(target), "--today", TODAY).exit_code == 0
    bare = tmp_path / "bare"
    assert run("init", str(bare), "--no-example").exit_code == 0
    assert not (bare / "platform").exists()
    assert run("check", str(bare), "--today", TODAY).exit_code == 2
    assert run("check", str(bare), "--today", TODAY, "--allow-empty").exit_code == 0
    (target / "org.yaml").write_text("teams: []\n")
    again = run("init", str(target))
    assert "kept  org.yaml" in again.output and (target / "org.yaml").read_text() == "teams: []\n"


def test_init_with_a_copy_of_the_pack(tmp_path: Path) -> None:
    target = tmp_path / "gov"
    assert run("init", str(target), "--copy-pack").exit_code == 0
    assert yaml.safe_load((target / "govern.yaml").read_text())["standards"]["path"] == "standards-pack"
    for part in ("rules", "standards"):  # an exact copy: verify and lock behave as on the shipped pack
        shipped, copied = default_pack_root() / part, target / "standards-pack" / part
        names = sorted(p.relative_to(shipped).as_posix() for p in shipped.rglob("*") if p.is_file())
        assert names == sorted(p.relative_to(copied).as_posix() for p in copied.rglob("*") if p.is_file())
        assert all((shipped / n).read_bytes() == (copied / n).read_bytes() for n in names)
    validate = run("standards", "validate", "--pack", str(target / "standards-pack"))
    assert validate.exit_code == 0, validate.output
    result = govern.check([target], root=target, today=dt.date(2026, 6, 1))
    assert result.standard.version == "1.0.0" and result.findings == []


@pytest.mark.parametrize("fixture", ["bitol_mesh", "dbt_project"])
def test_converted_manifests_give_the_same_findings(fixture: str, tmp_path: Path) -> None:
    src = FIXTURES / fixture
    out = tmp_path / "native"
    result = run("convert", str(src), "--to", "native", "-o", str(out))
    assert result.exit_code == (1 if fixture == "bitol_mesh" else 0), result.output
    for name in ("govern.yaml", "org.yaml"):
        shutil.copyfile(src / name, out / name)
    config = yaml.safe_load((out / "govern.yaml").read_text())
    config.pop("importers", None)  # the defaults are written into the manifests now
    (out / "govern.yaml").write_text(yaml.safe_dump(config))
    today = dt.date(2026, 6, 1)
    before = govern.check([src], root=src, today=today)
    after = govern.check([out], root=out, today=today)
    assert {p.origin for p in after.mesh.products} == {"native"}
    assert sorted(after.products) == sorted(before.products)
    unchanged = {p for p in _pairs(before.findings) if p[0] != "manifest.invalid"}
    assert _pairs(after.findings) == unchanged
