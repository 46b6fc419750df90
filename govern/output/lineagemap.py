"""The lineage map: a picture of the mesh for the HTML report and ``govern lineage -f svg|html``.

Products are grouped by domain (one horizontal lane per domain) and coloured by certitude level. Declared
links are solid grey; links seen only in SQL or runtime lineage (undeclared) are red and dashed; declared
links that the consumer's fully parsed SQL never reads are dotted. Deprecated, retired and tombstoned
products carry a marker (tombstoned ones are also struck through). A product's tooltip summarises its
scorecard, and in the report a click opens it.

Views (one SVG each):
  ``all``         every product, when there are at most ``full_view_limit`` of them
  ``domains``     one box per domain with its level mix; links between domains summed
  ``domain-<n>``  one domain expanded: its products, and the products of other domains they are linked to
                  (another domain with more than ``neighbour_limit`` such products stays one box)
The map opens on ``all``, or on ``domains`` above the limit.

The layout is computed here (Sugiyama-style): cycles are broken by a depth-first search in id order,
nodes are layered by longest path (a source sits just before its first consumer; a layer of a lane holds
at most about the square root of the lane's nodes, the rest move right), the order inside each lane and
layer comes from barycenter sweeps, then nodes move towards their neighbours without overlapping. Lanes
are ordered to keep linked domains close.
Everything is sorted and every coordinate rounded: the same input gives the same bytes whatever the hash
seed, locale or time zone. Every name is escaped; element ids are generated, never taken from names.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from govern.output.palette import UNSCORED_COLOUR, level_colour, tint

if TYPE_CHECKING:
    from govern.output.lineage import Selection
    from govern.output.scorecard import ProductScorecard, Scorecards

FULL_VIEW_LIMIT = 200  # products: above this the map opens on the domains
NEIGHBOUR_LIMIT = 12  # products of another domain shown around an expanded domain; above this, one box

LINK_KINDS = ("declared", "observed", "unread")
LINK_STYLE = {  # stroke, width, dash
    "declared": ("#7b8794", 1.4, ""),
    "observed": ("#d0312d", 2.0, "6 4"),
    "unread": ("#8b95a1", 1.4, "2 3"),
}
LINK_LEGEND = {
    "declared": "declared input",
    "observed": "observed only (SQL or runtime lineage, not declared)",
    "unread": "declared, not read by its SQL",
}
STATE_MARKS = {  # lifecycle state -> (marker text, marker colour, node border dash)
    "deprecated": ("deprecated", "#9a5b00", "5 3"),
    "retired": ("retired", "#5b6673", "5 3"),
    "tombstoned": ("tombstoned", "#1d2530", "2 2"),
    "init": ("init", "#2f6db5", ""),
}
GREYED_STATES = ("retired", "tombstoned")

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
TEXT = "#1d2530"
MUTED = "#5b6673"

# geometry (px)
NODE_W, NODE_H, GAP_X, GAP_Y = 188, 40, 110, 12
DOMAIN_W, DOMAIN_H = 220, 76
LANE_LABEL_W, LANE_PAD, MARGIN = 132, 14, 16
MIN_WIDTH = 800  # a view is at least this wide (the legend wraps at it)


# --- data ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapProduct:
    """One product as the map shows it: where it belongs, its level and the summary of its scorecard."""

    id: str
    domain: str
    state: str = ""
    namespace: str = ""
    name: str = ""
    owner: str = ""
    level: str = ""  # "" when the product has no scorecard
    level_rank: int = -1
    score: float | None = None
    open_errors: int = 0
    warnings: int = 0
    not_passing: tuple[str, ...] = ()
    next_level: str = ""
    blockers: tuple[str, ...] = ()
    href: str = ""  # the product's scorecard ("" in a standalone map)


@dataclass(frozen=True)
class MapLink:
    """``consumer`` reads ``producer``; ``kind`` is declared, observed (only) or unread (declared only)."""

    producer: str
    consumer: str
    kind: str
    detail: str = ""  # its kinds (and, for an observed-only link, where it was seen)


@dataclass
class LineageMap:
    """What the map shows: products (sorted by id), product links (sorted), the level names in order."""

    title: str
    levels: tuple[str, ...]
    products: dict[str, MapProduct]
    links: list[MapLink]
    full_view_limit: int = FULL_VIEW_LIMIT
    neighbour_limit: int = NEIGHBOUR_LIMIT

    def domains(self) -> list[str]:
        return sorted({p.domain for p in self.products.values()})

    @property
    def opens_on(self) -> str:
        """The view the map opens on: every product, or the domains above ``full_view_limit`` products."""
        return "all" if len(self.products) <= self.full_view_limit else "domains"


def link_kind(kinds: Iterable[str], status: str | None) -> str:
    """declared / observed / unread for the kinds of edges between two products and their status."""
    if "declared" not in set(kinds):
        return "observed"
    return "unread" if status == "not read by SQL" else "declared"


def build_map(sel: Selection, cards: Scorecards | None = None, *, title: str = "",
              href: Callable[[ProductScorecard], str] | None = None,
              full_view_limit: int = FULL_VIEW_LIMIT, neighbour_limit: int = NEIGHBOUR_LIMIT) -> LineageMap:
    """The map of the products a lineage selection shows, coloured by their scorecards (when given).

    ``href`` gives the link of a product's scorecard (the report passes ``report.scorecard_href``).
    """
    from govern.analysis.graph import product_node, product_pairs
    from govern.output.lineage import link_status, pair_text

    graph = sel.graph
    chosen = set(sel.products)
    by_id = {c.product: c for c in cards.products} if cards is not None else {}
    levels = tuple(cards.config.level_names) if cards is not None else ()
    rank = {name: i for i, name in enumerate(levels)}
    products: dict[str, MapProduct] = {}
    for pid in sorted(chosen):
        data = graph.nodes[product_node(pid)]
        card = by_id.get(pid)
        domain = card.domain if card is not None else (data.get("domain") or pid.partition(".")[0])
        extra: dict[str, Any] = {}
        if card is not None:
            extra = {
                "level": card.level, "level_rank": rank.get(card.level, -1), "score": card.score,
                "open_errors": card.open_errors, "warnings": card.warnings,
                "not_passing": tuple(f"{s}: {st}" for s, st in card.statuses.items() if st != "pass"),
                "next_level": card.next_level or "", "blockers": tuple(card.blockers),
                "name": card.name or "", "href": href(card) if href else "",
            }
        products[pid] = MapProduct(
            id=pid, domain=str(domain), state=data.get("state") or "", namespace=data.get("namespace") or "",
            owner=data.get("group") or data.get("person") or "", **extra)
    links = []
    for (producer, consumer), datas in sorted(product_pairs(graph).items()):
        if producer == consumer or producer not in chosen or consumer not in chosen:
            continue
        kinds = {d["kind"] for d in datas}
        kind = link_kind(kinds, link_status(kinds, consumer, sel.checked))
        # where an undeclared read was seen is what its reader needs; a declared link says what it is
        detail = pair_text(datas, consumer, sel.checked) if kind == "observed" else (
            ", ".join(sorted(kinds)) + ("  [not read by SQL]" if kind == "unread" else ""))
        links.append(MapLink(producer, consumer, kind, detail))
    return LineageMap(title, levels, products, links, full_view_limit, neighbour_limit)


# --- text ------------------------------------------------------------------------------------------

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def esc(value: Any) -> str:
    """Text safe in XML and HTML content and in a double- or single-quoted attribute (no raw control
    characters, which XML cannot hold)."""
    text = _XML_INVALID.sub("\ufffd", str(value))
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


def _char_width(ch: str) -> float:
    """Width of a character at font-size 1 (an estimate for sans-serif fonts: no font is measured)."""
    if ch in "iljtfrI.,:;|!'`()[] ":
        return 0.32
    if ch in "mwMW@%":
        return 0.86
    if ch.isupper() or ch in "&#":
        return 0.68
    if ch.isdigit():
        return 0.56
    if ord(ch) > 0x2E7F:  # CJK and other wide scripts
        return 1.0
    return 0.57


def text_width(text: str, size: float) -> float:
    return sum(_char_width(c) for c in text) * size


def fit(text: str, width: float, size: float) -> str:
    """``text`` cut with an ellipsis to fit ``width`` px at ``size``."""
    if text_width(text, size) <= width:
        return text
    budget = width - text_width("…", size)
    out = []
    used = 0.0
    for ch in text:
        used += _char_width(ch) * size
        if used > budget:
            break
        out.append(ch)
    return "".join(out) + "…"


def _num(value: float) -> str:
    """A coordinate: at most one decimal, no trailing .0 (locale-independent)."""
    text = f"{round(value, 1):.1f}".removesuffix(".0")
    return "0" if text == "-0" else text


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}".removesuffix(".0")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def product_tooltip(p: MapProduct, reads: int, read_by: int) -> str:
    """The scorecard of a product in a few lines (the node's tooltip)."""
    lines = [p.id + (f" — {p.name}" if p.name else "")]
    facts = [f"domain {p.domain}"]
    if p.owner:
        facts.append(f"owner {p.owner}")
    facts += [x for x in (p.state, p.namespace) if x]
    lines.append(" · ".join(facts))
    if p.level:
        counts = [_plural(n, w) for n, w in ((p.open_errors, "error"), (p.warnings, "warning")) if n]
        lines.append(f"{p.level}, score {_score(p.score)}" + (f" ({', '.join(counts)})" if counts else ""))
        if p.not_passing:
            lines.append("not passing: " + ", ".join(p.not_passing))
        if p.next_level:
            lines.append(f"not yet {p.next_level}: " + "; ".join(p.blockers))
    else:
        lines.append("not scored")
    lines.append(f"reads {_plural(reads, 'product')} · read by {_plural(read_by, 'product')}")
    if p.href:
        lines.append("click: its scorecard")
    return "\n".join(lines)


# --- layout ----------------------------------------------------------------------------------------


@dataclass
class Box:
    """A placed node: a product, or a domain shown as one box."""

    key: str
    kind: str  # product | domain
    lane: int
    label: str
    x: float = 0.0
    y: float = 0.0
    w: float = NODE_W
    h: float = NODE_H
    product: MapProduct | None = None
    domain: str = ""
    role: str = ""  # a domain box around an expanded domain: "upstream" / "downstream"; the overview: ""
    members: int = 0
    level_counts: tuple[int, ...] = ()
    mean_score: float | None = None
    open_errors: int = 0
    show: str = ""  # the view a click on this box opens
    tooltip: str = ""
    key_id: str = ""  # the element id in its view (generated: names never become ids)
    inside: int = 0  # links between the products of a domain (the domains view)
    home: bool = False  # a product in its own domain's lane (where a search takes you)


@dataclass
class Line:
    """A drawn link between two boxes (several product links when a domain box is an end)."""

    a: str
    b: str
    kind: str
    count: int = 1
    tooltip: str = ""
    path: str = ""  # precomputed geometry (the domains view); else drawn between lanes' layers
    arrow: str = ""
    label_at: tuple[float, float] | None = None


@dataclass
class Lane:
    label: str
    sub: str
    y: float
    h: float
    show: str = ""  # the view a click on the lane's label opens
    main: bool = False


@dataclass
class View:
    name: str
    title: str
    boxes: list[Box]
    lines: list[Line]
    lanes: list[Lane] = field(default_factory=list)
    width: float = 0.0
    height: float = 0.0
    note: str = ""


def _ranks(keys: list[str], edges: list[tuple[str, str]]) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Layer of each node: cycles broken by a depth-first search in key order, then longest path from
    the sources; a source moves right to sit just before its nearest consumer."""
    succ: dict[str, list[str]] = {k: [] for k in keys}
    for a, b in sorted(set(edges)):
        if a != b:
            succ[a].append(b)
    state = dict.fromkeys(keys, 0)  # 0 new, 1 on the stack, 2 done
    dag: dict[str, list[str]] = {k: [] for k in keys}
    for start in keys:
        if state[start]:
            continue
        state[start] = 1
        stack = [(start, 0)]
        while stack:
            node, i = stack[-1]
            if i < len(succ[node]):
                stack[-1] = (node, i + 1)
                other = succ[node][i]
                if state[other] == 1:  # a back edge: reversed, so the rest is acyclic
                    dag[other].append(node)
                    continue
                dag[node].append(other)
                if state[other] == 0:
                    state[other] = 1
                    stack.append((other, 0))
            else:
                state[node] = 2
                stack.pop()
    indegree = dict.fromkeys(keys, 0)
    for k in keys:
        for other in dag[k]:
            indegree[other] += 1
    rank = dict.fromkeys(keys, 0)
    ready = [k for k in keys if indegree[k] == 0]
    order = []
    while ready:
        node = ready.pop()
        order.append(node)
        for other in dag[node]:
            rank[other] = max(rank[other], rank[node] + 1)
            indegree[other] -= 1
            if indegree[other] == 0:
                ready.append(other)
    has_pred = {o for k in keys for o in dag[k]}
    for k in keys:
        if k not in has_pred and dag[k]:
            rank[k] = min(rank[o] for o in dag[k]) - 1
    low = min(rank.values(), default=0)
    return {k: r - low for k, r in rank.items()}, dag


def _bounded(keys: list[str], rank: dict[str, int], dag: dict[str, list[str]], lane_of: dict[str, int],
             capacity: list[int]) -> dict[str, int]:
    """Layers again, with at most ``capacity[lane]`` nodes of a lane per layer: a node that finds its layer
    full moves right (its consumers follow). Keeps a large domain from becoming one very tall column."""
    preds: dict[str, list[str]] = {k: [] for k in keys}
    for k in keys:
        for other in dag[k]:
            preds[other].append(k)
    used: dict[tuple[int, int], int] = {}
    out: dict[str, int] = {}
    for k in sorted(keys, key=lambda k: (rank[k], k)):  # every predecessor has a lower rank: placed before
        layer = max([rank[k]] + [out[p] + 1 for p in preds[k]])
        lane = lane_of[k]
        while used.get((lane, layer), 0) >= capacity[lane]:
            layer += 1
        used[(lane, layer)] = used.get((lane, layer), 0) + 1
        out[k] = layer
    return out


def cell_capacity(products: int) -> int:
    """Nodes of one lane in one layer at most: about the square root of what the lane holds (x4), 8 at least."""
    return max(8, math.ceil(math.sqrt(4 * products)))


def lane_order(heights: list[float], weights: dict[tuple[int, int], int]) -> list[int]:
    """The order of lanes (indices into ``heights``) with the least sum of links times the distance between
    lane centres: every order for up to 7 lanes, else barycenter passes then swaps of neighbours, from the
    given order. Ties keep the first order found, so the result is deterministic."""
    n = len(heights)

    def cost(order: tuple[int, ...] | list[int]) -> float:
        centre = {}
        y = 0.0
        for lane in order:
            centre[lane] = y + heights[lane] / 2
            y += heights[lane]
        return sum(w * abs(centre[a] - centre[b]) for (a, b), w in sorted(weights.items()))

    if not weights:
        return list(range(n))
    if n <= 7:
        from itertools import permutations

        return list(min(permutations(range(n)), key=cost))
    best = list(range(n))
    best_cost = cost(best)
    order = list(best)
    for _ in range(12):  # barycenter passes
        position = {lane: i for i, lane in enumerate(order)}
        pull: dict[int, list[float]] = {lane: [] for lane in order}
        for (a, b), w in sorted(weights.items()):
            pull[a] += [position[b]] * w
            pull[b] += [position[a]] * w
        order = sorted(order, key=lambda lane: (sum(pull[lane]) / len(pull[lane]) if pull[lane]
                                                else position[lane], position[lane]))
        if cost(order) < best_cost:
            best, best_cost = list(order), cost(order)
    for _ in range(20):  # swaps of neighbours while they help
        improved = False
        for i in range(n - 1):
            trial = [*best[:i], best[i + 1], best[i], *best[i + 2:]]
            trial_cost = cost(trial)
            if trial_cost < best_cost:
                best, best_cost, improved = trial, trial_cost, True
        if not improved:
            break
    return best


def _layout(boxes: list[Box], lines: list[Line], lanes: int, *, top: float, left: float,
            reorder: bool = False, sweeps: int = 8) -> tuple[list[float], list[float], float]:
    """Place ``boxes`` in ``lanes`` horizontal lanes and layers; return the top and height of each lane
    (indexed as given) and the width used.

    ``reorder``: lanes may be drawn in another order, to keep linked lanes close."""
    keys = sorted(b.key for b in boxes)
    by_key = {b.key: b for b in boxes}
    edges = [(ln.a, ln.b) for ln in lines]
    rank, dag = _ranks(keys, edges)
    sizes = [0] * lanes
    for b in boxes:
        sizes[b.lane] += 1
    rank = _bounded(keys, rank, dag, {b.key: b.lane for b in boxes}, [cell_capacity(n) for n in sizes])
    pred: dict[str, list[str]] = {k: [] for k in keys}
    succ: dict[str, list[str]] = {k: [] for k in keys}
    for a, b in sorted(set(edges)):
        if a != b:
            succ[a].append(b)
            pred[b].append(a)
    cells: dict[tuple[int, int], list[str]] = {}
    for k in keys:
        cells.setdefault((by_key[k].lane, rank[k]), []).append(k)
    col_w = max((b.w for b in boxes), default=NODE_W)
    row_h = max((b.h for b in boxes), default=NODE_H) + GAP_Y
    rows = [1] * lanes
    for (lane, _), members in cells.items():
        rows[lane] = max(rows[lane], len(members))
    if reorder and lanes > 1:
        weights: dict[tuple[int, int], int] = {}
        for a, b in edges:
            la, lb = by_key[a].lane, by_key[b].lane
            if la != lb:
                pair = (min(la, lb), max(la, lb))
                weights[pair] = weights.get(pair, 0) + 1
        order = lane_order([r * row_h + 2 * LANE_PAD for r in rows], weights)
    else:
        order = list(range(lanes))
    tops, heights = [0.0] * lanes, [0.0] * lanes
    y = top
    for lane in order:
        tops[lane] = y
        heights[lane] = rows[lane] * row_h - GAP_Y + 2 * LANE_PAD
        y += heights[lane]
    pos: dict[str, float] = {}

    def place(lane: int, members: list[str]) -> None:
        for i, k in enumerate(members):
            pos[k] = tops[lane] + LANE_PAD + i * row_h

    for (lane, _), members in cells.items():
        place(lane, members)
    layers = sorted({r for _, r in cells})
    lane_cells: dict[int, list[int]] = {}
    for lane, r in sorted(cells):
        lane_cells.setdefault(r, []).append(lane)
    for sweep in range(sweeps):
        forward = sweep % 2 == 0
        for r in (layers if forward else layers[::-1]):
            for lane in lane_cells[r]:
                members = cells[(lane, r)]
                keyed = []
                for i, k in enumerate(members):
                    near = [pos[o] for o in (pred[k] if forward else succ[k])]
                    if not near:
                        near = [pos[o] for o in (succ[k] if forward else pred[k])]
                    keyed.append((sum(near) / len(near) if near else pos[k], i, k))
                members[:] = [k for _, _, k in sorted(keyed)]
                place(lane, members)
    # move each node towards its neighbours, keeping the order and the gaps, inside its lane
    for _ in range(2):
        for (lane, _r), members in sorted(cells.items()):
            lo = tops[lane] + LANE_PAD
            hi = tops[lane] + heights[lane] - LANE_PAD - row_h + GAP_Y
            want = []
            for k in members:
                near = [pos[o] for o in pred[k] + succ[k]]
                want.append(min(max(sum(near) / len(near), lo), hi) if near else pos[k])
            ys = []
            for i, w in enumerate(want):
                ys.append(max(w, lo + i * row_h, (ys[-1] + row_h) if ys else lo))
            for i in range(len(ys) - 1, -1, -1):
                cap = hi - (len(ys) - 1 - i) * row_h
                ys[i] = min(ys[i], cap, (ys[i + 1] - row_h) if i + 1 < len(ys) else cap)
            for k, v in zip(members, ys, strict=True):
                pos[k] = round(v, 1)
    for b in boxes:
        b.x = left + rank[b.key] * (col_w + GAP_X) + (col_w - b.w) / 2
        b.y = pos[b.key] + (row_h - GAP_Y - b.h) / 2
    width = left + (max(layers, default=0) + 1) * (col_w + GAP_X) - GAP_X
    return tops, heights, width


def _counts(lmap: LineageMap) -> tuple[dict[str, int], dict[str, int]]:
    reads: dict[str, int] = dict.fromkeys(lmap.products, 0)
    read_by: dict[str, int] = dict.fromkeys(lmap.products, 0)
    for link in lmap.links:
        reads[link.consumer] += 1
        read_by[link.producer] += 1
    return reads, read_by


def _short(pid: str, domain: str) -> str:
    """The id without its domain prefix (the lane names the domain)."""
    head, dot, rest = pid.partition(".")
    return rest if dot and head == domain and rest else pid


def _product_key(pid: str) -> str:
    """The key of a product's box: product keys and domain keys never collide, whatever the ids."""
    return "p:" + pid


def _domain_key(domain: str, role: str) -> str:
    return f"d:{role}:{domain}"


def _product_box(lmap: LineageMap, pid: str, lane: int, label: str, tips: dict[str, str], home: bool) -> Box:
    return Box(_product_key(pid), "product", lane, label, product=lmap.products[pid], tooltip=tips[pid], home=home)


def _link_line(link: MapLink) -> Line:
    return Line(_product_key(link.producer), _product_key(link.consumer), link.kind, 1,
                f"{link.producer} → {link.consumer}: {link.detail}")


def _domain_stats(lmap: LineageMap, members: list[str]) -> tuple[tuple[int, ...], float | None, int]:
    counts = [0] * max(len(lmap.levels), 1)
    scores = []
    errors = 0
    for pid in members:
        p = lmap.products[pid]
        if p.level_rank >= 0:
            counts[p.level_rank] += 1
        if p.score is not None:
            scores.append(p.score)
        errors += p.open_errors
    mean = round(sum(scores) / len(scores), 1) if scores else None
    return tuple(counts), mean, errors


def _domain_tooltip(lmap: LineageMap, domain: str, members: int, counts: tuple[int, ...],
                    mean: float | None, errors: int, extra: str = "") -> str:
    lines = [f"domain {domain}: {_plural(members, 'product')}"]
    if lmap.levels:
        lines.append(", ".join(f"{name} {n}" for name, n in zip(lmap.levels, counts, strict=False)))
        lines.append(f"mean score {_score(mean)}, {_plural(errors, 'open error')}")
    if extra:
        lines.append(extra)
    lines.append("click: expand this domain")
    return "\n".join(lines)


def _lane_label(domain: str, shown: int, total: int) -> tuple[str, str]:
    return domain, _plural(total, "product") if shown == total else f"{shown} of {total} linked"


def view_all(lmap: LineageMap, tips: dict[str, str]) -> View:
    """Every product, one lane per domain."""
    domains = lmap.domains()
    lane_of = {d: i for i, d in enumerate(domains)}
    boxes = [_product_box(lmap, pid, lane_of[p.domain], _short(pid, p.domain), tips, True)
             for pid, p in lmap.products.items()]
    lines = [_link_line(link) for link in lmap.links]
    top = MARGIN + _legend(lmap, MIN_WIDTH)[1] + 6
    tops, heights, width = _layout(boxes, lines, len(domains), top=top, left=MARGIN + LANE_LABEL_W, reorder=True)
    sizes = {d: 0 for d in domains}
    for p in lmap.products.values():
        sizes[p.domain] += 1
    lanes = [Lane(d, _plural(sizes[d], "product"), tops[i], heights[i], show=f"domain-{i}")
             for i, d in enumerate(domains)]
    lanes.sort(key=lambda lane: lane.y)
    height = max((lane.y + lane.h for lane in lanes), default=top)
    return View("all", "All products", boxes, lines, lanes, max(width + MARGIN + 12, MIN_WIDTH), height + MARGIN)


def view_domains(lmap: LineageMap) -> View:
    """One box per domain; the links between two domains summed per kind."""
    domains = lmap.domains()
    members: dict[str, list[str]] = {d: [] for d in domains}
    for pid, p in lmap.products.items():
        members[p.domain].append(pid)
    inside: dict[str, int] = dict.fromkeys(domains, 0)
    between: dict[tuple[str, str, str], int] = {}
    for link in lmap.links:
        a, b = lmap.products[link.producer].domain, lmap.products[link.consumer].domain
        if a == b:
            inside[a] += 1
        else:
            between[(a, b, link.kind)] = between.get((a, b, link.kind), 0) + 1
    boxes = []
    for i, d in enumerate(domains):
        counts, mean, errors = _domain_stats(lmap, members[d])
        extra = f"{_plural(inside[d], 'link')} inside the domain"
        boxes.append(Box(_domain_key(d, ""), "domain", 0, d, w=DOMAIN_W, h=DOMAIN_H, domain=d,
                         members=len(members[d]), level_counts=counts, mean_score=mean, open_errors=errors,
                         show=f"domain-{i}", inside=inside[d],
                         tooltip=_domain_tooltip(lmap, d, len(members[d]), counts, mean, errors, extra)))
    lines = []
    for (a, b, kind), n in sorted(between.items()):
        tip = f"{a} → {b}: {_plural(n, 'product link')}, {LINK_LEGEND[kind]}"
        lines.append(Line(_domain_key(a, ""), _domain_key(b, ""), kind, n, tip))
    top = MARGIN + _legend(lmap, MIN_WIDTH)[1] + 6
    width, height = _ring(boxes, lines, top)
    by_key = {b.key: b for b in boxes}
    for ln in lines:
        ln.path, ln.arrow, ln.label_at = _chord(by_key[ln.a], by_key[ln.b], CHORD_BEND[ln.kind])
    return View("domains", "Domains", boxes, lines, [], max(width + MARGIN + 12, MIN_WIDTH), height + MARGIN,
                note="click a domain to expand it")


CHORD_BEND = {"declared": 0.1, "unread": 0.17, "observed": 0.24}  # each kind its own curve between two domains


def _ring(boxes: list[Box], lines: list[Line], top: float) -> tuple[float, float]:
    """Place domain boxes on an ellipse, linked domains next to each other; return the width and height used."""
    n = len(boxes)
    if n == 0:
        return 0.0, top
    index = {b.key: i for i, b in enumerate(boxes)}
    weights: dict[tuple[int, int], int] = {}
    for ln in lines:
        pair = (min(index[ln.a], index[ln.b]), max(index[ln.a], index[ln.b]))
        weights[pair] = weights.get(pair, 0) + ln.count
    order = lane_order([1.0] * n, weights)
    w, h = boxes[0].w, boxes[0].h
    centres: list[tuple[float, float]] = [(0.0, 0.0)] * n
    radius = 0.0 if n == 1 else (w + 40) / (2 * math.sin(math.pi / n)) * 0.5
    while True:
        for slot, i in enumerate(order):
            angle = -math.pi / 2 + 2 * math.pi * slot / n
            centres[i] = (radius * math.cos(angle), radius * 0.62 * math.sin(angle))
        if n == 1 or all(abs(centres[i][0] - centres[j][0]) >= w + 28 or abs(centres[i][1] - centres[j][1]) >= h + 28
                         for i in range(n) for j in range(i + 1, n)):
            break
        radius = radius * 1.1 + 10
    pad = 36.0  # curves bend outwards a little
    min_x = min(x for x, _ in centres) - w / 2 - pad
    min_y = min(y for _, y in centres) - h / 2 - pad
    for b, (x, y) in zip(boxes, centres, strict=True):
        b.x = round(MARGIN + x - w / 2 - min_x, 1)
        b.y = round(top + y - h / 2 - min_y, 1)
    width = max(b.x + b.w for b in boxes) + pad
    height = max(b.y + b.h for b in boxes) + pad
    return width, height


def _border(box: Box, towards: tuple[float, float], gap: float = 2.0) -> tuple[float, float]:
    """Where the ray from the centre of ``box`` towards a point leaves the box (plus ``gap``)."""
    cx, cy = box.x + box.w / 2, box.y + box.h / 2
    dx, dy = towards[0] - cx, towards[1] - cy
    length = math.hypot(dx, dy) or 1.0
    limits = [(box.w / 2) / abs(dx) if dx else math.inf, (box.h / 2) / abs(dy) if dy else math.inf]
    t = min(limits)
    return cx + dx * t + dx / length * gap, cy + dy * t + dy / length * gap


def _chord(a: Box, b: Box, bend: float) -> tuple[str, str, tuple[float, float]]:
    """A curve from box ``a`` to box ``b`` bent to the left of its direction (so a -> b and b -> a are two
    curves): the path, its arrowhead and the middle of the curve."""
    ax, ay = a.x + a.w / 2, a.y + a.h / 2
    bx, by = b.x + b.w / 2, b.y + b.h / 2
    dx, dy = bx - ax, by - ay
    dist = math.hypot(dx, dy) or 1.0
    control = ((ax + bx) / 2 + dy / dist * bend * dist, (ay + by) / 2 - dx / dist * bend * dist)
    start = _border(a, control)
    tip = _border(b, control)
    ux, uy = tip[0] - control[0], tip[1] - control[1]
    ulen = math.hypot(ux, uy) or 1.0
    ux, uy = ux / ulen, uy / ulen
    end = (tip[0] - ux * 8, tip[1] - uy * 8)
    path = (f"M{_num(start[0])} {_num(start[1])}Q{_num(control[0])} {_num(control[1])} "
            f"{_num(end[0])} {_num(end[1])}")
    arrow = (f"{_num(tip[0])},{_num(tip[1])} {_num(end[0] - uy * 4.5)},{_num(end[1] + ux * 4.5)} "
             f"{_num(end[0] + uy * 4.5)},{_num(end[1] - ux * 4.5)}")
    middle = (0.25 * start[0] + 0.5 * control[0] + 0.25 * end[0], 0.25 * start[1] + 0.5 * control[1] + 0.25 * end[1])
    return path, arrow, middle


def view_domain(lmap: LineageMap, index: int, domain: str, tips: dict[str, str]) -> View:
    """One domain expanded, with what it is linked to in other domains."""
    domains = lmap.domains()
    own = sorted(pid for pid, p in lmap.products.items() if p.domain == domain)
    own_set = set(own)
    touching = [link for link in lmap.links if link.producer in own_set or link.consumer in own_set]
    neighbours: dict[str, set[str]] = {}
    for link in touching:
        for pid in (link.producer, link.consumer):
            if pid not in own_set:
                neighbours.setdefault(lmap.products[pid].domain, set()).add(pid)
    others = sorted(neighbours)
    lane_of = {domain: 0, **{d: i + 1 for i, d in enumerate(others)}}
    index_of = {d: i for i, d in enumerate(domains)}
    boxes = [_product_box(lmap, pid, 0, _short(pid, domain), tips, True) for pid in own]
    collapsed = {d for d in others if len(neighbours[d]) > lmap.neighbour_limit}
    for d in others:
        if d not in collapsed:
            boxes += [_product_box(lmap, pid, lane_of[d], _short(pid, d), tips, False) for pid in sorted(neighbours[d])]
    lines: list[Line] = []
    grouped: dict[tuple[str, str, str], list[MapLink]] = {}
    for link in touching:
        a_dom, b_dom = lmap.products[link.producer].domain, lmap.products[link.consumer].domain
        if a_dom in collapsed and link.producer not in own_set:
            grouped.setdefault((_domain_key(a_dom, "upstream"), _product_key(link.consumer), link.kind),
                               []).append(link)
        elif b_dom in collapsed and link.consumer not in own_set:
            grouped.setdefault((_product_key(link.producer), _domain_key(b_dom, "downstream"), link.kind),
                               []).append(link)
        else:
            lines.append(_link_line(link))
    for d in sorted(collapsed):
        whole = sorted(pid for pid, p in lmap.products.items() if p.domain == d)
        for role in ("upstream", "downstream"):
            key = _domain_key(d, role)
            linked = sorted({pid for (a, b, _), group in grouped.items() if key in (a, b) for link in group
                             for pid in (link.producer, link.consumer) if pid not in own_set})
            if not linked:
                continue
            counts, mean, errors = _domain_stats(lmap, linked)
            what = (f"{_plural(len(linked), 'product')} {domain} reads from" if role == "upstream"
                    else f"{_plural(len(linked), 'product')} reading {domain}")
            boxes.append(Box(key, "domain", lane_of[d], d, domain=d, role=role, members=len(linked),
                             level_counts=counts, mean_score=mean, open_errors=errors,
                             show=f"domain-{index_of[d]}",
                             tooltip=_domain_tooltip(lmap, d, len(whole), *_domain_stats(lmap, whole), what)))
    for (a, b, kind), group in sorted(grouped.items()):
        names = sorted({f"{x.producer} → {x.consumer}" for x in group})
        shown = names[:8] + ([f"… {len(names) - 8} more"] if len(names) > 8 else [])
        lines.append(Line(a, b, kind, len(group), f"{_plural(len(group), 'product link')}, {LINK_LEGEND[kind]}:\n"
                          + "\n".join(shown)))
    top = MARGIN + _legend(lmap, MIN_WIDTH)[1] + 6
    tops, heights, width = _layout(boxes, lines, 1 + len(others), top=top, left=MARGIN + LANE_LABEL_W,
                                   reorder=True)
    total_of = {d: 0 for d in domains}
    for p in lmap.products.values():
        total_of[p.domain] += 1
    lanes = [Lane(*_lane_label(domain, len(own), len(own)), tops[0], heights[0], main=True)]
    for i, d in enumerate(others):
        shown = len(neighbours[d])
        label, sub = _lane_label(d, shown, total_of[d])
        lanes.append(Lane(label, sub, tops[i + 1], heights[i + 1], show=f"domain-{index_of[d]}"))
    lanes.sort(key=lambda lane: lane.y)
    height = max(lane.y + lane.h for lane in lanes)
    title = f"Domain {domain}"
    return View(f"domain-{index}", title, boxes, lines, lanes, max(width + MARGIN + 12, MIN_WIDTH), height + MARGIN,
                note="other domains: only the products linked to this one")


def views(lmap: LineageMap) -> list[View]:
    """Every view of the map; the first is the one it opens on."""
    reads, read_by = _counts(lmap)
    tips = {pid: product_tooltip(p, reads[pid], read_by[pid]) for pid, p in lmap.products.items()}
    out = []
    if lmap.opens_on == "all":
        out.append(view_all(lmap, tips))
    out.append(view_domains(lmap))
    out += [view_domain(lmap, i, d, tips) for i, d in enumerate(lmap.domains())]
    return out


# --- SVG -------------------------------------------------------------------------------------------


def _attrs(**values: Any) -> str:
    out = []
    for name, value in values.items():
        if value is None or value == "":
            continue
        out.append(f' {name.rstrip("_").replace("_", "-")}="{esc(value)}"')
    return "".join(out)


def _ports(view: View, boxes: dict[str, Box]) -> dict[tuple[int, str], float]:
    """The y where each line leaves its source (key (i, 'a')) and enters its target ((i, 'b')): spread
    over the box's height in the order of the other ends, so lines into one box do not cross there."""
    outgoing: dict[str, list[int]] = {}
    incoming: dict[str, list[int]] = {}
    for i, ln in enumerate(view.lines):
        outgoing.setdefault(ln.a, []).append(i)
        incoming.setdefault(ln.b, []).append(i)
    ports: dict[tuple[int, str], float] = {}
    for end, table, other in (("a", outgoing, "b"), ("b", incoming, "a")):
        for key, idx in table.items():
            box = boxes[key]
            idx.sort(key=lambda i: (boxes[getattr(view.lines[i], other)].y, getattr(view.lines[i], other)))
            n = len(idx)
            span = box.h * 0.6
            for j, i in enumerate(idx):
                ports[(i, end)] = box.y + box.h / 2 + (span * ((j + 0.5) / n - 0.5) if n > 1 else 0)
    return ports


def _line_svg(ln: Line, a: Box, b: Box, y1: float, y2: float, vid: str, weighted: bool) -> str:
    colour, width, dash = LINK_STYLE[ln.kind]
    if weighted:
        width = round(width + min(4.0, math.log2(ln.count)), 1)
    x1 = a.x + a.w
    x2 = b.x
    tip = x2 - 1
    end = tip - 7
    if ln.path:
        path, arrow = ln.path, ln.arrow
    elif x2 - x1 >= 24:
        d = max(24.0, (end - x1) / 2)
        path = f"M{_num(x1)} {_num(y1)}C{_num(x1 + d)} {_num(y1)} {_num(end - d)} {_num(y2)} {_num(end)} {_num(y2)}"
    else:  # backwards (a cycle) or no room: leave to the right, come back round from the left
        bulge = 48 + abs(y2 - y1) * 0.15
        path = (f"M{_num(x1)} {_num(y1)}C{_num(x1 + bulge)} {_num(y1)} {_num(end - bulge)} {_num(y2)} "
                f"{_num(end)} {_num(y2)}")
    if not ln.path:
        arrow = f"{_num(tip)},{_num(y2)} {_num(end)},{_num(y2 - 4)} {_num(end)},{_num(y2 + 4)}"
    label = ""
    if weighted:
        mx, my = ln.label_at or ((x1 + end) / 2, (y1 + y2) / 2)
        label = (f'<text x="{_num(mx)}" y="{_num(my + 4)}" text-anchor="middle" font-size="11" fill="{colour}" '
                 f'stroke="#ffffff" stroke-width="3" paint-order="stroke">{ln.count}</text>')
    return (f'<g class="edge edge-{ln.kind}"{_attrs(data_from=f"{vid}-{a.key_id}", data_to=f"{vid}-{b.key_id}")}'
            f' data-kind="{ln.kind}" data-count="{ln.count}"><title>{esc(ln.tooltip)}</title>'
            f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="{_num(width)}"'
            + (f' stroke-dasharray="{dash}"' if dash else ' stroke-opacity="0.75"')
            + f'/><polygon points="{arrow}" fill="{colour}"/>{label}</g>')


def _product_svg(b: Box, vid: str, links: bool) -> str:
    p = b.product
    assert p is not None
    colour = level_colour(p.level_rank) if p.level else UNSCORED_COLOUR
    greyed = p.state in GREYED_STATES
    fill = "#eceef0" if greyed else tint(colour, 0.16)
    mark = STATE_MARKS.get(p.state)
    dash = mark[2] if mark else ""
    x, y, w, h = b.x, b.y, b.w, b.h
    parts = [f"<title>{esc(b.tooltip)}</title>",
             f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}" rx="5" fill="{fill}" '
             f'stroke="{"#4a5560" if greyed else colour}" stroke-width="1.5"'
             + (f' stroke-dasharray="{dash}"' if dash else "") + "/>",
             f'<path d="M{_num(x + 4.2)} {_num(y - 0.8)}h3v{_num(h + 1.6)}h-3a5 5 0 0 1-5-5v-{_num(h - 8.4)}'
             f'a5 5 0 0 1 5-5z" '
             f'fill="{colour}"/>']
    name = fit(b.label, w - 20, 12.5)
    parts.append(f'<text x="{_num(x + 13)}" y="{_num(y + 16)}" font-size="12.5" font-weight="600" fill="{TEXT}">'
                 f"{esc(name)}</text>")
    if p.state == "tombstoned":
        parts.append(f'<line x1="{_num(x + 12)}" x2="{_num(x + 14 + text_width(name, 12.5))}" y1="{_num(y + 12)}" '
                     f'y2="{_num(y + 12)}" stroke="{TEXT}" stroke-width="1.3"/>')
    sub = f"{p.level} · {_score(p.score)}" if p.level else "not scored"
    parts.append(f'<text x="{_num(x + 13)}" y="{_num(y + 32)}" font-size="11" fill="{MUTED}">{esc(sub)}</text>')
    if mark:
        text, tag_colour, _ = mark
        tw = text_width(text, 9.5) + 10
        tx = x + w - tw - 6
        parts.append(f'<rect x="{_num(tx)}" y="{_num(y + h - 15)}" width="{_num(tw)}" height="12" rx="6" '
                     f'fill="#ffffff" stroke="{tag_colour}" stroke-width="1"/>'
                     f'<text x="{_num(tx + tw / 2)}" y="{_num(y + h - 6)}" font-size="9.5" text-anchor="middle" '
                     f'fill="{tag_colour}">{esc(text)}</text>')
    attrs = _attrs(id=f"{vid}-{b.key_id}", data_product=p.id, data_level=p.level or "none",
                   data_state=p.state or "none", data_home="1" if b.home else None)
    body = "".join(parts)
    if links and p.href:
        return f'<a class="node"{attrs}{_attrs(href=p.href)}>{body}</a>'
    return f'<g class="node"{attrs}>{body}</g>'


def _level_bar(x: float, y: float, w: float, counts: tuple[int, ...], names: tuple[str, ...]) -> str:
    total = sum(counts)
    if not total:
        return f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="7" rx="2" fill="#e6e9ed"/>'
    out = []
    at = x
    for i, n in enumerate(counts):
        if not n:
            continue
        seg = w * n / total
        name = names[i] if i < len(names) else ""
        out.append(f'<rect x="{_num(at)}" y="{_num(y)}" width="{_num(seg)}" height="7" fill="{level_colour(i)}"'
                   f'{_attrs(data_level=name, data_count=n)}/>')
        at += seg
    return "".join(out)


def _domain_svg(b: Box, vid: str, names: tuple[str, ...], interactive: bool) -> str:
    x, y, w, h = b.x, b.y, b.w, b.h
    parts = [f"<title>{esc(b.tooltip)}</title>",
             f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}" rx="7" fill="#f4f6f8" '
             f'stroke="#5b6673" stroke-width="1.5"' + (' stroke-dasharray="4 3"' if b.role else "") + "/>"]
    big = not b.role
    size = 14 if big else 12.5
    parts.append(f'<text x="{_num(x + 10)}" y="{_num(y + (20 if big else 16))}" font-size="{size}" font-weight="650" '
                 f'fill="{TEXT}">{esc(fit(b.label, w - 20, size))}</text>')
    if big:
        sub = f"{_plural(b.members, 'product')} · mean {_score(b.mean_score)}"
        parts.append(f'<text x="{_num(x + 10)}" y="{_num(y + 38)}" font-size="11.5" fill="{MUTED}">{esc(sub)}</text>')
        parts.append(_level_bar(x + 10, y + 48, w - 20, b.level_counts, names))
        facts = f"{_plural(b.open_errors, 'open error')} · {_plural(b.inside, 'link')} inside"
        parts.append(f'<text x="{_num(x + 10)}" y="{_num(y + 69)}" font-size="10.5" fill="{MUTED}">'
                     f"{esc(fit(facts, w - 20, 10.5))}</text>")
    else:
        sub = f"{b.members} {b.role}"
        parts.append(_level_bar(x + 10, y + 24, w - 20, b.level_counts, names))
        parts.append(f'<text x="{_num(x + w - 10)}" y="{_num(y + 16)}" font-size="11" text-anchor="end" '
                     f'fill="{MUTED}">{esc(sub)}</text>')
    attrs = _attrs(id=f"{vid}-{b.key_id}", data_domain=b.domain, data_role=b.role or None)
    show = _attrs(data_show=b.show, tabindex="0", role="button") if interactive and b.show else ""
    return f'<g class="node domain"{attrs}{show}>{"".join(parts)}</g>'


def _legend_items(lmap: LineageMap) -> list[tuple[float, Callable[[float, float], str]]]:
    """(width, draw at (x, baseline)) of each legend entry, in order."""
    items: list[tuple[float, Callable[[float, float], str]]] = []
    size = 11.5

    def level(i: int, name: str) -> tuple[float, Callable[[float, float], str]]:
        colour = level_colour(i)
        return 19 + text_width(name, size), lambda x, y: (
            f'<rect x="{_num(x)}" y="{_num(y - 10)}" width="14" height="12" rx="2" fill="{tint(colour, 0.16)}" '
            f'stroke="{colour}" stroke-width="1.5" data-level="{esc(name)}"/>'
            f'<text x="{_num(x + 19)}" y="{_num(y)}" font-size="{size}" fill="{TEXT}">{esc(name)}</text>')

    def link(kind: str) -> tuple[float, Callable[[float, float], str]]:
        colour, stroke, dash = LINK_STYLE[kind]
        text = LINK_LEGEND[kind]
        return 35 + text_width(text, size), lambda x, y: (
            f'<path d="M{_num(x)} {_num(y - 4)}h24" stroke="{colour}" stroke-width="{stroke}" fill="none"'
            + (f' stroke-dasharray="{dash}"' if dash else "") + f' data-kind="{kind}"/>'
            f'<polygon points="{_num(x + 30)},{_num(y - 4)} {_num(x + 23)},{_num(y - 8)} {_num(x + 23)},{_num(y)}" '
            f'fill="{colour}"/><text x="{_num(x + 35)}" y="{_num(y)}" font-size="{size}" fill="{TEXT}">'
            f"{esc(text)}</text>")

    def state(name: str) -> tuple[float, Callable[[float, float], str]]:
        text, colour, _dash = STATE_MARKS[name]
        tw = text_width(text, 9.5) + 10
        return tw, lambda x, y: (
            f'<rect x="{_num(x)}" y="{_num(y - 10)}" width="{_num(tw)}" height="12" rx="6" fill="#ffffff" '
            f'stroke="{colour}"/><text x="{_num(x + tw / 2)}" y="{_num(y - 1)}" font-size="9.5" '
            f'text-anchor="middle" fill="{colour}">{text}</text>')

    def note(text: str) -> tuple[float, Callable[[float, float], str]]:
        return text_width(text, 11), lambda x, y: (
            f'<text x="{_num(x)}" y="{_num(y)}" font-size="11" fill="{MUTED}">{esc(text)}</text>')

    def heading(text: str) -> tuple[float, Callable[[float, float], str]]:
        return 64.0 - 22, lambda x, y: (
            f'<text x="{_num(x)}" y="{_num(y)}" font-size="11" font-weight="600" fill="{MUTED}">{text}</text>')

    items.append(heading("level"))
    items += [level(i, name) for i, name in enumerate(lmap.levels)] or [level(-1, "not scored")]
    items.append((0.0, lambda x, y: ""))  # a line break
    items.append(heading("link"))
    items += [link(kind) for kind in LINK_KINDS]
    items.append((0.0, lambda x, y: ""))
    items.append(heading("state"))
    items += [state(name) for name in STATE_MARKS]
    items.append(note("dashed border: deprecated or retired; struck through: tombstoned"))
    return items


def _legend(lmap: LineageMap, width: float) -> tuple[list[tuple[float, float, Callable[[float, float], str]]], float]:
    """Legend entries placed in rows that wrap at ``width``; and the legend's height."""
    placed = []
    x, y = MARGIN, MARGIN + 36.0
    for w, draw in _legend_items(lmap):
        if w == 0.0:  # an explicit line break
            x, y = MARGIN, y + 18
            continue
        if x > MARGIN and x + w > width - MARGIN:
            x, y = MARGIN, y + 18
        placed.append((x, y, draw))
        x += w + 22
    return placed, y + 14 - MARGIN


def _legend_svg(lmap: LineageMap, view: View) -> str:
    out = [f'<g class="legend"><text x="{MARGIN}" y="{MARGIN + 12}" font-size="13.5" font-weight="650" '
           f'fill="{TEXT}">{esc(view.title)}</text>']
    if view.note:
        out.append(f'<text x="{_num(MARGIN + text_width(view.title, 13.5) * 1.1 + 14)}" y="{MARGIN + 12}" '
                   f'font-size="11.5" fill="{MUTED}">{esc(view.note)}</text>')
    placed, _ = _legend(lmap, MIN_WIDTH)
    out += [draw(x, y) for x, y, draw in placed]
    out.append("</g>")
    return "".join(out)


def _lane_svg(lane: Lane, i: int, width: float, interactive: bool) -> str:
    fill = "#f7f9fb" if i % 2 == 0 else "#ffffff"
    if lane.main:
        fill = "#eef4fb"
    label_x = MARGIN + 8
    show = _attrs(data_show=lane.show, tabindex="0", role="button") if interactive and lane.show else ""
    return (f'<g class="lane"{_attrs(data_domain=lane.label)}>'
            f'<rect x="{MARGIN}" y="{_num(lane.y)}" width="{_num(width - 2 * MARGIN)}" height="{_num(lane.h)}" '
            f'fill="{fill}" stroke="#d9dee4"/>'
            f'<g class="lane-label"{show}><title>{esc(lane.label)}: {esc(lane.sub)}'
            + ("\nclick: expand this domain" if show else "") + "</title>"
            f'<rect x="{MARGIN}" y="{_num(lane.y)}" width="{LANE_LABEL_W}" height="{_num(min(lane.h, 48))}" '
            'fill="#ffffff" fill-opacity="0"/>'
            f'<text x="{label_x}" y="{_num(lane.y + 22)}" font-size="13" font-weight="650" fill="{TEXT}">'
            f"{esc(fit(lane.label, LANE_LABEL_W - 16, 13))}</text>"
            f'<text x="{label_x}" y="{_num(lane.y + 38)}" font-size="11" fill="{MUTED}">'
            f"{esc(fit(lane.sub, LANE_LABEL_W - 16, 11))}</text></g></g>")


def view_svg(lmap: LineageMap, view: View, vid: str, *, standalone: bool = False, interactive: bool = True) -> str:
    """One view as an SVG element (``standalone``: a document of its own, with the XML namespace)."""
    boxes = {b.key: b for b in view.boxes}
    for i, b in enumerate(sorted(view.boxes, key=lambda b: b.key)):
        b.key_id = f"n{i}"
    ports = _ports(view, boxes)
    width, height = _num(view.width), _num(view.height)
    ns = ' xmlns="http://www.w3.org/2000/svg"' if standalone else ""
    out = [f'<svg{ns} class="lmap" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
           f'font-family="{esc(FONT)}" role="img"'
           f'{_attrs(aria_label=f"Lineage map: {view.title}", data_view=view.name)}>',
           f'<rect width="{width}" height="{height}" fill="#ffffff"/>']
    out.append(_legend_svg(lmap, view))
    for i, lane in enumerate(view.lanes):
        out.append(_lane_svg(lane, i, view.width, interactive))
    out.append('<g class="edges">')
    weighted = any(b.kind == "domain" for b in view.boxes)
    for i, ln in enumerate(view.lines):
        out.append(_line_svg(ln, boxes[ln.a], boxes[ln.b], ports[(i, "a")], ports[(i, "b")], vid,
                             (weighted and ln.count > 1) or view.name == "domains"))
    out.append('</g><g class="nodes">')
    for b in sorted(view.boxes, key=lambda b: b.key):
        if b.kind == "product":
            out.append(_product_svg(b, vid, links=interactive))
        else:
            out.append(_domain_svg(b, vid, lmap.levels, interactive))
    out.append("</g></svg>")
    return "".join(out)


def to_svg(lmap: LineageMap) -> str:
    """The view the map opens on, as a standalone SVG document (no script; tooltips but no links)."""
    first = views(lmap)[0]
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            + view_svg(lmap, first, "v0", standalone=True, interactive=False) + "\n")


def map_html(lmap: LineageMap) -> str:
    """The map as an HTML fragment: every view (the first shown), and the controls the script enables."""
    all_views = views(lmap)
    domains = lmap.domains()
    out = [f'<div class="lineage-map" data-opens="{esc(all_views[0].name)}">',
           '<div class="map-controls" hidden>']
    if all_views[0].name == "all":
        out.append('<button type="button" data-show="all" aria-pressed="true">All products</button>')
    pressed = "true" if all_views[0].name == "domains" else "false"
    out.append(f'<button type="button" data-show="domains" aria-pressed="{pressed}">Domains</button>')
    out.append('<label>Expand a domain <select class="map-domain"><option value="">—</option>')
    for i, d in enumerate(domains):
        out.append(f'<option value="domain-{i}">{esc(d)}</option>')
    out.append('</select></label><label>Find a product <input type="search" class="map-find" size="24" '
               'placeholder="id, or part of one"></label>'
               '<button type="button" class="map-fit" aria-pressed="false">Fit to width</button>'
               '<span class="map-found" role="status"></span></div>')
    summary = (f"{_plural(len(lmap.products), 'product')} in {_plural(len(domains), 'domain')}, "
               f"{_plural(len(lmap.links), 'link')} "
               f"({', '.join(f'{sum(1 for x in lmap.links if x.kind == k)} {k}' for k in LINK_KINDS)})")
    out.append(f'<p class="map-summary">{esc(summary)}</p>')
    for n, view in enumerate(all_views):
        hidden = "" if n == 0 else " hidden"
        out.append(f'<div class="map-view" data-view="{esc(view.name)}"{hidden}>'
                   + view_svg(lmap, view, f"v{n}") + "</div>")
    out.append("</div>")
    return "\n".join(out)
