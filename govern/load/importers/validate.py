"""Validate documents against the published JSON Schemas shipped in govern/load/importers/schemas/.

ODCS and ODPS use draft 2019-09 features (``unevaluatedProperties``, ``if``/``then`` per server type,
``oneOf`` for the two shapes of ``team``); the OpenLineage spec uses draft 2020-12 and cross-file
``$ref``s. A hand-written structural check would be a second copy of each standard that drifts, so the
published schemas are applied with ``jsonschema`` (imported lazily, only when such inputs exist).
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).parent / "schemas"
SCHEMAS = {
    "odcs": "odcs-json-schema-v3.1.0.json",
    "odps": "odps-json-schema-v1.0.0.json",
    "openlineage": "openlineage/OpenLineage.json",
}
# Facets govern reads, validated against their own published schemas.
OPENLINEAGE_FACETS = {
    ("dataset", "ownership"): "OwnershipDatasetFacet.json",
    ("dataset", "lifecycleStateChange"): "LifecycleStateChangeDatasetFacet.json",
    ("dataset", "symlinks"): "SymlinksDatasetFacet.json",
    ("dataset", "schema"): "SchemaDatasetFacet.json",
    ("dataset", "documentation"): "DocumentationDatasetFacet.json",
    ("job", "ownership"): "OwnershipJobFacet.json",
    ("job", "documentation"): "DocumentationJobFacet.json",
}
MAX_ERRORS = 20


def _load(rel: str) -> dict:
    return json.loads((SCHEMA_DIR / rel).read_text(encoding="utf-8"))


@cache
def _registry() -> Any:
    from referencing import Registry, Resource

    resources = []
    for path in sorted((SCHEMA_DIR / "openlineage").rglob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        resources.append((doc["$id"], Resource.from_contents(doc)))
    return Registry().with_resources(resources)


@cache
def validator(name: str) -> Any:
    """A compiled validator for a schema of SCHEMAS or an OpenLineage facet file name."""
    import jsonschema

    rel = SCHEMAS.get(name) or f"openlineage/facets/{name}"
    schema = _load(rel)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, registry=_registry())


def jsonable(value: Any) -> Any:
    """YAML data as JSON would carry it: dates and datetimes become ISO text."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def schema_errors(data: Any, name: str) -> list[tuple[tuple, str]]:
    """``(path, message)`` for each violation of the schema, most specific first, in document order."""
    from jsonschema.exceptions import best_match

    out: list[tuple[tuple, str]] = []
    for error in validator(name).iter_errors(jsonable(data)):
        if error.context:  # oneOf / anyOf / allOf: say what the closest alternative wanted
            error = best_match(error.context) or error
        message = error.message
        if len(message) > 200:
            message = message[:197] + "..."
        out.append((tuple(error.absolute_path), message))
    out.sort(key=lambda e: tuple((0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in e[0]))
    return out[:MAX_ERRORS]


def dotted(path: tuple) -> str:
    """``("schema", 0, "name")`` → ``schema[0].name``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


def where(path: tuple) -> str:
    """``"field 'a.b[0]': "`` for a message, or nothing at the document level."""
    return f"field '{dotted(path)}': " if path else ""
