"""owner.observed-mismatch: OpenLineage ownership facets name someone other than the declared owner."""

from __future__ import annotations

from collections.abc import Iterator

from govern.model.scope import Reads
from govern.standards.checks import Hit, RuleContext, register


def _key(text: str) -> str:
    """Compare team ids and e-mail addresses loosely: case, '-' versus '_', URN prefixes."""
    _, _, value = text.partition(":") if ":" in text and "@" not in text.split(":", 1)[0] else ("", "", text)
    return value.strip().lower().replace("-", "_")


@register("owner.observed-mismatch", reads={Reads.RUNTIME}, fields=("owner",))
def check(ctx: RuleContext) -> Iterator[Hit]:
    runtime = getattr(ctx.mesh, "runtime", None)
    for seen in getattr(runtime, "owners", None) or []:
        product = ctx.mesh.by_id.get(seen.product)
        if product is None or product.id not in ctx.target_ids or product.model.owner is None:
            continue
        owner = product.model.owner
        declared = {_key(v) for v in (owner.group, owner.person) if v}
        if not declared or declared & {_key(o) for o in seen.owners}:
            continue
        yield Hit(product.id, ("owner",),
                  {"dataset": seen.dataset, "observed": ", ".join(seen.owners),
                   "declared": " / ".join(v for v in (owner.group, owner.person) if v)},
                  location=seen.location)
