"""The analysis stage: SQL and the mesh graph → observed lineage edges and facts for the rules.

Importing this package is cheap: sqlglot, jinja2 and networkx are imported only by the functions
that use them, so a run whose products have no SQL never loads them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govern.analysis.facts import Analysis, ColumnLineage, ColumnSource, ProductSql, SqlIssue, TableRead
from govern.analysis.run import analyse, has_sql, observed_columns

if TYPE_CHECKING:
    from govern.model.mesh import Mesh

__all__ = [
    "Analysis",
    "ColumnLineage",
    "ColumnSource",
    "ProductSql",
    "SqlIssue",
    "TableRead",
    "analyse",
    "has_sql",
    "needs_analysis",
    "observed_columns",
]


def needs_analysis(mesh: Mesh, products: Any = None) -> bool:
    """True when some product (of ``products``, default all) has SQL to analyse."""
    wanted = set(products) if products is not None else None
    if any(c.product in wanted if wanted is not None else True for c in observed_columns(mesh)):
        return True
    return any(has_sql(p) for p in mesh.products if wanted is None or p.id in wanted)

