"""A pull request can shrink its baseline, never grow it (issue 13: nothing the PR writes may hide its own
findings). With ``--base REF`` a baseline inside the repository hides at most what the same file accepted
at the base revision; real git, the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from meshkit import MeshDir

GOVERN = Path(sys.executable).parent / "govern"
ENV = {
    **os.environ, "GOVERN_TODAY": "2026-06-01", "NO_COLOR": "1",
    "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}
BASELINE = "govern-baseline.json"


def sh(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), cwd=cwd, env=ENV, capture_output=True, text=True, check=False)


def commit(mesh: MeshDir, message: str) -> None:
    assert sh(mesh.root, "git", "add", "-A").returncode == 0
    assert sh(mesh.root, "git", "commit", "-qm", message).returncode == 0


def gate(mesh: MeshDir) -> subprocess.CompletedProcess:
    return sh(mesh.root, str(GOVERN), "gate", "--base", "main", ".", "--baseline", BASELINE)


def make_baseline(mesh: MeshDir) -> None:
    made = sh(mesh.root, str(GOVERN), "baseline", "create", ".", "-o", BASELINE)
    assert made.returncode == 0, made.stdout + made.stderr


@pytest.fixture
def repo(tmp_path: Path) -> MeshDir:
    """main: sales.orders names a team that does not exist (a known finding, in the committed baseline)."""
    mesh = MeshDir(tmp_path / "repo")
    mesh.org()
    mesh.product("sales.orders", {"owner": {"group": "sales-dta"}})
    mesh.product("crm.customers")
    assert sh(mesh.root, "git", "init", "-q", "-b", "main").returncode == 0
    make_baseline(mesh)
    commit(mesh, "mesh and its baseline")
    assert sh(mesh.root, "git", "checkout", "-qb", "change").returncode == 0
    return mesh


def test_the_known_finding_stays_accepted(repo: MeshDir) -> None:
    repo.product("sales.orders", {"owner": {"group": "sales-dta"}, "description": "Every order, one row each"})
    commit(repo, "describe orders")
    proc = gate(repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "gate: ALLOWED" in proc.stdout


def test_a_baseline_regrown_by_the_pull_request_hides_nothing_new(repo: MeshDir) -> None:
    repo.product("sales.orders", {"owner": {"group": "sales-dta"}, "namespace": "production"})
    make_baseline(repo)  # the PR records its own new finding
    commit(repo, "new namespace, baseline regenerated")
    proc = gate(repo)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "namespace.enum" in proc.stdout and "owner.group-exists" not in proc.stdout


def test_a_baseline_added_by_the_pull_request_hides_nothing(tmp_path: Path) -> None:
    mesh = MeshDir(tmp_path / "repo")
    mesh.org()
    mesh.product("sales.orders")
    assert sh(mesh.root, "git", "init", "-q", "-b", "main").returncode == 0
    commit(mesh, "clean mesh")
    assert sh(mesh.root, "git", "checkout", "-qb", "change").returncode == 0
    mesh.product("sales.orders", {"owner": {"group": "sales-dta"}})
    make_baseline(mesh)
    commit(mesh, "a violation and a baseline that accepts it")
    proc = gate(mesh)
    assert proc.returncode == 1 and "owner.group-exists" in proc.stdout


def test_without_base_the_operator_baseline_is_used_as_it_is(repo: MeshDir) -> None:
    repo.product("sales.orders", {"owner": {"group": "sales-dta"}, "namespace": "production"})
    make_baseline(repo)
    proc = sh(repo.root, str(GOVERN), "gate", ".", "--baseline", BASELINE)
    assert proc.returncode == 0, proc.stdout
