"""lineage.input-port-exists: an input that names a port names one the upstream product has."""

from __future__ import annotations

from collections.abc import Iterator

from govern.model.scope import Reads
from govern.standards.checks import Hit, RuleContext, register


@register("lineage.input-port-exists", reads={Reads.PRODUCERS}, fields=("inputs",))
def check(ctx: RuleContext) -> Iterator[Hit]:
    for product in ctx.targets:
        for i, ref in enumerate(product.model.inputs):
            producer = ctx.mesh.by_id.get(ref.product)
            if ref.port is None or producer is None:
                continue
            ports = [p.name for p in producer.model.outputPorts]
            if ref.port not in ports:
                yield Hit(product.id, ("inputs", i, "port"),
                          {"port": ref.port, "producer": ref.product, "ports": ", ".join(ports) or "none"})
