"""tombstoning.consume-retired: no product may read a retired or tombstoned product."""

from __future__ import annotations

from collections.abc import Iterator

from govern.model.scope import Reads
from govern.standards.checks import Hit, RuleContext, register


@register("tombstoning.consume-retired",
          reads={Reads.PRODUCERS, Reads.SQL, Reads.SQL_PRODUCERS, Reads.RUNTIME},
          fields=("inputs", "execution"))
def check(ctx: RuleContext) -> Iterator[Hit]:
    seen: set[tuple[str, str, str]] = set()
    for edge in ctx.target_edges():
        producer = ctx.mesh.by_id.get(edge.producer)
        if producer is None or producer.state not in ("retired", "tombstoned"):
            continue
        key = (edge.consumer, edge.producer, edge.kind)
        if key in seen:
            continue
        seen.add(key)
        yield Hit(edge.consumer, edge.field_path,
                  {"producer": edge.producer, "state": producer.state, "via": edge.kind},
                  location=edge.location)
