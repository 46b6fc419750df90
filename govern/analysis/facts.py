"""What the analysis stage found, as plain data for the rules, the CLI and the reports."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from govern.model.findings import Location

if TYPE_CHECKING:
    from govern.analysis.catalog import PortInfo
    from govern.analysis.tablenames import TableKey
    from govern.model.lineage import Edge

UNREADABLE = "unreadable"


@dataclass(frozen=True, slots=True)
class SqlIssue:
    """SQL of a product that could not be analysed: parse-error, too-complex or unreadable."""

    product: str
    kind: str
    message: str
    location: Location


@dataclass(frozen=True, slots=True)
class TableRead:
    """A table the product's SQL reads, and the product that owns it (None: no product, or ambiguous)."""

    consumer: str
    table: str  # as written in the SQL
    key: TableKey
    location: Location
    producer: str | None = None
    port: str | None = None
    candidates: tuple[str, ...] = ()  # every product whose port matched (more than one: ambiguous)


@dataclass(frozen=True, slots=True)
class ColumnSource:
    product: str
    port: str
    column: str
    table: str


@dataclass(frozen=True, slots=True)
class ColumnLineage:
    """An output column of a product and the upstream columns it is derived from."""

    product: str
    port: str
    column: str
    location: Location
    sources: tuple[ColumnSource, ...]


@dataclass
class ProductSql:
    """The SQL facts of one product."""

    product: str
    files: list[str] = field(default_factory=list)
    dialect: str | None = None
    reads: list[TableRead] = field(default_factory=list)
    writes: list[TableRead] = field(default_factory=list)
    stars: list[Location] = field(default_factory=list)
    issues: list[SqlIssue] = field(default_factory=list)
    columns: list[ColumnLineage] = field(default_factory=list)
    lineage_gaps: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every SQL file of the product was read, rendered and parsed in full."""
        return not self.issues

    @property
    def producers(self) -> set[str]:
        """Products this product's SQL reads (its own tables excluded)."""
        return {r.producer for r in self.reads if r.producer and r.producer != self.product}


@dataclass
class Analysis:
    """The result of ``analyse(mesh)``: observed lineage edges and per-product SQL facts."""

    products: dict[str, ProductSql] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    ports: dict[tuple[str, str], PortInfo] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    scans: dict[str, tuple] = field(default_factory=dict)  # scan key -> reusable scan (analyse(keep_scans=True))

    def product(self, product_id: str) -> ProductSql | None:
        return self.products.get(product_id)

    @cached_property
    def issues(self) -> list[SqlIssue]:
        return [i for p in self.products.values() for i in p.issues]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (for ``govern lineage --format json``)."""

        def loc(location: Location) -> dict[str, Any]:
            return {k: v for k, v in (("path", location.path), ("line", location.line),
                                      ("column", location.column)) if v is not None}

        out: dict[str, Any] = {}
        for pid, facts in sorted(self.products.items()):
            out[pid] = {
                "files": facts.files,
                "dialect": facts.dialect,
                "complete": facts.complete,
                "reads": [
                    {"table": r.table, "product": r.producer, "port": r.port, "location": loc(r.location)}
                    for r in facts.reads
                ],
                "writes": [{"table": w.table, "location": loc(w.location)} for w in facts.writes],
                "selectStar": [loc(s) for s in facts.stars],
                "issues": [{"kind": i.kind, "message": i.message, "location": loc(i.location)} for i in facts.issues],
                "columns": [
                    {
                        "port": c.port,
                        "column": c.column,
                        "from": [f"{s.product}.{s.port}.{s.column}" for s in c.sources],
                        "location": loc(c.location),
                    }
                    for c in facts.columns
                ],
            }
        return out


def sql_targets(ctx: Any) -> Iterator[tuple[Any, ProductSql]]:
    """(product, its SQL facts) for each product a rule reports on that has SQL facts.

    Skips everything when the analysis did not run, and the second manifest of a duplicated id
    (its facts belong to the first one).
    """
    analysis = ctx.analysis
    if not isinstance(analysis, Analysis):
        return
    for product in ctx.targets:
        facts = analysis.product(product.id)
        if facts is not None and ctx.mesh.by_id.get(product.id) is product:
            yield product, facts
