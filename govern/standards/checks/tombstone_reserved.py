"""tombstoning.id-reserved: a tombstoned id stays reserved; no other manifest may reuse it."""

from __future__ import annotations

from collections.abc import Iterator

from govern.model.confusables import id_key
from govern.model.findings import Location
from govern.model.scope import Reads
from govern.standards.checks import Hit, RuleContext, register


@register("tombstoning.id-reserved", reads={Reads.SAME_ID}, fields=("id", "lifecycle"))
def check(ctx: RuleContext) -> Iterator[Hit]:
    tombstoned: dict[str, list] = {}
    for product in ctx.mesh.products:
        if product.state == "tombstoned":
            tombstoned.setdefault(id_key(product.id), []).append(product)
    for product in ctx.targets:
        if product.state == "tombstoned":
            continue
        for grave in tombstoned.get(id_key(product.id), ()):
            # An explicit location: the engine would resolve the shared id to the first manifest.
            yield Hit(product.id, ("id",), {"tombstoned_path": grave.path},
                      location=Location(product.path, product.source.line_of(("id",))))
