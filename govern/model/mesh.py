"""The mesh: everything read from one mesh root (products, org, waivers, config, load findings)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govern.model.findings import Finding
from govern.model.product import GovernConfig, Org, Product, Waiver
from govern.model.source import SourceMap


@dataclass(frozen=True)
class Directory:
    """What is known of the whole mesh when only part of it is loaded (changed-files mode): the answers
    to mesh-wide questions that rules ask, so that a sub-mesh answers them as the whole mesh does."""

    ids: frozenset[str]  # every product id of the mesh
    dialects: frozenset[str | None]  # the default dialect and every product's execution dialect
    team_domains: dict[str, frozenset[str]]  # team -> domains of the products it owns
    domains: frozenset[str]  # every product's domain


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
    # Set when ``products`` is part of the mesh (changed-files mode): the whole mesh's answers.
    directory: Directory | None = None

    def index(self) -> None:
        """(Re)build the id index; the first manifest by path wins for duplicate ids."""
        self.products.sort(key=lambda p: (p.path, p.id))
        self.by_id = {}
        for product in self.products:
            self.by_id.setdefault(product.id, product)

    def product_ids(self) -> frozenset[str]:
        """Every product id of the mesh, loaded or not."""
        return self.directory.ids if self.directory is not None else frozenset(self.by_id)

    def dialects_in_use(self) -> frozenset[str | None]:
        """The default dialect and every product's execution dialect: the ones SQL reads locations in."""
        if self.directory is not None:
            return self.directory.dialects
        return directory_of(self).dialects

    def team_domains(self) -> dict[str, frozenset[str]]:
        """Team -> the domains of the products it owns (a team's domains when org.yaml does not say)."""
        if self.directory is not None:
            return self.directory.team_domains
        return directory_of(self).team_domains


def directory_of(mesh: Mesh) -> Directory:
    """The directory of a mesh whose products are all loaded."""
    dialects: set[str | None] = {mesh.config.dialect}
    teams: dict[str, set[str]] = {}
    domains: set[str] = set()
    for product in mesh.products:
        m = product.model
        if m.execution is not None and m.execution.dialect:
            dialects.add(m.execution.dialect)
        if m.domain:
            domains.add(m.domain)
            if m.owner and m.owner.group:
                teams.setdefault(m.owner.group, set()).add(m.domain)
    return Directory(frozenset(mesh.by_id), frozenset(dialects), {t: frozenset(d) for t, d in teams.items()},
                     frozenset(domains))
