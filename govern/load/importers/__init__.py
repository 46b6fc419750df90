"""Importers: what teams already have, mapped into the internal product model.

Formats (``FORMATS``): ``dbt`` (manifest.json), ``odcs`` (Open Data Contract Standard v3 YAML), ``odps``
(Open Data Product Standard v1 YAML), ``openlineage`` (JSON or NDJSON events). ``native`` is the
``dataproduct.yaml`` of govern itself, loaded by govern/load/loader.py.

``detect(path)`` decides by content (the first 16 KB), with file names only as a hint;
``find_inputs`` walks the scanned paths for such files; ``load_inputs`` imports them into a mesh whose
native manifests are already loaded. Every importer maps into ``govern.model.product.DataProduct`` with a
``SourceMap`` into the original file, so the rules never see the source format.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from govern.load.importers.config import ImportersConfig
    from govern.model.mesh import Mesh

FORMATS = ("native", "dbt", "odcs", "odps", "openlineage")
HEAD_BYTES = 16384
_SUFFIXES = (".yaml", ".yml", ".json", ".ndjson", ".jsonl")
# Files of the mesh itself or of tools, never products.
NOT_INPUTS = {"govern.yaml", "org.yaml", "waivers.yaml", "dbt_project.yml", "profiles.yml", "packages.yml",
               "dependencies.yml", "selectors.yml", "package.json", "package-lock.json", "tsconfig.json"}
_YAML_KIND = re.compile(r"""^kind:\s*["']?([A-Za-z]+)""", re.M)
_YAML_API = re.compile(r"""^apiVersion:\s*["']?v?\d""", re.M)
_JSON_KIND = re.compile(r'"kind"\s*:\s*"([A-Za-z]+)"')
_JSON_API = re.compile(r'"apiVersion"\s*:\s*"v?\d')
# every foreign format has one of these in its first bytes (ODPS/ODCS: apiVersion, OpenLineage: eventTime)
# formats a file named dataproduct.yaml may hold (a product); anything else there is an invalid manifest
_MANIFEST_FORMATS = ("odps", "odcs")
_MANIFEST_NAMES = ("dataproduct.yaml", "dataproduct.yml")
_MARKERS = (b"apiVersion", b"DataContract", b"eventTime", b"eventType", b"dbt_schema_version")


def detect_text(head: str, name: str = "") -> str | None:
    """The format of a document from its first bytes (and its name, as a hint), or None."""
    from govern.load.importers import dbt, openlineage

    text = head.lstrip("\ufeff \t\r\n")
    lower = name.lower()
    if text[:1] in "{[" or lower.endswith((".json", ".ndjson", ".jsonl")):
        if dbt.looks_like(text):
            return "dbt"
        if openlineage.looks_like(text):
            return "openlineage"
        kind = _JSON_KIND.search(text)
        if kind and kind.group(1) == "DataContract":
            return "odcs"
        if kind and kind.group(1) == "DataProduct":
            return "odps" if _JSON_API.search(text) else "native"
        return None
    kind = _YAML_KIND.search(text)
    if kind is None:
        return None
    if kind.group(1) == "DataContract":
        return "odcs"
    if kind.group(1) == "DataProduct":
        # ODPS always carries apiVersion; the native manifest has none.
        return "odps" if _YAML_API.search(text) else "native"
    return None


def detect(path: str | Path) -> str | None:
    """The format of a file by its content (see ``FORMATS``), or None if it is none of them."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError:
        return None
    return detect_text(head.decode("utf-8", errors="replace"), p.name)


def _sniff(path: str) -> str | None:
    """``detect`` for a path string; a native manifest name needs only its first 4 KB."""
    size = 4096 if path.endswith(("dataproduct.yaml", "dataproduct.yml")) else HEAD_BYTES
    try:
        # O_NONBLOCK: a FIFO or device named like an input must not block the check
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                return None
            head = fh.read(size)
    except OSError:
        return None
    if not any(marker in head for marker in _MARKERS):
        return None  # a native manifest or no input at all: either way, not imported here
    return detect_text(head.decode("utf-8", errors="replace"), path)


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        return False


def find_inputs(paths: Iterable[Path], root: Path, exclude: list[str],
                formats: Mapping[Path, str] | None = None) -> dict[Path, str]:
    """Files of other formats under ``paths`` (resolved path → format).

    Files named explicitly are taken as given (``formats`` overrides detection for them); under a
    directory, YAML and JSON files are detected by content, and a ``dbt_project.yml`` brings its
    ``target/manifest.json``. Links out of the mesh root are not followed.
    """
    from govern.load.discovery import SKIP_DIRS
    from govern.load.manifest import relative_to_root

    overrides = {Path(k).resolve(): v for k, v in (formats or {}).items()}
    found: dict[Path, str] = {}

    def excluded(p: Path) -> bool:
        rel = relative_to_root(p, root)
        return any(fnmatch.fnmatch(rel, pat) for pat in exclude)

    def consider(path: str) -> None:
        # sniff first (plain strings, no pathlib): resolving paths costs more than reading the head
        # of a file, and nearly every file of a mesh is a native manifest or not an input at all
        fmt = (overrides.get(Path(path).resolve()) if overrides else None) or _sniff(path)
        if not fmt or fmt == "native":
            return
        if fmt not in _MANIFEST_FORMATS and os.path.basename(path) in _MANIFEST_NAMES:
            return  # a dbt manifest or events named dataproduct.yaml: the loader reads it and says it is invalid
        p = Path(path)
        if not excluded(p) and _inside(p, root):
            found[p.resolve()] = fmt

    for start in paths:
        start = Path(start)
        if start.is_file():
            resolved = start.resolve()
            fmt = overrides.get(resolved) or detect(start)
            if fmt and fmt != "native" and not excluded(start):
                found[resolved] = fmt  # named explicitly: read even from outside the root
            continue
        for dirpath, dirnames, filenames in os.walk(start, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
            if "dbt_project.yml" in filenames:
                manifest = os.path.join(dirpath, "target", "manifest.json")
                if os.path.isfile(manifest):
                    consider(manifest)
            for name in sorted(filenames):
                if name.startswith(".") or name in NOT_INPUTS or not name.lower().endswith(_SUFFIXES):
                    continue
                consider(os.path.join(dirpath, name))
    for p, fmt in overrides.items():  # --dbt FILE and --input-format on named files
        if p.is_file() and fmt != "native":
            found[p] = fmt
    return dict(sorted(found.items(), key=lambda kv: kv[0].as_posix()))


def options(mesh: Mesh) -> ImportersConfig:
    """The importers section of govern.yaml, validated (a bad one is a ConfigError with its line)."""
    from pydantic import ValidationError

    from govern.load.importers.config import ImportersConfig
    from govern.model.errors import ConfigError

    try:
        return ImportersConfig.model_validate(mesh.config.importers or {})
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = ("importers", *err["loc"])
        line = None
        try:
            from govern.load.yamlio import read_yaml_file

            line = read_yaml_file(mesh.root / "govern.yaml", "govern.yaml")[1].line_of(loc)
        except Exception:
            line = None
        field = ".".join(str(p) for p in loc)
        raise ConfigError(f"field '{field}': {err['msg']}", path="govern.yaml", line=line, field=field) from None


def load_inputs(mesh: Mesh, inputs: Mapping[Path, str]) -> None:
    """Import every input into the mesh (native manifests already loaded), then resolve runtime lineage.

    Order matters: ODCS contracts are read first (ODPS ports refer to them), contracts no ODPS product
    refers to become products of their own, then dbt (its sources may be ports of those products),
    and OpenLineage last, because events are matched against every product's ports.
    """
    from govern.load.importers import dbt, odcs, odps, openlineage
    from govern.load.importers.context import ImportContext
    from govern.load.manifest import relative_to_root

    if not inputs:
        return
    ctx = ImportContext(mesh=mesh, options=options(mesh))
    by_format: dict[str, list[tuple[Path, str]]] = {}
    for path, fmt in inputs.items():
        by_format.setdefault(fmt, []).append((path, relative_to_root(path, mesh.root)))
    contracts = odcs.parse_all(by_format.get("odcs", []), ctx)
    odps.load_all(by_format.get("odps", []), ctx, contracts)
    odcs.load_standalone(contracts, ctx)
    for path, display in by_format.get("dbt", []):
        dbt.load(path, display, ctx)
    mesh.products.extend(ctx.products)
    mesh.findings.extend(_once(ctx.findings))
    mesh.index()
    events = by_format.get("openlineage", [])
    if events:
        ctx.products.clear()
        ctx.findings.clear()
        openlineage.load_all(events, ctx)
        mesh.products.extend(ctx.products)
        mesh.findings.extend(_once(ctx.findings))
        mesh.index()


def _once(findings: list) -> list:
    """One finding per problem: the same rule, place and message is kept once (a document validated
    on two paths, e.g. a contract read standalone and through an ODPS port, says it once)."""
    seen: set[tuple] = set()
    out = []
    for f in findings:
        key = (f.rule, f.location.path, f.location.line, f.location.pointer, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def describe(fmt: str) -> str:
    """A human name of a format."""
    return {
        "native": "govern dataproduct.yaml",
        "dbt": "dbt manifest.json",
        "odcs": "ODCS data contract",
        "odps": "ODPS data product",
        "openlineage": "OpenLineage events",
    }.get(fmt, fmt)


__all__ = ["FORMATS", "describe", "detect", "detect_text", "find_inputs", "load_inputs", "options"]
