"""Nothing from outside the mesh root decides a verdict (issue 13, item 2).

``org.yaml``, ``waivers.yaml``, ``govern.yaml``, a standards pack named by ``govern.yaml``, the history
database and the mesh index are refused when they are symbolic links out of the root, or when
``standards.path`` / ``history:`` are absolute or climb out with ``..``. A manifest or folder that is not
read blocks. Links inside the root stay fine; an explicit ``--pack`` / ``--history`` is operator input.
Real files, real links, the real CLI.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from meshkit import MeshDir
from trustkit import TODAY, VALID_WAIVER, age, base_mesh, copy_pack
from trustkit import govern as run_govern

# A waiver that would hide a real violation of sales.orders, kept outside the reviewed repository.
OUTSIDE_WAIVER = """waivers:
  - rule: owner.person-email
    product: sales.orders
    reason: hidden outside the repository
    approved_by: governance@example.com
    expires: 2026-07-01
"""


@pytest.fixture
def mesh(tmp_path: Path) -> MeshDir:
    """The base mesh (passes on its own) under tmp/repo/mesh; tmp/outside is outside its root."""
    mesh = base_mesh(tmp_path / "repo" / "mesh")
    mesh.write("govern.yaml", "standards:\n  pack: mesh-core\n")
    assert run_govern("gate", str(mesh.root)).exit_code == 0
    (tmp_path / "outside").mkdir()
    return mesh


def _outside(mesh: MeshDir) -> Path:
    return mesh.root.parent.parent / "outside"


def _link(link: Path, target: Path) -> None:
    link.unlink(missing_ok=True)
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, link)


def _gate(mesh: MeshDir, tmp_path: Path, *args: str):
    return run_govern("gate", str(mesh.root), *args, text_out=tmp_path / "gate.txt")


def _one(run, rule: str, path: str) -> dict:
    found = [f for f in run.findings if f["rule"] == rule and f["location"].get("path") == path]
    assert found, [(f["rule"], f["location"], f["message"]) for f in run.findings]
    return found[0]


def test_org_yaml_linked_out_of_the_root_is_refused_and_blocks(mesh: MeshDir, tmp_path: Path) -> None:
    outside = _outside(mesh) / "org.yaml"
    outside.write_text((mesh.root / "org.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    _link(mesh.root / "org.yaml", outside)
    gate = _gate(mesh, tmp_path)
    assert gate.exit_code == 1, gate.text
    finding = _one(gate, "input.outside-root", "org.yaml")
    assert finding["severity"] == "error" and not finding["waived"]
    assert f"symbolic link to '{outside}' leaves the mesh root" in finding["message"]
    assert run_govern("check", str(mesh.root)).exit_code == 1


def test_waivers_yaml_linked_out_of_the_root_never_waives(mesh: MeshDir, tmp_path: Path) -> None:
    mesh.product("sales.orders", {"owner": {"person": "Ann from sales"}})  # a real violation
    outside = _outside(mesh) / "waivers.yaml"
    outside.write_text(OUTSIDE_WAIVER, encoding="utf-8")
    _link(mesh.root / "waivers.yaml", outside)
    gate = _gate(mesh, tmp_path)
    assert gate.exit_code == 1, gate.text
    _one(gate, "input.outside-root", "waivers.yaml")
    email = _one(gate, "owner.person-email", "sales/orders/dataproduct.yaml")
    assert not email["waived"]


def test_waivers_yaml_linked_to_a_file_inside_the_root_is_read(mesh: MeshDir, tmp_path: Path) -> None:
    mesh.write("governance/waivers.yaml", VALID_WAIVER)
    _link(mesh.root / "waivers.yaml", Path("governance/waivers.yaml"))
    gate = _gate(mesh, tmp_path)
    assert gate.exit_code == 0, gate.text
    assert _one(gate, "owner.person-email", "crm/customers/dataproduct.yaml")["waived"]
    assert not [f for f in gate.findings if f["rule"].startswith("input.")]


def test_govern_yaml_linked_out_of_the_root_exits_2(mesh: MeshDir) -> None:
    outside = _outside(mesh) / "govern.yaml"
    outside.write_text("standards:\n  pack: mesh-core\n", encoding="utf-8")
    _link(mesh.root / "govern.yaml", outside)
    for command in ("check", "gate"):
        run = run_govern(command, str(mesh.root))
        assert run.exit_code == 2, run.stdout
        assert run.stderr.startswith("govern: govern.yaml: symbolic link to ") and "leaves the mesh root" in run.stderr


@pytest.mark.parametrize(("value", "says"), [
    ("../../outside/pack", "path '../../outside/pack' leaves the mesh root"),
    ("/etc", "absolute path '/etc' is not allowed"),
])
def test_standards_path_out_of_the_root_exits_2_at_its_line(mesh: MeshDir, value: str, says: str) -> None:
    copy_pack(_outside(mesh) / "pack")
    mesh.write("govern.yaml", f"standards:\n  pack: mesh-core\n  path: {value}\n")
    for command in ("check", "gate"):
        run = run_govern(command, str(mesh.root))
        assert run.exit_code == 2, run.stdout
        assert run.stderr.startswith("govern: govern.yaml:3: field 'standards.path': "), run.stderr
        assert says in run.stderr


def test_standards_path_that_is_a_link_out_of_the_root_exits_2(mesh: MeshDir) -> None:
    pack = copy_pack(_outside(mesh) / "pack")
    _link(mesh.root / "standards-pack", pack)
    mesh.write("govern.yaml", "standards:\n  pack: mesh-core\n  path: standards-pack\n")
    run = run_govern("gate", str(mesh.root))
    assert run.exit_code == 2
    assert "govern.yaml:3: field 'standards.path': path 'standards-pack' leaves the mesh root" in run.stderr


def test_a_file_of_an_in_repo_pack_linked_out_of_the_root_exits_2(mesh: MeshDir) -> None:
    pack = copy_pack(mesh.root / "standards-pack")
    mesh.write("govern.yaml", "standards:\n  pack: mesh-core\n  path: standards-pack\n")
    assert run_govern("gate", str(mesh.root)).exit_code == 0  # the in-repo pack itself is fine
    outside = _outside(mesh) / "owner.yaml"
    outside.write_text((pack / "rules" / "owner.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    _link(pack / "rules" / "owner.yaml", outside)
    for command in ("check", "gate"):
        run = run_govern(command, str(mesh.root))
        assert run.exit_code == 2, run.stdout
        assert run.stderr.startswith("govern: standards-pack/rules/owner.yaml: this file of the standards pack "
                                     "named by govern.yaml leaves the mesh root"), run.stderr


def test_an_explicit_pack_flag_may_lie_outside_the_root(mesh: MeshDir) -> None:
    pack = copy_pack(_outside(mesh) / "pack")
    assert run_govern("gate", str(mesh.root), "--pack", str(pack)).exit_code == 0


@pytest.mark.parametrize("value", ["../history.sqlite", "/tmp/history.sqlite"])
def test_history_out_of_the_root_is_refused(mesh: MeshDir, value: str) -> None:
    mesh.write("govern.yaml", f"standards:\n  pack: mesh-core\nhistory: {value}\n")
    check = run_govern("check", str(mesh.root))
    assert check.exit_code == 2
    assert check.stderr.startswith("govern: govern.yaml:3: field 'history': ")
    history = run_govern("history", str(mesh.root))
    assert history.exit_code == 2 and "govern.yaml:3: field 'history'" in history.stderr


def test_the_default_history_folder_linked_out_of_the_root_is_refused(mesh: MeshDir, tmp_path: Path) -> None:
    _link(mesh.root / ".govern", _outside(mesh))
    run = run_govern("history", str(mesh.root))
    assert run.exit_code == 2
    assert "history database path '.govern/history.sqlite' leaves the mesh root" in run.stderr
    explicit = run_govern("history", str(mesh.root), "--history", str(tmp_path / "mine.sqlite"))
    assert explicit.exit_code == 0, explicit.stderr  # --history is operator input
    assert not list(_outside(mesh).iterdir())


def test_the_mesh_index_is_never_written_through_a_link(mesh: MeshDir, tmp_path: Path) -> None:
    def gate() -> int:  # a process of its own: the index is written by a forked child of a whole-mesh run
        return subprocess.run([sys.executable, "-m", "govern", "gate", ".", "--today", TODAY, "--trust-cache"], cwd=mesh.root,
                              capture_output=True, env={**os.environ, "NO_COLOR": "1"}).returncode

    _link(mesh.root / ".govern-cache", _outside(mesh))
    assert [gate(), gate()] == [0, 0]
    assert not list(_outside(mesh).iterdir())
    (mesh.root / ".govern-cache").unlink()
    age(mesh.root)  # files written less than a second before a run are not indexed (their mtime is racy)
    assert gate() == 0
    assert (mesh.root / ".govern-cache" / "mesh-index.bin").is_file()  # a real folder is used as before


def test_a_manifest_linked_out_of_the_root_blocks_and_cannot_be_waived(mesh: MeshDir, tmp_path: Path) -> None:
    outside = _outside(mesh) / "dataproduct.yaml"
    outside.write_text((mesh.root / "sales/orders/dataproduct.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    _link(mesh.root / "sales/shadow/dataproduct.yaml", outside)
    mesh.write("waivers.yaml", VALID_WAIVER + (
        "  - {rule: input.symlink-skipped, product: sales.orders, reason: r, approved_by: a@example.com,"
        " expires: 2026-07-01}\n"))
    gate = _gate(mesh, tmp_path)
    assert gate.exit_code == 1, gate.text
    skipped = _one(gate, "input.symlink-skipped", "sales/shadow/dataproduct.yaml")
    assert skipped["severity"] == "error" and not skipped["waived"]
    assert "leaves the mesh root (or loops); it was not followed" in skipped["message"]
    assert "gate: BLOCKED" in gate.stdout or "BLOCKED" in gate.text
    # the pre-commit path: the linked manifest named on the command line
    check = run_govern("check", str(mesh.root / "sales/shadow/dataproduct.yaml"), "--root", str(mesh.root))
    assert check.exit_code == 1


def test_a_folder_linked_out_of_the_root_blocks(mesh: MeshDir, tmp_path: Path) -> None:
    (_outside(mesh) / "dataproduct.yaml").write_text("kind: DataProduct\nid: secret.leak\n", encoding="utf-8")
    _link(mesh.root / "logistics" / "outside", _outside(mesh))
    gate = _gate(mesh, tmp_path)
    assert gate.exit_code == 1, gate.text
    _one(gate, "input.symlink-skipped", "logistics/outside")
    assert not [f for f in gate.findings if f["product"] == "secret.leak"]


def test_links_inside_the_root_are_fine(mesh: MeshDir, tmp_path: Path) -> None:
    shared = mesh.product("finance.revenue", relpath="shared/finance_revenue.yaml")
    _link(mesh.root / "finance" / "revenue" / "dataproduct.yaml", shared)
    _link(mesh.root / "sales" / "loop", Path(".."))  # a folder link back up, inside the root: not followed
    _link(mesh.root / "sales" / "a", Path("b"))  # a dangling loop of links holds nothing to check
    _link(mesh.root / "sales" / "b", Path("a"))
    gate = _gate(mesh, tmp_path)
    assert gate.exit_code == 0, gate.text
    assert not [f for f in gate.findings if f["rule"].startswith("input.")]
    assert "3 products checked" in gate.text


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads folders whatever their mode")
def test_an_unreadable_folder_blocks(mesh: MeshDir, tmp_path: Path) -> None:
    folder = mesh.root / "logistics"
    mesh.product("logistics.shipments")
    folder.chmod(0)
    try:
        gate = _gate(mesh, tmp_path)
    finally:
        folder.chmod(0o755)
    assert gate.exit_code == 1, gate.text
    finding = _one(gate, "input.invalid", "logistics")
    assert "folder cannot be read" in finding["message"]


def test_a_contract_of_another_format_linked_out_of_the_root_blocks(mesh: MeshDir, tmp_path: Path) -> None:
    """An ODCS contract (govern/load/importers) linked out of the root used to be dropped without a word."""
    contract = Path(__file__).resolve().parents[1] / "fixtures" / "bitol_mesh" / "contracts" / "ledger.odcs.yaml"
    outside = _outside(mesh) / "ledger.odcs.yaml"
    outside.write_text(contract.read_text(encoding="utf-8"), encoding="utf-8")
    _link(mesh.root / "contracts" / "ledger.odcs.yaml", outside)
    gate = _gate(mesh, tmp_path)
    assert gate.exit_code == 1, gate.text
    _one(gate, "input.symlink-skipped", "contracts/ledger.odcs.yaml")
    _link(mesh.root / "contracts" / "ledger.odcs.yaml", Path("../sales/ledger.odcs.yaml"))  # inside: fine
    (mesh.root / "sales" / "ledger.odcs.yaml").write_text("not: an input\n", encoding="utf-8")
    assert _gate(mesh, tmp_path).exit_code == 0


def test_a_dbt_manifest_linked_out_of_the_root_blocks(mesh: MeshDir, tmp_path: Path) -> None:
    mesh.write("analytics/dbt_project.yml", "name: analytics\nversion: '1.0'\nconfig-version: 2\n")
    outside = _outside(mesh) / "manifest.json"
    outside.write_text("{}", encoding="utf-8")
    _link(mesh.root / "analytics" / "target" / "manifest.json", outside)
    gate = _gate(mesh, tmp_path)
    assert gate.exit_code == 1, gate.text
    _one(gate, "input.symlink-skipped", "analytics/target/manifest.json")
