"""tombstoning.id-resurrected: an id tombstoned at the git base does not come back as a new product."""

from __future__ import annotations

from collections.abc import Iterator

from govern.model.confusables import id_key
from govern.model.scope import Reads
from govern.standards.checks import Hit, RuleContext, register


@register("tombstoning.id-resurrected", reads={Reads.HISTORY, Reads.SAME_ID}, fields=("id", "lifecycle"))
def check(ctx: RuleContext) -> Iterator[Hit]:
    if ctx.base is None:
        return
    graves = {id_key(p.id): p for p in ctx.base.products if p.state == "tombstoned"}
    if not graves:
        return
    # While the tombstoned manifest is still there, tombstoning.id-reserved reports the reuse.
    still = {id_key(p.id) for p in ctx.mesh.products if p.state == "tombstoned"}
    for product in ctx.targets:
        key = id_key(product.id)
        grave = graves.get(key)
        if grave is None or product.state == "tombstoned" or key in still:
            continue
        if product.path == grave.path:  # the same manifest going back: lifecycle.transition-since-base
            continue
        yield Hit(product.id, ("id",), {"base": ctx.base.label, "base_path": grave.path})
