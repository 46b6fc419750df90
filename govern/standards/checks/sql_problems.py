"""sql.parse-error, sql.too-complex, sql.code-unreadable: SQL that the analysis could not (fully) read."""

from __future__ import annotations

from collections.abc import Iterator

from govern.analysis.facts import UNREADABLE, sql_targets
from govern.analysis.sqlscan import PARSE_ERROR, TOO_COMPLEX
from govern.model.scope import Reads
from govern.standards.checks import Hit, RuleContext, register


def _issues(ctx: RuleContext, kind: str) -> Iterator[Hit]:
    for product, facts in sql_targets(ctx):
        for issue in facts.issues:
            if issue.kind == kind:
                yield Hit(product.id, (), {"file": issue.location.path or product.path,
                                           "dialect": facts.dialect or "generic", "error": issue.message},
                          location=issue.location)


@register("sql.parse-error", reads={Reads.SQL}, fields=("execution",))
def parse_error(ctx: RuleContext) -> Iterator[Hit]:
    yield from _issues(ctx, PARSE_ERROR)


@register("sql.too-complex", reads={Reads.SQL}, fields=("execution",))
def too_complex(ctx: RuleContext) -> Iterator[Hit]:
    yield from _issues(ctx, TOO_COMPLEX)


@register("sql.code-unreadable", reads={Reads.SQL}, fields=("execution",))
def code_unreadable(ctx: RuleContext) -> Iterator[Hit]:
    yield from _issues(ctx, UNREADABLE)
