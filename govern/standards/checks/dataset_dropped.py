"""lineage.dataset-dropped: a product still serves or reads a dataset that OpenLineage saw dropped."""

from __future__ import annotations

from collections.abc import Iterator

from govern.model.scope import Reads
from govern.standards.checks import Hit, RuleContext, register

GONE = ("retired", "tombstoned")


@register("lineage.dataset-dropped",
          reads={Reads.RUNTIME, Reads.PRODUCERS, Reads.SQL, Reads.SQL_PRODUCERS},
          fields=("inputs", "outputPorts", "execution", "lifecycle"))
def check(ctx: RuleContext) -> Iterator[Hit]:
    runtime = getattr(ctx.mesh, "runtime", None)
    drops = getattr(runtime, "drops", None) or []
    seen: set[tuple[str, str]] = set()

    def hit(pid: str, role: str, via: str, drop) -> Iterator[Hit]:
        product = ctx.mesh.by_id.get(pid)
        if product is None or product.state in GONE or pid not in ctx.target_ids or (pid, drop.dataset) in seen:
            return
        seen.add((pid, drop.dataset))
        yield Hit(pid, ("outputPorts",) if role == "serves" else ("inputs",),
                  {"role": role, "dataset": drop.dataset, "change": drop.change, "at": drop.at, "via": via},
                  location=drop.location)

    for drop in drops:
        if drop.producer:
            yield from hit(drop.producer, "serves", f"output port {drop.port}", drop)
            for edge in ctx.edges:
                if edge.producer != drop.producer or edge.consumer == drop.producer:
                    continue
                if edge.port is not None and drop.port is not None and edge.port != drop.port:
                    continue
                yield from hit(edge.consumer, "reads", edge.kind, drop)
        for reader, _location in drop.readers:
            yield from hit(reader, "reads", "runtime", drop)
