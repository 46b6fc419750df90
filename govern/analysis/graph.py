"""The mesh graph: one networkx MultiDiGraph per run, with products, datasets, jobs and raw tables.

Nodes (ids are ``<kind>:<name>``):
  product:<id>        a data product
  dataset:<location>  an output port's physical dataset (``<product>/<port>`` without a location)
  job:<job id>        the job that builds a product (execution lineage)
  table:<name>        a table the SQL reads that no product owns (a raw source)

Edges point the way data flows, each with ``kind`` and where it came from (``path``, ``line``):
  product -> product  declared (manifest inputs), sql (observed in SQL), runtime (lineage events)
  product -> dataset  serves   (the product's output port)
  job     -> dataset  writes   (execution lineage)
  dataset -> job      reads    (observed in the consumer's SQL; to the product when it has no job)
  table   -> job      reads    (an unowned table read by SQL)

Traversals are breadth-first with explicit queues: no recursion, linear in the part visited.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from govern.analysis.catalog import unique_products

if TYPE_CHECKING:
    import networkx as nx

    from govern.analysis.facts import Analysis
    from govern.model.lineage import Edge
    from govern.model.mesh import Mesh
    from govern.model.progress import Progress

LINEAGE_KINDS = frozenset({"declared", "sql", "runtime"})


def product_node(pid: str) -> str:
    return f"product:{pid}"


def _dataset_node(pid: str, port: Any) -> str:
    return f"dataset:{port.location}" if port.location else f"dataset:{pid}/{port.name}"


def build_graph(mesh: Mesh, edges: Iterable[Edge], analysis: Analysis | None = None) -> nx.MultiDiGraph:
    """The whole mesh as one graph (built once per run by the caller)."""
    import networkx as nx

    graph = nx.MultiDiGraph()
    jobs: dict[str, str] = {}
    for product in unique_products(mesh.products):
        m = product.model
        owner = m.owner
        graph.add_node(
            product_node(product.id), kind="product", id=product.id, namespace=m.namespace or "",
            state=product.state or "", domain=m.domain or "", path=product.path,
            group=(owner.group if owner else None) or "", person=(owner.person if owner else None) or "",
        )
        job = m.execution.job if m.execution and m.execution.job else None
        if job:
            jobs[product.id] = f"job:{job}"
            graph.add_node(f"job:{job}", kind="job", id=job, product=product.id)
        for i, port in enumerate(m.outputPorts):
            node = _dataset_node(product.id, port)
            graph.add_node(node, kind="dataset", id=port.location or f"{product.id}/{port.name}",
                           product=product.id, port=port.name, classification=port.classification or "")
            line = product.source.line_of(("outputPorts", i))
            graph.add_edge(product_node(product.id), node, kind="serves", path=product.path, line=line)
            if job:
                graph.add_edge(f"job:{job}", node, kind="writes", path=product.path,
                               line=product.source.line_of(("execution", "job")))
    for edge in edges:
        a, b = product_node(edge.producer), product_node(edge.consumer)
        if a not in graph or b not in graph:
            continue
        graph.add_edge(a, b, kind=edge.kind, port=edge.port, path=edge.location.path, line=edge.location.line)
    if analysis is not None:
        _add_reads(graph, mesh, analysis, jobs)
    return graph


def _add_reads(graph: nx.MultiDiGraph, mesh: Mesh, analysis: Analysis, jobs: dict[str, str]) -> None:
    """Dataset-level execution lineage from the SQL: what each job reads."""
    for pid, facts in sorted(analysis.products.items()):
        reader = jobs.get(pid, product_node(pid))
        seen: set[str] = set()
        for read in facts.reads:
            if read.producer == pid:
                continue
            if read.producer is not None:
                producer = mesh.by_id.get(read.producer)
                port = next((p for p in producer.model.outputPorts if p.name == read.port), None) if producer else None
                if port is None:
                    continue
                source = _dataset_node(read.producer, port)
            elif read.candidates:
                continue
            else:
                source = f"table:{'.'.join(read.key)}"
                if source not in graph:
                    graph.add_node(source, kind="table", id=read.table)
            if source in seen:
                continue
            seen.add(source)
            graph.add_edge(source, reader, kind="reads", path=read.location.path, line=read.location.line)


@dataclass
class Reach:
    """A product reached from the start: how far, through which product, by which kinds of edge."""

    product: str
    depth: int
    parent: str | None
    via: list[str] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)


def lineage_edges(graph: nx.MultiDiGraph, node: str, downstream: bool) -> list[tuple[str, dict]]:
    """(other product node, edge data) for each lineage edge at ``node``, sorted."""
    adjacency = graph.succ[node] if downstream else graph.pred[node]
    found = [(other, d) for other, keyed in adjacency.items() for d in keyed.values()
             if d.get("kind") in LINEAGE_KINDS]
    if len(found) < 2:
        return found
    return sorted(found, key=lambda x: (x[0], x[1].get("kind", ""), x[1].get("path") or "", x[1].get("line") or 0))


def _where(data: dict) -> str:
    if not data.get("path"):
        return ""
    return f"{data['path']}:{data['line']}" if data.get("line") else data["path"]


def walk(graph: nx.MultiDiGraph, start: str, downstream: bool = True, depth: int | None = None) -> list[Reach]:
    """Products reachable from ``start`` (a product id), breadth-first, each once at its least depth."""
    root = product_node(start)
    if root not in graph:
        return []
    reached: dict[str, Reach] = {}
    queue = deque([(root, 0)])
    while queue:
        node, level = queue.popleft()
        if depth is not None and level >= depth:
            continue
        groups: dict[str, list[dict]] = {}
        for other, data in lineage_edges(graph, node, downstream):
            groups.setdefault(other, []).append(data)
        for other, datas in groups.items():
            if other == root:
                continue
            pid = graph.nodes[other]["id"]
            if pid in reached:
                continue
            reach = Reach(pid, level + 1, graph.nodes[node]["id"])
            reach.via = sorted({d["kind"] for d in datas})
            reach.locations = sorted({w for d in datas if (w := _where(d))})
            reached[pid] = reach
            queue.append((other, level + 1))
    return sorted(reached.values(), key=lambda r: (r.depth, r.product))


def product_pairs(graph: nx.MultiDiGraph) -> dict[tuple[str, str], list[dict]]:
    """Product-level lineage: (producer id, consumer id) → the edges between them."""
    out: dict[tuple[str, str], list[dict]] = {}
    for a, b, data in graph.edges(data=True):
        if data.get("kind") in LINEAGE_KINDS:
            out.setdefault((graph.nodes[a]["id"], graph.nodes[b]["id"]), []).append(data)
    return out


def cycles(graph: nx.MultiDiGraph) -> list[list[str]]:
    """Cycles of product lineage, each as a path of product ids (cheap DAG test first)."""
    from govern.model.lineage import find_cycles, is_acyclic

    nodes = [d["id"] for _, d in graph.nodes(data=True) if d.get("kind") == "product"]
    pairs = sorted(product_pairs(graph))
    if is_acyclic(nodes, pairs):
        return []
    return find_cycles(nodes, pairs)


def load_graph(paths: list, root: Any = None, sql: bool = True, workers: int | None = None,
               progress: Progress | None = None) -> tuple[Mesh, Analysis | None, nx.MultiDiGraph]:
    """Load the mesh, analyse its SQL (unless ``sql`` is False) and build the graph once
    (``progress``: govern/model/progress.py)."""
    from govern.analysis import analyse, needs_analysis
    from govern.load.loader import load_mesh
    from govern.model.lineage import declared_edges

    mesh = load_mesh(list(paths), root=root, progress=progress)
    analysis = analyse(mesh, workers=workers, progress=progress) if sql and needs_analysis(mesh) else None
    edges = declared_edges(mesh.products) + list(getattr(mesh, "observed_edges", ()))
    if analysis is not None:
        edges += analysis.edges
    return mesh, analysis, build_graph(mesh, edges, analysis)
