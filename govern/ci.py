"""The CI and pre-commit entry: what PATH arguments mean, changed-files mode, --base, baselines.

``govern check|gate PATH...``:

- only directories (or nothing): the mesh under them is loaded and every product is evaluated;
- any file (as pre-commit passes them): changed-files mode. Only the products the files affect are
  evaluated and reported (govern/incremental/closure.py: what the rules in force read decides which),
  against the whole mesh: loaded from its root, or a sub-mesh the mesh index vouches for
  (govern/incremental/changed.py); directories given alongside add every product under them;
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from govern.load.discovery import find_mesh_root
from govern.load.paths import marker_root as _marker_dir
from govern.load.paths import unambiguous_marker_root
from govern.model.errors import ConfigError

if TYPE_CHECKING:
    from govern.analysis.executor import Executor
    from govern.evaluate.engine import Result
    from govern.incremental.closure import Change
    from govern.incremental.facts import MeshFacts, Ref
    from govern.load.gitbase import BaseSnapshot
    from govern.model.mesh import Mesh
    from govern.model.scope import Reads
    from govern.standards.pack import StandardVersion

MESH_FILES = ("org.yaml", "waivers.yaml", "govern.yaml")


@dataclass
class Arguments:
    """PATH arguments split into existing files and directories (absolute)."""

    files: list[Path] = field(default_factory=list)
    dirs: list[Path] = field(default_factory=list)


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
    executor: Executor | str | None = None,
) -> Result:
    """Check PATHs with changed-files mode, --base and a baseline as described above; ``executor`` is where
    SQL is analysed when the whole mesh is (``api.executor_for``)."""
    from govern.api import check, executor_for

    args = resolve_arguments(paths, cwd)
    with executor_for(executor) as chosen:
        if not args.files and base is None:
            result = check(args.dirs, root=root, version=version, today=today, pack_root=pack_root,
                           executor=chosen)
        else:
            result = _changed(args, root, version, today, pack_root, base, cwd, chosen)
    if baseline is not None:
        from govern.evaluate.baseline import apply, at_base, load

        accepted = load(baseline)
        apply(result, at_base(accepted, baseline, base) if base is not None else accepted)
    return result


def _changed(args: Arguments, root: str | Path | None, version: str | None, today: dt.date | None,
             pack_root: str | Path | None, base: str | None, cwd: Path | None,
             executor: Executor | None = None) -> Result:
    """Changed-files mode: from the mesh index when it can vouch for the answer, else over the whole mesh."""
    import time

    from govern.api import analyse_sql, check_mesh, rules_in_force
    from govern.incremental.index import enabled as indexing
    from govern.load.loader import load_mesh
    from govern.load.paths import mesh_relative

    root_path = Path(root).resolve() if root else choose_root(args, cwd)
    named = sorted({rel for f in args.files if (rel := mesh_relative(f, root_path)) is not None})
    folders = sorted({rel for d in args.dirs if (rel := mesh_relative(d, root_path)) is not None})
    if base is None and indexing():  # the mesh index answers from a sub-mesh when it can vouch for it
        fast = from_index(root_path, named, folders, version, today, pack_root)
        if fast is not None:
            return fast
    started = time.time_ns()
    mesh = load_mesh([root_path], root=root_path)
    pack, standard = rules_in_force(mesh, version, pack_root)
    snapshot = None
    if base is not None:
        from govern.load.gitbase import load_snapshot

        snapshot = load_snapshot(mesh.root, base, mesh.config.exclude)
    record = snapshot is None and indexing()  # the whole mesh was loaded and analysed: refresh the index
    analysis = analyse_sql(mesh, keep_scans=record, executor=executor)
    focus, changed = affected_by(mesh, analysis, standard, named, folders if snapshot is None else [], snapshot)
    return check_mesh(mesh, version=version, today=today, focus=focus, pack_root=pack_root, base=snapshot,
                      focus_paths=changed, analysis=analysis, pack=pack,
                      index=([root_path], started) if record else None)


def from_index(root: Path, named: list[str], folders: list[str], version: str | None = None,
               today: dt.date | None = None, pack_root: str | Path | None = None) -> Result | None:
    """Changed-files mode answered from the mesh index's sub-mesh; None when the index cannot vouch for it
    (then the whole mesh is loaded: ``_changed``)."""
    from govern.api import check_mesh, rules_in_force
    from govern.incremental.changed import prepare
    from govern.load.loader import load_mesh_files
    from govern.standards.pack import reference_paths

    mesh_files = load_mesh_files(root)
    pack, standard = rules_in_force(mesh_files, version, pack_root)
    sub = prepare(mesh_files, named, folders, what_rules_read(mesh_files, standard), reference_paths(standard))
    if sub is None:
        return None
    return check_mesh(sub.mesh, version=version, today=today, focus=sub.focus, focus_paths=sub.changed,
                      analysis=sub.analysis, pack=pack)


def what_rules_read(mesh: Mesh, standard: StandardVersion) -> frozenset[Reads]:
    """What the rules in force read, for this mesh: with org.yaml, a team's domains come from it
    (govern/standards/cedar.py), so no rule reads the products a team owns."""
    from govern.model.scope import Reads
    from govern.standards.pack import reads_in_force

    reads = reads_in_force(standard)
    return reads - {Reads.TEAM} if mesh.org is not None else reads


def affected_by(mesh: Mesh, analysis: object, standard: StandardVersion, named: list[str], folders: list[str],
                snapshot: BaseSnapshot | None = None) -> tuple[set[str] | None, list[str]]:
    """(ids of the products the changes affect, or None for every product; the changed mesh paths) of a
    whole loaded mesh: the files ``named``, what changed since the base revision of ``snapshot``, and every
    product under ``folders`` (govern/incremental/closure.py decides from what the rules in force read)."""
    from govern.incremental.closure import affected
    from govern.incremental.facts import MeshFacts, mesh_facts
    from govern.load.paths import is_under
    from govern.standards.pack import reference_paths

    ref_paths = reference_paths(standard)
    reads = what_rules_read(mesh, standard)
    now = MeshFacts.of(mesh_facts(mesh, analysis, ref_paths))
    changed = sorted({*named, *(snapshot.changed if snapshot else ())})
    deleted = sorted(snapshot.deleted) if snapshot else []
    pack_dir = mesh.config.standards.path
    pack_prefix = pack_dir.replace("\\", "/").removeprefix("./").rstrip("/") + "/" if pack_dir else None
    if any(p in MESH_FILES or (pack_prefix and p.startswith(pack_prefix)) for p in (*changed, *deleted)):
        return None, changed
    before = _base_facts(mesh, now, snapshot, ref_paths, changed, deleted) if snapshot is not None else None
    changes = _changes(mesh, now, before, changed, deleted)
    report: dict[Ref, str] = affected(now, before, changes, reads, [p for p in (*changed, *deleted)
                                                                     if p.endswith(".sql")])
    for ref in now.facts:
        if folders and is_under(ref[0], folders):
            report.setdefault(ref, "under a given directory")
    return {ref[1] for ref in report}, changed


def _base_facts(mesh: Mesh, now: MeshFacts, snapshot: BaseSnapshot, ref_paths: list,
                changed: list[str], deleted: list[str]) -> MeshFacts:
    """The facts of the mesh at the base revision: of now where neither a product's manifest nor its SQL
    changed since, else of its manifest at the base with its SQL as it was then (read with git, analysed)."""
    from dataclasses import replace

    from govern.analysis import analyse, needs_analysis
    from govern.incremental.facts import MeshFacts, code_paths, mesh_facts
    from govern.model.mesh import Mesh as MeshModel
    from govern.model.mesh import directory_of
    from govern.model.product import SqlSource

    touched = set(changed) | set(deleted)
    stale = {f.path for f in now if f.path in touched or touched.intersection(f.code)}
    kept = [f for f in now if f.path not in stale]
    old = [p for p in snapshot.products if p.path in touched or p.path in stale]
    if not old:
        return MeshFacts.of(kept)
    texts = snapshot.read(sorted({path for p in old for path in code_paths(p)}))
    # the SQL as it was at the base, carried as an importer carries SQL (the snapshot's products unchanged)
    old = [replace(p, sql=[SqlSource(path, text=blob.decode("utf-8", "replace"))
                           for path in code_paths(p) if (blob := texts.get(path)) is not None]) for p in old]
    base = MeshModel(root=mesh.root, config=mesh.config, products=old, directory=directory_of(mesh))
    base.index()
    analysis = analyse(base) if needs_analysis(base) else None
    facts = mesh_facts(base, analysis, ref_paths)
    return MeshFacts.of([*kept, *facts])


def _changes(mesh: Mesh, now: MeshFacts, before: MeshFacts | None, changed: list[str],
             deleted: list[str]) -> list[Change]:
    """A Change per changed or deleted file that held (or holds) products, or a manifest that does not load."""
    from govern.incremental.closure import Change

    out = []
    for path in (*changed, *deleted):
        after = [f for ref in now.at_path(path) if (f := now.get(ref)) is not None]
        old = [f for ref in before.at_path(path) if (f := before.get(ref)) is not None] if before else None
        # a manifest that does not load names an id still: the products reading that id are affected
        named_ids = sorted({f.product for f in mesh.findings if f.location.path == path and f.product})
        if after or old or named_ids:
            out.append(Change(path, before=old, after=after, ids=named_ids))
    return out
