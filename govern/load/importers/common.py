"""What every importer shares: building a native-shaped manifest while recording where each field came from.

An importer maps a document of another format into the plain data of a native manifest
(``govern.model.product.DataProduct``) and a ``SourceMap`` keyed by *internal* field paths, whose lines (YAML
inputs) or JSON pointers (JSON inputs) point into the *original* file. The rules then run unchanged.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govern.model.errors import InputError
from govern.model.findings import INPUT_INVALID, MANIFEST_INVALID, META_STANDARD, Finding, Location, Severity
from govern.model.product import CONFIG_SOURCE, Product, SqlSource, provenance_in, value_at
from govern.model.source import FieldPath, SourceMap, field_path_text

MAX_JSON_BYTES = 512 * 1024 * 1024  # dbt manifests of large projects reach hundreds of MB

# ODCS / ODPS status → lifecycle state. Anything else is kept as written (lifecycle.state-enum reports it).
STATUS_TO_STATE = {
    "proposed": "init",
    "draft": "init",
    "development": "init",
    "in development": "init",
    "in-development": "init",
    "active": "active",
    "current": "active",
    "production": "active",
    "released": "active",
    "deprecated": "deprecated",
    "retired": "retired",
    "tombstoned": "tombstoned",
}

_SLUG = re.compile(r"[^a-z0-9_]+")


def slug(text: str) -> str:
    """A lowercase ``[a-z0-9_]`` segment for a product id (``"Sales Orders-v2"`` → ``sales_orders_v2``)."""
    return _SLUG.sub("_", text.strip().lower()).strip("_") or "unnamed"


def json_pointer(parts: FieldPath | list) -> str:
    """RFC 6901 pointer of a path (``("nodes", "model.a.b")`` → ``/nodes/model.a.b``)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def as_text(value: Any) -> str | None:
    """A non-empty string, or None (wrong types and blank strings count as absent)."""
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    return None


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def as_date(value: Any) -> Any:
    """A date from a date, a datetime or an ISO text; other values unchanged (validation reports them)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date()
        except ValueError:
            try:
                return dt.date.fromisoformat(value[:10])
            except ValueError:
                return value
    return value


def truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1", "y")
    return bool(value) and not isinstance(value, dict | list)


def normalise_location(text: str) -> str:
    """A physical address without quotes, lowercase: ``"DB"."Main"."T"`` → ``db.main.t``."""
    return text.replace('"', "").replace("`", "").replace("[", "").replace("]", "").strip().lower()


def is_email(text: str | None) -> bool:
    return bool(text) and re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text or "") is not None


@dataclass
class Mapper:
    """Builds one native-shaped manifest and its source map.

    ``src`` is the YAML source map of the original document (line numbers), or None for JSON inputs,
    where ``base`` is the JSON pointer of the object being mapped and ``line`` the line of the record
    (NDJSON) if any. ``put(path, value, src_path)`` sets a field and records where it came from.
    """

    path: str
    src: SourceMap | None = None
    base: str = ""
    line: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    inferred: dict[tuple, str] = field(default_factory=dict)  # field path → what it was inferred from
    # rule → the rule whose finding already says this problem (a derived id without a domain)
    consequences: dict[str, str] = field(default_factory=dict)
    smap: SourceMap = field(init=False)

    def __post_init__(self) -> None:
        self.smap = SourceMap(self.path)
        self.at((), ())

    def at(self, fpath: FieldPath, src_path: FieldPath | list | str | None) -> None:
        """Record that the internal field ``fpath`` comes from ``src_path`` in the original document.

        ``src_path`` is a field path of the original, or (JSON) an absolute pointer string.
        """
        fpath = tuple(fpath)
        if src_path is None:
            return
        if self.src is not None:
            if isinstance(src_path, str):
                return
            line = self.src.line_of(tuple(src_path))
            if line is not None:
                self.smap.lines[fpath] = line
            return
        pointer = src_path if isinstance(src_path, str) else self.base + json_pointer(src_path)
        self.smap.pointers[fpath] = pointer
        if self.line is not None:
            self.smap.lines[fpath] = self.line

    def put(self, fpath: FieldPath, value: Any, src_path: FieldPath | list | str | None = None) -> None:
        """Set ``value`` at ``fpath`` (creating dicts and list items on the way) unless it is None."""
        if value is None:
            return
        target: Any = self.data
        for i, part in enumerate(fpath[:-1]):
            nxt = fpath[i + 1]
            if isinstance(part, int):
                while len(target) <= part:
                    target.append({})
                target = target[part]
            else:
                if part not in target:
                    target[part] = [] if isinstance(nxt, int) else {}
                target = target[part]
        last = fpath[-1]
        if isinstance(last, int):
            while len(target) <= last:
                target.append(None)
            target[last] = value
        else:
            target[last] = value
        self.at(fpath, src_path)

    def infer(self, fpath: FieldPath, value: Any, src_path: FieldPath | list | str | None, because: str) -> None:
        """Set a value the source implies but does not state, unless it was mapped; record why."""
        if value is None or value_at(self.data, fpath) is not None:
            return
        self.put(fpath, value, src_path)
        self.inferred[tuple(fpath)] = because

    def apply_defaults(self, layers: list[tuple[dict[str, Any], dict[str, Any], str]]) -> None:
        """Fill fields the input did not give from govern.yaml's importer defaults (mapped and inferred
        values win; of the layers, the first one that has a field gives it). Each filled field records
        the govern.yaml key it came from, as inferred values do."""
        names = {"id": self.data.get("id"), "name": self.data.get("name") or _last(self.data.get("id")),
                 "domain": self.data.get("domain")}
        for defaults, port_defaults, where in layers:
            for fpath in _fill(self.data, _templated(defaults, names), ()):
                self.inferred.setdefault(fpath, f"{CONFIG_SOURCE}{where}.defaults")
            for k, port in enumerate(self.data.get("outputPorts") or []):
                if isinstance(port, dict):
                    for fpath in _fill(port, port_defaults, ("outputPorts", k)):
                        self.inferred.setdefault(fpath, f"{CONFIG_SOURCE}{where}.portDefaults")

    def apply_overrides(self, layers: list[tuple[dict[str, Any], dict[str, Any], str]]) -> None:
        """Set what govern.yaml's importer overrides declare over what was inferred (and where nothing was
        given); a value the source writes is never replaced. Of the layers, the first one that has a field
        gives it. Each set field records the govern.yaml key, and the inferred value it replaced."""
        names = {"id": self.data.get("id"), "name": self.data.get("name") or _last(self.data.get("id")),
                 "domain": self.data.get("domain")}
        done: set[tuple] = set()
        for overrides, port_overrides, where in layers:
            for fpath, value in _leaves(_templated(overrides, names), ()):
                self._override(fpath, value, f"{CONFIG_SOURCE}{where}.overrides", done)
            for k, port in enumerate(self.data.get("outputPorts") or []):
                if isinstance(port, dict):
                    for fpath, value in _leaves(_templated(port_overrides, names), ("outputPorts", k)):
                        self._override(fpath, value, f"{CONFIG_SOURCE}{where}.portOverrides", done)

    def _override(self, fpath: tuple, value: Any, because: str, done: set[tuple]) -> None:
        if fpath in done:
            return  # a more specific layer (the domain's, the format's) set it
        current = value_at(self.data, fpath)
        replaced = provenance_in(self.inferred, fpath)
        if current is not None and replaced is None:
            return  # the source writes it: the team changes it there
        target: Any = self.data
        for part in fpath[:-1]:
            if isinstance(part, int):  # an output port (portOverrides): it exists, it is never created
                if not isinstance(target, list) or not 0 <= part < len(target):
                    return
            elif not isinstance(target, dict):
                return
            elif target.get(part) is None:
                target[part] = {}
            target = target[part]
        if not isinstance(target, dict):
            return
        target[fpath[-1]] = _copy(value)
        done.add(fpath)
        for paths in (self.smap.lines, self.smap.pointers):  # located at the product: the value is govern.yaml's
            for key in [k for k in paths if k[:len(fpath)] == fpath]:
                del paths[key]
        if replaced is not None and replaced.field == field_path_text(fpath):
            because += f" (instead of {_shown(current)}, {replaced.text().removeprefix(replaced.field + ' ')})"
        self.inferred[fpath] = because

    def finish(self, ctx: Any, fmt: str) -> None:
        """Apply govern.yaml's overrides, then its defaults, for the format and the product's domain."""
        domain = self.data.get("domain")
        domain = domain if isinstance(domain, str) else None
        self.apply_overrides(ctx.options.overrides_for(fmt, domain))
        self.apply_defaults(ctx.options.defaults_for(fmt, domain))

    def product(self, origin: str, sql: list[SqlSource] | None = None) -> tuple[Product | None, list[Finding]]:
        """Validate the mapped data like a native manifest (same messages, locations into the original)."""
        from govern.load.manifest import parse_manifest

        self.data.setdefault("kind", "DataProduct")
        product, findings = parse_manifest(self.data, self.smap, origin=origin, inferred=self.inferred)
        if product is not None and sql:
            product.sql = list(sql)
        if product is not None:
            product.inferred = {k: v for k, v in self.inferred.items() if value_at(self.data, k) is not None}
            product.consequences = dict(self.consequences)
        return product, findings


def _last(pid: Any) -> str | None:
    return pid.rsplit(".", 1)[-1] if isinstance(pid, str) else None


_TEMPLATE = re.compile(r"\{(id|name|domain)\}")


def _templated(value: Any, names: dict[str, Any]) -> Any:
    """Defaults with ``{id}``, ``{name}`` and ``{domain}`` replaced by the product's (a naming convention
    declared once: ``execution: {job: "airflow:{domain}/{name}"}``); a name the product lacks stays as written."""
    if isinstance(value, dict):
        return {k: _templated(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_templated(v, names) for v in value]
    if isinstance(value, str) and "{" in value:
        return _TEMPLATE.sub(lambda m: str(names[m.group(1)]) if isinstance(names.get(m.group(1)), str)
                             else m.group(0), value)
    return value


def _leaves(values: Any, at: tuple) -> list[tuple[tuple, Any]]:
    """(field path, value) of every value of a nested mapping that is not itself a mapping."""
    out: list[tuple[tuple, Any]] = []
    for key, value in values.items():
        if isinstance(value, dict) and value:
            out.extend(_leaves(value, (*at, key)))
        else:
            out.append(((*at, key), value))
    return out


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def _fill(target: dict, defaults: dict, at: tuple) -> list[tuple]:
    """Set the fields of ``defaults`` that ``target`` lacks; the field paths set (below ``at``)."""
    filled: list[tuple] = []
    for key, value in defaults.items():
        if key not in target or target[key] is None:
            target[key] = _copy(value)
            filled.append((*at, key))
        elif isinstance(target[key], dict) and isinstance(value, dict):
            filled.extend(_fill(target[key], value, (*at, key)))
    return filled


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def invalid(message: str, path: str, line: int | None = None, pointer: str | None = None,
            product: str | None = None, rule: str = INPUT_INVALID, severity: Severity = Severity.ERROR) -> Finding:
    """A loader finding about an input file (malformed structure, unsupported version, ...)."""
    return Finding(rule=rule, standard=META_STANDARD, severity=severity, message=message, product=product,
                   location=Location(path, line, None, pointer), engine="loader")


def contract_invalid(message: str, path: str, line: int | None = None, pointer: str | None = None,
                     product: str | None = None) -> Finding:
    return invalid(message, path, line, pointer, product, rule=MANIFEST_INVALID)


def read_json(path: Path, display: str) -> Any:
    """Parse a JSON file (bounded size). Raises InputError with line and column."""
    try:
        size = path.stat().st_size
        if size > MAX_JSON_BYTES:
            raise InputError(f"file is larger than {MAX_JSON_BYTES} bytes ({size})", path=display)
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", path=display) from None
    return parse_json(raw, display)


def parse_json(raw: bytes | str, display: str, line_offset: int = 0) -> Any:
    """Parse JSON text; a syntax error is an InputError at its line and column."""
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1 if isinstance(raw, bytes) else None
        raise InputError(f"not valid UTF-8 (byte {exc.start})", path=display, line=line) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"JSON syntax error: {exc.msg}", path=display, line=exc.lineno + line_offset,
                         column=exc.colno) from None
    except RecursionError:
        raise InputError("JSON nesting is too deep", path=display) from None


def team_id(name: str | None, org: Any) -> str | None:
    """The org.yaml team a team name refers to (by id, then by display name), else the name itself."""
    if not name:
        return None
    if org is not None:
        for team in org.teams:
            if team.id == name:
                return team.id
        low = name.strip().lower()
        for team in org.teams:
            if (team.name or "").strip().lower() == low or slug(team.id) == slug(name):
                return team.id
    return name


def team_domain(team: str | None, org: Any) -> str | None:
    if not team or org is None:
        return None
    for t in org.teams:
        if t.id == team:
            return t.domain
    return None
