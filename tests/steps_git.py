"""Step definitions for history scenarios (tests/features/git_history.feature), with real git.

The mesh directory of the scenario becomes a git repository: the Background commits it on ``main``,
a scenario branches, edits with the usual product steps, commits, and is gated with ``--base main``.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml
from meshkit import MeshDir
from pytest_bdd import given, parsers, then, when

import govern
from govern.ci import run as run_changed

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(root: Path, *args: str) -> str:
    """Run git in ``root`` with a fixed identity and no user or system configuration."""
    env = {**os.environ, **GIT_ENV, "HOME": str(root.parent), "GIT_CONFIG_GLOBAL": os.devnull}
    proc = subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"git {' '.join(args)} failed: {proc.stderr}"
    return proc.stdout


def commit_all(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)


@given("the mesh is committed on the main branch")
def given_committed(mesh: MeshDir) -> None:
    if not (mesh.root / ".git").exists():
        git(mesh.root, "init", "-q", "-b", "main")
    branch = git(mesh.root, "symbolic-ref", "--short", "HEAD").strip()
    assert branch == "main", f"commit on main before starting a branch (on {branch})"
    commit_all(mesh.root, "mesh on main")


@given(parsers.parse('a branch "{name}" is started from main'))
def given_branch(mesh: MeshDir, name: str) -> None:
    git(mesh.root, "checkout", "-q", "-b", name)


@given(parsers.parse('on main, product "{pid}" is changed to'))
def given_main_changes(mesh: MeshDir, pid: str, docstring: str) -> None:
    branch = git(mesh.root, "rev-parse", "--abbrev-ref", "HEAD").strip()
    commit_all(mesh.root, "branch work so far")
    git(mesh.root, "checkout", "-q", "main")
    mesh.product(pid, yaml.safe_load(docstring) or {})
    commit_all(mesh.root, f"main changes {pid}")
    git(mesh.root, "checkout", "-q", branch)


@given(parsers.parse('the manifest of "{pid}" is deleted'))
def given_deleted(mesh: MeshDir, pid: str) -> None:
    domain, _, name = pid.partition(".")
    (mesh.root / domain / name / "dataproduct.yaml").unlink()


@given(parsers.parse('the manifest of "{pid}" is moved to "{relpath}"'))
def given_moved(mesh: MeshDir, pid: str, relpath: str) -> None:
    domain, _, name = pid.partition(".")
    target = mesh.root / relpath
    target.parent.mkdir(parents=True, exist_ok=True)
    (mesh.root / domain / name / "dataproduct.yaml").rename(target)


@when("the branch is committed and gated against main")
def when_gated_against_main(mesh: MeshDir, run: dict) -> None:
    commit_all(mesh.root, "branch changes")
    run["result"] = run_changed([], root=mesh.root, base="main", today=run["today"])
    run["gate"] = govern.decide(run["result"])


@when("the branch is gated against main without committing")
def when_gated_uncommitted(mesh: MeshDir, run: dict) -> None:
    run["result"] = run_changed([], root=mesh.root, base="main", today=run["today"])
    run["gate"] = govern.decide(run["result"])


@when("the branch is committed and gated without a base")
def when_gated_without_base(mesh: MeshDir, run: dict) -> None:
    commit_all(mesh.root, "branch changes")
    run["result"] = govern.check([mesh.root], root=mesh.root, today=run["today"])
    run["gate"] = govern.decide(run["result"])


@then(parsers.parse('the gate blocks naming "{rule}"'))
def then_blocks_naming(run: dict, rule: str) -> None:
    decision = run["gate"]
    assert decision.exit_code == 1, decision.to_dict()
    reasons = [r for p in decision.products for r in p.reasons] + decision.mesh_reasons
    assert any(r.startswith(rule + " ") for r in reasons), reasons
