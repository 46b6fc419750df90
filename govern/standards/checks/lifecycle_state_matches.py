"""lifecycle.state-matches-events: the current state is the state of the latest event."""

from __future__ import annotations

from collections.abc import Iterator

from govern.model.scope import Reads
from govern.standards.checks import Hit, RuleContext, register


@register("lifecycle.state-matches-events", reads={Reads.PRODUCT}, fields=("lifecycle",))
def check(ctx: RuleContext) -> Iterator[Hit]:
    for product in ctx.targets:
        lifecycle = product.model.lifecycle
        if lifecycle is None or not lifecycle.events or lifecycle.state is None:
            continue
        last = lifecycle.events[-1].state
        if last != lifecycle.state:
            yield Hit(product.id, ("lifecycle", "state"), {"state": lifecycle.state, "last": last})
