"""Load a mesh: find the root, discover manifests, read org.yaml, waivers.yaml and govern.yaml.

Every problem with one file becomes a finding for that file; the rest of the mesh still loads.
Only a broken ``govern.yaml`` stops loading (ConfigError), because without it no decision is sound.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from govern.errors import ConfigError, InputError
from govern.findings import (
    INPUT_INVALID,
    MANIFEST_INVALID,
    MANIFEST_UNKNOWN_FIELD,
    META_STANDARD,
    Finding,
    Location,
    Severity,
)
from govern.model import DataProduct, GovernConfig, Org, Product, Waiver
from govern.paths import (
    INPUT_OUTSIDE_ROOT,
    INPUT_SYMLINK_SKIPPED,
    config_path_inside,
    forget_roots,
    is_inside,
    real_path,
    real_root,
    resolve_inside,
    root_file,
    unambiguous_marker_root,
)
from govern.suggest import did_you_mean
from govern.yamlio import FieldPath, SourceMap, load_yaml_mapping

MANIFEST_NAMES = ("dataproduct.yaml", "dataproduct.yml")
INPUT_NOT_DISCOVERED = "input.not-discovered"  # a manifest in a folder discovery does not walk (an error)
INPUT_MISNAMED = "input.misnamed"  # DataProduct.yaml: a manifest name in the wrong case (an error)
INPUT_NESTED_ROOT = "input.nested-root"  # govern.yaml or org.yaml in a folder below the mesh root
_NEVER_SEARCHED = (".git", ".govern-cache")  # skipped folders not even searched for manifests
SKIP_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".govern-cache", "target"}
_INPUT_SUFFIXES = (".yaml", ".yml", ".json", ".ndjson", ".jsonl")  # inputs of other formats (govern/importers)
MAX_FINDINGS_PER_FILE = 50  # beyond this, one summary finding (a file with 90,000 unknown keys)


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
    # Observed at runtime (OpenLineage events, govern/importers/openlineage.py): lineage edges of
    # kind "runtime", and the facts its rules read (dropped datasets, observed owners).
    observed_edges: list[Any] = field(default_factory=list)
    runtime: Any = None

    def index(self) -> None:
        """(Re)build the id index; the first manifest by path wins for duplicate ids."""
        self.products.sort(key=lambda p: (p.path, p.id))
        self.by_id = {}
        for product in self.products:
            self.by_id.setdefault(product.id, product)

    def relpath(self, path: Path) -> str:
        return relative_to_root(path, self.root)


def relative_to_root(path: Path, root: Path) -> str:
    """A POSIX path relative to the mesh root (absolute only if outside it)."""
    try:
        return real_path(path).relative_to(real_root(root)).as_posix()
    except (ValueError, OSError, RuntimeError):  # outside the root, or a symlink loop
        return path.as_posix()


def find_mesh_root(start: Path) -> Path:
    """Walk up from ``start`` to the nearest govern.yaml or org.yaml, else the dbt project (the folder of
    ``dbt_project.yml`` next to ``start`` or above its ``target/``), else the git work tree, else start.
    Raises ConfigError when a directory above the nearest marker holds one too (nested mesh roots)."""
    marked = unambiguous_marker_root(start)  # ConfigError when nested mesh roots make the choice ambiguous
    if marked is not None:
        return Path(marked)
    start = start.resolve()
    here = start if start.is_dir() else start.parent
    for candidate in (here, here.parent):  # a dbt project, or its target/ folder (govern check --dbt ...)
        if (candidate / "dbt_project.yml").is_file() and (candidate == here or here.name == "target"):
            return candidate
    return next((c for c in (here, *here.parents) if (c / ".git").exists()), here)


def _field_path_text(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


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


def validation_findings(exc: ValidationError, smap: SourceMap, product: str | None, rule: str,
                        prefix: FieldPath = ()) -> list[Finding]:
    """One error finding per pydantic error, at the line of the field (``prefix``: where the model sits)."""
    out = []
    for err in exc.errors(include_url=False):
        loc = (*prefix, *err["loc"])
        where = _field_path_text(loc) or "(document)"
        expected = err["msg"]
        if err["type"] == "missing":
            message = f"field '{where}' is required"
        else:
            got = err.get("input")
            shown = repr(got) if not isinstance(got, (dict, list)) else type(got).__name__
            message = f"field '{where}': {expected} (got {shown[:80]})"
        out.append(
            Finding(
                rule=rule,
                standard=META_STANDARD,
                severity=Severity.ERROR,
                message=message,
                product=product,
                location=Location(smap.path, smap.line_of(loc), pointer=smap.pointer_of(loc)),
                engine="loader",
            )
        )
    return _capped(out, "invalid fields")


def known_field_names(model: type[BaseModel]) -> list[str]:
    """The names a manifest may use for the fields of ``model`` (aliases where a field has one)."""
    return [info.alias or name for name, info in model.model_fields.items()]


def unknown_field_findings(model: BaseModel, smap: SourceMap, product: str | None,
                           prefix: FieldPath = ()) -> list[Finding]:
    """Warnings for fields the model does not know (kept, never silently dropped)."""
    out: list[Finding] = []

    def walk(obj: Any, fpath: FieldPath) -> None:
        if isinstance(obj, BaseModel):
            for name in sorted(obj.model_extra or {}):
                out.append(
                    Finding(
                        rule=MANIFEST_UNKNOWN_FIELD,
                        standard=META_STANDARD,
                        severity=Severity.WARNING,
                        message=f"unknown field '{_field_path_text((*fpath, name))}' is not part of the model"
                                f"{did_you_mean(name, known_field_names(type(obj)))}",
                        product=product,
                        location=Location(smap.path, smap.line_of((*fpath, name)),
                                          pointer=smap.pointer_of((*fpath, name))),
                        engine="loader",
                    )
                )
            for name in type(obj).model_fields:
                walk(getattr(obj, name), (*fpath, name))
        elif isinstance(obj, list):
            for i, item in enumerate(obj):
                walk(item, (*fpath, i))

    walk(model, prefix)
    return _capped(out, "unknown fields")


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


def parse_manifest(data: dict, smap: SourceMap, origin: str = "native") -> tuple[Product | None, list[Finding]]:
    """Validate manifest data into a Product, or return findings that say what is wrong where."""
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
        return None, validation_findings(exc, smap, pid, MANIFEST_INVALID)
    product = Product(model=model, source=smap, data=data, origin=origin)
    return product, unknown_field_findings(model, smap, model.id)


@dataclass
class Unwalked:
    """What discovery saw but did not read: the caller reports it (see ``discovery_findings``)."""

    pruned: list[Path] = field(default_factory=list)  # skipped and hidden folders (SKIP_DIRS, .name)
    misnamed: list[Path] = field(default_factory=list)  # DataProduct.yaml, DATAPRODUCT.YML, ...
    markers: list[Path] = field(default_factory=list)  # govern.yaml / org.yaml below the mesh root


def discover(paths: list[Path], root: Path, exclude: list[str], skipped: list[Path] | None = None,
             unreadable: list[tuple[Path, str]] | None = None, unwalked: Unwalked | None = None) -> list[Path]:
    """Manifest files under ``paths``, sorted; never follows links out of the mesh root.

    Manifests and directory links that lead outside the root (or into a link loop) are not read;
    they are appended to ``skipped`` so the caller can report them. Folders that cannot be listed are
    appended to ``unreadable`` with the reason. ``unwalked`` receives the folders not walked, files
    named like a manifest in the wrong case and root markers below the root.
    """
    real_top = os.path.realpath(root)
    found: set[Path] = set()
    outside: set[Path] = set()

    def cannot_list(exc: OSError) -> None:
        if unreadable is not None and exc.filename is not None:
            unreadable.append((Path(exc.filename), exc.strerror or str(exc)))

    def inside_root(p: Path) -> bool:
        if is_inside(p, root):
            return True
        outside.add(p)
        return False

    def excluded(p: Path) -> bool:
        rel = relative_to_root(p, root)
        return any(fnmatch.fnmatch(rel, pat) for pat in exclude)

    for start in paths:
        if start.is_file():
            if not excluded(start) and inside_root(start):
                found.add(real_path(start))
            continue
        for dirpath, dirnames, filenames in os.walk(start, onerror=cannot_list, followlinks=False):
            if unwalked is not None:
                unwalked.pruned.extend(Path(dirpath) / d for d in dirnames
                                       if (d in SKIP_DIRS or d.startswith(".")) and d not in _NEVER_SEARCHED)
                if ("govern.yaml" in filenames or "org.yaml" in filenames) and os.path.realpath(dirpath) != real_top:
                    unwalked.markers.append(Path(dirpath))
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
            for d in dirnames:  # links are not followed; say so when one leaves the root
                link = Path(dirpath) / d
                if link.is_symlink():
                    inside_root(link)
            for name in filenames:
                if name in MANIFEST_NAMES:
                    candidate = Path(dirpath) / name
                    if not excluded(candidate) and inside_root(candidate):
                        found.add(real_path(candidate))
                elif name.lower() in MANIFEST_NAMES:
                    candidate = Path(dirpath) / name
                    if unwalked is not None and not excluded(candidate):
                        unwalked.misnamed.append(candidate)
                elif name.lower().endswith(_INPUT_SUFFIXES) and not name.startswith("."):
                    # a contract or event file of another format (govern/importers) linked out of the root
                    # is not read either: say so instead of dropping it silently
                    candidate = Path(dirpath) / name
                    if os.path.islink(candidate) and not excluded(candidate):
                        inside_root(candidate)
            if "dbt_project.yml" in filenames:  # target/ is not walked; the importer reads its manifest.json
                built = Path(dirpath) / "target" / "manifest.json"
                if os.path.islink(built) and not excluded(built):
                    inside_root(built)
    if skipped is not None:
        skipped.extend(sorted(outside, key=lambda p: p.as_posix()))
    return sorted(found, key=lambda p: p.as_posix())


def _loader_error(rule: str, message: str, path: str, severity: Severity = Severity.ERROR) -> Finding:
    return Finding(rule=rule, standard=META_STANDARD, severity=severity, message=message,
                   location=Location(path, None), engine="loader")


def _unwalked_folder(rel: str) -> str | None:
    """The first folder of ``rel`` that discovery does not walk ('crm/node_modules'), or None."""
    parts = rel.split("/")
    for i, part in enumerate(parts[:-1]):
        if part in SKIP_DIRS or part.startswith("."):
            return "/".join(parts[:i + 1])
    return None


def _tracked_manifests(root: Path) -> list[str] | None:
    """Files git tracks under ``root`` named like a manifest in any case (paths relative to the root), or
    None when ``root`` is not in a git work tree or git cannot answer."""
    from govern.gitbase import GitError, find_work_tree, run_git, split_z

    if find_work_tree(root) is None:
        return None
    specs = [f":(icase,glob)**/{name}" for name in MANIFEST_NAMES]
    try:
        return split_z(run_git(["ls-files", "-z", "--", *specs], root, timeout=20))
    except GitError:
        return None


def _searched_manifests(folders: list[Path], root: Path) -> list[str]:
    """Files named like a manifest in any case under ``folders`` (not walked by discovery), relative to
    the root; without git this walk stands in for ``git ls-files``."""
    out: list[str] = []
    for folder in folders:
        if os.path.islink(folder):
            continue
        for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if d not in _NEVER_SEARCHED)
            out.extend(relative_to_root(Path(dirpath) / n, root) for n in filenames if n.lower() in MANIFEST_NAMES)
    return out


def discovery_findings(root: Path, starts: list[Path], exclude: list[str], unwalked: Unwalked,
                       marker_chosen: bool) -> list[Finding]:
    """Errors for what a walk of the folders ``starts`` did not read and must not silently miss.

    - a manifest in a folder discovery does not walk (``SKIP_DIRS``, hidden folders): git is asked once for
      its tracked files named like a manifest; without git the skipped folders are searched by name;
    - a file named like a manifest in the wrong case (``DataProduct.yaml``);
    - ``govern.yaml`` or ``org.yaml`` below the root: an error when the root was chosen by markers (the
      folder may be meant as a mesh of its own), a warning when ``--root`` chose it.
    """
    out = [_loader_error(INPUT_MISNAMED, f"named '{p.name}': govern reads only dataproduct.yaml or "
                                         f"dataproduct.yml; rename it", relative_to_root(p, root))
           for p in unwalked.misnamed]
    tracked = _tracked_manifests(root)
    if tracked is None:
        candidates, what = _searched_manifests(unwalked.pruned, root), "manifest"
    else:
        within = [relative_to_root(p, root) for p in starts]
        whole = "." in within  # the root itself is one of the folders: every tracked manifest counts
        candidates, what = [c for c in tracked if whole or any(c.startswith(w + "/") for w in within)
                            ], "tracked manifest"
    for rel in sorted(set(candidates)):
        folder = _unwalked_folder(rel)
        if folder is None or any(fnmatch.fnmatch(rel, pat) for pat in exclude):
            continue
        if not os.path.lexists(root / rel):
            continue  # tracked, but deleted in the work tree
        out.append(_loader_error(INPUT_NOT_DISCOVERED, f"{what} in a folder govern does not walk ({folder}/): it "
                                 "is not checked; move it, or list the folder in exclude: of govern.yaml", rel))
    for folder in unwalked.markers:
        names = " and ".join(n for n in ("govern.yaml", "org.yaml") if (folder / n).is_file())
        rel = relative_to_root(folder, root)
        if marker_chosen:
            out.append(_loader_error(INPUT_NESTED_ROOT, f"{names} in a folder below the mesh root: '{rel}' looks "
                                     "like a mesh of its own inside this one; pass --root, or remove it",
                                     f"{rel}/{names.split()[0]}"))
        else:
            out.append(_loader_error(INPUT_NESTED_ROOT, f"{names} in a folder below the mesh root (--root): it is "
                                     "not read; its products are checked as part of this mesh",
                                     f"{rel}/{names.split()[0]}", Severity.WARNING))
    return out


def outside_root_finding(path: Path, root: Path) -> Finding:
    """An error for a link or path under the mesh that leads outside the root (not read, so not checked:
    the gate blocks, and no waiver applies)."""
    try:
        shown = path.absolute().relative_to(root.absolute()).as_posix()
    except ValueError:
        shown = path.as_posix()
    try:
        target = os.readlink(path) if path.is_symlink() else None
    except OSError:
        target = None
    detail = f"symbolic link to '{target}'" if target is not None else "path"
    return Finding(
        rule=INPUT_SYMLINK_SKIPPED,
        standard=META_STANDARD,
        severity=Severity.ERROR,
        message=f"{detail} leaves the mesh root (or loops); it was not followed, so what it holds is not checked",
        location=Location(shown, None),
        engine="loader",
    )


def unreadable_folder_finding(path: Path, reason: str, root: Path) -> Finding:
    """An error for a folder of the mesh that cannot be listed: the manifests in it are not checked."""
    return Finding(
        rule=INPUT_INVALID,
        standard=META_STANDARD,
        severity=Severity.ERROR,
        message=f"folder cannot be read ({reason}); the manifests in it are not checked",
        location=Location(relative_to_root(path, root), None),
        engine="loader",
    )


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


def load_config(root: Path, findings: list[Finding] | None = None) -> GovernConfig:
    """Read govern.yaml at the mesh root (defaults when absent). A broken config is a ConfigError.

    An unknown key (a typo such as ``standard:``, which would silently drop the version pin) is a
    ConfigError with the closest known key. ``findings`` receives the warnings of reading it (none today).
    """
    try:
        path = root_file(root, "govern.yaml")
        if path is None or not path.is_file():
            return GovernConfig()
        data, smap = load_yaml_mapping(path, "govern.yaml", "govern.yaml")
        config = GovernConfig.model_validate(data)
        _check_config_paths(config, smap, root)
        unknown = unknown_field_findings(config, smap, None)
        if unknown:
            raise ConfigError(f"{unknown[0].message}; govern.yaml accepts no unknown keys", path="govern.yaml",
                              line=unknown[0].location.line)
        return config
    except InputError as exc:
        raise ConfigError(exc.message, path=exc.path, line=exc.line, field=exc.field) from None
    except ValidationError as exc:
        first = validation_findings(exc, smap, None, "config.invalid")[0]
        raise ConfigError(first.message, path="govern.yaml", line=first.location.line) from None


def _check_config_paths(config: GovernConfig, smap: SourceMap, root: Path) -> None:
    """``standards.path`` and ``history`` must stay inside the mesh root (InputError at their line)."""
    for fpath, value in ((("standards", "path"), config.standards.path), (("history",), config.history)):
        if value is None:
            continue
        try:
            config_path_inside(root, value)
        except InputError as exc:
            raise InputError(exc.message, path="govern.yaml", line=smap.line_of(fpath), field=".".join(fpath),
                             expected=exc.expected) from None


def _root_input(mesh: Mesh, name: str) -> Path | None:
    """``org.yaml`` or ``waivers.yaml`` of the root; a link out of the root is an error finding instead."""
    try:
        path = root_file(mesh.root, name)
    except InputError as exc:
        mesh.findings.append(input_error_finding(exc, INPUT_OUTSIDE_ROOT))
        return None
    return path if path is not None and path.is_file() else None


def _load_org(mesh: Mesh) -> None:
    path = _root_input(mesh, "org.yaml")
    if path is None:
        return
    try:
        data, smap = load_yaml_mapping(path, "org.yaml", "org.yaml")
        mesh.org = Org.model_validate(data)
        mesh.org_source = smap
        mesh.findings.extend(unknown_field_findings(mesh.org, smap, None))
    except InputError as exc:
        mesh.findings.append(input_error_finding(exc))
    except ValidationError as exc:
        mesh.findings.extend(validation_findings(exc, smap, None, INPUT_INVALID))


def _load_waivers(mesh: Mesh) -> None:
    path = _root_input(mesh, "waivers.yaml")
    if path is None:
        return
    mesh.waivers_path = "waivers.yaml"
    try:
        data, smap = load_yaml_mapping(path, "waivers.yaml", "waivers.yaml")
    except InputError as exc:
        mesh.findings.append(input_error_finding(exc))
        return
    entries = data.get("waivers")
    if not isinstance(entries, list):
        mesh.findings.append(
            Finding(INPUT_INVALID, META_STANDARD, Severity.ERROR,
                    "waivers.yaml must have a top-level 'waivers:' list", None,
                    Location("waivers.yaml", smap.line_of(("waivers",))), engine="loader")
        )
        return
    for i, entry in enumerate(entries):
        try:
            waiver = Waiver.model_validate(entry)
        except ValidationError as exc:
            mesh.findings.extend(validation_findings(exc, smap, None, INPUT_INVALID, prefix=("waivers", i)))
            continue
        mesh.findings.extend(unknown_field_findings(waiver, smap, None, prefix=("waivers", i)))
        mesh.waivers.append(LoadedWaiver(waiver, smap.line_of(("waivers", i)), i))


def load_manifest_file(path: Path, root: Path) -> tuple[Product | None, list[Finding]]:
    """Read and validate one manifest file."""
    display = relative_to_root(path, root)
    try:
        data, smap = load_yaml_mapping(path, display, "a data product manifest")
    except InputError as exc:
        return None, [input_error_finding(exc, MANIFEST_INVALID)]
    product, findings = parse_manifest(data, smap)
    if product is not None:
        findings.extend(check_code_paths(product, path, root))
    return product, findings


def load_mesh(paths: list[str | Path] | None = None, root: str | Path | None = None,
              formats: dict[str | Path, str] | None = None, root_given: bool | None = None) -> Mesh:
    """Load every manifest under ``paths`` (default: the mesh root) plus the root's config files.

    Inputs of other formats under ``paths`` (dbt, ODCS, ODPS, OpenLineage; govern/importers) are
    detected by content and imported too; ``formats`` forces the format of named files.
    ``root_given`` (default: ``root`` is not None) says the operator chose the root (``--root``), not
    its markers: a root marker below it is then a warning, not an error.
    """
    forget_roots()  # resolved roots are remembered within one load only (govern/paths.py)
    path_list = [Path(p) for p in (paths or [])]
    for p in path_list:
        if not p.exists():
            raise ConfigError("path does not exist", path=str(p))
    root_path = Path(root).resolve() if root else find_mesh_root(path_list[0] if path_list else Path.cwd())
    config_findings: list[Finding] = []
    config = load_config(root_path, config_findings)
    mesh = Mesh(root=root_path, config=config, findings=config_findings)
    _load_org(mesh)
    _load_waivers(mesh)
    skipped: list[Path] = []
    unreadable: list[tuple[Path, str]] = []
    unwalked = Unwalked()
    starts = path_list or [root_path]
    manifests = discover(starts, root_path, config.exclude, skipped, unreadable, unwalked)
    mesh.findings.extend(outside_root_finding(p, root_path) for p in skipped)
    mesh.findings.extend(unreadable_folder_finding(p, why, root_path) for p, why in unreadable)
    folders = [p for p in starts if p.is_dir()]
    if folders:  # what the walk of these folders did not read (files named on their own are read as given)
        given = root is not None if root_given is None else root_given
        mesh.findings.extend(discovery_findings(root_path, folders, config.exclude, unwalked, not given))
    from govern import importers  # lazy: only meshes with such inputs pay for them

    foreign = importers.find_inputs(path_list or [root_path], root_path, config.exclude, formats)
    for manifest in manifests:
        if manifest in foreign:
            continue
        product, problems = load_manifest_file(manifest, root_path)
        mesh.findings.extend(problems)
        if product is not None:
            mesh.products.append(product)
    mesh.index()
    importers.load_inputs(mesh, foreign)
    return mesh
