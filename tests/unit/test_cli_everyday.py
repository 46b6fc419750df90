"""Everyday use through the real CLI (issue 17): rules, explain, did-you-mean, locations, plurals."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml
from meshkit import BASE_ORG, MeshDir

from govern.rulecases import load_cases
from govern.standards import default_pack_root, load_pack

GOVERN = Path(sys.executable).parent / "govern"
TODAY = "2026-06-01"


def govern(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(GOVERN), *args], capture_output=True, text=True, cwd=cwd)


def clean_mesh(root: Path) -> MeshDir:
    mesh = MeshDir(root)
    mesh.org(BASE_ORG)
    mesh.product("sales.orders")
    return mesh


# ---------------------------------------------------------------- govern rules / explain

def test_rules_lists_every_rule_in_force(tmp_path: Path) -> None:
    proc = govern("rules", cwd=clean_mesh(tmp_path).root)
    assert proc.returncode == 0, proc.stderr
    version = load_pack().latest_released()
    lines = proc.stdout.splitlines()
    assert lines[0] == f"mesh-core {version.version} (released): {len(version.rules)} rules"
    assert [line.split()[0] for line in lines[1:]] == version.rule_ids()
    assert "auth.prod-deploy-team" in proc.stdout and "enforce from 2026-01-01 cedar" in " ".join(proc.stdout.split())


def test_rules_filters_by_standard_in_json(tmp_path: Path) -> None:
    proc = govern("rules", str(clean_mesh(tmp_path).root), "--standard", "owner", "-f", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert [r["id"] for r in data["rules"]] == ["owner.required", "owner.person-email", "owner.group-exists",
                                                "owner.observed-mismatch"]
    assert data["rules"][0] == {"id": "owner.required", "standard": "owner", "severity": "error",
                                "mode": "enforce", "effective": None, "engine": "yaml"}


def test_rules_unknown_standard_is_exit_2_with_did_you_mean(tmp_path: Path) -> None:
    proc = govern("rules", str(clean_mesh(tmp_path).root), "--standard", "ownr")
    assert proc.returncode == 2
    assert "unknown standard 'ownr' (did you mean 'owner'?)" in proc.stderr


def test_rules_follow_the_version_pinned_in_govern_yaml(tmp_path: Path) -> None:
    mesh = clean_mesh(tmp_path)
    mesh.write("govern.yaml", "standards:\n  pack: mesh-core\n  version: 9.9.9\n")
    proc = govern("rules", cwd=mesh.root)
    assert proc.returncode == 2
    assert "9.9.9" in proc.stderr


def test_explain_prints_the_rule_and_its_tested_examples(tmp_path: Path) -> None:
    proc = govern("explain", "owner.person-email", "--path", str(clean_mesh(tmp_path).root))
    assert proc.returncode == 0, proc.stderr
    spec = load_pack().rules["owner.person-email"]
    case = load_cases(default_pack_root())["owner.person-email"]
    out = proc.stdout
    assert out.splitlines()[0] == "owner.person-email  [owner, error, enforce in mesh-core 1.0.0, engine yaml]"
    assert f"what:  {spec.description}" in out and f"fix:   {spec.help}" in out
    assert "why:   Standard: owner." in out
    passes, fails = out.split("    passes:\n")[1].split("    fails:\n")
    assert yaml.safe_load(passes) == case.passing and yaml.safe_load(fails) == case.failing


def test_explain_unknown_rule_is_exit_2_with_did_you_mean(tmp_path: Path) -> None:
    proc = govern("explain", "owner.person-emial", "--path", str(clean_mesh(tmp_path).root))
    assert proc.returncode == 2
    assert "unknown rule 'owner.person-emial' (did you mean 'owner.person-email'?)" in proc.stderr
    assert proc.stdout == ""
