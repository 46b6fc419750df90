"""Build small meshes on disk for tests: a compliant base product, overlays, org, waivers."""

from __future__ import annotations

import copy
import os
import time
from pathlib import Path
from typing import Any

import yaml

BASE_ORG = {
    "teams": [
        {"id": "sales-data", "domain": "sales", "members": ["ana@example.com"]},
        {"id": "crm-core", "domain": "crm", "members": ["ben@example.com"]},
        {"id": "finance-analytics", "domain": "finance", "members": ["cy@example.com"]},
        {"id": "logistics-ops", "domain": "logistics", "members": ["dee@example.com"]},
    ]
}

DOMAIN_TEAMS = {"sales": "sales-data", "crm": "crm-core", "finance": "finance-analytics", "logistics": "logistics-ops"}


def age(root: Path, seconds: float = 30.0) -> None:
    """Pretend every file under ``root`` was written ``seconds`` ago: the mesh index trusts only files
    older than the run that writes it (govern/incremental/stamps.py), so a mesh just written is not indexed."""
    past = time.time() - seconds
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            os.utime(os.path.join(dirpath, name), (past, past))
        os.utime(dirpath, (past, past))


def base_product(product_id: str) -> dict[str, Any]:
    """A manifest that passes every rule of mesh-core on its own."""
    domain, _, name = product_id.partition(".")
    return {
        "kind": "DataProduct",
        "id": product_id,
        "name": name.replace("_", " ").title(),
        "description": f"The {name} data product of the {domain} domain",
        "domain": domain,
        "version": "1.0.0",
        "namespace": "prod",
        "owner": {"group": DOMAIN_TEAMS.get(domain, f"{domain}-team"), "person": "ana@example.com"},
        "format": "structured",
        "complexity": "simple",
        "structure": "append",
        "lifecycle": {
            "state": "active",
            "events": [{"state": "init", "at": "2025-01-10"}, {"state": "active", "at": "2025-02-01"}],
        },
        "execution": {"job": f"airflow:{domain}/{name}_daily"},
        "outputPorts": [
            {
                "name": name,
                "type": "table",
                "location": f"analytics.{domain}_prod.{name}",
                "classification": "internal",
                "columns": [{"name": "id", "type": "string"}],
            }
        ],
        "access": {"visibility": "mesh"},
    }


def merge(base: Any, overlay: Any) -> Any:
    """Deep-merge ``overlay`` into ``base``; a None value deletes the key; lists replace."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        out = copy.deepcopy(base)
        for key, value in overlay.items():
            if value is None:
                out.pop(key, None)
            else:
                out[key] = merge(out.get(key), value)
        return out
    return copy.deepcopy(overlay)


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
