"""Lineage edges between products, and a cycle test that needs no graph library on the happy path."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from govern.model.findings import Location


@dataclass(frozen=True, slots=True)
class Edge:
    """``consumer`` reads ``producer``. ``kind`` is declared (manifest), sql (observed) or runtime."""

    consumer: str
    producer: str
    kind: str = "declared"
    port: str | None = None
    location: Location = field(default_factory=Location)
    field_path: tuple = ()


@dataclass(frozen=True, slots=True)
class ObservedColumn:
    """An output column of a product and the upstream columns it came from, as observed at run time
    (OpenLineage ``columnLineage``): the SQL analysis treats it like column lineage found in SQL."""

    product: str
    port: str
    column: str
    location: Location
    sources: tuple[tuple[str, str, str, str], ...]  # (product, port, column, dataset as the event names it)


def declared_edges(products: Iterable) -> list[Edge]:
    """Edges from every manifest's ``inputs`` list, at the line of each input."""
    edges = []
    for product in products:
        for i, ref in enumerate(product.model.inputs):
            fpath = ("inputs", i, "product")
            edges.append(
                Edge(
                    consumer=product.id,
                    producer=ref.product,
                    kind="declared",
                    port=ref.port,
                    location=Location(product.path, product.source.line_of(fpath),
                                      pointer=product.source.pointer_of(fpath)),
                    field_path=fpath,
                )
            )
    return edges


def is_acyclic(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> bool:
    """Kahn's algorithm, O(V+E): the cheap DAG test."""
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    indeg: dict[str, int] = dict.fromkeys(succ, 0)
    for a, b in edges:
        if a in succ and b in succ:
            succ[a].append(b)
            indeg[b] += 1
    queue = [n for n, d in indeg.items() if d == 0]
    seen = 0
    while queue:
        n = queue.pop()
        seen += 1
        for m in succ[n]:
            indeg[m] -= 1
            if indeg[m] == 0:
                queue.append(m)
    return seen == len(succ)


def find_cycles(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """One cycle per strongly connected component that has one, as a path of node ids.

    Only called when ``is_acyclic`` fails; uses networkx's linear-time SCC algorithm, never a
    per-node traversal. Each cycle starts at its smallest id, for deterministic output.
    """
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from((a, b) for a, b in edges if a in graph and b in graph)
    cycles = []
    for component in nx.strongly_connected_components(graph):
        if len(component) == 1:
            (node,) = component
            if not graph.has_edge(node, node):
                continue
            cycles.append([node, node])
            continue
        cycles.append(_shortest_cycle(graph.succ, min(component), component))
    return sorted(cycles)


def _shortest_cycle(succ: Mapping, start: str, component: set[str]) -> list[str]:
    """A shortest cycle through ``start`` inside its strongly connected component.

    Breadth-first over plain adjacency (no subgraph views, no recursion): O(V+E) of the component,
    and the path starts and ends at ``start`` (the component's smallest id).
    """
    parent: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in sorted(succ[node]):
            if nxt == start:
                path = [node]
                while (up := parent[path[-1]]) is not None:
                    path.append(up)
                return [*reversed(path), start]
            if nxt in component and nxt not in parent:
                parent[nxt] = node
                queue.append(nxt)
    raise ValueError(f"no cycle through {start}: not a strongly connected component")
