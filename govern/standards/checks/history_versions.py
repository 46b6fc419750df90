"""versioning.breaking-change / additive-change / no-downgrade: output-port changes since the git base
need the matching semantic version bump (breaking: major; additive: at least minor; never down).

A product that was still in ``init`` at the base was never published and may change freely.
"""

from __future__ import annotations

from collections.abc import Iterator

from govern.model.scope import Reads
from govern.standards.checks import Hit, RuleContext, register
from govern.standards.compat import SemVer, at_least, bump, diff_ports, summarise


def _compare(ctx: RuleContext) -> Iterator[tuple]:
    """(product, params, bump kind, port changes) for each target that existed at the base."""
    for product, old in ctx.targets_at_base():
        old_v, new_v = SemVer.parse(old.model.version), SemVer.parse(product.model.version)
        if old_v is None or new_v is None:  # versioning.semver reports a malformed version
            continue
        params = {"old_version": old.model.version, "new_version": product.model.version, "base": ctx.base.label}
        changes = diff_ports(old.model.outputPorts, product.model.outputPorts) if old.state != "init" else None
        yield product, params, bump(old_v, new_v), changes


@register("versioning.breaking-change", reads={Reads.HISTORY}, fields=("version", "outputPorts"))
def breaking(ctx: RuleContext) -> Iterator[Hit]:
    for product, params, kind, changes in _compare(ctx):
        if changes and changes.breaking and kind != "down" and not at_least(kind, "major"):
            yield Hit(product.id, ("version",), {**params, "changes": summarise(changes.breaking)})


@register("versioning.additive-change", reads={Reads.HISTORY}, fields=("version", "outputPorts"))
def additive(ctx: RuleContext) -> Iterator[Hit]:
    for product, params, kind, changes in _compare(ctx):
        # With a breaking change as well, versioning.breaking-change already asks for more.
        if changes and changes.additive and not changes.breaking and kind != "down" and not at_least(kind, "minor"):
            yield Hit(product.id, ("version",), {**params, "changes": summarise(changes.additive)})


@register("versioning.no-downgrade", reads={Reads.HISTORY}, fields=("version",))
def no_downgrade(ctx: RuleContext) -> Iterator[Hit]:
    for product, params, kind, _ in _compare(ctx):
        if kind == "down":
            yield Hit(product.id, ("version",), params)
