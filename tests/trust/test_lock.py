"""The standards lock is verified on every check and gate run (issue 13, item 3).

A released version whose rules no longer match ``standards.lock`` makes ``check`` and ``gate`` exit 2,
naming the rule that changed; "checked against mesh-core 1.0.0" then always means the rules released
as 1.0.0. Real pack copies, the real CLI.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from meshkit import MeshDir
from trustkit import base_mesh, copy_pack
from trustkit import govern as run_govern

VERSION = Path("standards") / "mesh-core" / "1.0.0.yaml"
LOCK = Path("standards") / "mesh-core" / "standards.lock"


@pytest.fixture
def mesh(tmp_path: Path) -> MeshDir:
    mesh = base_mesh(tmp_path / "mesh")
    mesh.product("sales.orders", {"owner": {"person": "Ann from sales"}})  # owner.person-email blocks
    return mesh


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    return copy_pack(tmp_path / "pack")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _runs(mesh: MeshDir, *args: str) -> list:
    return [run_govern(command, str(mesh.root), *args) for command in ("check", "gate")]


def test_the_shipped_lock_names_every_rule_and_matches(mesh: MeshDir, pack: Path) -> None:
    lock = json.loads((pack / LOCK).read_text(encoding="utf-8"))
    assert set(lock["detail"]["1.0.0"]["rules"]) >= {"owner.person-email", "namespace.unique-id"}
    assert [r.exit_code for r in _runs(mesh, "--pack", str(pack))] == [1, 1]  # blocked, not undecided


def test_a_weakened_mode_in_a_released_version_exits_2_naming_the_rule(mesh: MeshDir, pack: Path) -> None:
    _edit(pack / VERSION, "{id: owner.person-email, mode: enforce}", "{id: owner.person-email, mode: audit}")
    for run in _runs(mesh, "--pack", str(pack)):
        assert run.exit_code == 2, run.stdout
        assert run.stderr.startswith("govern: standards/mesh-core/1.0.0.yaml: released version 1.0.0 changed "
                                     "since it was locked")
        assert run.stderr.rstrip().endswith("rule changed: 'owner.person-email'")
        assert "ALLOWED" not in run.stdout and "mesh-core 1.0.0" not in run.stdout


def test_an_edited_rule_definition_exits_2_naming_the_rule(mesh: MeshDir, pack: Path) -> None:
    rules = pack / "rules" / "owner.yaml"
    text = rules.read_text(encoding="utf-8")
    start = text.index("- id: owner.required")
    rules.write_text(text[:start] + text[start:].replace("severity: error", "severity: info", 1), encoding="utf-8")
    for run in _runs(mesh, "--pack", str(pack)):
        assert run.exit_code == 2
        assert "rule changed: 'owner.required'" in run.stderr


def test_a_rule_dropped_from_a_released_version_is_named(mesh: MeshDir, pack: Path) -> None:
    _edit(pack / VERSION, "  - {id: owner.person-email, mode: enforce}\n", "")
    gate = run_govern("gate", str(mesh.root), "--pack", str(pack))
    assert gate.exit_code == 2
    assert "rule removed: 'owner.person-email'" in gate.stderr


def test_an_old_lock_without_rule_digests_still_catches_a_change(mesh: MeshDir, pack: Path) -> None:
    lock = json.loads((pack / LOCK).read_text(encoding="utf-8"))
    (pack / LOCK).write_text(json.dumps({"released": lock["released"]}), encoding="utf-8")
    assert run_govern("gate", str(mesh.root), "--pack", str(pack)).exit_code == 1  # unchanged: verified
    _edit(pack / VERSION, "{id: owner.person-email, mode: enforce}", "{id: owner.person-email, mode: warn}")
    gate = run_govern("gate", str(mesh.root), "--pack", str(pack))
    assert gate.exit_code == 2
    assert "released version 1.0.0 changed since it was locked" in gate.stderr
    assert "the lock has no per-rule digests, so the change cannot be attributed to one of its 66 rules: " in gate.stderr
    assert "owner.person-email" in gate.stderr


def test_locking_an_old_lock_adds_rule_digests_and_keeps_the_version_digest(pack: Path) -> None:
    before = json.loads((pack / LOCK).read_text(encoding="utf-8"))
    (pack / LOCK).write_text(json.dumps({"released": before["released"]}), encoding="utf-8")
    assert run_govern("standards", "lock", "--pack", str(pack)).exit_code == 0
    after = json.loads((pack / LOCK).read_text(encoding="utf-8"))
    assert after == before


def test_a_released_version_missing_from_the_lock_exits_2(mesh: MeshDir, pack: Path) -> None:
    (pack / LOCK).write_text(json.dumps({"released": {}}), encoding="utf-8")
    for run in _runs(mesh, "--pack", str(pack)):
        assert run.exit_code == 2
        assert "released version 1.0.0 is not in the lock file; it cannot be verified" in run.stderr


def test_a_draft_version_is_not_locked(mesh: MeshDir, pack: Path) -> None:
    draft = (pack / VERSION).read_text(encoding="utf-8").replace("version: 1.0.0", "version: 1.1.0")
    draft = draft.replace("status: released", "status: draft").replace(
        "{id: owner.person-email, mode: enforce}", "{id: owner.person-email, mode: audit}")
    (pack / "standards" / "mesh-core" / "1.1.0.yaml").write_text(draft, encoding="utf-8")
    gate = run_govern("gate", str(mesh.root), "--pack", str(pack), "--standards-version", "1.1.0")
    assert gate.exit_code == 0, gate.stderr  # drafts change freely; the audit mode is in force


def test_an_in_repo_pack_named_by_govern_yaml_is_verified(mesh: MeshDir) -> None:
    pack = copy_pack(mesh.root / "standards-pack")
    mesh.write("govern.yaml", "standards:\n  pack: mesh-core\n  version: 1.0.0\n  path: standards-pack\n")
    assert run_govern("gate", str(mesh.root)).exit_code == 1
    _edit(pack / VERSION, "{id: owner.person-email, mode: enforce}", "{id: owner.person-email, mode: audit}")
    gate = run_govern("gate", str(mesh.root))
    assert gate.exit_code == 2
    assert gate.stderr.startswith("govern: standards/mesh-core/1.0.0.yaml: released version 1.0.0 changed")


def test_the_pre_commit_path_verifies_the_lock_too(mesh: MeshDir, pack: Path) -> None:
    manifest = str(mesh.root / "sales" / "orders" / "dataproduct.yaml")
    assert run_govern("check", str(mesh.root), "--pack", str(pack)).exit_code == 1  # writes the mesh index
    assert run_govern("check", manifest, "--pack", str(pack)).exit_code == 1
    _edit(pack / VERSION, "{id: owner.person-email, mode: enforce}", "{id: owner.person-email, mode: audit}")
    for _ in range(2):  # the pack cache and the mesh index are warm: the lock is still verified
        run = run_govern("check", manifest, "--pack", str(pack))
        assert run.exit_code == 2
        assert "rule changed: 'owner.person-email'" in run.stderr
