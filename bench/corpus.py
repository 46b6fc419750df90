"""The TPC-H / TPC-DS query corpus as templates whose base tables can be renamed.

Each query is parsed once with sqlglot; the spans of its base-table references (not CTE names, not
subquery aliases) are recorded, so a product's SQL is made by splicing upstream port locations into
the text: cheap, deterministic, and the rest of the query stays exactly as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent / "sql"
CORPUS_FILES = ("tpc-h-queries.sql", "tpc-ds-queries.sql")
_HEADER = re.compile(r"^-- (TPC-H|TPC-DS) (\d+)\s*$", re.M)


@dataclass(frozen=True)
class Template:
    """One corpus query: its text, the base tables it reads, and where each reference is written."""

    name: str  # e.g. tpc-ds-3
    text: str
    tables: tuple[str, ...]  # distinct base tables, in order of first appearance
    spans: tuple[tuple[int, int, str, bool], ...]  # (start, end, table, has_alias), end exclusive
    columns: tuple[str, ...]  # output column names of the outermost query
    star: bool = False  # some SELECT lists '*' (the sql.select-star rule reports it in prod)

    def render(self, mapping: dict[str, str]) -> str:
        """The query with each base table replaced by ``mapping[table]`` (aliased to the old name)."""
        out = []
        pos = 0
        for start, end, table, has_alias in self.spans:
            out.append(self.text[pos:start])
            new = mapping[table]
            out.append(new if has_alias else f"{new} as {table}")
            pos = end
        out.append(self.text[pos:])
        return "".join(out)


def split_corpus(text: str, family: str) -> list[tuple[str, str]]:
    """(name, query text) for each ``-- TPC-x N`` section of a corpus file."""
    heads = list(_HEADER.finditer(text))
    out = []
    for i, head in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        body = text[head.end() : end].strip().rstrip(";").strip()
        out.append((f"{family.lower()}-{head.group(2)}", body))
    return out


def _template(name: str, text: str, dialect: str | None) -> Template | None:
    import sqlglot
    from sqlglot import exp
    from sqlglot.optimizer.scope import traverse_scope

    try:
        tree = sqlglot.parse_one(text, read=dialect)
    except sqlglot.errors.SqlglotError:
        return None
    spans: dict[int, tuple[int, int, str, bool]] = {}
    order: list[str] = []
    for scope in traverse_scope(tree):
        for source in scope.sources.values():
            if not isinstance(source, exp.Table) or source.args.get("db") or source.args.get("catalog"):
                continue
            ident = source.this
            meta = ident.meta if isinstance(ident, exp.Identifier) else None
            if not meta or "start" not in meta:
                return None
            table = ident.name.lower()
            spans[meta["start"]] = (meta["start"], meta["end"] + 1, table, source.args.get("alias") is not None)
            if table not in order:
                order.append(table)
    if not spans:
        return None
    columns = []
    for projection in tree.selects if isinstance(tree, exp.Query) else []:
        col = projection.alias_or_name
        if col and col != "*" and re.fullmatch(r"[a-z_][a-z0-9_]*", col) and col not in columns:
            columns.append(col)
    star = any(
        isinstance(p, exp.Star) or (isinstance(p, exp.Column) and isinstance(p.this, exp.Star))
        for select in tree.find_all(exp.Select)
        for p in select.expressions
    )
    return Template(name, text, tuple(order), tuple(spans[k] for k in sorted(spans)), tuple(columns), star)


@lru_cache(maxsize=4)
def load_templates(dialect: str | None = "snowflake") -> tuple[Template, ...]:
    """Every corpus query that parses in ``dialect`` and still parses after renaming, as a Template."""
    import sqlglot

    templates = []
    for file in CORPUS_FILES:
        family = "tpc-h" if "tpc-h" in file else "tpc-ds"
        for name, text in split_corpus((SQL_DIR / file).read_text(encoding="utf-8"), family):
            template = _template(name, text, dialect)
            if template is None:
                continue
            probe = template.render({t: f"analytics.probe_prod.{t}_x" for t in template.tables})
            try:
                sqlglot.parse(probe, read=dialect)
            except sqlglot.errors.SqlglotError:
                continue
            templates.append(template)
    return tuple(templates)
