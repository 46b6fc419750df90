"""sql.select-star: a prod product's SQL uses SELECT * (outside EXISTS)."""

from __future__ import annotations

from collections.abc import Iterator

from govern.analysis.facts import sql_targets
from govern.model.scope import Reads
from govern.standards.checks import Hit, RuleContext, register


@register("sql.select-star", reads={Reads.SQL}, fields=("namespace", "execution"))
def check(ctx: RuleContext) -> Iterator[Hit]:
    for product, facts in sql_targets(ctx):
        if product.model.namespace != "prod":
            continue
        for where in facts.stars:
            yield Hit(product.id, (), {"file": where.path}, location=where)
