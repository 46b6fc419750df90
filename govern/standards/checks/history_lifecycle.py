"""lifecycle.transition-since-base: since the git base, the state stays or moves one step forward."""

from __future__ import annotations

from collections.abc import Iterator

from govern.model.product import LIFECYCLE_STATES
from govern.model.scope import Reads
from govern.standards.checks import Hit, RuleContext, register

ORDER = {state: i for i, state in enumerate(LIFECYCLE_STATES)}


def why_illegal(before: str | None, after: str | None) -> str | None:
    """Why moving from ``before`` to ``after`` in one change is illegal, or None when it is legal."""
    if before not in ORDER or after not in ORDER or before == after:
        return None
    step = ORDER[after] - ORDER[before]
    if step < 0:
        return "a product cannot go back"
    if step > 1:
        skipped = ", ".join(LIFECYCLE_STATES[ORDER[before] + 1:ORDER[after]])
        return f"it skips {skipped}"
    return None


@register("lifecycle.transition-since-base", reads={Reads.HISTORY}, fields=("lifecycle",))
def check(ctx: RuleContext) -> Iterator[Hit]:
    for product, old in ctx.targets_at_base():
        why = why_illegal(old.state, product.state)
        if why:
            yield Hit(product.id, ("lifecycle", "state"),
                      {"before": old.state, "after": product.state, "why": why, "base": ctx.base.label})
