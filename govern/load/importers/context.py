"""The state importers share while one mesh loads: options, org, and where known ports live."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from govern.load.importers.common import normalise_location
from govern.load.importers.config import ImportersConfig
from govern.model.findings import Finding
from govern.model.product import Product


@dataclass
class ImportContext:
    """What an importer may read (the mesh loaded so far) and where it puts results."""

    mesh: Any  # govern.load.loader.Mesh
    options: ImportersConfig
    products: list[Product] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def org(self) -> Any:
        return self.mesh.org

    def port_index(self) -> dict[str, tuple[str, str]]:
        """Normalised output-port location → (product id, port name), over every product known so far."""
        index: dict[str, tuple[str, str]] = {}
        for product in [*self.mesh.products, *self.products]:
            for port in product.model.outputPorts:
                if port.location:
                    index.setdefault(normalise_location(port.location), (product.id, port.name))
        return index

    def add(self, result: tuple[Product | None, list[Finding]]) -> Product | None:
        product, findings = result
        self.findings.extend(findings)
        if product is not None:
            self.products.append(product)
        return product
