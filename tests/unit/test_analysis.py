"""The analysis stage (govern/analysis/run.py) on small meshes on disk, with real sqlglot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from meshkit import MeshDir

import govern
from govern.analysis import analyse, needs_analysis
from govern.load.loader import load_mesh
from govern.model.product import SqlSource


def _mesh(tmp_path: Path) -> MeshDir:
    mesh = MeshDir(tmp_path / "mesh")
    mesh.org()
    mesh.product("sales.orders")
    mesh.product("crm.customers", {"outputPorts": [{
        "name": "customers", "type": "table", "location": "analytics.crm_prod.customers",
        "classification": "confidential", "columns": [{"name": "id"}, {"name": "email", "pii": True}]}]})
    return mesh


def test_a_file_shared_by_two_products_is_parsed_once(tmp_path: Path) -> None:
    mesh = _mesh(tmp_path)
    mesh.write("shared/report.sql", "select o.id from analytics.sales_prod.orders o\n")
    for pid in ("finance.a", "finance.b"):
        mesh.product(pid, {"inputs": [{"product": "sales.orders"}], "execution": {"code": ["../../shared/report.sql"]}})
    analysis = analyse(load_mesh([mesh.root], root=mesh.root))
    assert analysis.stats["files"] == 1
    assert [(e.consumer, e.producer, e.location.path, e.location.line) for e in analysis.edges] == [
        ("finance.a", "sales.orders", "shared/report.sql", 1),
        ("finance.b", "sales.orders", "shared/report.sql", 1),
    ]


def test_a_process_pool_gives_the_same_result(tmp_path: Path) -> None:
    mesh = _mesh(tmp_path)
    for i in range(6):
        mesh.product(f"finance.p{i}", {"inputs": [{"product": "sales.orders"}], "execution": {"code": ["q.sql"]},
                                        "outputPorts": [{"name": f"p{i}", "type": "table", "classification": "public",
                                                         "location": f"analytics.finance_prod.p{i}"}]})
        mesh.write(f"finance/p{i}/q.sql",
                   f"select o.id, c.email as e{i}\nfrom analytics.sales_prod.orders o\n"
                   f"join analytics.crm_prod.customers c on c.id = o.id\nwhere o.id > {i};\nselect * from raw.t{i}\n")
    loaded = load_mesh([mesh.root], root=mesh.root)
    one, two = analyse(loaded, workers=1), analyse(loaded, workers=2)
    assert two.stats["workers"] == 2
    assert json.dumps(one.to_dict(), sort_keys=True) == json.dumps(two.to_dict(), sort_keys=True)
    assert one.edges == two.edges
    assert any(c.sources for f in one.products.values() for c in f.columns)


def test_sql_carried_by_an_importer_is_located_in_its_file(tmp_path: Path) -> None:
    mesh = _mesh(tmp_path)
    mesh.product("finance.revenue")
    loaded = load_mesh([mesh.root], root=mesh.root)
    product = loaded.by_id["finance.revenue"]
    product.sql = [SqlSource(path="target/manifest.json", text="select 1\nfrom {{ ref('customers') }}",
                             dialect="duckdb", line_offset=40)]
    assert needs_analysis(loaded)
    analysis = analyse(loaded)
    (edge,) = analysis.edges
    assert (edge.producer, edge.kind, edge.location.path, edge.location.line) == (
        "crm.customers", "sql", "target/manifest.json", 42)


def test_ambiguous_and_unknown_tables_are_facts_not_edges(tmp_path: Path) -> None:
    mesh = _mesh(tmp_path)
    mesh.product("crm.copy", {"outputPorts": [{"name": "copy", "type": "table", "classification": "internal",
                                               "location": "backup.crm_prod.customers"}]})
    mesh.product("finance.x", {"execution": {"code": ["x.sql"]}})
    mesh.write("finance/x/x.sql", "select 1 from crm_prod.customers, raw.events")
    analysis = analyse(load_mesh([mesh.root], root=mesh.root))
    reads = analysis.products["finance.x"].reads
    assert [(r.table, r.producer, r.candidates) for r in reads] == [
        ("crm_prod.customers", None, ("crm.copy", "crm.customers")),
        ("raw.events", None, ()),
    ]
    assert analysis.edges == []
    result = govern.check([mesh.root], root=mesh.root)
    unknown = [f.message for f in result.findings if f.rule == "lineage.unknown-table"]
    assert any("several products (crm.copy, crm.customers)" in m for m in unknown)
    assert any("raw.events" in m for m in unknown)


def test_findings_for_sql_edges_point_at_the_sql_file(tmp_path: Path) -> None:
    mesh = _mesh(tmp_path)
    mesh.product("crm.customers", {"access": {"visibility": "private"}, "outputPorts": [{
        "name": "customers", "type": "table", "location": "analytics.crm_prod.customers",
        "classification": "internal"}]})
    mesh.product("finance.x", {"inputs": [{"product": "crm.customers"}], "execution": {"code": ["x.sql"]}})
    mesh.write("finance/x/x.sql", "-- reads customers\n\nselect id\n  from analytics.crm_prod.customers\n")
    result = govern.check([mesh.root], root=mesh.root)
    private = [f for f in result.findings if f.rule == "auth.private-read" and "(sql)" in f.message]
    assert [(f.location.path, f.location.line, f.location.column) for f in private] == [("finance/x/x.sql", 4, 8)]
    sql_edges = [e for e in result.edges if e.kind == "sql"]
    assert [(e.consumer, e.producer) for e in sql_edges] == [("finance.x", "crm.customers")]


def test_no_sql_means_no_sqlglot_import(tmp_path: Path) -> None:
    """A run without SQL (the common pre-commit case) never imports sqlglot, jinja2 or networkx."""
    mesh = _mesh(tmp_path)
    code = (
        "import sys, govern\n"
        f"r = govern.check([{str(mesh.root)!r}], root={str(mesh.root)!r})\n"
        "print(sorted(m for m in ('sqlglot', 'jinja2', 'networkx') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stderr


def test_a_huge_sql_file_is_too_complex_and_never_read(tmp_path: Path) -> None:
    mesh = _mesh(tmp_path)
    mesh.product("finance.x", {"execution": {"code": ["huge.sql"]}})
    with open(mesh.root / "finance/x/huge.sql", "wb") as handle:
        handle.truncate(9 * 1024 * 1024)  # sparse: 9 MiB of NUL bytes, written in no time
    result = govern.check([mesh.root], root=mesh.root)
    found = [(f.rule, f.location.path) for f in result.findings if f.product == "finance.x" and f.standard == "sql"]
    assert found == [("sql.too-complex", "finance/x/huge.sql")]
