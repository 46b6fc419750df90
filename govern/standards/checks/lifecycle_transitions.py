"""lifecycle.transitions: lifecycle events follow init → active → deprecated → retired → tombstoned."""

from __future__ import annotations

from collections.abc import Iterator

from govern.model.product import LIFECYCLE_STATES
from govern.model.scope import Reads
from govern.standards.checks import Hit, RuleContext, register

ORDER = {state: i for i, state in enumerate(LIFECYCLE_STATES)}


def illegal_step(before: str, after: str) -> bool:
    """A step is legal only to the next state in the order (no skipping, no going back)."""
    if before not in ORDER or after not in ORDER:
        return False
    return ORDER[after] != ORDER[before] + 1


@register("lifecycle.transitions", reads={Reads.PRODUCT}, fields=("lifecycle",))
def check(ctx: RuleContext) -> Iterator[Hit]:
    for product in ctx.targets:
        lifecycle = product.model.lifecycle
        if lifecycle is None:
            continue
        states = [e.state for e in lifecycle.events]
        for i in range(1, len(states)):
            if illegal_step(states[i - 1], states[i]):
                yield Hit(product.id, ("lifecycle", "events", i, "state"),
                          {"before": states[i - 1], "after": states[i]})
