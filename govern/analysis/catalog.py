"""The mesh's physical tables: output-port locations, normalised per SQL dialect, mapped to products.

A ``Catalog`` is plain picklable data (no sqlglot objects), so a process pool can receive it once.
Table names are tuples of normalised identifier parts (``("ANALYTICS", "SALES_PROD", "ORDERS")`` in
Snowflake, lower case in Postgres); a name that SQL writes with fewer parts than the location (no
catalog) or with more (an extra catalog) still matches when exactly one location fits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from govern.analysis.tablenames import TableKey, location_key
from govern.model.product import CLASSIFICATION_RANK

CONFIDENTIAL = CLASSIFICATION_RANK["confidential"]


def rank_of(classification: str | None) -> int | None:
    """The rank of a classification (public 0 .. restricted 3), None when missing or unknown."""
    return CLASSIFICATION_RANK.get(classification) if classification else None


@dataclass(frozen=True, slots=True)
class ColumnInfo:
    """A declared column of an output port, as column-level lineage needs it."""

    name: str
    type: str | None
    pii: bool
    rank: int | None  # the column's own classification, else the port's


@dataclass(frozen=True, slots=True)
class PortInfo:
    """One output port with a physical location: who owns it and how sensitive it is."""

    product: str
    port: str
    location: str
    rank: int | None
    columns: tuple[ColumnInfo, ...] = ()

    def column(self, name: str) -> ColumnInfo | None:
        """The declared column of that name (compared without case), if any."""
        folded = name.casefold()
        return next((c for c in self.columns if c.name.casefold() == folded), None)

    def source_rank(self, column: str | None) -> int | None:
        """How sensitive data read from ``column`` is: the column's rank, else the port's."""
        info = self.column(column) if column else None
        return info.rank if info is not None and info.rank is not None else self.rank

    def is_sensitive(self, column: str | None) -> bool:
        """pii columns and confidential / restricted data are sensitive."""
        info = self.column(column) if column else None
        rank = self.source_rank(column)
        return bool(info and info.pii) or (rank is not None and rank >= CONFIDENTIAL)

    @property
    def sensitivity(self) -> int:
        """The highest rank of any sensitive data in the port (-1 when nothing is sensitive)."""
        ranks = [self.rank] if self.rank is not None and self.rank >= CONFIDENTIAL else []
        for col in self.columns:
            if col.rank is not None and (col.pii or col.rank >= CONFIDENTIAL):
                ranks.append(col.rank)
        return max(ranks, default=-1)


@dataclass
class Catalog:
    """Port locations of one dialect, by normalised table key."""

    dialect: str | None
    exact: dict[TableKey, list[PortInfo]] = field(default_factory=dict)
    suffix: dict[TableKey, list[PortInfo]] = field(default_factory=dict)

    def add(self, key: TableKey, info: PortInfo) -> None:
        self.exact.setdefault(key, []).append(info)
        for start in range(1, len(key) - 1):  # suffixes of at least two parts (schema.table)
            self.suffix.setdefault(key[start:], []).append(info)

    def resolve(self, key: TableKey) -> list[PortInfo]:
        """The ports a table name in SQL refers to; several products means ambiguous, none unknown."""
        hits = self.exact.get(key)
        if not hits and len(key) >= 2:
            hits = self.suffix.get(key)
        if not hits:
            for start in range(1, len(key) - 1):  # SQL names an extra catalog the location omits
                hits = self.exact.get(key[start:])
                if hits:
                    break
        return _dedupe(hits) if hits else []


def _dedupe(infos: list[PortInfo]) -> list[PortInfo]:
    seen: set[tuple[str, str]] = set()
    out = []
    for info in infos:
        if (info.product, info.port) not in seen:
            seen.add((info.product, info.port))
            out.append(info)
    return out


def owners(infos: list[PortInfo]) -> list[str]:
    """The distinct products owning these ports, sorted."""
    return sorted({i.product for i in _dedupe(infos)})


def port_info(product: Any, port: Any) -> PortInfo:
    """The PortInfo of one output port of a product."""
    port_rank = rank_of(port.classification)
    columns = tuple(
        ColumnInfo(c.name, c.type, bool(c.pii), rank_of(c.classification) if c.classification else port_rank)
        for c in port.columns
    )
    return PortInfo(product.id, port.name, port.location or "", port_rank, columns)


def unique_products(products: list) -> list:
    """Products by id, the first manifest winning for a duplicate id (duplicates are reported elsewhere)."""
    seen: set[str] = set()
    out = []
    for product in products:
        if product.id not in seen:
            seen.add(product.id)
            out.append(product)
    return out


def build_catalog(products: list, dialect: str | None, keys: dict[str, TableKey | None] | None = None) -> Catalog:
    """Index every output port location of ``products`` under ``dialect``'s identifier rules.

    ``keys``: locations already normalised (by an earlier run, kept in the mesh index).
    """
    catalog = Catalog(dialect)
    for product in unique_products(products):
        for port in product.model.outputPorts:
            if not port.location:
                continue
            key = keys[port.location] if keys is not None and port.location in keys else \
                location_key(port.location, dialect)
            if key is not None:
                catalog.add(key, port_info(product, port))
    return catalog
