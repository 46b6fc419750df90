"""Changed-files mode: which products a file affects, path resolution, mesh-root discovery, and
the promise that matters: for the products it checks, the result equals the full run's."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from meshkit import MeshDir

import govern
from govern.api import analyse_sql, check_mesh, rules_in_force
from govern.ci import affected_by, resolve_arguments
from govern.ci import run as run_changed
from govern.incremental.facts import code_paths
from govern.load.loader import load_mesh
from govern.model.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "mesh"
TODAY = dt.date(2026, 6, 1)
GOVERN = Path(sys.executable).parent / "govern"


def affected(mesh, files: list[str]) -> set[str] | None:
    """The ids of the products changed ``files`` affect (None: every product), as changed-files mode decides."""
    _, standard = rules_in_force(mesh)
    return affected_by(mesh, analyse_sql(mesh), standard, files, [])[0]


def sql_index(mesh) -> list[str]:
    return sorted({path for p in mesh.products for path in code_paths(p)})


def _dicts(findings, ids) -> list[dict]:
    return [f.to_dict() for f in findings if f.product in ids]


@pytest.fixture(scope="module")
def example():
    mesh = load_mesh([EXAMPLE], root=EXAMPLE)
    full = check_mesh(mesh, today=TODAY)
    return mesh, full


def test_changed_files_results_equal_the_full_run_on_the_example_mesh(example) -> None:
    mesh, full = example
    files = sorted({p.path for p in mesh.products} | set(sql_index(mesh)))
    assert len(files) >= 30, files
    widened = sql_mapped = 0
    for rel in files:
        impact = affected(mesh, [rel])
        assert impact, rel
        focused = check_mesh(mesh, today=TODAY, focus=impact, focus_paths=[rel])
        assert set(focused.products) == impact
        assert _dicts(focused.findings, impact) == _dicts(full.findings, impact), rel
        # Nothing is reported on a product outside the focus.
        assert not [f for f in focused.findings if f.product and f.product not in impact], rel
        widened += len(impact) > 1
        sql_mapped += rel.endswith(".sql")
    assert widened >= 5 and sql_mapped >= 5  # consumers were re-checked; SQL files mapped to products


def test_the_example_mesh_has_findings_in_changed_files_mode() -> None:
    # The same equality through the CLI entry, with a file name relative to the repository root.
    broken = next(p for p in EXAMPLE.rglob("dataproduct.yaml") if "shipping_modes" in str(p))
    rel = broken.relative_to(REPO).as_posix()
    result = run_changed([rel], today=TODAY, cwd=REPO)
    assert result.root == str(EXAMPLE)
    assert "logistics.shipping_modes" in result.products
    assert any(f.rule == "structure.enum" and f.product == "logistics.shipping_modes" for f in result.findings)


def test_a_sql_file_maps_to_the_product_whose_execution_code_lists_it(mesh: MeshDir) -> None:
    mesh.org()
    mesh.product("sales.orders")
    mesh.product("finance.revenue", {"inputs": [{"product": "sales.orders"}],
                                     "execution": {"code": ["sql/revenue.sql", "../shared/common.sql"]}})
    loaded = load_mesh([mesh.root], root=mesh.root)
    assert affected(loaded, ["finance/revenue/sql/revenue.sql"]) == {"finance.revenue"}
    assert affected(loaded, ["finance/shared/common.sql"]) == {"finance.revenue"}
    # A changed manifest re-checks the products whose rules read it: here its consumer.
    assert affected(loaded, ["sales/orders/dataproduct.yaml"]) == {"sales.orders", "finance.revenue"}
    # org.yaml, waivers.yaml and govern.yaml re-check everything; other files nothing.
    for name in ("org.yaml", "waivers.yaml", "govern.yaml"):
        assert affected(loaded, [name]) is None
    assert affected(loaded, ["README.md", "sales/notes.sql"]) == set()


def test_a_changed_manifest_that_does_not_load_is_reported_and_blocks(mesh: MeshDir) -> None:
    mesh.org()
    mesh.product("sales.orders")
    mesh.product("finance.revenue", {"inputs": [{"product": "sales.orders"}]})
    broken = mesh.write("sales/orders/dataproduct.yaml", "kind: DataProduct\nid: sales.orders\nowner: [\n")
    result = run_changed([broken], today=TODAY)
    assert [f.rule for f in result.findings if f.location.path == "sales/orders/dataproduct.yaml"] == [
        "manifest.invalid"]
    assert govern.decide(result).exit_code == 1


def _nested_repo(tmp_path: Path) -> Path:
    """A git repository whose mesh lives in mesh/ (govern.yaml there), not at the repository root."""
    repo = tmp_path / "repo"
    mesh = MeshDir(repo / "mesh")
    mesh.org()
    mesh.write("govern.yaml", "standards: {pack: mesh-core}\n")
    mesh.product("sales.orders")
    mesh.product("finance.revenue", {"inputs": [{"product": "sales.orders"}], "execution": {"code": ["revenue.sql"]}})
    mesh.write("finance/revenue/revenue.sql", "SELECT id FROM analytics.sales_prod.orders\n")
    mesh.product("crm.customers", {"owner": {"group": "nobody"}})
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    return repo


def test_repository_relative_files_work_from_the_root_and_from_a_subdirectory(tmp_path: Path) -> None:
    repo = _nested_repo(tmp_path)
    name = "mesh/sales/orders/dataproduct.yaml"
    from_root = run_changed([name], today=TODAY, cwd=repo)
    from_sub = run_changed([name], today=TODAY, cwd=repo / "mesh" / "finance")
    assert from_root.root == from_sub.root == str((repo / "mesh").resolve())
    assert from_root.products == from_sub.products == ["finance.revenue", "sales.orders"]
    assert [f.to_dict() for f in from_root.findings] == [f.to_dict() for f in from_sub.findings]
    # A file relative to the current directory wins over the repository root.
    local = run_changed(["dataproduct.yaml"], today=TODAY, cwd=repo / "mesh" / "crm" / "customers")
    assert local.products == ["crm.customers"]


def test_the_cli_finds_the_mesh_root_from_a_subdirectory(tmp_path: Path) -> None:
    repo = _nested_repo(tmp_path)
    env = {**os.environ, "GOVERN_TODAY": "2026-06-01", "NO_COLOR": "1"}
    proc = subprocess.run([str(GOVERN), "check", "mesh/crm/customers/dataproduct.yaml"], cwd=repo / "mesh" / "sales",
                          capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "[owner.group-exists]" in proc.stdout and "1 product checked" in proc.stdout
    clean = subprocess.run([str(GOVERN), "check", "mesh/sales/orders/dataproduct.yaml"], cwd=repo,
                           capture_output=True, text=True, env=env, check=False)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "2 products checked" in clean.stdout


def test_directories_given_with_files_add_their_products(tmp_path: Path) -> None:
    repo = _nested_repo(tmp_path)
    result = run_changed(["mesh/crm/customers/dataproduct.yaml", "mesh/sales"], today=TODAY, cwd=repo)
    assert result.products == ["crm.customers", "sales.orders"]  # a directory adds its own products only


def test_unknown_paths_and_two_meshes_are_errors(tmp_path: Path) -> None:
    repo = _nested_repo(tmp_path)
    with pytest.raises(ConfigError, match="path does not exist"):
        resolve_arguments(["mesh/sales/nope.yaml"], cwd=repo)
    other = MeshDir(tmp_path / "other")
    other.org()
    other.product("sales.orders")
    with pytest.raises(ConfigError, match="different meshes"):
        run_changed([repo / "mesh/sales/orders/dataproduct.yaml", other.root / "sales/orders/dataproduct.yaml"],
                    today=TODAY)
