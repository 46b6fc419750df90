"""The mesh at a git base revision, read with the ``git`` command (no extra dependency).

``govern check/gate --base REF`` compares the working tree with the merge base of REF and HEAD (what a
pull request changes, even when REF moved on since the branch was cut):

- ``changed``/``deleted``: mesh files that differ from the base (tracked changes and untracked files),
- ``products``: every manifest of the mesh as it was at the base, for the history rules
  (lifecycle transitions, deleted products, reused tombstoned ids, breaking port changes).

Every git problem (not a repository, unknown revision, git missing) is a ``GitError``: exit 2.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from govern.load.discovery import SKIP_DIRS
from govern.load.git import _git_toplevel, changed_since, read_blobs, resolve_base, run_git, split_z
from govern.load.manifest import MANIFEST_NAMES
from govern.load.yamlio import expect_mapping, parse_yaml
from govern.model.errors import InputError
from govern.model.product import Product


@dataclass
class BaseSnapshot:
    """The mesh as it was at the base revision, and which of its files changed since."""

    ref: str
    commit: str
    products: list[Product] = field(default_factory=list)
    by_id: dict[str, Product] = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)  # mesh-relative, added or modified since the base
    deleted: list[str] = field(default_factory=list)  # mesh-relative, present at the base, gone now
    unreadable: list[str] = field(default_factory=list)  # base manifests that did not parse then
    top: Path | None = None  # the git work tree
    prefix: str = ""  # the mesh root inside it ("" or "mesh/")

    @property
    def label(self) -> str:
        return self.ref

    def read(self, paths: list[str]) -> dict[str, bytes | None]:
        """The contents of mesh-relative files at the base commit (None: absent there)."""
        if self.top is None or not paths:
            return dict.fromkeys(paths)
        found = read_blobs(self.top, self.commit, [self.prefix + p for p in paths])
        return {p: found.get(self.prefix + p) for p in paths}


def is_manifest_path(rel: str, exclude: list[str]) -> bool:
    """The same selection as discovery: manifest name, no skipped or hidden directory, not excluded."""
    parts = PurePosixPath(rel).parts
    if not parts or parts[-1] not in MANIFEST_NAMES:
        return False
    if any(p in SKIP_DIRS or p.startswith(".") for p in parts[:-1]):
        return False
    return not any(fnmatch.fnmatch(rel, pat) for pat in exclude)


def load_snapshot(mesh_root: str | Path, ref: str, exclude: list[str] | None = None) -> BaseSnapshot:
    """Read the mesh under ``mesh_root`` as it was at the merge base of ``ref`` and HEAD."""
    from govern.load.manifest import parse_manifest

    root = Path(mesh_root).resolve()
    top = _git_toplevel(root)
    prefix = "" if top == root else root.relative_to(top).as_posix() + "/"
    commit = resolve_base(top, ref)
    snap = BaseSnapshot(ref=ref, commit=commit, top=top, prefix=prefix)
    changed, deleted = changed_since(top, commit, prefix)
    snap.changed = [p[len(prefix):] for p in changed if p.startswith(prefix)]
    snap.deleted = [p[len(prefix):] for p in deleted if p.startswith(prefix)]

    spec = ["--", prefix] if prefix else []
    listing = split_z(run_git(["ls-tree", "-r", "-z", "--name-only", "--full-tree", commit, *spec], top))
    manifests = [p for p in listing if p.startswith(prefix) and is_manifest_path(p[len(prefix):], exclude or [])]
    for path, blob in sorted(read_blobs(top, commit, manifests).items()):
        rel = path[len(prefix):]
        if blob is None:
            snap.unreadable.append(rel)
            continue
        try:
            data, smap = parse_yaml(blob, rel)
            data = expect_mapping(data, smap, "a data product manifest")
        except InputError:
            snap.unreadable.append(rel)
            continue
        product, _ = parse_manifest(data, smap)
        if product is None or product.invalid:  # history rules compare whole products, never a valid part
            snap.unreadable.append(rel)
            continue
        snap.products.append(product)
    snap.products.sort(key=lambda p: (p.path, p.id))
    for product in snap.products:
        snap.by_id.setdefault(product.id, product)
    return snap
