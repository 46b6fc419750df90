"""namespace.unique-address: an output location names one product (after the dialect's normalisation)."""

from __future__ import annotations

from collections.abc import Iterator

from govern.model.findings import Location
from govern.model.scope import Reads
from govern.standards.checks import Hit, RuleContext, register


def address_keys(product: object, dialects: set[str | None]) -> Iterator[tuple[int, str, tuple]]:
    """(port index, location, key) for each output location of ``product``, once per dialect in use.

    A location that is a table name is normalised as govern/analysis/catalog.py normalises it for SQL
    of that dialect (so ``sales.orders`` and ``SALES.ORDERS`` collide on Snowflake); any other location
    (a path, a topic, a URL) compares as written, without surrounding spaces.
    """
    from govern.analysis.tablenames import location_key

    for index, port in enumerate(product.model.outputPorts):  # type: ignore[attr-defined]
        location = (port.location or "").strip()
        if not location:
            continue
        for dialect in sorted(dialects, key=lambda d: d or ""):
            key = location_key(location, dialect)
            yield index, location, (dialect, key) if key is not None else ("", location)


@register("namespace.unique-address", reads={Reads.SAME_ADDRESS}, fields=("outputPorts", "lifecycle", "execution"))
def check(ctx: RuleContext) -> Iterator[Hit]:
    dialects = set(ctx.mesh.dialects_in_use())
    claims: dict[tuple, list[tuple]] = {}
    for product in ctx.mesh.products:
        if product.state == "tombstoned":  # a tombstone claims its id, not its data's location
            continue
        for index, location, key in address_keys(product, dialects):
            claims.setdefault(key, []).append((product, index, location))
    reported: set[tuple[str, int]] = set()
    for claimants in claims.values():
        if len({p.id for p, _i, _l in claimants}) < 2:
            continue
        for product, index, location in claimants:
            if product.id not in ctx.target_ids or (product.id, index) in reported:
                continue
            reported.add((product.id, index))
            others = ", ".join(sorted({f"{p.id} ({p.path})" for p, _i, _l in claimants if p.id != product.id}))
            port = product.model.outputPorts[index].name
            fpath = ("outputPorts", index, "location")
            yield Hit(product.id, fpath, {"port": port, "value": location, "others": others},
                      location=Location(product.path, product.source.line_of(fpath)))
