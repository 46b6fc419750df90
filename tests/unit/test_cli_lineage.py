"""govern lineage and govern impact: formats, options and exit codes."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from meshkit import MeshDir

from govern.cli.main import cli


@pytest.fixture
def small(mesh: MeshDir) -> MeshDir:
    mesh.org()
    mesh.product("crm.customers")
    mesh.product("sales.orders", {"inputs": [{"product": "crm.customers"}], "execution": {"code": ["o.sql"]}})
    mesh.write("sales/orders/o.sql", "select id from analytics.crm_prod.customers\n")
    mesh.product("finance.revenue", {"inputs": [{"product": "sales.orders"}], "execution": {"code": ["r.sql"]}})
    mesh.write("finance/revenue/r.sql",
               "select o.id from analytics.sales_prod.orders o\njoin analytics.crm_prod.customers c on c.id = o.id\n")
    return mesh


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_lineage_text_of_the_whole_mesh(small: MeshDir) -> None:
    result = run("lineage", str(small.root))
    assert result.exit_code == 0, result.output
    assert "finance.revenue  [prod, active, owner finance-analytics]" in result.output
    assert "  <- crm.customers  sql (finance/revenue/r.sql:2)  [undeclared]" in result.output
    assert "3 products, 3 lineage links" in result.output


def test_lineage_upstream_only_with_depth(small: MeshDir) -> None:
    result = run("lineage", str(small.root), "--product", "finance.revenue", "--upstream", "--depth", "1")
    assert result.exit_code == 0, result.output
    assert "downstream" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("  <- ")]
    assert [line.split()[1] for line in lines] == ["crm.customers", "sales.orders"]


@pytest.mark.parametrize(("fmt", "marker"), [("json", '"$schema"'), ("dot", "digraph lineage {"),
                                             ("mermaid", "flowchart LR")])
def test_lineage_formats(small: MeshDir, fmt: str, marker: str) -> None:
    result = run("lineage", str(small.root), "--product", "sales.orders", "--format", fmt)
    assert result.exit_code == 0, result.output
    assert marker in result.output
    if fmt == "json":
        doc = json.loads(result.output)
        assert doc["root"] == "sales.orders"
        assert [r["product"] for r in doc["upstream"]] == ["crm.customers"]
        assert [r["product"] for r in doc["downstream"]] == ["finance.revenue"]


def test_lineage_without_sql_shows_declared_lineage_only(small: MeshDir) -> None:
    result = run("lineage", str(small.root), "--no-sql")
    assert result.exit_code == 0
    assert "[undeclared]" not in result.output
    assert "(2 declared, 0 seen in SQL, 0 undeclared)" in result.output


def test_lineage_unknown_product_exits_2(small: MeshDir) -> None:
    result = run("lineage", str(small.root), "--product", "sales.nope")
    assert result.exit_code == 2
    assert "no product 'sales.nope'" in result.output


def test_lineage_direction_needs_a_product(small: MeshDir) -> None:
    assert run("lineage", str(small.root), "--upstream").exit_code == 2


def test_impact_text_and_json(small: MeshDir) -> None:
    result = run("impact", str(small.root), "crm.customers")
    assert result.exit_code == 0, result.output
    assert "Impact of crm.customers (prod, active): 2 products depend on it" in result.output
    assert "Owners to notify:" in result.output and "finance-analytics" in result.output
    doc = json.loads(run("impact", str(small.root), "crm.customers", "--format", "json").output)
    assert [(d["product"], d["depth"], d["via"]) for d in doc["dependents"]] == [
        ("finance.revenue", 1, ["sql"]), ("sales.orders", 1, ["declared", "sql"])]
    leaf = run("impact", str(small.root), "finance.revenue")
    assert "Nothing reads it" in leaf.output and leaf.exit_code == 0
    assert run("impact", str(small.root), "nope.nope").exit_code == 2
