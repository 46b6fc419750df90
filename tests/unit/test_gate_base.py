"""`govern gate --base main` in a real git repository, through the command line (the done-when cases),
and the version/port comparison it relies on."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from meshkit import MeshDir

from govern.model.product import OutputPort
from govern.standards.compat import SemVer, at_least, bump, diff_ports

REPO = Path(__file__).resolve().parents[2]
GOVERN = Path(sys.executable).parent / "govern"
SCHEMA = json.loads((REPO / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text())
ENV = {
    **os.environ, "GOVERN_TODAY": "2026-06-01", "NO_COLOR": "1",
    "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}


def sh(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), cwd=cwd, env=ENV, capture_output=True, text=True, check=False)


@pytest.fixture
def repo(tmp_path: Path) -> MeshDir:
    """A repository with a clean mesh committed on main and a branch 'change' checked out."""
    mesh = MeshDir(tmp_path / "repo")
    mesh.org()
    mesh.product("sales.orders")
    mesh.product("crm.customers")
    for args in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"], ["git", "commit", "-qm", "mesh"],
                 ["git", "checkout", "-qb", "change"]):
        assert sh(mesh.root, *args).returncode == 0
    return mesh


def commit(mesh: MeshDir, message: str) -> None:
    assert sh(mesh.root, "git", "add", "-A").returncode == 0
    assert sh(mesh.root, "git", "commit", "-qm", message).returncode == 0


def gate(mesh: MeshDir, *extra: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return sh(cwd or mesh.root, str(GOVERN), "gate", "--base", "main", *extra)


def test_clean_branch_passes(repo: MeshDir) -> None:
    repo.product("sales.orders", {"description": "Every completed order, one row per order"})
    commit(repo, "describe orders")
    proc = gate(repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 product checked" in proc.stdout and "gate: ALLOWED" in proc.stdout


def test_a_branch_that_deletes_a_manifest_is_blocked(repo: MeshDir) -> None:
    (repo.root / "crm" / "customers" / "dataproduct.yaml").unlink()
    commit(repo, "drop customers")
    proc = gate(repo, "-f", "text", "-f", "sarif=out.sarif")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "[tombstoning.not-deleted] product crm.customers (crm/customers/dataproduct.yaml) was deleted" in proc.stdout
    assert "mesh: tombstoning.not-deleted" in proc.stdout
    doc = json.loads((repo.root / "out.sarif").read_text())
    jsonschema.Draft4Validator(SCHEMA).validate(doc)
    result = next(r for r in doc["runs"][0]["results"] if r["ruleId"] == "tombstoning.not-deleted")
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "crm/customers/dataproduct.yaml"


def test_a_branch_that_moves_active_to_tombstoned_is_blocked(repo: MeshDir) -> None:
    repo.product("crm.customers", {
        "lifecycle": {"state": "tombstoned", "events": [
            {"state": "init", "at": "2025-01-10"}, {"state": "active", "at": "2025-02-01"},
            {"state": "deprecated", "at": "2026-01-01"}, {"state": "retired", "at": "2026-03-01"},
            {"state": "tombstoned", "at": "2026-05-01"}]},
        "tombstone": {"at": "2026-05-01", "reason": "merged into crm.accounts"}})
    commit(repo, "tombstone customers")
    proc = gate(repo, "-f", "github")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert re.search(r"^::error file=crm/customers/dataproduct\.yaml,line=\d+,"
                     r"title=lifecycle\.transition-since-base \(crm\.customers\)::"
                     r"lifecycle state went from active at main to tombstoned: it skips deprecated, retired%0Afix: ",
                     proc.stdout, re.M), proc.stdout
    assert "gate: BLOCKED" in proc.stdout


def test_a_branch_that_drops_a_column_without_a_major_bump_is_blocked(repo: MeshDir) -> None:
    data = yaml.safe_load((repo.root / "sales" / "orders" / "dataproduct.yaml").read_text())
    data["version"] = "1.1.0"
    data["outputPorts"][0]["columns"] = [{"name": "order_id", "type": "string"}]
    repo.write_yaml("sales/orders/dataproduct.yaml", data)
    commit(repo, "rename id")
    proc = gate(repo, "-f", "json")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    blocked = {p["product"]: p["reasons"] for p in doc["gate"]["products"] if p["decision"] == "blocked"}
    assert list(blocked) == ["sales.orders"]
    assert blocked["sales.orders"][0].startswith("versioning.breaking-change (sales/orders/dataproduct.yaml:6)")
    assert "column 'orders.id' removed or renamed" in blocked["sales.orders"][0]
    data["version"] = "2.0.0"
    repo.write_yaml("sales/orders/dataproduct.yaml", data)
    commit(repo, "major bump")
    assert gate(repo).returncode == 0


def test_the_base_works_from_a_subdirectory_and_without_a_commit(repo: MeshDir) -> None:
    (repo.root / "sales" / "orders" / "dataproduct.yaml").unlink()
    proc = gate(repo, cwd=repo.root / "crm")
    assert proc.returncode == 1 and "tombstoning.not-deleted" in proc.stdout, proc.stdout + proc.stderr


def test_an_unknown_base_or_no_repository_cannot_decide(repo: MeshDir, tmp_path: Path) -> None:
    proc = sh(repo.root, str(GOVERN), "gate", "--base", "origin/nope")
    assert proc.returncode == 2 and "unknown git revision 'origin/nope'" in proc.stderr
    outside = MeshDir(tmp_path / "plain")
    outside.org()
    outside.product("sales.orders")
    proc = sh(outside.root, str(GOVERN), "check", "--base", "main")
    assert proc.returncode == 2 and "git" in proc.stderr


@pytest.mark.parametrize("old, new, kind", [
    ("1.4.0", "2.0.0", "major"), ("1.4.0", "1.5.0", "minor"), ("1.4.0", "1.4.1", "patch"),
    ("1.4.0", "1.4.0", "none"), ("1.4.0", "1.3.9", "down"), ("1.4.0", "2.0.0-rc.1", "major"),
    ("2.0.0-rc.1", "2.0.0", "patch"), ("2.0.0", "2.0.0-rc.1", "down"), ("0.3.0", "0.4.0", "major"),
    ("0.3.0", "0.3.1", "minor"), ("1.0.0+build.1", "1.0.0+build.2", "none"),
])
def test_version_bumps(old: str, new: str, kind: str) -> None:
    assert bump(SemVer.parse(old), SemVer.parse(new)) == kind


def test_version_parsing_and_order() -> None:
    assert SemVer.parse("1.0") is None and SemVer.parse("v1.0.0") is None and SemVer.parse(1.0) is None
    assert at_least("major", "minor") and at_least("minor", "minor") and not at_least("patch", "minor")
    rc2, rc10 = SemVer.parse("1.0.0-rc.2"), SemVer.parse("1.0.0-rc.10")
    assert rc2.key() < rc10.key() < SemVer.parse("1.0.0").key()


def test_port_differences() -> None:
    def port(name: str, location: str, *cols: tuple[str, str], kind: str = "table") -> OutputPort:
        return OutputPort(name=name, type=kind, location=location, columns=[{"name": c, "type": t} for c, t in cols])

    old = [port("orders", "db.s.orders", ("id", "string"), ("amount", "decimal")), port("lines", "db.s.lines")]
    same = diff_ports(old, [port("orders", "DB.S.ORDERS", ("id", "STRING"), ("amount", "decimal")),
                            port("lines", "db.s.lines")])
    assert same.breaking == [] and same.additive == []
    changed = diff_ports(old, [port("orders", "db.s.orders_v2", ("id", "integer"), ("note", "string"), kind="view"),
                               port("extra", "db.s.extra")])
    assert changed.breaking == [
        "port 'lines' removed",
        "port 'orders' location changed from db.s.orders to db.s.orders_v2",
        "port 'orders' type changed from table to view",
        "column 'orders.amount' removed or renamed",
        "column 'orders.id' type changed from string to integer",
    ]
    assert changed.additive == ["column 'orders.note' added", "port 'extra' added"]
