"""namespace.unique-id: a product id is a globally unique address (also across case and look-alikes)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

from govern.checks import Hit, RuleContext, register


def id_key(product_id: str) -> str:
    """Fold case and Unicode compatibility forms, so look-alike ids collide."""
    return unicodedata.normalize("NFKC", product_id).casefold()


@register("namespace.unique-id")
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
            yield Hit(product.id, ("id",), {"others": others})
