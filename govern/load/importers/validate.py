"""Validate documents against the published JSON Schemas shipped in govern/load/importers/schemas/.

ODCS and ODPS use draft 2019-09 features (``unevaluatedProperties``, ``if``/``then`` per server type,
``oneOf`` for the two shapes of ``team``); the OpenLineage spec uses draft 2020-12 and cross-file
``$ref``s. A hand-written structural check would be a second copy of each standard that drifts, so the
published schemas are applied with ``jsonschema`` (imported lazily, only when such inputs exist).

What the schemas find is said in govern's words, one problem per place in the document
(``problems``): a server that lacks two fields and has one too many is one problem at its line, not
three, and an unknown field names the closest valid one.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).parent / "schemas"
SCHEMAS = {
    "odcs": "odcs-json-schema-v3.1.0.json",
    "odcs-v3.0.0": "odcs-json-schema-v3.0.0.json",
    "odcs-v3.0.1": "odcs-json-schema-v3.0.1.json",
    "odcs-v3.0.2": "odcs-json-schema-v3.0.2.json",
    "odcs-v3.1.0": "odcs-json-schema-v3.1.0.json",
    "odps": "odps-json-schema-v1.0.0.json",
    "openlineage": "openlineage/OpenLineage.json",
}
# The newest schema of each Bitol standard govern has; it accepts the older apiVersions of its enum.
LATEST = {"odcs": "v3.1.0", "odps": "v1.0.0"}
# Facets govern reads, validated against their own published schemas.
OPENLINEAGE_FACETS = {
    ("dataset", "ownership"): "OwnershipDatasetFacet.json",
    ("dataset", "lifecycleStateChange"): "LifecycleStateChangeDatasetFacet.json",
    ("dataset", "symlinks"): "SymlinksDatasetFacet.json",
    ("dataset", "schema"): "SchemaDatasetFacet.json",
    ("dataset", "documentation"): "DocumentationDatasetFacet.json",
    ("dataset", "columnLineage"): "ColumnLineageDatasetFacet.json",
    ("dataset", "dataQualityAssertions"): "DataQualityAssertionsDatasetFacet.json",
    ("dataset", "dataQualityMetrics"): "DataQualityMetricsInputDatasetFacet.json",
    ("job", "ownership"): "OwnershipJobFacet.json",
    ("job", "documentation"): "DocumentationJobFacet.json",
    ("job", "sql"): "SQLJobFacet.json",
    ("job", "sourceCodeLocation"): "SourceCodeLocationJobFacet.json",
    ("run", "parent"): "ParentRunFacet.json",
}
MAX_ERRORS = 20
_TYPE_WORDS = {"string": "a text", "integer": "a whole number", "number": "a number", "boolean": "true or false",
               "object": "a mapping", "array": "a list", "null": "nothing"}


@dataclass(frozen=True)
class Problem:
    """One place of a document that breaks its schema, said in govern's words."""

    path: tuple
    message: str


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


OPENLINEAGE_ID = "https://openlineage.io/spec/2-0-2/OpenLineage.json"


@cache
def validator(name: str) -> Any:
    """A compiled validator for a schema of SCHEMAS, an OpenLineage facet file name, or one event
    definition of the OpenLineage spec (``RunEvent``, ``JobEvent``, ``DatasetEvent``)."""
    import jsonschema

    if name in ("RunEvent", "JobEvent", "DatasetEvent"):
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": f"{OPENLINEAGE_ID}#/$defs/{name}"}
    else:
        schema = _load(SCHEMAS.get(name) or f"openlineage/facets/{name}")
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, registry=_registry())


def bitol_schemas(standard: str, api_version: Any) -> tuple[list[str], str | None]:
    """The schemas a Bitol document is valid against, and a note about its apiVersion (or None).

    The newest schema govern has accepts the older apiVersions it lists (the Bitol repositories
    validate their examples that way); an ODCS document is also valid against the schema of the
    version it declares, when govern has that one.
    """
    latest = LATEST[standard]
    text = api_version if isinstance(api_version, str) else None
    names = [standard]
    own = f"{standard}-{text}"
    if text and own in SCHEMAS and SCHEMAS[own] != SCHEMAS[standard]:
        names.append(own)
    note = None
    if text and _version_key(text) is not None and _version_key(latest) is not None:
        if _version_key(text) < _version_key(latest) and len(names) == 1:  # type: ignore[operator]
            note = (f"apiVersion {text} is older than {standard.upper()} {latest}, the schema govern validates "
                    f"against (it accepts {text}); fields are read as {latest} names them")
        elif _version_key(text) > _version_key(latest):  # type: ignore[operator]
            note = (f"apiVersion {text} is newer than {standard.upper()} {latest}, the newest schema govern has; "
                    f"validated against {latest}")
    return names, note


def _version_key(text: str) -> tuple[int, ...] | None:
    found = re.fullmatch(r"v?(\d+)\.(\d+)\.(\d+)", text.strip())
    return tuple(int(g) for g in found.groups()) if found else None


def jsonable(value: Any) -> Any:
    """YAML data as JSON would carry it: dates and datetimes become ISO text."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def problems(data: Any, name: str | list[str]) -> list[Problem]:
    """One ``Problem`` per place of ``data`` that breaks the schema ``name``, in document order.

    With several schema names, the document is valid if one of them accepts it; otherwise the
    problems found by the last one (the document's own version) are reported.
    """
    names = [name] if isinstance(name, str) else list(name)
    data = jsonable(data)
    found: list[Problem] = []
    for each in names:
        found = _problems(data, each)
        if not found:
            return []
    return found


def _problems(data: Any, name: str) -> list[Problem]:
    return group(issues(data, name))


@dataclass(frozen=True)
class Issue:
    """One thing a schema finds at one place: its kind (the JSON Schema keyword), the fields a
    ``required`` lacks, and what it means in govern's words."""

    path: tuple
    kind: str
    missing: tuple[str, ...]
    words: tuple[str, ...]


def issues(data: Any, name: str) -> list[Issue]:
    """Every violation of schema ``name`` (a SCHEMAS name, a facet file, or an OpenLineage ``$defs``
    name such as ``RunEvent``) by ``data``, said in govern's words; data must be JSON-like."""
    from jsonschema.exceptions import best_match

    check = validator(name)
    out: list[Issue] = []
    for error in check.iter_errors(data):
        error._govern_check = check
        if error.context:  # oneOf / anyOf: say what the closest alternative wanted
            error = best_match(error.context) or error
        missing = tuple(re.findall(r"^'([^']*)' is a required property", error.message)) \
            if error.validator == "required" else ()
        out.append(Issue(tuple(error.absolute_path), str(error.validator), missing, tuple(_words(error))))
    return out


def group(found: list[Issue]) -> list[Problem]:
    """One Problem per place, its words joined, in document order (at most MAX_ERRORS)."""
    by_path: dict[tuple, list[str]] = {}
    first: tuple | None = None
    for issue in found:
        first = issue.path if first is None else first
        for part in issue.words:
            if part not in by_path.setdefault(issue.path, []):
                by_path[issue.path].append(part)
    out = [Problem(path, "; ".join(parts)) for path, parts in by_path.items() if parts]
    if first is not None and not out:  # invalid, whatever the words: never reported as valid
        out = [Problem(first, "breaks the schema")]
    out.sort(key=lambda p: tuple((0, x, "") if isinstance(x, int) else (1, 0, str(x)) for x in p.path))
    return out[:MAX_ERRORS]


def _words(error: Any) -> list[str]:
    """What one jsonschema error means, in govern's words (never the library's wording)."""
    from govern.model.suggest import did_you_mean

    kind, expected, value = error.validator, error.validator_value, error.instance
    if kind == "required":
        missing = [m.group(1) for m in [re.match(r"'([^']*)' is a required property", error.message)] if m]
        return [f"'{field}' is required" for field in missing] or ["a required field is missing"]
    if kind in ("additionalProperties", "unevaluatedProperties"):
        listed = re.search(r"\((.*) (?:was|were) unexpected\)", error.message)
        extra = re.findall(r"'([^']*)'", listed.group(1)) if listed else []
        if not extra:
            return ["has fields the schema does not allow here"]
        known = _property_names(error.schema, _root_of(error), value)
        # a field the schema does define is 'unevaluated' when the branch defining it failed (a server
        # of type snowflake without 'account'): that failure is the problem, reported on its own
        return [f"'{field}' is not a field here{did_you_mean(field, known)}" for field in extra if field not in known]
    if kind == "enum":
        allowed = ", ".join(str(v) for v in expected)
        return [f"{_show(value)} is not one of {allowed}{did_you_mean(str(value), [str(v) for v in expected])}"]
    if kind == "const":
        return [f"{_show(value)} must be {_show(expected)}"]
    if kind == "type":
        types = expected if isinstance(expected, list) else [expected]
        wanted = " or ".join(_TYPE_WORDS.get(t, t) for t in types)
        return [f"expected {wanted}, got {_kind_of(value)}"]
    if kind == "pattern":
        return [f"{_show(value)} does not match the pattern {expected}"]
    if kind == "format":
        return [f"{_show(value)} is not a valid {expected}"]
    if kind in ("minItems", "maxItems", "minLength", "maxLength"):
        bound = "least" if kind.startswith("min") else "most"
        unit = "item" if kind.endswith("Items") else "character"
        return [f"needs at {bound} {expected} {unit}{'s' if expected != 1 else ''}"]
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return [f"{_show(value)} is out of range ({kind} {expected})"]
    if kind == "uniqueItems":
        return ["has the same item twice"]
    if kind in ("oneOf", "anyOf"):
        return ["matches none of the shapes the schema allows here"]
    if kind == "not":
        return ["has a shape the schema forbids here"]
    return [f"breaks the schema ({kind})"]


def _root_of(error: Any) -> Any:
    while getattr(error, "parent", None) is not None:
        error = error.parent
    return getattr(error, "_govern_check", None)


def _property_names(schema: Any, check: Any, instance: Any, depth: int = 0) -> set[str]:
    """Field names a (sub)schema defines for ``instance``: its properties, through allOf / anyOf / oneOf,
    local $refs and the branch of an if / then / else that applies to the instance."""
    names: set[str] = set()
    if not isinstance(schema, dict) or depth > 8 or check is None:
        return names
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = check.schema
        for part in ref[2:].split("/"):
            target = target.get(part) if isinstance(target, dict) else None
        names |= _property_names(target, check, instance, depth + 1)
    names.update(k for k in schema.get("properties") or {} if isinstance(k, str))
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key) or []:
            names |= _property_names(sub, check, instance, depth + 1)
    if isinstance(schema.get("if"), dict | bool):
        try:
            applies = check.evolve(schema=schema["if"]).is_valid(instance)
        except Exception:  # a condition that cannot be evaluated alone: take no branch
            applies = None
        if applies is not None:
            names |= _property_names(schema.get("then" if applies else "else"), check, instance, depth + 1)
    return names


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f"'{value[:80]}'"
    if isinstance(value, dict | list):
        return "a mapping" if isinstance(value, dict) else "a list"
    return json.dumps(value)


def _kind_of(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text '{value[:40]}'"
    return "a list" if isinstance(value, list) else "a mapping"


def schema_errors(data: Any, name: str) -> list[tuple[tuple, str]]:
    """``(path, message)`` for each place that breaks the schema (see ``problems``)."""
    return [(p.path, p.message) for p in problems(data, name)]


def dotted(path: tuple) -> str:
    """``("schema", 0, "name")`` → ``schema[0].name``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


def where(path: tuple) -> str:
    """``"field 'a.b[0]': "`` for a message, or nothing at the document level."""
    return f"field '{dotted(path)}': " if path else ""
