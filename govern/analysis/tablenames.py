"""Table names normalised per SQL dialect: what a port location and a table the SQL reads compare by."""

from __future__ import annotations

import functools
import re
from typing import Any

TableKey = tuple[str, ...]
_SIMPLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}")


@functools.lru_cache(maxsize=65536)  # pure; the catalog and the mesh index ask for the same locations
def location_key(location: str, dialect: str | None) -> TableKey | None:
    """A port location parsed as a table name of ``dialect`` and normalised; None if it is no table name."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.dialects.dialect import Dialect
    from sqlglot.errors import SqlglotError
    from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

    if _SIMPLE.fullmatch(location):  # plain dotted names: no need to run the parser
        return normalise_parts(Dialect.get_or_raise(dialect), tuple((p, False) for p in location.split(".")))
    try:
        table = sqlglot.parse_one(location, into=exp.Table, read=dialect)
    except (SqlglotError, ValueError):
        return None
    if not isinstance(table, exp.Table) or table.args.get("alias") is not None:
        return None
    table = normalize_identifiers(table, dialect=dialect)
    parts = table.parts
    if not parts or not all(isinstance(p, exp.Identifier) for p in parts):
        return None
    return tuple(p.name for p in parts)

@functools.lru_cache(maxsize=65_536)
def normalise_parts(dialect: Any, parts: tuple[tuple[str, bool], ...], quoted_table: bool = False,
                    maybe_column: bool = False) -> TableKey:
    """Normalise table name parts (name, quoted) with the dialect's rules; cached, as names repeat."""
    from sqlglot import exp
    from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

    idents = [exp.Identifier(this=name, quoted=quoted) for name, quoted in parts]
    if len(idents) > 3:
        return tuple(p.name for p in normalize_identifiers(exp.to_table(".".join(
            exp.Identifier(this=n, quoted=q).sql(dialect=dialect) for n, q in parts), dialect=dialect),
            dialect=dialect).parts)
    names = ("this", "db", "catalog")
    table = exp.Table(**dict(zip(names, reversed(idents), strict=False)))
    if quoted_table:
        table.meta["quoted_table"] = True
    if maybe_column:
        table.meta["maybe_column"] = True
    return tuple(p.name for p in normalize_identifiers(table, dialect=dialect).parts)
