"""One manifest file: read, validate into a Product, and every problem as a finding at its line."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from govern.load.paths import (
    INPUT_OUTSIDE_ROOT,
    real_path,
    real_root,
    resolve_inside,
)
from govern.load.yamlio import load_yaml_mapping
from govern.model.errors import InputError
from govern.model.findings import (
    INPUT_INVALID,
    MANIFEST_INVALID,
    MANIFEST_UNKNOWN_FIELD,
    META_STANDARD,
    Finding,
    Location,
    Severity,
)
from govern.model.product import DataProduct, Product, provenance_in
from govern.model.source import FieldPath, SourceMap, field_path_text
from govern.model.suggest import did_you_mean

MANIFEST_NAMES = ("dataproduct.yaml", "dataproduct.yml")
MAX_FINDINGS_PER_FILE = 50  # beyond this, one summary finding (a file with 90,000 unknown keys)


def relative_to_root(path: Path, root: Path) -> str:
    """A POSIX path relative to the mesh root (absolute only if outside it)."""
    try:
        return real_path(path).relative_to(real_root(root)).as_posix()
    except (ValueError, OSError, RuntimeError):  # outside the root, or a symlink loop
        return path.as_posix()


def _capped(findings: list[Finding], what: str) -> list[Finding]:
    """At most MAX_FINDINGS_PER_FILE findings of one kind for one file, then one that counts the rest."""
    if len(findings) <= MAX_FINDINGS_PER_FILE:
        return findings
    kept = findings[:MAX_FINDINGS_PER_FILE]
    last = kept[-1]
    more = len(findings) - len(kept)
    summary = Finding(last.rule, last.standard, last.severity, f"... and {more} more {what} in this file",
                      last.product, last.location, engine=last.engine)
    return [*kept, summary]


_EXPECTED = {  # pydantic error type -> what govern says was expected
    "model_type": "expected a mapping (key: value)", "dict_type": "expected a mapping (key: value)",
    "model_attributes_type": "expected a mapping (key: value)",
    "list_type": "expected a list", "string_type": "expected text",
    "bool_type": "expected true or false", "bool_parsing": "expected true or false",
    "int_type": "expected a whole number", "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number", "float_parsing": "expected a number",
}
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def _date_problem(value: Any) -> str:
    """Why ``value`` is not a date, in govern's words (no such month or day, a time, or another form)."""
    import calendar
    import re

    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        if not 1 <= month <= 12:
            return f"there is no month {month}"
        days = calendar.monthrange(year, month)[1]
        if not 1 <= day <= days:
            return f"{_MONTHS[month - 1]} {year} has {days} days"
    if re.match(r"\d{4}-\d{1,2}-\d{1,2}[T ]", text):
        return "write the day only, without a time"
    return ""


def _problem(err: dict) -> str:
    """What is wrong with the value of one pydantic error, in govern's own words."""
    kind = err["type"]
    shown = _shown(err.get("input"))
    if kind.startswith("date"):
        why = _date_problem(err.get("input"))
        return f"{shown} is not a date{': ' + why if why else ''} (expected YYYY-MM-DD)"
    if kind == "value_error":  # a validator of the model raised ValueError with govern's own message
        return str((err.get("ctx") or {}).get("error", err["msg"]))
    if kind in _EXPECTED:
        return f"{_EXPECTED[kind]}, got {shown}"
    return f"{err['msg']} (got {shown})"


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value.isoformat() if hasattr(value, "isoformat") else value)[:80]


def validation_findings(exc: ValidationError, smap: SourceMap, product: str | None, rule: str,
                        prefix: FieldPath = (), inferred: dict[tuple, str] | None = None) -> list[Finding]:
    """One error finding per pydantic error, at the line of the field (``prefix``: where the model sits;
    ``inferred``: an imported product's values the source did not write, named on their findings)."""
    out = []
    for err in exc.errors(include_url=False):
        loc = (*prefix, *err["loc"])
        where = field_path_text(loc) or "(document)"
        missing = err["type"] == "missing"
        message = f"field '{where}' is required" if missing else f"field '{where}': {_problem(err)}"
        out.append(
            Finding(
                rule=rule,
                standard=META_STANDARD,
                severity=Severity.ERROR,
                message=message,
                product=product,
                location=Location(smap.path, smap.line_of(loc), pointer=smap.pointer_of(loc)),
                engine="loader",
                provenance=provenance_in(inferred, loc) if inferred else None,
            )
        )
    return _capped(out, "invalid fields")


def known_field_names(model: type[BaseModel]) -> list[str]:
    """The names a manifest may use for the fields of ``model`` (aliases where a field has one)."""
    return [info.alias or name for name, info in model.model_fields.items()]


def unknown_field_findings(model: BaseModel, smap: SourceMap, product: str | None,
                           prefix: FieldPath = (), rule: str = MANIFEST_UNKNOWN_FIELD,
                           severity: Severity = Severity.WARNING, note: str = "",
                           inferred: dict[tuple, str] | None = None) -> list[Finding]:
    """Findings (warnings unless ``severity`` says otherwise) for fields the model does not know: kept,
    never silently dropped. ``note`` is appended to each message."""
    out: list[Finding] = []

    def walk(obj: Any, fpath: FieldPath) -> None:
        if isinstance(obj, BaseModel):
            for name in sorted(obj.__pydantic_extra__ or {}):
                out.append(
                    Finding(
                        rule=rule,
                        standard=META_STANDARD,
                        severity=severity,
                        message=f"unknown field '{field_path_text((*fpath, name))}' is not part of the model"
                                f"{did_you_mean(name, known_field_names(type(obj)))}{note}",
                        product=product,
                        location=Location(smap.path, smap.line_of((*fpath, name)),
                                          pointer=smap.pointer_of((*fpath, name))),
                        engine="loader",
                        provenance=provenance_in(inferred, (*fpath, name)) if inferred else None,
                    )
                )
            for name in _nested_fields(type(obj)):  # only fields that can hold a model: the rest have no extras
                walk(getattr(obj, name), (*fpath, name))
        elif isinstance(obj, list):
            for i, item in enumerate(obj):
                walk(item, (*fpath, i))

    walk(model, prefix)
    return _capped(out, "unknown fields")


_NESTED: dict[type, tuple[str, ...]] = {}


def _nested_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of ``model`` whose type can hold a model (directly, in a list, a dict or a union)."""
    found = _NESTED.get(model)
    if found is None:
        from typing import get_args

        def holds_model(annotation: Any) -> bool:
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                return True
            return any(holds_model(arg) for arg in get_args(annotation))

        found = _NESTED[model] = tuple(name for name, info in model.model_fields.items()
                                       if holds_model(info.annotation))
    return found


def input_error_finding(exc: InputError, rule: str = INPUT_INVALID, product: str | None = None) -> Finding:
    message = exc.message
    if exc.field:
        message = f"field '{exc.field}': {message}"
    if exc.expected:
        message += f" (expected {exc.expected})"
    return Finding(
        rule=rule,
        standard=META_STANDARD,
        severity=Severity.ERROR,
        message=message,
        product=product,
        location=Location(exc.path, exc.line, exc.column),
        engine="loader",
    )


def parse_manifest(data: dict, smap: SourceMap, origin: str = "native",
                   inferred: dict[tuple, str] | None = None) -> tuple[Product | None, list[Finding]]:
    """Validate manifest data into a Product, or return findings that say what is wrong where
    (``inferred``: what an importer inferred or govern.yaml set, named on the findings about it)."""
    raw_id = data.get("id")
    pid = raw_id if isinstance(raw_id, str) else None
    if data.get("kind") != "DataProduct":
        kind = data.get("kind")
        return None, [
            Finding(
                rule=MANIFEST_INVALID,
                standard=META_STANDARD,
                severity=Severity.ERROR,
                message=f"field 'kind' must be DataProduct (got {kind!r})",
                product=pid,
                location=Location(smap.path, smap.line_of(("kind",))),
                engine="loader",
            )
        ]
    try:
        model = DataProduct.model_validate(data)
    except ValidationError as exc:
        findings = validation_findings(exc, smap, pid, MANIFEST_INVALID, inferred=inferred)
        model, invalid = valid_part(DataProduct, data, exc, IDENTITY_FIELDS)
        if model is None:
            return None, findings
        product = Product(model=model, source=smap, data=data, origin=origin, invalid=invalid)
        return product, findings + unknown_field_findings(model, smap, model.id, inferred=inferred)
    product = Product(model=model, source=smap, data=data, origin=origin)
    return product, unknown_field_findings(model, smap, model.id, inferred=inferred)


IDENTITY_FIELDS = ("kind", "id")  # without a valid one there is no product to check
_PRUNED = object()
_MAX_PRUNING_ROUNDS = 8


M = TypeVar("M", bound=BaseModel)


def valid_part(model: type[M], data: dict, exc: ValidationError,
               identity: tuple[str, ...] = ()) -> tuple[M | None, frozenset[str]]:
    """``model`` validated from ``data`` without its invalid values, and the top-level fields that held them.

    Each invalid value is left out (a required field that is then missing takes its parent with it: a
    port without a name, an event without a date, a team without an id), so the rest is still checked.
    None when a field of ``identity`` (a manifest's ``kind`` and ``id``) is what is invalid.
    """
    import copy

    pruned = copy.deepcopy(data)
    invalid: set[str] = set()
    errors = exc.errors(include_url=False)
    for _ in range(_MAX_PRUNING_ROUNDS):
        for err in errors:
            loc = tuple(err["loc"])
            if err["type"] == "missing":
                loc = loc[:-1]  # a required field is missing: its parent cannot be kept
            if not loc or loc[0] in identity:
                return None, frozenset()
            invalid.add(str(loc[0]))
            _mark_pruned(pruned, loc)
        pruned = _without_pruned(pruned)
        try:
            return model.model_validate(pruned), frozenset(invalid)
        except ValidationError as again:
            errors = again.errors(include_url=False)
    return None, frozenset()


def _mark_pruned(data: Any, loc: tuple) -> None:
    """Replace the value at ``loc`` (as far as it exists: a union's tag is not a key) with _PRUNED."""
    parent, key = None, None
    node = data
    for part in loc:
        found = part in node if isinstance(node, dict) else (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node))
        if not found:
            break
        parent, key, node = node, part, node[part]
    if parent is not None:
        parent[key] = _PRUNED


def _without_pruned(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_pruned(v) for k, v in node.items() if v is not _PRUNED}
    if isinstance(node, list):
        return [_without_pruned(v) for v in node if v is not _PRUNED]
    return node


def check_code_paths(product: Product, manifest: Path, root: Path) -> list[Finding]:
    """Refuse ``execution.code`` entries that leave the mesh root; they are removed from the model."""
    execution = product.model.execution
    if execution is None or not execution.code:
        return []
    kept: list[str] = []
    out: list[Finding] = []
    for i, rel in enumerate(execution.code):
        try:
            resolve_inside(root, manifest.parent, rel)
            kept.append(rel)
        except InputError as exc:
            out.append(
                Finding(
                    rule=INPUT_OUTSIDE_ROOT,
                    standard=META_STANDARD,
                    severity=Severity.ERROR,
                    message=f"field 'execution.code[{i}]': {exc.message}; it is not read",
                    product=product.id,
                    location=Location(product.path, product.source.line_of(("execution", "code", i))),
                    engine="loader",
                )
            )
    execution.code = kept
    return out


def load_manifest_file(path: Path, root: Path, display: str | None = None) -> tuple[Product | None, list[Finding]]:
    """Read and validate one manifest file (``display``: its mesh-relative path, when the caller knows it)."""
    display = display if display is not None else relative_to_root(path, root)
    try:
        data, smap = load_yaml_mapping(path, display, "a data product manifest")
    except InputError as exc:
        return None, [input_error_finding(exc, MANIFEST_INVALID)]
    product, findings = parse_manifest(data, smap)
    if product is not None:
        findings.extend(check_code_paths(product, path, root))
    return product, findings
