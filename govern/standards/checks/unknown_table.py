"""lineage.unknown-table: SQL reads a table that no product owns and sql.allowTables does not list."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from govern.analysis.facts import TableRead, sql_targets
from govern.model.scope import Reads
from govern.standards.checks import Hit, RuleContext, register


def allowed(read: TableRead, patterns: list[str]) -> bool:
    """True when the table matches an allow-list glob (compared without case and quotes)."""
    names = {".".join(read.key).casefold(), read.table.replace('"', "").replace("`", "").casefold()}
    return any(fnmatch.fnmatchcase(name, pattern.casefold()) for pattern in patterns for name in names)


@register("lineage.unknown-table", reads={Reads.SQL, Reads.SQL_PRODUCERS, Reads.CONFIG}, fields=("execution",))
def check(ctx: RuleContext) -> Iterator[Hit]:
    patterns = ctx.mesh.config.sql.allowTables
    for product, facts in sql_targets(ctx):
        own = {w.key for w in facts.writes}
        seen: set[tuple] = set()
        for read in facts.reads:
            if read.producer is not None or read.key in own or allowed(read, patterns):
                continue
            key = (read.key, read.location.path)
            if key in seen:
                continue
            seen.add(key)
            if len(read.candidates) > 1:
                detail = f"is an output of several products ({', '.join(read.candidates)})"
            else:
                detail = "no product of the mesh owns and sql.allowTables does not list"
            yield Hit(product.id, (), {"table": read.table, "detail": detail}, location=read.location)
