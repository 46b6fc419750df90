"""lifecycle.consume-deprecated(-past-sunset): reading a deprecated product warns, past its sunset fails."""

from __future__ import annotations

from collections.abc import Iterator

from govern.model.scope import Reads
from govern.standards.checks import Hit, RuleContext, register


def _deprecated_reads(ctx: RuleContext, past_sunset: bool) -> Iterator[Hit]:
    seen: set[tuple[str, str, str]] = set()
    for edge in ctx.target_edges():
        producer = ctx.mesh.by_id.get(edge.producer)
        if producer is None or producer.state != "deprecated":
            continue
        sunset = producer.model.lifecycle.sunset if producer.model.lifecycle else None
        is_past = sunset is not None and sunset < ctx.today
        if is_past != past_sunset:
            continue
        key = (edge.consumer, edge.producer, edge.kind)
        if key in seen:
            continue
        seen.add(key)
        yield Hit(
            edge.consumer,
            edge.field_path,
            {
                "producer": edge.producer,
                "sunset": sunset.isoformat() if sunset else "unset",
                "replacement": producer.model.lifecycle.replacedBy or "none named",
                "via": edge.kind,
            },
            location=edge.location,
        )


@register("lifecycle.consume-deprecated",
          reads={Reads.PRODUCERS, Reads.SQL, Reads.SQL_PRODUCERS, Reads.RUNTIME},
          fields=("inputs", "execution"))
def check_before_sunset(ctx: RuleContext) -> Iterator[Hit]:
    yield from _deprecated_reads(ctx, past_sunset=False)


@register("lifecycle.consume-deprecated-past-sunset",
          reads={Reads.PRODUCERS, Reads.SQL, Reads.SQL_PRODUCERS, Reads.RUNTIME},
          fields=("inputs", "execution"))
def check_past_sunset(ctx: RuleContext) -> Iterator[Hit]:
    yield from _deprecated_reads(ctx, past_sunset=True)
