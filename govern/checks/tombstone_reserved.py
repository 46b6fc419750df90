"""tombstoning.id-reserved: a tombstoned id stays reserved; no other manifest may reuse it."""

from __future__ import annotations

from collections.abc import Iterator

from govern.checks import Hit, RuleContext, register
from govern.checks.unique_id import id_key


@register("tombstoning.id-reserved")
def check(ctx: RuleContext) -> Iterator[Hit]:
    tombstoned: dict[str, list] = {}
    for product in ctx.mesh.products:
        if product.state == "tombstoned":
            tombstoned.setdefault(id_key(product.id), []).append(product)
    for product in ctx.targets:
        if product.state == "tombstoned":
            continue
        for grave in tombstoned.get(id_key(product.id), ()):
            yield Hit(product.id, ("id",), {"tombstoned_path": grave.path})
