"""The mesh: everything read from one mesh root (products, org, waivers, config, load findings)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govern.model.findings import Finding
from govern.model.product import GovernConfig, Org, Product, Waiver
from govern.model.source import SourceMap


@dataclass
class LoadedWaiver:
    waiver: Waiver
    line: int | None
    index: int


@dataclass
class Mesh:
    """Everything read from one mesh root, in deterministic order."""

    root: Path
    config: GovernConfig
    products: list[Product] = field(default_factory=list)
    org: Org | None = None
    org_source: SourceMap | None = None
    waivers: list[LoadedWaiver] = field(default_factory=list)
    waivers_path: str | None = None
    findings: list[Finding] = field(default_factory=list)
    by_id: dict[str, Product] = field(default_factory=dict)
    # Observed at runtime (OpenLineage events, govern/load/importers/openlineage.py): lineage edges of
    # kind "runtime", and the facts its rules read (dropped datasets, observed owners).
    observed_edges: list[Any] = field(default_factory=list)
    runtime: Any = None

    def index(self) -> None:
        """(Re)build the id index; the first manifest by path wins for duplicate ids."""
        self.products.sort(key=lambda p: (p.path, p.id))
        self.by_id = {}
        for product in self.products:
            self.by_id.setdefault(product.id, product)
