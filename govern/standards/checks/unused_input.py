"""lineage.unused-input: a declared input that the product's SQL never reads."""

from __future__ import annotations

from collections.abc import Iterator

from govern.analysis.facts import sql_targets
from govern.model.scope import Reads
from govern.standards.checks import Hit, RuleContext, register


@register("lineage.unused-input",
          reads={Reads.SQL, Reads.PRODUCERS, Reads.SQL_PRODUCERS},
          fields=("inputs", "execution"))
def check(ctx: RuleContext) -> Iterator[Hit]:
    for product, facts in sql_targets(ctx):
        # Only a complete analysis can say an input is never read.
        if not facts.files or not facts.complete:
            continue
        read = facts.producers
        for i, ref in enumerate(product.model.inputs):
            producer = ctx.mesh.by_id.get(ref.product)
            if producer is None or ref.product in read or ref.product == product.id:
                continue
            if not any(port.location for port in producer.model.outputPorts):
                continue  # nothing SQL could name (an API or a stream without a table)
            yield Hit(product.id, ("inputs", i, "product"), {"producer": ref.product})
