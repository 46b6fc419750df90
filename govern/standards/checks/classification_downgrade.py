"""sql.classification-downgrade: sensitive data lands in a lower classification without a pii mark.

A column derived (column-level lineage) from a pii column, or from data classified confidential or
restricted, may not be written to an output port or column with a lower classification unless the
output column is itself marked ``pii: true``.
"""

from __future__ import annotations

from collections.abc import Iterator

from govern.analysis.facts import sql_targets
from govern.model.product import CLASSIFICATION_RANK
from govern.model.scope import Reads
from govern.standards.checks import Hit, RuleContext, register

NAMES = {rank: name for name, rank in CLASSIFICATION_RANK.items()}


@register("sql.classification-downgrade", reads={Reads.SQL, Reads.SQL_PRODUCERS}, fields=("outputPorts", "execution"))
def check(ctx: RuleContext) -> Iterator[Hit]:
    analysis = ctx.analysis
    for product, facts in sql_targets(ctx):
        for lineage in facts.columns:
            target = analysis.ports.get((product.id, lineage.port))
            if target is None:
                continue
            declared = target.column(lineage.column)
            if declared is not None and declared.pii:
                continue
            target_rank = target.source_rank(lineage.column)
            if target_rank is None:
                continue
            worst = None
            for source in lineage.sources:
                if source.product == product.id:
                    continue
                info = analysis.ports.get((source.product, source.port))
                if info is None or not info.is_sensitive(source.column):
                    continue
                rank = info.source_rank(source.column)
                if rank is not None and rank > target_rank and (worst is None or rank > worst[0]):
                    column = info.column(source.column)
                    worst = (rank, source, bool(column and column.pii))
            if worst is None:
                continue
            rank, source, pii = worst
            yield Hit(product.id, (), {
                "target": f"{lineage.port}.{declared.name if declared else lineage.column}",
                "target_class": NAMES[target_rank],
                "source": f"{source.product}:{source.port}.{source.column}",
                "source_why": f"pii, {NAMES[rank]}" if pii else NAMES[rank],
            }, location=lineage.location)
