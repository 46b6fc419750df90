"""Build small meshes on disk for tests: a compliant base product, overlays, org, waivers."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import yaml

from govern.standards.rulecases import BASE_ORG, DOMAIN_TEAMS, base_product, merge

__all__ = ["BASE_ORG", "DOMAIN_TEAMS", "MeshDir", "age", "base_product", "merge"]


def age(root: Path, seconds: float = 30.0) -> None:
    """Pretend every file under ``root`` was written ``seconds`` ago: the mesh index trusts only files
    older than the run that writes it (govern/incremental/stamps.py), so a mesh just written is not indexed."""
    past = time.time() - seconds
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            os.utime(os.path.join(dirpath, name), (past, past))
        os.utime(dirpath, (past, past))


class MeshDir:
    """A mesh under a temporary directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def write(self, relpath: str, text: str) -> Path:
        path = self.root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def write_yaml(self, relpath: str, data: Any) -> Path:
        return self.write(relpath, yaml.safe_dump(data, sort_keys=False))

    def product(self, product_id: str, overlay: dict | None = None, relpath: str | None = None) -> Path:
        data = merge(base_product(product_id), overlay or {})
        domain, _, name = product_id.partition(".")
        return self.write_yaml(relpath or f"{domain}/{name}/dataproduct.yaml", data)

    def org(self, data: dict | None = None) -> Path:
        return self.write_yaml("org.yaml", data if data is not None else BASE_ORG)
