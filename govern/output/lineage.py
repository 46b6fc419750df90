"""Views of the mesh graph for ``govern lineage`` and ``govern impact``: text, JSON, DOT and Mermaid.

Every view is deterministic (sorted nodes and edges) and built from one graph (govern/analysis/graph.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from govern.analysis.graph import Reach, cycles, lineage_edges, product_node, product_pairs, walk

if TYPE_CHECKING:
    import networkx as nx

    from govern.analysis.facts import Analysis

LINEAGE_SCHEMA = "https://govern.dev/schemas/lineage/v1"
IMPACT_SCHEMA = "https://govern.dev/schemas/impact/v1"


@dataclass
class Selection:
    """The part of the graph a lineage view shows."""

    graph: nx.MultiDiGraph
    root: str | None
    upstream: list[Reach] = field(default_factory=list)
    downstream: list[Reach] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    full: bool = False
    checked: frozenset[str] = frozenset()  # products whose SQL was analysed completely
    depth: int | None = None
    directions: tuple[bool, bool] = (True, True)  # (upstream, downstream) asked for

    def nodes(self) -> list[str]:
        """Graph node ids in the view: products, and with ``full`` their datasets, jobs and tables."""
        chosen = {product_node(p) for p in self.products}
        if self.full:
            extra: set[str] = set()
            for node in chosen:
                for _, b, d in self.graph.out_edges(node, data=True):
                    if d.get("kind") == "serves":
                        extra.add(b)
                        extra.update(a for a, _, e in self.graph.in_edges(b, data=True) if e.get("kind") == "writes")
            for node in list(extra):
                extra.update(a for a, _, e in self.graph.in_edges(node, data=True) if e.get("kind") == "reads"
                             and self.graph.nodes[a]["kind"] == "table")
            for node in chosen:  # products without a job read directly
                extra.update(a for a, _, e in self.graph.in_edges(node, data=True) if e.get("kind") == "reads"
                             and self.graph.nodes[a]["kind"] == "table")
            chosen |= extra
        return sorted(chosen)

    def edges(self) -> list[tuple[str, str, dict]]:
        chosen = set(self.nodes())
        out = []
        for a, b, data in self.graph.edges(data=True):
            if a in chosen and b in chosen and (self.full or data.get("kind") in ("declared", "sql", "runtime")):
                out.append((a, b, data))
        return sorted(out, key=lambda e: (e[0], e[1], e[2].get("kind", ""), e[2].get("path") or "",
                                          e[2].get("line") or 0))


def select(graph: nx.MultiDiGraph, analysis: Analysis | None, product: str | None = None, upstream: bool = True,
           downstream: bool = True, depth: int | None = None, full: bool = False) -> Selection:
    """Choose the products to show: all of them, or those around ``product`` within ``depth``."""
    checked = frozenset(p for p, f in (analysis.products.items() if analysis else ()) if f.files and f.complete)
    sel = Selection(graph, product, full=full, checked=checked, depth=depth, directions=(upstream, downstream))
    if product is None:
        sel.products = sorted(d["id"] for _, d in graph.nodes(data=True) if d.get("kind") == "product")
        return sel
    if upstream:
        sel.upstream = walk(graph, product, downstream=False, depth=depth)
    if downstream:
        sel.downstream = walk(graph, product, downstream=True, depth=depth)
    sel.products = sorted({product, *(r.product for r in sel.upstream), *(r.product for r in sel.downstream)})
    return sel


def link_status(kinds: set[str], consumer: str, checked: frozenset[str]) -> str | None:
    """'undeclared' (read in SQL, not declared), 'not read by SQL' (declared; the consumer's SQL was fully
    analysed and never reads it) or None, for the kinds of the edges between two products."""
    if "sql" in kinds and "declared" not in kinds:
        return "undeclared"
    if "declared" in kinds and "sql" not in kinds and consumer in checked:
        return "not read by SQL"
    return None


def _describe(graph: nx.MultiDiGraph, pid: str) -> str:
    d = graph.nodes[product_node(pid)]
    owner = d.get("group") or d.get("person") or "no owner"
    return f"{d.get('namespace') or '?'}, {d.get('state') or '?'}, owner {owner}"


def pair_text(kinds_locations: list[dict], consumer: str, checked: frozenset[str]) -> str:
    """The kinds of a product link with where each was seen, and its status: ``declared (p:3); sql (q.sql:8)``."""
    kinds = {d["kind"] for d in kinds_locations}
    parts = []
    for kind in sorted(kinds):
        where = sorted({f"{d['path']}:{d['line']}" if d.get("line") else d.get("path") or ""
                        for d in kinds_locations if d["kind"] == kind} - {""})
        parts.append(f"{kind} ({', '.join(where)})" if where else kind)
    status = link_status(kinds, consumer, checked)
    return "; ".join(parts) + (f"  [{status}]" if status else "")


def to_text(sel: Selection) -> str:
    """A readable listing: the whole mesh's inputs per product, or trees around one product."""
    graph = sel.graph
    lines: list[str] = []
    pairs = product_pairs(graph)
    if sel.root is None:
        by_consumer: dict[str, list[tuple[str, list[dict]]]] = {}
        for (producer, consumer), datas in pairs.items():
            by_consumer.setdefault(consumer, []).append((producer, datas))
        for pid in sel.products:
            lines.append(f"{pid}  [{_describe(graph, pid)}]")
            for producer, datas in sorted(by_consumer.get(pid, [])):
                lines.append(f"  <- {producer}  {pair_text(datas, pid, sel.checked)}")
        total = len(pairs)
        declared = sum(1 for d in pairs.values() if any(x["kind"] == "declared" for x in d))
        observed = sum(1 for d in pairs.values() if any(x["kind"] == "sql" for x in d))
        undeclared = sum(1 for (_, c), d in pairs.items() if link_status({x["kind"] for x in d}, c, sel.checked)
                         == "undeclared")
        found = cycles(graph)
        lines.append("")
        from govern.output.render import count

        lines.append(f"{count(len(sel.products), 'product')}, {count(total, 'lineage link')} ({declared} declared, "
                     f"{observed} seen in SQL, {undeclared} undeclared); cycles: "
                     + ("; ".join(" -> ".join(c) for c in found) if found else "none"))
        return "\n".join(lines) + "\n"
    lines.append(f"{sel.root}  [{_describe(graph, sel.root)}]")
    sections = (("upstream (reads from)", sel.upstream, "<-", sel.directions[0]),
                ("downstream (read by)", sel.downstream, "->", sel.directions[1]))
    for title, reaches, arrow, wanted in sections:
        if not wanted:
            continue
        lines.append(f"{title}:")
        if not reaches:
            lines.append("  (none)")
            continue
        children: dict[str, list[Reach]] = {}
        for reach in reaches:
            children.setdefault(reach.parent or "", []).append(reach)
        stack = [(r, 1) for r in reversed(children.get(sel.root, []))]
        while stack:
            reach, indent = stack.pop()
            producer, consumer = (reach.product, reach.parent) if arrow == "<-" else (reach.parent, reach.product)
            datas = pairs.get((producer or "", consumer or ""), [])
            detail = pair_text(datas, consumer or "", sel.checked) if datas else ", ".join(reach.via)
            lines.append(f"{'  ' * indent}{arrow} {reach.product}  [{_describe(graph, reach.product)}]  {detail}")
            stack.extend((c, indent + 1) for c in reversed(children.get(reach.product, [])))
    return "\n".join(lines) + "\n"


def _node_json(graph: nx.MultiDiGraph, node: str) -> dict[str, Any]:
    data = dict(graph.nodes[node])
    return {"node": node, **{k: v for k, v in sorted(data.items()) if v not in (None, "")}}


def to_json(sel: Selection, analysis: Analysis | None) -> str:
    """Nodes, edges (with kind and provenance), reached products, SQL facts of the shown products."""
    edges = []
    for a, b, data in sel.edges():
        entry = {"from": a, "to": b, "kind": data.get("kind")}
        if data.get("port"):
            entry["port"] = data["port"]
        if data.get("path"):
            entry["location"] = {k: v for k, v in (("path", data["path"]), ("line", data.get("line"))) if v}
        edges.append(entry)
    facts = analysis.to_dict() if analysis else {}
    doc = {
        "$schema": LINEAGE_SCHEMA,
        "version": 1,
        "root": sel.root,
        "depth": sel.depth,
        "nodes": [_node_json(sel.graph, n) for n in sel.nodes()],
        "edges": edges,
        "upstream": [_reach_json(r) for r in sel.upstream],
        "downstream": [_reach_json(r) for r in sel.downstream],
        "cycles": cycles(sel.graph),
        "sql": {p: facts[p] for p in sel.products if p in facts},
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def _reach_json(reach: Reach) -> dict[str, Any]:
    return {"product": reach.product, "depth": reach.depth, "via": reach.via, "parent": reach.parent,
            "locations": reach.locations}


def _label(graph: nx.MultiDiGraph, node: str) -> tuple[str, str]:
    data = graph.nodes[node]
    kind = data.get("kind")
    if kind == "product":
        return data["id"], f"{data.get('namespace') or '?'} · {data.get('state') or '?'}"
    if kind == "dataset":
        return data["id"], f"{data.get('product')} / {data.get('port')}"
    return data.get("id", node), kind or ""


def _merged(sel: Selection) -> list[tuple[str, str, list[str]]]:
    """One edge per node pair, with its kinds."""
    merged: dict[tuple[str, str], set[str]] = {}
    for a, b, data in sel.edges():
        merged.setdefault((a, b), set()).add(data.get("kind", ""))
    return [(a, b, sorted(k)) for (a, b), k in sorted(merged.items())]


def _edge_status(sel: Selection, a: str, b: str, kinds: list[str]) -> str | None:
    if sel.graph.nodes[a].get("kind") != "product" or sel.graph.nodes[b].get("kind") != "product":
        return None
    return link_status(set(kinds), sel.graph.nodes[b]["id"], sel.checked)


def _dot_quote(*lines: str) -> str:
    """A DOT string; several lines are joined with DOT's \\n line break."""
    return '"' + "\\n".join(t.replace("\\", "\\\\").replace('"', '\\"') for t in lines) + '"'


def to_dot(sel: Selection) -> str:
    """Graphviz DOT: undeclared reads red and dashed, declared-but-unread grey and dotted."""
    shapes = {"product": "box", "dataset": "cylinder", "job": "hexagon", "table": "note"}
    out = ["digraph lineage {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=10];',
           '  edge [fontname="Helvetica", fontsize=9];']
    for node in sel.nodes():
        data = sel.graph.nodes[node]
        title, sub = _label(sel.graph, node)
        attrs = [f"label={_dot_quote(title, sub)}", f"shape={shapes.get(data.get('kind'), 'box')}"]
        if data.get("kind") == "product":
            style = ["rounded"]
            if data.get("state") in ("deprecated", "retired", "tombstoned"):
                style.append("dashed")
            if node == (product_node(sel.root) if sel.root else None):
                style.append("bold")
            attrs.append(f'style="{",".join(style)}"')
            if data.get("namespace") in ("preprod", "test"):
                attrs.append('color="orange"')
        out.append(f"  {_dot_quote(node)} [{', '.join(attrs)}];")
    for a, b, kinds in _merged(sel):
        status = _edge_status(sel, a, b, kinds)
        attrs = [f"label={_dot_quote(', '.join(kinds) + (f' ({status})' if status else ''))}"]
        if status == "undeclared":
            attrs += ['color="red"', "style=dashed"]
        elif status:
            attrs += ['color="grey"', "style=dotted"]
        elif kinds == ["sql"] or "reads" in kinds:
            attrs.append("style=dashed")
        out.append(f"  {_dot_quote(a)} -> {_dot_quote(b)} [{', '.join(attrs)}];")
    out.append("}")
    return "\n".join(out) + "\n"


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")


def to_mermaid(sel: Selection) -> str:
    """A Mermaid flowchart; undeclared reads are dotted arrows labelled as such."""
    nodes = sel.nodes()
    ids = {node: f"n{i}" for i, node in enumerate(nodes)}
    out = ["flowchart LR"]
    for node in nodes:
        kind = sel.graph.nodes[node].get("kind")
        title, sub = _label(sel.graph, node)
        text = _mermaid_text(f"{title}<br/>{sub}")
        shape = {"dataset": ('[("', '")]'), "job": ('{{"', '"}}'), "table": ('>"', '"]')}.get(kind, ('["', '"]'))
        out.append(f"  {ids[node]}{shape[0]}{text}{shape[1]}")
    for a, b, kinds in _merged(sel):
        status = _edge_status(sel, a, b, kinds)
        label = _mermaid_text(", ".join(kinds) + (f" ({status})" if status else ""))
        arrow = "-.->" if status or kinds == ["sql"] or "reads" in kinds else "-->"
        out.append(f'  {ids[a]} {arrow}|"{label}"| {ids[b]}')
    return "\n".join(out) + "\n"


# --- impact -------------------------------------------------------------------------------------


@dataclass
class Impact:
    """Everything that transitively depends on one product, for the owners to notify."""

    product: str
    state: str
    namespace: str
    dependents: list[dict[str, Any]]
    owners: list[dict[str, Any]]


def impact(graph: nx.MultiDiGraph, product: str, depth: int | None = None) -> Impact:
    """Transitive dependents of ``product`` (declared, SQL-observed and runtime lineage)."""
    root = graph.nodes[product_node(product)]
    dependents = []
    owners: dict[tuple[str, str], set[str]] = {}
    for reach in walk(graph, product, downstream=True, depth=depth):
        data = graph.nodes[product_node(reach.product)]
        entry = {
            "product": reach.product,
            "depth": reach.depth,
            "via": reach.via,
            "through": reach.parent,
            "state": data.get("state") or "",
            "namespace": data.get("namespace") or "",
            "owner": {k: data[k] for k in ("group", "person") if data.get(k)},
            "locations": reach.locations,
        }
        dependents.append(entry)
        key = (data.get("group") or "", data.get("person") or "")
        owners.setdefault(key, set()).add(reach.product)
    owner_list = [
        {**({"group": g} if g else {}), **({"person": p} if p else {}), "products": sorted(ps)}
        for (g, p), ps in sorted(owners.items())
    ]
    return Impact(product, root.get("state") or "", root.get("namespace") or "", dependents, owner_list)


def impact_text(result: Impact) -> str:
    from govern.output.render import count

    lines = [f"Impact of {result.product} ({result.namespace or '?'}, {result.state or '?'}): "
             f"{count(len(result.dependents), 'product')} "
             f"{'depends' if len(result.dependents) == 1 else 'depend'} on it"]
    if not result.dependents:
        lines.append("Nothing reads it: it can be deprecated or tombstoned without breaking a consumer.")
        return "\n".join(lines) + "\n"
    rows = [("DEPTH", "PRODUCT", "STATE", "NAMESPACE", "OWNER", "VIA", "THROUGH")]
    for d in result.dependents:
        owner = ", ".join(v for v in (d["owner"].get("group"), d["owner"].get("person")) if v) or "-"
        rows.append((str(d["depth"]), d["product"], d["state"] or "-", d["namespace"] or "-", owner,
                     ", ".join(d["via"]), d["through"] or "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines.append("")
    for row in rows:
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    lines.append("")
    lines.append("Owners to notify:")
    for owner in result.owners:
        who = " / ".join(v for v in (owner.get("group"), owner.get("person")) if v) or "(no owner)"
        lines.append(f"  {who}: {', '.join(owner['products'])}")
    undeclared = [f"{d['product']} (reads {d['through']})" for d in result.dependents if d["via"] == ["sql"]]
    if undeclared:
        lines.append("")
        lines.append("Reached through SQL reads that no manifest declares: " + ", ".join(undeclared))
    return "\n".join(lines) + "\n"


def impact_json(result: Impact) -> str:
    doc = {
        "$schema": IMPACT_SCHEMA,
        "version": 1,
        "product": result.product,
        "state": result.state,
        "namespace": result.namespace,
        "dependents": result.dependents,
        "owners": result.owners,
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


__all__ = ["Impact", "Selection", "impact", "impact_json", "impact_text", "lineage_edges", "select", "to_dot",
           "to_json", "to_mermaid", "to_text"]
