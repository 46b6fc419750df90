"""Load a mesh: find the root, discover manifests, read org.yaml, waivers.yaml and govern.yaml.

Every problem with one file becomes a finding for that file; the rest of the mesh still loads.
Only a broken ``govern.yaml`` stops loading (ConfigError), because without it no decision is sound.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from govern.load.discovery import (
    Unwalked,
    discover,
    discovery_findings,
    find_mesh_root,
    outside_root_finding,
    unreadable_folder_finding,
)
from govern.load.manifest import (
    input_error_finding,
    load_manifest_file,
    unknown_field_findings,
    validation_findings,
)
from govern.load.paths import (
    INPUT_OUTSIDE_ROOT,
    config_path_inside,
    forget_roots,
    missing_path_message,
    root_file,
)
from govern.load.yamlio import load_yaml_mapping
from govern.model.errors import ConfigError, InputError
from govern.model.findings import (
    INPUT_INVALID,
    META_STANDARD,
    Finding,
    Location,
    Severity,
)
from govern.model.mesh import LoadedWaiver, Mesh
from govern.model.product import GovernConfig, Org, Waiver, WaiverFile
from govern.model.source import SourceMap

if TYPE_CHECKING:  # not imported at run time: the pre-commit path stays as it was
    from govern.model.progress import Progress


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
    except InputError as exc:
        mesh.findings.append(input_error_finding(exc))
        return
    try:
        org = Org.model_validate(data)
    except ValidationError as exc:
        # An error that blocks. The org is then read as absent (owners' teams stand for themselves), not
        # as what is left of it: a team without its members would deny reads that are allowed.
        mesh.findings.extend(validation_findings(exc, smap, None, INPUT_INVALID))
        return
    mesh.org, mesh.org_source = org, smap
    # A key org.yaml does not know may hold a fact the access policies need (a misspelt 'members'
    # loses a team's members): an error that blocks, at its line, with the closest key.
    mesh.findings.extend(unknown_field_findings(org, smap, None, rule=INPUT_INVALID, severity=Severity.ERROR,
                                                note="; org.yaml accepts no unknown keys"))


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
    # Only 'waivers:' is read: another top-level key cannot widen a waiver, so it is a warning. A waiver
    # with a field govern does not know does not apply (govern/evaluate/waivers.py): it may mean less
    # than it says ('column: email' does not narrow it).
    others = {k: v for k, v in data.items() if k != "waivers"}
    if others:
        mesh.findings.extend(unknown_field_findings(WaiverFile.model_validate(others), smap, None))
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
        mesh.waivers.append(LoadedWaiver(waiver, smap.line_of(("waivers", i)), i))


def load_mesh_files(root: Path) -> Mesh:
    """The mesh files of ``root`` (govern.yaml, org.yaml, waivers.yaml) in a Mesh without products: what
    changed-files mode starts from before it knows which products to read."""
    forget_roots()
    findings: list[Finding] = []
    mesh = Mesh(root=root, config=load_config(root, findings), findings=findings)
    _load_org(mesh)
    _load_waivers(mesh)
    return mesh


def load_mesh(paths: list[str | Path] | None = None, root: str | Path | None = None,
              formats: dict[str | Path, str] | None = None, root_given: bool | None = None,
              progress: Progress | None = None) -> Mesh:
    """Load every manifest under ``paths`` (default: the mesh root) plus the root's config files.

    Inputs of other formats under ``paths`` (dbt, ODCS, ODPS, OpenLineage; govern/load/importers) are
    detected by content and imported too; ``formats`` forces the format of named files.
    ``root_given`` (default: ``root`` is not None) says the operator chose the root (``--root``), not
    its markers: a root marker below it is then a warning, not an error. ``progress`` is called as
    ``progress("load", done, total)`` while the manifests are read (govern/model/progress.py).
    """
    forget_roots()  # resolved roots are remembered within one load only (govern/load/paths.py)
    path_list = [Path(p) for p in (paths or [])]
    for p in path_list:
        if not p.exists():
            raise ConfigError(missing_path_message(p), path=str(p))
    root_path = Path(root).resolve() if root else find_mesh_root(path_list[0] if path_list else Path.cwd())
    mesh = load_mesh_files(root_path)
    config = mesh.config
    skipped: list[Path] = []
    unreadable: list[tuple[Path, str]] = []
    unwalked = Unwalked()
    starts = path_list or [root_path]
    relpaths: dict[Path, str] = {}
    manifests = discover(starts, root_path, config.exclude, skipped, unreadable, unwalked, relpaths)
    mesh.findings.extend(outside_root_finding(p, root_path) for p in skipped)
    mesh.findings.extend(unreadable_folder_finding(p, why, root_path) for p, why in unreadable)
    folders = [p for p in starts if p.is_dir()]
    if folders:  # what the walk of these folders did not read (files named on their own are read as given)
        given = root is not None if root_given is None else root_given
        mesh.findings.extend(discovery_findings(root_path, folders, config.exclude, unwalked, not given))
    from govern.load import importers  # lazy: only meshes with such inputs pay for them

    foreign = importers.find_inputs(path_list or [root_path], root_path, config.exclude, formats)
    for done, manifest in enumerate(manifests, 1):
        if manifest not in foreign:
            product, problems = load_manifest_file(manifest, root_path, relpaths.get(manifest))
            mesh.findings.extend(problems)
            if product is not None:
                mesh.products.append(product)
        if progress is not None:
            progress("load", done, len(manifests))
    mesh.index()
    importers.load_inputs(mesh, foreign)
    return mesh
