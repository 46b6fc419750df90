"""The pre-commit hooks, end to end with the real pre-commit tool and real git.

The hooks run as ``repo: local`` hooks built from the repository's own .pre-commit-hooks.yaml (same id,
files pattern, arguments and serial mode), with ``language: system`` pointing at this environment's
``govern``: a ``repo:`` clone would install the last commit, not the working tree under test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from meshkit import MeshDir

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GOVERN = BIN / "govern"
PRE_COMMIT = BIN / "pre-commit"


def _env(tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
        "PRE_COMMIT_HOME": str(tmp / "pre-commit-home"),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "GOVERN_TODAY": "2026-06-01", "NO_COLOR": "1",
    }


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)


def _published_hooks() -> dict[str, dict]:
    return {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}


def _local_config(*hook_ids: str) -> str:
    """A .pre-commit-config.yaml running the published hooks from this environment (repo: local)."""
    hooks = []
    for hook_id in hook_ids:
        hook = dict(_published_hooks()[hook_id])
        command = hook["entry"].split()
        hook["entry"] = " ".join([str(BIN / command[0]), *command[1:]])
        hook["language"] = "system"
        hook.pop("minimum_pre_commit_version", None)
        hooks.append(hook)
    return yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]}, sort_keys=False)


def test_published_hooks_manifest_is_valid_for_pre_commit() -> None:
    proc = subprocess.run([str(PRE_COMMIT), "validate-manifest", str(REPO / ".pre-commit-hooks.yaml")],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    hooks = _published_hooks()
    assert {"govern-check", "govern-standards"} <= set(hooks)
    check = hooks["govern-check"]
    assert check["entry"] == "govern check" and check["require_serial"] is True
    import re

    pattern = re.compile(check["files"])
    for name in ("dataproduct.yaml", "sales/orders/dataproduct.yml", "mesh/org.yaml", "waivers.yaml",
                 "govern.yaml", "sales/orders/transform.sql"):
        assert pattern.search(name), name
    for name in ("README.md", "sales/orders/notes.yaml", "org.yaml.bak"):
        assert not pattern.search(name), name


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A git repository with a clean mesh under mesh/ and the govern-check hook installed."""
    if shutil.which("git") is None:  # pragma: no cover
        pytest.fail("git is required")
    root = tmp_path / "repo"
    mesh = MeshDir(root / "mesh")
    mesh.org()
    mesh.write("govern.yaml", "standards: {pack: mesh-core}\n")
    mesh.product("sales.orders")
    mesh.product("finance.revenue", {"inputs": [{"product": "sales.orders"}],
                                     "execution": {"code": ["revenue.sql"]}})
    mesh.write("finance/revenue/revenue.sql", "SELECT id FROM analytics.sales_prod.orders\n")
    (root / ".pre-commit-config.yaml").write_text(_local_config("govern-check"))
    env = _env(tmp_path)
    for args in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"],
                 ["git", "commit", "-q", "--no-verify", "-m", "clean mesh"],
                 [str(PRE_COMMIT), "install"]):
        proc = _run(args, root, env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return root, env


def test_a_commit_with_a_violating_manifest_is_refused_and_a_clean_one_passes(repo) -> None:
    root, env = repo
    manifest = root / "mesh" / "sales" / "orders" / "dataproduct.yaml"
    manifest.write_text(manifest.read_text().replace("group: sales-data", "group: sales-dta"))
    _run(["git", "add", "-A"], root, env)
    refused = _run(["git", "commit", "-m", "typo in the owner"], root, env)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "govern check" in output and "Failed" in output
    assert "[owner.group-exists]" in output and "sales-dta" in output
    assert _run(["git", "rev-list", "--count", "HEAD"], root, env).stdout.strip() == "1"  # nothing committed

    manifest.write_text(manifest.read_text().replace("group: sales-dta", "group: sales-data")
                        .replace("Completed", "All completed") + "tags: [orders]\n")
    _run(["git", "add", "-A"], root, env)
    passed = _run(["git", "commit", "-m", "tag the orders"], root, env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "govern check" in passed.stdout + passed.stderr and "Passed" in passed.stdout + passed.stderr


def test_a_changed_sql_file_checks_its_product(repo) -> None:
    root, env = repo
    sql = root / "mesh" / "finance" / "revenue" / "revenue.sql"
    sql.write_text("SELECT id FROM analytics.sales_prod.orders WHERE id IS NOT NULL\n")
    _run(["git", "add", "-A"], root, env)
    proc = _run([str(PRE_COMMIT), "run", "--verbose"], root, env)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "1 product checked" in output  # finance.revenue only, with the whole mesh loaded


def test_the_standards_hook_refuses_an_edited_released_version(tmp_path: Path) -> None:
    root = tmp_path / "standards-repo"
    shutil.copytree(REPO / "rules", root / "rules")
    shutil.copytree(REPO / "standards", root / "standards")
    (root / "standards" / "mesh-core" / "standards.lock").unlink()
    env = _env(tmp_path)
    assert _run([str(GOVERN), "standards", "lock", "--pack", "."], root, env).returncode == 0
    (root / ".pre-commit-config.yaml").write_text(_local_config("govern-standards"))
    for args in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"],
                 ["git", "commit", "-q", "--no-verify", "-m", "pack"], [str(PRE_COMMIT), "install"]):
        assert _run(args, root, env).returncode == 0
    clean = _run([str(PRE_COMMIT), "run", "--all-files"], root, env)
    assert clean.returncode == 0, clean.stdout + clean.stderr

    rules = root / "rules" / "owner.yaml"
    rules.write_text(rules.read_text().replace("severity: error", "severity: warning", 1))
    _run(["git", "add", "-A"], root, env)
    refused = _run(["git", "commit", "-m", "soften the owner rule in place"], root, env)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "released version 1.0.0 changed since it was locked" in output
