"""lineage.cycle: the product lineage graph has no cycle."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

from govern.checks import Hit, RuleContext, register
from govern.graph import find_cycles, is_acyclic


@register("lineage.cycle")
def check(ctx: RuleContext) -> Iterator[Hit]:
    nodes = list(ctx.mesh.by_id)
    pairs = sorted({(e.consumer, e.producer) for e in ctx.edges})
    if is_acyclic(nodes, pairs):
        return
    for cycle in find_cycles(nodes, pairs):
        # Every product on the cycle is reported, at its input that continues the loop, so a
        # changed-files run reports the same finding for a product as a full run does.
        for consumer, producer in pairwise(cycle):
            if consumer not in ctx.target_ids:
                continue
            edge = next((e for e in ctx.edges_by_consumer.get(consumer, ()) if e.producer == producer), None)
            yield Hit(
                consumer,
                edge.field_path if edge else ("inputs",),
                {"cycle": " -> ".join(cycle)},
                location=edge.location if edge else None,
            )
