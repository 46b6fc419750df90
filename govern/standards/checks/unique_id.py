"""namespace.unique-id: a product id is a globally unique address (also across case and look-alikes)."""

from __future__ import annotations

from collections.abc import Iterator

from govern.model.confusables import id_key
from govern.model.findings import Location
from govern.model.scope import Reads
from govern.standards.checks import Hit, RuleContext, register


@register("namespace.unique-id", reads={Reads.SAME_ID}, fields=("id", "lifecycle"))
def check(ctx: RuleContext) -> Iterator[Hit]:
    groups: dict[str, list] = {}
    for product in ctx.mesh.products:
        groups.setdefault(id_key(product.id), []).append(product)
    for group in groups.values():
        if len(group) < 2:
            continue
        # A reused tombstoned id is reported by tombstoning.id-reserved instead.
        if any(p.state == "tombstoned" for p in group) and any(p.state != "tombstoned" for p in group):
            continue
        for product in group:
            if product.id not in ctx.target_ids:
                continue
            others = ", ".join(f"{p.id} ({p.path})" for p in group if p is not product)
            # An explicit location: the engine would resolve a duplicate id to the first manifest.
            yield Hit(product.id, ("id",), {"others": others},
                      location=Location(product.path, product.source.line_of(("id",))))
