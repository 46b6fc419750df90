"""The mesh graph (govern/analysis/graph.py, views.py) and cycle detection at 50,000 products."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

import pytest
from meshkit import MeshDir

from govern.analysis.graph import build_graph, cycles, load_graph, walk
from govern.model.lineage import declared_edges, find_cycles, is_acyclic
from govern.model.mesh import Mesh
from govern.model.product import DataProduct, GovernConfig, InputRef, Product
from govern.model.source import SourceMap
from govern.output.lineage import impact, impact_text, select, to_dot, to_json, to_mermaid, to_text
from govern.standards.checks import RuleContext, registry

N = 50_000


@pytest.fixture(scope="module")
def chain() -> list[Product]:
    """A chain d.p00000 <- d.p00001 <- ... (each reads the previous): the deepest possible lineage."""
    proto = DataProduct.model_validate({"kind": "DataProduct", "id": "d.proto", "namespace": "prod", "domain": "d"})
    products = []
    for i in range(N):
        inputs = [InputRef(product=f"d.p{i - 1:05d}")] if i else []
        # model_copy(update=...) is about 50 times faster than model_construct for a large synthetic mesh
        model = proto.model_copy(update={"id": f"d.p{i:05d}", "inputs": inputs})
        products.append(Product(model=model, source=SourceMap(f"d/p{i:05d}/dataproduct.yaml")))
    return products


def _mesh_of(products: list[Product], close_cycle: bool = False) -> Mesh:
    products = list(products)
    if close_cycle:  # the first product reads the last one
        first = products[0]
        model = first.model.model_copy(update={"inputs": [InputRef(product=products[-1].id)]})
        products[0] = Product(model=model, source=first.source)
    mesh = Mesh(root=Path("/nonexistent"), config=GovernConfig(), products=products)
    mesh.index()
    return mesh


def _cycle_rule(mesh: Mesh) -> list:
    ctx = RuleContext(mesh=mesh, targets=mesh.products, today=dt.date(2026, 1, 1),
                      edges=declared_edges(mesh.products))
    return list(registry()["lineage.cycle"](ctx))


def test_50k_products_in_one_chain_are_checked_without_recursion(chain: list[Product]) -> None:
    mesh = _mesh_of(chain)
    limit = sys.getrecursionlimit()
    started = time.perf_counter()
    assert _cycle_rule(mesh) == []
    assert time.perf_counter() - started < 5
    assert sys.getrecursionlimit() == limit


def test_a_50k_product_cycle_is_found_and_its_message_stays_short(chain: list[Product]) -> None:
    mesh = _mesh_of(chain, close_cycle=True)
    nodes = [p.id for p in mesh.products]
    pairs = [(e.consumer, e.producer) for e in declared_edges(mesh.products)]
    (cycle,) = find_cycles(nodes, pairs)
    assert len(cycle) == N + 1 and cycle[0] == cycle[-1] == "d.p00000" and cycle[1] == f"d.p{N - 1:05d}"
    hits = _cycle_rule(mesh)  # every product on the cycle is reported
    assert len(hits) == N
    text = hits[0].params["cycle"]
    assert text.startswith("d.p00000 -> d.p49999 -> ") and "(49,989 more)" in text and text.endswith(" -> d.p00000")
    assert len(text) < 300


def test_walk_follows_a_50k_chain_breadth_first(chain: list[Product]) -> None:
    mesh = _mesh_of(chain)
    graph = build_graph(mesh, declared_edges(mesh.products))
    down = walk(graph, "d.p00000", downstream=True)
    assert len(down) == N - 1 and down[-1].product == f"d.p{N - 1:05d}" and down[-1].depth == N - 1
    assert [r.product for r in walk(graph, "d.p00000", downstream=True, depth=2)] == ["d.p00001", "d.p00002"]
    assert cycles(graph) == []


def test_cycle_helpers_on_small_graphs() -> None:
    nodes = ["a", "b", "c", "d"]
    assert is_acyclic(nodes, [("a", "b"), ("b", "c")])
    assert find_cycles(nodes, [("a", "b"), ("b", "c"), ("c", "a"), ("d", "d")]) == [["a", "b", "c", "a"], ["d", "d"]]


def _example(tmp_path: Path) -> MeshDir:
    mesh = MeshDir(tmp_path / "mesh")
    mesh.org()
    mesh.product("crm.customers")
    mesh.product("sales.orders", {"inputs": [{"product": "crm.customers"}], "execution": {"code": ["o.sql"]}})
    mesh.write("sales/orders/o.sql", "select c.id from analytics.crm_prod.customers c\n")
    mesh.product("finance.revenue", {"inputs": [{"product": "sales.orders"}], "execution": {"code": ["r.sql"]}})
    mesh.write("finance/revenue/r.sql", "select o.id from analytics.sales_prod.orders o\n"
                                        "join analytics.crm_prod.customers c on c.id = o.id\n"
                                        "join raw.fx.rates x on true\n")
    mesh.product("logistics.routes", {"namespace": "preprod", "inputs": [{"product": "finance.revenue"}],
                                      "lifecycle": {"state": "deprecated"}})
    return mesh


def test_graph_nodes_and_edge_kinds(tmp_path: Path) -> None:
    mesh = _example(tmp_path)
    _, _, graph = load_graph([mesh.root], root=mesh.root)
    kinds = sorted({d["kind"] for _, d in graph.nodes(data=True)})
    assert kinds == ["dataset", "job", "product", "table"]
    edges = {(a, b, d["kind"]) for a, b, d in graph.edges(data=True)}
    assert ("product:crm.customers", "product:finance.revenue", "sql") in edges
    assert ("product:sales.orders", "product:finance.revenue", "declared") in edges
    assert ("job:airflow:finance/revenue_daily", "dataset:analytics.finance_prod.revenue", "writes") in edges
    assert ("dataset:analytics.crm_prod.customers", "job:airflow:finance/revenue_daily", "reads") in edges
    assert ("table:raw.fx.rates", "job:airflow:finance/revenue_daily", "reads") in edges
    sql_edge = next(d for a, b, d in graph.edges(data=True) if d["kind"] == "sql" and b == "product:finance.revenue"
                    and a == "product:crm.customers")
    assert (sql_edge["path"], sql_edge["line"]) == ("finance/revenue/r.sql", 2)


def test_views_mark_undeclared_reads(tmp_path: Path) -> None:
    mesh = _example(tmp_path)
    _, analysis, graph = load_graph([mesh.root], root=mesh.root)
    whole = to_text(select(graph, analysis))
    assert "  <- crm.customers  sql (finance/revenue/r.sql:2)  [undeclared]" in whole
    assert "4 products, 4 lineage links (3 declared, 3 seen in SQL, 1 undeclared); cycles: none" in whole
    around = select(graph, analysis, "sales.orders", depth=1)
    text = to_text(around)
    assert "<- crm.customers" in text and "-> finance.revenue" in text and "logistics.routes" not in text
    doc = json.loads(to_json(around, analysis))
    assert [r["product"] for r in doc["downstream"]] == ["finance.revenue"]
    assert set(doc["sql"]) == {"crm.customers", "finance.revenue", "sales.orders"} & set(doc["sql"])
    dot = to_dot(select(graph, analysis))
    edge = '"product:crm.customers" -> "product:finance.revenue" [label="sql (undeclared)", color="red", style=dashed];'
    assert edge in dot
    mermaid = to_mermaid(select(graph, analysis, full=True))
    assert mermaid.startswith("flowchart LR\n") and '-.->|"sql (undeclared)"|' in mermaid and "[(" in mermaid


def test_impact_lists_transitive_dependents_with_owners_and_states(tmp_path: Path) -> None:
    mesh = _example(tmp_path)
    _, _, graph = load_graph([mesh.root], root=mesh.root)
    result = impact(graph, "crm.customers")
    assert [(d["product"], d["depth"], d["via"], d["state"]) for d in result.dependents] == [
        ("finance.revenue", 1, ["sql"], "active"),
        ("sales.orders", 1, ["declared", "sql"], "active"),
        ("logistics.routes", 2, ["declared"], "deprecated"),
    ]
    owners = {o.get("group"): o["products"] for o in result.owners}
    assert owners == {"finance-analytics": ["finance.revenue"], "logistics-ops": ["logistics.routes"],
                      "sales-data": ["sales.orders"]}
    text = impact_text(result)
    assert "Reached through SQL reads that no manifest declares: finance.revenue (reads crm.customers)" in text
    declared_only = impact(load_graph([mesh.root], root=mesh.root, sql=False)[2], "crm.customers")
    assert [d["product"] for d in declared_only.dependents] == ["sales.orders", "finance.revenue",
                                                                 "logistics.routes"]
