"""Changed-files mode: which products a set of changed files affects.

The whole mesh is always loaded (references resolve against every product); only the affected
products are evaluated and reported (``evaluate(..., focus=ids)``). The mapping:

- a manifest (``dataproduct.yaml``, or any file a product was imported from): that product, and its
  direct consumers, whose findings depend on its ports, lifecycle state and access rules;
- a SQL file: the product whose ``execution.code`` (or imported SQL) lists it;
- a manifest deleted since the base: the direct consumers of the product it held;
- ``org.yaml``, ``waivers.yaml``, ``govern.yaml``, or a file of a custom standards pack inside the
  mesh: every product (``None``);
- anything else (README, scripts, files no product names): nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from govern.load.manifest import MANIFEST_NAMES

if TYPE_CHECKING:
    from govern.load.gitbase import BaseSnapshot
    from govern.model.mesh import Mesh

MESH_FILES = ("org.yaml", "waivers.yaml", "govern.yaml")



@dataclass
class Impact:
    """The products to evaluate for a set of changes, and why (for humans and tests)."""

    everything: bool = False
    products: set[str] = field(default_factory=set)
    reasons: dict[str, str] = field(default_factory=dict)  # product id -> first reason it is affected
    ignored: list[str] = field(default_factory=list)  # changed files that affect no product

    @property
    def focus(self) -> set[str] | None:
        """What ``evaluate(focus=...)`` takes: None for everything."""
        return None if self.everything else set(self.products)

    def add(self, pid: str, reason: str) -> None:
        self.products.add(pid)
        self.reasons.setdefault(pid, reason)


def _norm(path: str) -> str:
    return PurePosixPath(path.replace("\\", "/")).as_posix().removeprefix("./")


def sql_index(mesh: Mesh) -> dict[str, list[str]]:
    """Mesh-relative SQL path -> ids of the products built by it."""
    index: dict[str, set[str]] = {}
    for product in mesh.products:
        for source in product.sql:
            index.setdefault(_norm(source.path), set()).add(product.id)
        execution = product.model.execution
        if execution is None:
            continue
        folder = PurePosixPath(product.path).parent
        for code in execution.code:
            if not isinstance(code, str) or not code.strip():
                continue
            joined = PurePosixPath(_norm(str(folder / code)))
            parts: list[str] = []
            for part in joined.parts:  # normalise '..' without touching the file system
                if part == "..":
                    if parts:
                        parts.pop()
                elif part != ".":
                    parts.append(part)
            index.setdefault("/".join(parts), set()).add(product.id)
    return {k: sorted(v) for k, v in index.items()}


def consumers_index(mesh: Mesh, extra_edges: Iterable = ()) -> dict[str, set[str]]:
    """Producer id -> ids of the products that read it (declared inputs and any extra edges)."""
    out: dict[str, set[str]] = {}
    for product in mesh.products:
        for ref in product.model.inputs:
            out.setdefault(ref.product, set()).add(product.id)
    for edge in extra_edges:
        out.setdefault(edge.producer, set()).add(edge.consumer)
    return out


def affected(
    mesh: Mesh,
    changed: Iterable[str],
    base: BaseSnapshot | None = None,
    deleted: Iterable[str] = (),
    extra_edges: Iterable = (),
) -> Impact:
    """The products that ``changed`` (mesh-relative paths) and ``deleted`` paths affect."""
    impact = Impact()
    by_path: dict[str, list[str]] = {}
    for product in mesh.products:
        by_path.setdefault(product.path, []).append(product.id)
    sqls = sql_index(mesh)
    consumers = consumers_index(mesh, extra_edges)
    pack_dir = mesh.config.standards.path
    pack_prefix = _norm(pack_dir).rstrip("/") + "/" if pack_dir else None

    def with_consumers(pid: str, reason: str) -> None:
        impact.add(pid, reason)
        for consumer in sorted(consumers.get(pid, ())):
            impact.add(consumer, f"reads {pid} ({reason})")

    for raw in sorted({_norm(p) for p in changed}):
        name = PurePosixPath(raw).name
        if raw in MESH_FILES or (pack_prefix and raw.startswith(pack_prefix)):
            impact.everything = True
            impact.reasons.setdefault("*", f"{raw} changed")
            continue
        hit = False
        for pid in by_path.get(raw, ()):
            with_consumers(pid, f"{raw} changed")
            hit = True
        for pid in sqls.get(raw, ()):
            impact.add(pid, f"{raw} changed")
            hit = True
        if not hit and name in MANIFEST_NAMES:
            # A manifest that no longer loads: its load findings are reported (focus_paths), and the
            # products that read its id (as the file says, or as it was at the base) are affected.
            old_ids = {f.product for f in mesh.findings if f.location.path == raw and f.product}
            if base is not None:
                old_ids |= {p.id for p in base.products if p.path == raw}
            for old_id in sorted(old_ids):
                for consumer in sorted(consumers.get(old_id, ())):
                    impact.add(consumer, f"reads {old_id} ({raw} changed)")
            hit = True
        if not hit:
            impact.ignored.append(raw)
    for raw in sorted({_norm(p) for p in deleted}):
        if raw in MESH_FILES:
            impact.everything = True
            impact.reasons.setdefault("*", f"{raw} deleted")
            continue
        olds = [p for p in base.products if p.path == raw] if base is not None else []
        for old in olds:
            for consumer in sorted(consumers.get(old.id, ())):
                impact.add(consumer, f"reads {old.id} ({raw} deleted)")
            if old.id in mesh.by_id:  # moved elsewhere: the product itself is affected
                with_consumers(old.id, f"{raw} moved")
        for pid in sqls.get(raw, ()):
            impact.add(pid, f"{raw} deleted")
    return impact


def under(path: str, folders: Iterable[str]) -> bool:
    """True when the mesh-relative ``path`` lies in one of the mesh-relative ``folders`` ('' is the root)."""
    for folder in folders:
        f = _norm(folder).rstrip("/")
        if f in ("", ".") or path == f or path.startswith(f + "/"):
            return True
    return False


def relative_to(path: Path, root: Path) -> str | None:
    """``path`` relative to ``root`` as POSIX text, or None when it lies outside.

    A link under the root whose target leaves it (or loops) keeps its own path: the loader reports it
    there (``input.symlink-skipped``), so a changed-files run reports it too instead of ignoring it.
    """
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError, RuntimeError):  # outside the root, or a symlink loop
        pass
    if not os.path.islink(path):
        return None
    try:
        return Path(os.path.abspath(path)).relative_to(root.resolve()).as_posix()
    except (ValueError, OSError, RuntimeError):
        return None


@dataclass
class Arguments:
    """PATH arguments split into existing files and directories (absolute)."""

    files: list[Path] = field(default_factory=list)
    dirs: list[Path] = field(default_factory=list)


def plan(mesh: Mesh, args: Arguments, base_snapshot: BaseSnapshot | None = None) -> tuple[Impact, list[str]]:
    """The impact of the changed files (and of the base diff) on ``mesh``, and the changed mesh paths."""
    changed: list[str] = []
    for f in args.files:
        rel = relative_to(f, mesh.root)
        if rel is not None:
            changed.append(rel)
    deleted: list[str] = []
    if base_snapshot is not None:
        changed.extend(base_snapshot.changed)
        deleted = list(base_snapshot.deleted)
    impact = affected(mesh, changed, base=base_snapshot, deleted=deleted)
    folders = [rel for d in args.dirs if (rel := relative_to(d, mesh.root)) is not None]
    if folders and base_snapshot is None:
        for product in mesh.products:
            if under(product.path, folders):
                impact.add(product.id, "under a given directory")
    return impact, sorted(set(changed))
