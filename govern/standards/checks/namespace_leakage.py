"""lineage.namespace-leakage: a prod product reads a preprod or test product (declared or observed)."""

from __future__ import annotations

from collections.abc import Iterator

from govern.model.scope import Reads
from govern.standards.checks import Hit, RuleContext, register

LOWER = ("preprod", "test")


@register("lineage.namespace-leakage",
          reads={Reads.PRODUCERS, Reads.SQL, Reads.SQL_PRODUCERS, Reads.RUNTIME},
          fields=("namespace", "inputs", "execution"))
def check(ctx: RuleContext) -> Iterator[Hit]:
    seen: set[tuple[str, str, str]] = set()
    for edge in ctx.target_edges():
        consumer = ctx.mesh.by_id.get(edge.consumer)
        producer = ctx.mesh.by_id.get(edge.producer)
        if consumer is None or producer is None or consumer.model.namespace != "prod":
            continue
        if producer.model.namespace not in LOWER:
            continue
        key = (edge.consumer, edge.producer, edge.kind)
        if key in seen:
            continue
        seen.add(key)
        yield Hit(edge.consumer, edge.field_path,
                  {"producer": edge.producer, "namespace": producer.model.namespace, "via": edge.kind},
                  location=edge.location)
