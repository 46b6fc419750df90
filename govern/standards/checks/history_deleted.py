"""tombstoning.not-deleted: a product that existed at the git base still exists (tombstoned, not deleted)."""

from __future__ import annotations

from collections.abc import Iterator

from govern.model.findings import MANIFEST_INVALID, Location
from govern.model.scope import Reads
from govern.standards.checks import Hit, RuleContext, register


@register("tombstoning.not-deleted", reads={Reads.HISTORY}, fields=("id", "lifecycle"))
def check(ctx: RuleContext) -> Iterator[Hit]:
    if ctx.base is None:
        return
    by_path: dict[str, list] = {}
    for product in ctx.mesh.products:
        by_path.setdefault(product.path, []).append(product)
    broken = {f.location.path for f in ctx.mesh.findings if f.rule == MANIFEST_INVALID}
    for old in ctx.base.products:
        if old.id in ctx.mesh.by_id or old.state == "init":  # still there, or never published
            continue
        params = {"path": old.path, "base": ctx.base.label}
        now = by_path.get(old.path, [])
        if now:  # the same manifest now declares another id: the old product is gone
            for product in now:
                yield Hit(product.id, ("id",), {**params, "product": old.id, "what": f"was renamed to {product.id}"})
        elif old.path not in broken:  # a manifest that no longer loads is reported as manifest.invalid
            yield Hit(old.id, (), {**params, "what": "was deleted"}, location=Location(old.path, None))
