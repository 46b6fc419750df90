"""The CI and pre-commit entry: what PATH arguments mean, changed-files mode, --base, baselines.

``govern check|gate PATH...``:

- only directories (or nothing): the mesh under them is loaded and every product is evaluated;
- any file (as pre-commit passes them): changed-files mode. The whole mesh is loaded from its root,
  and only the products the files affect (govern/incremental/impact.py) are evaluated and reported; directories
  given alongside add every product under them;
- ``--base REF``: changed-files mode for what changed since the merge base of REF and HEAD, plus the
  history rules (lifecycle, deletion, tombstoned ids, breaking port changes) against that base.

Relative PATHs are resolved against the current directory, else the git work tree, else the mesh root
found from the current directory, so pre-commit's repository-relative names work from any directory.
The mesh root is ``--root``, else the nearest directory upwards from the PATHs (from the current
directory when there are none) that holds ``govern.yaml`` or ``org.yaml``, else the git work tree. When a
directory above that one, up to the git work tree's top, holds a marker too, the root is ambiguous: exit 2
(nested mesh roots), unless ``--root`` is given.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from govern.incremental.impact import Arguments, plan
from govern.load.discovery import find_mesh_root
from govern.load.paths import marker_root as _marker_dir
from govern.load.paths import unambiguous_marker_root
from govern.model.errors import ConfigError

if TYPE_CHECKING:
    from govern.evaluate.engine import Result


def marker_root(start: Path) -> Path | None:
    """The nearest directory upwards from ``start`` that holds govern.yaml or org.yaml, or None."""
    found = _marker_dir(start)
    return Path(found) if found is not None else None


def resolve_arguments(paths: Iterable[str | Path], cwd: Path | None = None) -> Arguments:
    """Find each PATH: as given (or relative to cwd), else relative to the git work tree, else the mesh root."""
    from govern.load.git import find_work_tree

    cwd = (cwd or Path.cwd()).resolve()
    bases = [cwd]
    tree = find_work_tree(cwd)
    if tree is not None and tree != cwd:
        bases.append(tree)
    mesh_root = marker_root(cwd)
    if mesh_root is not None and mesh_root not in bases:
        bases.append(mesh_root)
    args = Arguments()
    for raw in paths:
        p = Path(raw)
        candidates = [p] if p.is_absolute() else [b / p for b in bases]
        found = next((c for c in candidates if c.exists()), None)
        if found is None:
            raise ConfigError("path does not exist", path=str(raw))
        if found.is_dir():
            args.dirs.append(found.resolve())
        else:  # a link keeps its own path: one out of the mesh root is reported where it is
            args.files.append(Path(os.path.abspath(found)) if found.is_symlink() else found.resolve())
    return args


def choose_root(args: Arguments, cwd: Path | None = None) -> Path:
    """The mesh root for the arguments (see the module docstring). Files of two meshes are an error, and
    so are nested mesh roots (ConfigError: pass --root)."""
    starts = args.files + args.dirs
    if not starts:
        return find_mesh_root(cwd or Path.cwd())
    # A linked file is looked up from where the link is, not from its target (which may leave the mesh).
    starts = [s.parent if s.is_symlink() else s for s in starts]
    roots = sorted({Path(r) for r in (unambiguous_marker_root(s) for s in starts) if r is not None})
    if len(roots) > 1:
        raise ConfigError("the paths belong to different meshes: " + ", ".join(str(r) for r in roots),
                          expected="paths of one mesh, or --root")
    if roots:
        return roots[0]
    return find_mesh_root(args.dirs[0] if args.dirs else starts[0])


def run(
    paths: Iterable[str | Path] = (),
    *,
    root: str | Path | None = None,
    version: str | None = None,
    today: dt.date | None = None,
    pack_root: str | Path | None = None,
    base: str | None = None,
    baseline: str | Path | None = None,
    cwd: Path | None = None,
) -> Result:
    """Check PATHs with changed-files mode, --base and a baseline as described above."""
    from govern.api import check

    args = resolve_arguments(paths, cwd)
    if not args.files and base is None:
        result = check(args.dirs, root=root, version=version, today=today, pack_root=pack_root)
    else:
        result = _changed(args, root, version, today, pack_root, base, cwd)
    if baseline is not None:
        from govern.evaluate.baseline import apply, at_base, load

        accepted = load(baseline)
        apply(result, at_base(accepted, baseline, base) if base is not None else accepted)
    return result


def _changed(args: Arguments, root: str | Path | None, version: str | None, today: dt.date | None,
             pack_root: str | Path | None, base: str | None, cwd: Path | None) -> Result:
    from govern.api import check_mesh
    from govern.incremental import meshindex
    from govern.load.loader import load_mesh

    root_path = Path(root).resolve() if root else choose_root(args, cwd)
    if base is None and meshindex.enabled():  # the mesh index answers without loading the whole mesh when it can
        from govern.api import check_mesh

        fast = meshindex.check_changed(args, root_path)
        if fast is not None:
            return check_mesh(fast.mesh, version=version, today=today, focus=fast.focus, pack_root=pack_root,
                              focus_paths=fast.changed, analysis=fast.analysis)
    import time

    started = time.time_ns()
    mesh = load_mesh([root_path], root=root_path)
    snapshot = None
    if base is not None:
        from govern.load.gitbase import load_snapshot

        snapshot = load_snapshot(mesh.root, base, mesh.config.exclude)
    impact, changed = plan(mesh, args, snapshot)
    # without --base the whole mesh was loaded and analysed: refresh the index
    return check_mesh(mesh, version=version, today=today, focus=impact.focus, pack_root=pack_root,
                      base=snapshot, focus_paths=changed, keep_scans=snapshot is None and meshindex.enabled(),
                      index=([root_path], started) if snapshot is None else None)
