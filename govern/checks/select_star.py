"""sql.select-star: a prod product's SQL uses SELECT * (outside EXISTS)."""

from __future__ import annotations

from collections.abc import Iterator

from govern.analysis.facts import Analysis
from govern.checks import Hit, RuleContext, register


@register("sql.select-star")
def check(ctx: RuleContext) -> Iterator[Hit]:
    analysis = ctx.analysis
    if not isinstance(analysis, Analysis):
        return
    for product in ctx.targets:
        if product.model.namespace != "prod" or ctx.mesh.by_id.get(product.id) is not product:
            continue
        facts = analysis.product(product.id)
        for where in facts.stars if facts else ():
            yield Hit(product.id, (), {"file": where.path}, location=where)
