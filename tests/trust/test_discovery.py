"""Discovery never silently misses a manifest, and the mesh root is never guessed (issue 13, red-team corpus).

- a manifest in a folder discovery does not walk (hidden, ``node_modules``, ``venv``, ...) blocks with
  ``input.not-discovered``: git is asked for tracked manifests; without git the skipped folders are searched;
- a manifest named in the wrong case (``DataProduct.yaml``) blocks with ``input.misnamed``;
- nested mesh roots: choosing the root from a marker with another marker above it is exit 2 (pass
  ``--root``); a marker below the root blocks (``input.nested-root``), a warning with ``--root``;
- a ``dataproduct.yaml`` holding a dbt manifest is ``manifest.invalid``, never dropped;
- MySQL executable comments (``/*!50000 ... */``) are analysed as MySQL runs them.

Real files, real git, the real CLI.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from meshkit import MeshDir
from trustkit import base_mesh
from trustkit import govern as run_govern

from govern.analysis.sqlscan import scan_sql

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, env={**os.environ, **GIT_ENV}, check=True, capture_output=True)


def commit_all(root: Path) -> None:
    git(root, "add", "-f", "-A")
    git(root, "commit", "-q", "-m", "mesh")


@pytest.fixture
def mesh(tmp_path: Path) -> MeshDir:
    """The base mesh (passes on its own) with a govern.yaml, outside any git work tree."""
    mesh = base_mesh(tmp_path / "mesh")
    mesh.write("govern.yaml", "standards:\n  pack: mesh-core\n")
    return mesh


@pytest.fixture
def repo(mesh: MeshDir) -> MeshDir:
    """The base mesh as a git repository."""
    git(mesh.root, "init", "-q")
    commit_all(mesh.root)
    return mesh


def gate(*args: str, cwd: Path | None = None) -> tuple[int, list[dict], str]:
    """``govern gate ARGS -f json`` (from ``cwd``, caches off): exit code, findings, stdout + stderr."""
    old, cache = Path.cwd(), os.environ.get("GOVERN_CACHE")
    os.environ["GOVERN_CACHE"] = "0"
    if cwd is not None:
        os.chdir(cwd)
    try:
        run = run_govern("gate", *args, "-f", "json")
    finally:
        os.chdir(old)
        if cache is None:
            del os.environ["GOVERN_CACHE"]
        else:
            os.environ["GOVERN_CACHE"] = cache
    findings = json.loads(run.stdout)["findings"] if run.stdout.strip().startswith("{") else []
    return run.exit_code, findings, run.stdout + run.stderr


def at(findings: list[dict], rule: str) -> list[tuple[str, str]]:
    """(path, severity) of every finding of ``rule``."""
    return sorted((f["location"]["path"], f["severity"]) for f in findings if f["rule"] == rule)


def test_base_mesh_passes(mesh: MeshDir, repo: MeshDir) -> None:
    code, findings, out = gate(str(repo.root))
    assert code == 0, out
    assert not at(findings, "input.not-discovered") and not at(findings, "input.nested-root")


# ------------------------------------------------------------------ skipped folders


@pytest.mark.parametrize("folder", [".staging", "crm/node_modules", "sales/venv", ".venv", "target", "crm/.hidden"])
def test_tracked_manifest_in_skipped_folder_blocks(repo: MeshDir, folder: str) -> None:
    """git lists the tracked manifest; it is an error at its path, naming the folder."""
    repo.product("crm.evil", {"owner": {"person": "Eve"}}, relpath=f"{folder}/evil/dataproduct.yaml")
    commit_all(repo.root)
    code, findings, out = gate(str(repo.root))
    assert code == 1, out
    assert at(findings, "input.not-discovered") == [(f"{folder}/evil/dataproduct.yaml", "error")]
    assert f"({folder}/)" in out and "list the folder in exclude:" in out


@pytest.mark.parametrize("folder", [".staging", "crm/node_modules", "venv"])
def test_manifest_in_skipped_folder_blocks_without_git(mesh: MeshDir, folder: str) -> None:
    """Outside git the skipped folders are searched by name; .git and .govern-cache are not."""
    mesh.product("crm.evil", relpath=f"{folder}/evil/DataProduct.yml")
    mesh.product("crm.cached", relpath=".govern-cache/x/dataproduct.yaml")
    code, findings, out = gate(str(mesh.root))
    assert code == 1, out
    assert at(findings, "input.not-discovered") == [(f"{folder}/evil/DataProduct.yml", "error")]
    assert "manifest in a folder govern does not walk" in out


def test_untracked_or_deleted_manifests_are_not_listed_by_git(repo: MeshDir) -> None:
    """In a git work tree the question is what git tracks: a deleted tracked file is not reported."""
    path = repo.product("crm.evil", relpath=".staging/evil/dataproduct.yaml")
    commit_all(repo.root)
    path.unlink()
    code, _findings, out = gate(str(repo.root))
    assert code == 0, out


def test_excluded_skipped_folder_is_fine(repo: MeshDir) -> None:
    repo.product("crm.evil", relpath=".staging/evil/dataproduct.yaml")
    repo.write("govern.yaml", "standards:\n  pack: mesh-core\nexclude: ['.staging/*']\n")
    commit_all(repo.root)
    code, _findings, out = gate(str(repo.root))
    assert code == 0, out


def test_directory_run_reports_only_its_folder(repo: MeshDir) -> None:
    """``gate crm`` reports a skipped manifest under crm/, not one under sales/."""
    repo.product("crm.evil", relpath="crm/node_modules/evil/dataproduct.yaml")
    repo.product("sales.evil", relpath="sales/node_modules/evil/dataproduct.yaml")
    commit_all(repo.root)
    code, findings, out = gate(str(repo.root / "crm"))
    assert code == 1, out
    assert at(findings, "input.not-discovered") == [("crm/node_modules/evil/dataproduct.yaml", "error")]


def test_cached_run_after_an_index_still_reports_a_new_hidden_folder(repo: MeshDir) -> None:
    """A mesh index recorded by a clean run does not answer for a mesh that gained a hidden folder."""
    assert run_govern("gate", str(repo.root)).exit_code == 0  # caches on: records the index
    evil = repo.product("crm.evil", {"owner": {"person": "Eve"}}, relpath=".staging/evil/dataproduct.yaml")
    commit_all(repo.root)
    for args in ([str(repo.root)], [str(evil)]):  # whole mesh; the file itself as pre-commit passes it
        run = run_govern("gate", *args)
        assert run.exit_code == 1, (args, run.stdout + run.stderr)
        assert "input.not-discovered" in run.stdout, (args, run.stdout)


# ------------------------------------------------------------------ misnamed manifests


@pytest.mark.parametrize("name", ["DataProduct.yaml", "DATAPRODUCT.YML", "dataproduct.YAML"])
def test_misnamed_manifest_blocks(mesh: MeshDir, name: str) -> None:
    mesh.product("crm.evil", relpath=f"crm/evil/{name}")
    code, findings, out = gate(str(mesh.root))
    assert code == 1, out
    assert at(findings, "input.misnamed") == [(f"crm/evil/{name}", "error")]
    assert f"named '{name}': govern reads only dataproduct.yaml" in out


def test_misnamed_manifest_cannot_be_waived(mesh: MeshDir) -> None:
    mesh.product("crm.evil", relpath="crm/evil/DataProduct.yaml")
    mesh.write("waivers.yaml", "waivers:\n  - {rule: input.misnamed, product: crm.evil, reason: x, "
                               "approved_by: boss@example.com, expires: 2026-07-01}\n")
    code, _findings, out = gate(str(mesh.root))
    assert code == 1, out
    assert "cannot be waived" in out


# ------------------------------------------------------------------ nested mesh roots


def test_nested_marker_above_a_changed_file_is_exit_2(mesh: MeshDir) -> None:
    """sales/govern.yaml must not shrink the mesh to sales/ for a changed file under it."""
    mesh.write("sales/govern.yaml", "standards:\n  pack: mesh-core\n")
    code, _, out = gate("sales/orders/dataproduct.yaml", cwd=mesh.root)
    assert code == 2, out
    assert "nested mesh roots: 'sales' and '.' both hold govern.yaml or org.yaml; pass --root" in out


def test_nested_marker_from_a_sub_folder_is_exit_2(mesh: MeshDir) -> None:
    mesh.write("sales/org.yaml", "teams: []\n")
    code, _, out = gate(".", cwd=mesh.root / "sales")
    assert code == 2, out
    assert "nested mesh roots" in out and "pass --root" in out


def test_marker_below_a_marker_chosen_root_blocks(mesh: MeshDir) -> None:
    mesh.write("sales/govern.yaml", "standards:\n  pack: mesh-core\n")
    code, findings, out = gate(".", cwd=mesh.root)
    assert code == 1, out
    assert at(findings, "input.nested-root") == [("sales/govern.yaml", "error")]


def test_marker_below_an_explicit_root_is_a_warning(mesh: MeshDir) -> None:
    mesh.write("sales/org.yaml", "teams: []\n")
    code, findings, out = gate(".", "--root", str(mesh.root), cwd=mesh.root)
    assert code == 0, out
    assert at(findings, "input.nested-root") == [("sales/org.yaml", "warning")]
    code, _, out = gate("sales/orders/dataproduct.yaml", "--root", str(mesh.root), cwd=mesh.root)
    assert code == 0, out


def test_sibling_meshes_in_one_repository_are_fine(tmp_path: Path) -> None:
    """meshes/a and meshes/b, neither inside the other, each with govern.yaml: no ambiguity."""
    top = tmp_path / "repo"
    for name in ("a", "b"):
        sibling = base_mesh(top / "meshes" / name)
        sibling.write("govern.yaml", "standards:\n  pack: mesh-core\n")
    git(top, "init", "-q")
    commit_all(top)
    for args in (["meshes/a"], ["meshes/b/sales/orders/dataproduct.yaml"]):
        code, _findings, out = gate(*args, cwd=top)
        assert code == 0, (args, out)
    code, _, out = gate(".", cwd=top / "meshes" / "b")
    assert code == 0, out


def test_a_marker_above_the_git_top_is_not_a_nested_root(tmp_path: Path) -> None:
    """The walk up stops at the git work tree's top: a repository inside a folder with an org.yaml."""
    (tmp_path / "org.yaml").write_text("teams: []\n", encoding="utf-8")
    inner = base_mesh(tmp_path / "repo")
    inner.write("govern.yaml", "standards:\n  pack: mesh-core\n")
    git(inner.root, "init", "-q")
    commit_all(inner.root)
    code, _, out = gate(".", cwd=inner.root)
    assert code == 0, out


# ------------------------------------------------------------------ not a product manifest


def test_dbt_manifest_named_dataproduct_yaml_is_invalid(mesh: MeshDir) -> None:
    mesh.write("crm/evil/dataproduct.yaml", '{"metadata": {"dbt_schema_version": '
               '"https://schemas.getdbt.com/dbt/manifest/v12.json"}, "nodes": {}, "sources": {}}\n')
    code, findings, out = gate(str(mesh.root))
    assert code == 1, out
    assert at(findings, "manifest.invalid") == [("crm/evil/dataproduct.yaml", "error")]


# ------------------------------------------------------------------ MySQL executable comments

SQL = ("select id from analytics.sales_prod.orders\n"
       "/*!50000 union all select id from analytics.crm_prod.legacy */\n"
       "/*M! union all select id from analytics.crm_prod.maria */ /*! union all select id from t3 */\n"
       "-- /*! union all select id from commented */\n"
       "union all select '/*! not_a_table */' from analytics.crm_prod.plain\n")


@pytest.mark.parametrize("dialect", ["mysql", "singlestore", "doris", "starrocks"])
def test_mysql_executable_comments_are_analysed(dialect: str) -> None:
    scan = scan_sql(SQL, dialect)
    reads = {r.text: (r.line, r.column) for r in scan.reads}
    assert reads == {"analytics.sales_prod.orders": (1, 16), "analytics.crm_prod.legacy": (2, 35),
                     "analytics.crm_prod.maria": (3, 31), "t3": (3, 88), "analytics.crm_prod.plain": (5, 44)}
    assert not scan.problems


def test_other_dialects_keep_executable_comments_as_comments() -> None:
    scan = scan_sql(SQL, "postgres")
    assert {r.text for r in scan.reads} == {"analytics.sales_prod.orders", "analytics.crm_prod.plain"}
