"""Discovery: the mesh root, the manifests under it, and what a walk must not miss silently."""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govern.load.manifest import MANIFEST_NAMES, relative_to_root
from govern.load.paths import (
    INPUT_SYMLINK_SKIPPED,
    is_inside,
    known_real,
    real_path,
    unambiguous_marker_root,
)
from govern.model.findings import (
    INPUT_INVALID,
    META_STANDARD,
    Finding,
    Location,
    Severity,
)

INPUT_NOT_DISCOVERED = "input.not-discovered"  # a manifest in a folder discovery does not walk (an error)
INPUT_MISNAMED = "input.misnamed"  # DataProduct.yaml: a manifest name in the wrong case (an error)
INPUT_NESTED_ROOT = "input.nested-root"  # govern.yaml or org.yaml in a folder below the mesh root
NEVER_SEARCHED = (".git", ".govern-cache")  # skipped folders not even searched for manifests
SKIP_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".govern-cache", "target"}
_INPUT_SUFFIXES = (".yaml", ".yml", ".json", ".ndjson", ".jsonl")  # inputs of other formats (govern/load/importers)


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


@dataclass
class Unwalked:
    """What discovery saw but did not read: the caller reports it (see ``discovery_findings``)."""

    pruned: list[Path] = field(default_factory=list)  # skipped and hidden folders (SKIP_DIRS, .name)
    misnamed: list[Path] = field(default_factory=list)  # DataProduct.yaml, DATAPRODUCT.YML, ...
    markers: list[Path] = field(default_factory=list)  # govern.yaml / org.yaml below the mesh root


def discover(paths: list[Path], root: Path, exclude: list[str], skipped: list[Path] | None = None,
             unreadable: list[tuple[Path, str]] | None = None, unwalked: Unwalked | None = None,
             relpaths: dict[Path, str] | None = None) -> list[Path]:
    """Manifest files under ``paths``, sorted; never follows links out of the mesh root.

    Manifests and directory links that lead outside the root (or into a link loop) are not read;
    they are appended to ``skipped`` so the caller can report them. Folders that cannot be listed are
    appended to ``unreadable`` with the reason. ``unwalked`` receives the folders not walked, files
    named like a manifest in the wrong case and root markers below the root. ``relpaths`` receives the
    mesh-relative path of each manifest found.

    Each folder is listed once (``os.scandir``); a folder reached from the real mesh root without following
    a link is itself real, so only links are resolved (every other path is known from the walk).
    """
    real_top = os.path.realpath(root)
    found: dict[Path, str] = {}
    outside: set[Path] = set()

    def inside_root(p: Path) -> bool:
        if is_inside(p, root):
            return True
        outside.add(p)
        return False

    def excluded(rel: str) -> bool:
        return any(fnmatch.fnmatch(rel, pat) for pat in exclude)

    for start in paths:
        if start.is_file():
            rel = relative_to_root(start, root)
            if not excluded(rel) and inside_root(start):
                found[real_path(start)] = rel
            continue
        real_start = os.path.realpath(start)
        if real_start != real_top and not real_start.startswith(real_top.rstrip(os.sep) + os.sep):
            # a folder outside the root (through a link): every manifest in it is outside too
            for dirpath, _dirs, filenames in os.walk(start, followlinks=False):
                outside.update(Path(dirpath) / n for n in filenames if n in MANIFEST_NAMES)
            continue
        _walk_folders(real_start, real_top, excluded, inside_root, found, unwalked,
                      unreadable if unreadable is not None else [])
    if skipped is not None:
        skipped.extend(sorted(outside, key=lambda p: p.as_posix()))
    if relpaths is not None:
        relpaths.update(found)
    return sorted(found, key=lambda p: p.as_posix())


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _walk_folders(start: str, real_top: str, excluded: Any, inside_root: Any, found: dict[Path, str],
                  unwalked: Unwalked | None, unreadable: list[tuple[Path, str]]) -> None:
    """``discover`` under one real folder ``start`` inside the real root ``real_top``."""
    prefix = len(real_top.rstrip(os.sep)) + 1
    todo = [start]
    while todo:
        dirpath = todo.pop()
        rel_dir = dirpath[prefix:] if len(dirpath) >= prefix else ""
        try:
            with os.scandir(dirpath) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            unreadable.append((Path(exc.filename if exc.filename is not None else dirpath),
                               exc.strerror or str(exc)))
            continue
        known_real(dirpath)
        names = {e.name for e in entries if not _is_dir(e)}  # the files, as os.walk would list them
        if unwalked is not None and ("govern.yaml" in names or "org.yaml" in names) and dirpath != real_top:
            unwalked.markers.append(Path(dirpath))
        subdirs = []
        for entry in entries:
            name = entry.name
            rel = f"{rel_dir}/{name}" if rel_dir else name
            link = entry.is_symlink()
            is_dir = _is_dir(entry)  # follows a link, as os.walk lists it (a link loop is a file)
            if is_dir:
                if name in SKIP_DIRS or name.startswith("."):
                    if unwalked is not None and name not in NEVER_SEARCHED:
                        unwalked.pruned.append(Path(dirpath, name))
                    continue
                if link:  # links are not followed; say so when one leaves the root
                    inside_root(Path(dirpath, name))
                else:
                    subdirs.append(entry.path)
                continue
            if name in MANIFEST_NAMES:
                if excluded(rel):
                    continue
                if not link:
                    found[Path(dirpath, name)] = rel  # a regular file in a real folder inside the root
                elif inside_root(Path(dirpath, name)):
                    found[real_path(Path(dirpath, name))] = rel
            elif name.lower() in MANIFEST_NAMES:
                if unwalked is not None and not excluded(rel):
                    unwalked.misnamed.append(Path(dirpath, name))
            elif link and name.lower().endswith(_INPUT_SUFFIXES) and not name.startswith(".") and not excluded(rel):
                # a contract or event file of another format (govern/load/importers) linked out of the root
                # is not read either: say so instead of dropping it silently
                inside_root(Path(dirpath, name))
        if "dbt_project.yml" in names:  # target/ is not walked; the importer reads its manifest.json
            built = Path(dirpath, "target", "manifest.json")
            rel = f"{rel_dir}/target/manifest.json" if rel_dir else "target/manifest.json"
            if os.path.islink(built) and not excluded(rel):
                inside_root(built)
        todo.extend(reversed(subdirs))


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
    from govern.load.git import GitError, find_work_tree, run_git, split_z
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
            dirnames[:] = sorted(d for d in dirnames if d not in NEVER_SEARCHED)
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
    found, what = manifests_not_walked(root, starts, exclude, unwalked.pruned)
    for rel, folder in found:
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


def manifests_not_walked(root: Path, starts: list[Path], exclude: list[str], pruned: list[Path],
                         ) -> tuple[list[tuple[str, str]], str]:
    """Manifests (named like one, in any case) under the folders ``starts`` that discovery does not walk,
    as sorted (path, unwalked folder) relative to the root, and what they are ("tracked manifest" when git
    answered, else "manifest": the ``pruned`` folders were searched by name)."""
    tracked = _tracked_manifests(root)
    if tracked is None:
        candidates, what = _searched_manifests(pruned, root), "manifest"
    else:
        within = [relative_to_root(p, root) for p in starts]
        whole = "." in within  # the root itself is one of the folders: every tracked manifest counts
        candidates, what = [c for c in tracked if whole or any(c.startswith(w + "/") for w in within)
                            ], "tracked manifest"
    found = []
    for rel in sorted(set(candidates)):
        folder = _unwalked_folder(rel)
        if folder is None or any(fnmatch.fnmatch(rel, pat) for pat in exclude):
            continue
        if not os.path.lexists(root / rel):
            continue  # tracked, but deleted in the work tree
        found.append((rel, folder))
    return found, what


def nested_markers(root: Path, exclude: list[str]) -> list[str]:
    """The ``govern.yaml`` (else ``org.yaml``) of each folder below the mesh root that holds one (of the
    folders discovery walks), relative to the root: settings a run from this root does not use, where
    ``input.nested-root`` findings point."""
    unwalked = Unwalked()
    discover([root], root, exclude, unwalked=unwalked)
    out = []
    for folder in unwalked.markers:
        name = "govern.yaml" if (folder / "govern.yaml").is_file() else "org.yaml"
        out.append(f"{relative_to_root(folder, root)}/{name}")
    return sorted(out)


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
