"""lineage.undeclared-dependency: SQL (or runtime lineage) reads a product the manifest does not declare."""

from __future__ import annotations

from collections.abc import Iterator

from govern.analysis.facts import Analysis
from govern.model.scope import Reads
from govern.standards.checks import Hit, RuleContext, register


def _table(ctx: RuleContext, edge) -> str:
    """The table as the SQL wrote it, for the message (the port or product for runtime lineage)."""
    if isinstance(ctx.analysis, Analysis):
        facts = ctx.analysis.product(edge.consumer)
        for read in facts.reads if facts else ():
            if read.location == edge.location:
                return read.table
    return edge.port or edge.producer


@register("lineage.undeclared-dependency",
          reads={Reads.SQL, Reads.SQL_PRODUCERS, Reads.RUNTIME},
          fields=("inputs", "execution"))
def check(ctx: RuleContext) -> Iterator[Hit]:
    seen: set[tuple[str, str, str | None]] = set()
    for edge in ctx.target_edges():
        if edge.kind == "declared" or edge.consumer == edge.producer:
            continue
        consumer = ctx.mesh.by_id.get(edge.consumer)
        if consumer is None or edge.producer not in ctx.mesh.by_id:
            continue
        if any(ref.product == edge.producer for ref in consumer.model.inputs):
            continue
        key = (edge.consumer, edge.producer, edge.location.path)
        if key in seen:
            continue
        seen.add(key)
        yield Hit(edge.consumer, ("inputs",),
                  {"producer": edge.producer, "table": _table(ctx, edge), "via": edge.kind},
                  location=edge.location)
