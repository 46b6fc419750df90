"""The published JSON Schemas of the files govern reads in a mesh: manifests, govern.yaml, org.yaml and
waivers.yaml (``govern schema --for KIND``; editors complete and check them through the
``yaml-language-server`` modeline that ``govern init`` writes).

They are generated from the models govern validates with, so they cannot drift from what it accepts.
They are stricter in one way: a key the model does not know is marked (``additionalProperties: false``),
because govern reports it too (a warning in a manifest, an error in org.yaml, a waiver that does not
apply, exit 2 in govern.yaml).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

BASE_URL = "https://govern.dev/schemas/"
# kind -> (file name, title, the file it describes)
SCHEMAS: dict[str, tuple[str, str, str]] = {
    "manifest": ("dataproduct.schema.json", "govern data product manifest", "dataproduct.yaml"),
    "config": ("govern.schema.json", "govern configuration", "govern.yaml"),
    "org": ("org.schema.json", "govern organisation", "org.yaml"),
    "waivers": ("waivers.schema.json", "govern waivers", "waivers.yaml"),
}
MODELINE = "# yaml-language-server: $schema="


def _model(kind: str) -> type[BaseModel]:
    from govern.model.product import DataProduct, GovernConfig, Org, WaiverFile

    return {"manifest": DataProduct, "config": GovernConfig, "org": Org, "waivers": WaiverFile}[kind]


def _closed(node: Any) -> None:
    """``additionalProperties: false`` on every object with named properties."""
    if isinstance(node, dict):
        if "properties" in node and node.get("additionalProperties", True) is True:
            node["additionalProperties"] = False
        for value in node.values():
            _closed(value)
    elif isinstance(node, list):
        for value in node:
            _closed(value)


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one kind of file: manifest, config, org or waivers."""
    if kind not in SCHEMAS:
        from govern.model.errors import ConfigError
        from govern.model.suggest import did_you_mean

        raise ConfigError(f"unknown schema '{kind}'{did_you_mean(kind, SCHEMAS)}", expected=", ".join(SCHEMAS))
    name, title, _ = SCHEMAS[kind]
    schema = _model(kind).model_json_schema()
    if kind == "config":
        from govern.load.importers.config import ImportersConfig

        importers = ImportersConfig.model_json_schema()
        schema.setdefault("$defs", {}).update(importers.pop("$defs", {}))
        importers["description"] = schema["properties"]["importers"].get("description", "")
        schema["properties"]["importers"] = importers
    _closed(schema)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = BASE_URL + name
    schema["title"] = title
    return schema


def modeline(schema_path: str) -> str:
    """The first line that points yaml-language-server (VS Code, Neovim, JetBrains, Helix) at a schema."""
    return f"{MODELINE}{schema_path}\n"
