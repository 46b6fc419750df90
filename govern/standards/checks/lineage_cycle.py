"""lineage.cycle: the product lineage graph has no cycle."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

from govern.model.lineage import find_cycles, is_acyclic
from govern.model.scope import Reads
from govern.standards.checks import Hit, RuleContext, register

MAX_SHOWN = 12  # products named in a cycle's message; a longer cycle is abbreviated in the middle


def cycle_text(cycle: list[str]) -> str:
    """``a -> b -> a``; a long cycle keeps its ends, so n findings on an n-product cycle stay O(n) in size."""
    if len(cycle) <= MAX_SHOWN:
        return " -> ".join(cycle)
    head, tail = cycle[: MAX_SHOWN // 2], cycle[-(MAX_SHOWN // 2) :]
    hidden = len(cycle) - len(head) - len(tail)
    return " -> ".join(head) + f" -> ... ({hidden:,} more) ... -> " + " -> ".join(tail)


@register("lineage.cycle", reads={Reads.GRAPH}, fields=("inputs", "execution"))
def check(ctx: RuleContext) -> Iterator[Hit]:
    nodes = list(ctx.mesh.by_id)
    pairs = sorted({(e.consumer, e.producer) for e in ctx.edges})
    if is_acyclic(nodes, pairs):
        return
    for cycle in find_cycles(nodes, pairs):
        text = cycle_text(cycle)
        # Every product on the cycle is reported, at its input that continues the loop, so a
        # changed-files run reports the same finding for a product as a full run does.
        for consumer, producer in pairwise(cycle):
            if consumer not in ctx.target_ids:
                continue
            edge = next((e for e in ctx.edges_by_consumer.get(consumer, ()) if e.producer == producer), None)
            yield Hit(
                consumer,
                edge.field_path if edge else ("inputs",),
                {"cycle": text},
                location=edge.location if edge else None,
            )
