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
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from govern.errors import ConfigError, InputError
from govern.loader import MANIFEST_NAMES, SKIP_DIRS
from govern.model import Product
from govern.yamlio import MAX_FILE_BYTES, expect_mapping, parse_yaml

GIT_TIMEOUT = 120


class GitError(ConfigError):
    """git could not answer: no decision is possible."""


def run_git(args: list[str], cwd: Path, stdin: bytes | None = None, timeout: float = GIT_TIMEOUT) -> bytes:
    """Run one git command and return its stdout; raise GitError with git's own message."""
    import subprocess  # only for --base: a pre-commit run needs find_work_tree alone

    env = dict(os.environ, GIT_OPTIONAL_LOCKS="0", LC_ALL="C")
    try:
        proc = subprocess.run(
            ["git", "-c", "core.quotepath=off", *args],
            cwd=cwd, input=stdin, capture_output=True, timeout=timeout, env=env, check=False,
        )
    except FileNotFoundError:
        raise GitError("git is not installed (needed for --base)") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} took longer than {timeout:g} s") from None
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {message[-1] if message else f'exit {proc.returncode}'}")
    return proc.stdout


def find_work_tree(start: Path) -> Path | None:
    """The nearest directory upwards that holds ``.git`` (no subprocess), or None."""
    start = start.resolve()
    for candidate in (start, *start.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def repo_prefix(root: str | Path) -> str:
    """The mesh root relative to its git work tree, as 'dir/sub/' ('' when they are the same or no git)."""
    root_path = Path(root).resolve()
    tree = find_work_tree(root_path)
    if tree is None or tree == root_path:
        return ""
    return root_path.relative_to(tree).as_posix() + "/"


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

    @property
    def label(self) -> str:
        return self.ref


def _git_toplevel(root: Path) -> Path:
    out = run_git(["rev-parse", "--show-toplevel"], root).decode("utf-8", "replace").strip()
    if not out:
        raise GitError(f"{root} is not inside a git work tree (needed for --base)")
    return Path(out).resolve()


def resolve_base(top: Path, ref: str) -> str:
    """The merge base of ``ref`` and HEAD (what a branch changed), else ``ref`` itself."""
    if not ref or ref.startswith("-"):
        raise GitError(f"'{ref}' is not a git revision")
    try:
        commit = run_git(["rev-parse", "--verify", "--end-of-options", f"{ref}^{{commit}}"], top)
    except GitError:
        raise GitError(f"unknown git revision '{ref}' (fetch it first, e.g. git fetch origin {ref})") from None
    commit_id = commit.decode().strip()
    try:
        return run_git(["merge-base", commit_id, "HEAD"], top).decode().strip() or commit_id
    except GitError:  # no HEAD yet, or unrelated histories: compare with the revision itself
        return commit_id


def split_z(data: bytes) -> list[str]:
    """The paths of a ``git ... -z`` answer."""
    return [p.decode("utf-8", "surrogateescape") for p in data.split(b"\0") if p]


def is_manifest_path(rel: str, exclude: list[str]) -> bool:
    """The same selection as discovery: manifest name, no skipped or hidden directory, not excluded."""
    parts = PurePosixPath(rel).parts
    if not parts or parts[-1] not in MANIFEST_NAMES:
        return False
    if any(p in SKIP_DIRS or p.startswith(".") for p in parts[:-1]):
        return False
    return not any(fnmatch.fnmatch(rel, pat) for pat in exclude)


def changed_since(top: Path, commit: str, prefix: str) -> tuple[list[str], list[str]]:
    """Repo-relative paths under ``prefix`` added/modified and deleted between ``commit`` and the work tree."""
    spec = ["--", prefix] if prefix else []
    out = run_git(["diff", "--name-status", "-z", "--no-renames", "--no-ext-diff", commit, *spec], top)
    fields = split_z(out)
    changed: list[str] = []
    deleted: list[str] = []
    for status, path in zip(fields[0::2], fields[1::2], strict=False):
        (deleted if status.startswith("D") else changed).append(path)
    untracked = run_git(["ls-files", "-z", "--others", "--exclude-standard", *spec], top)
    changed.extend(split_z(untracked))
    return sorted(set(changed)), sorted(set(deleted))


def read_blobs(top: Path, commit: str, paths: list[str]) -> dict[str, bytes | None]:
    """File contents at ``commit`` with one ``git cat-file --batch`` (None: missing or too large)."""
    wanted = [p for p in paths if "\n" not in p]
    if not wanted:
        return {}
    stdin = "".join(f"{commit}:{p}\n" for p in wanted).encode("utf-8", "surrogateescape")
    out = run_git(["cat-file", "--batch"], top, stdin=stdin)
    blobs: dict[str, bytes | None] = {}
    pos = 0
    for path in wanted:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if len(header) < 3 or header[1] != b"blob":
            blobs[path] = None
            continue
        size = int(header[2])
        data = out[pos:pos + size]
        pos += size + 1
        blobs[path] = data if size <= MAX_FILE_BYTES else None
    return blobs


def load_snapshot(mesh_root: str | Path, ref: str, exclude: list[str] | None = None) -> BaseSnapshot:
    """Read the mesh under ``mesh_root`` as it was at the merge base of ``ref`` and HEAD."""
    from govern.loader import parse_manifest

    root = Path(mesh_root).resolve()
    top = _git_toplevel(root)
    prefix = "" if top == root else root.relative_to(top).as_posix() + "/"
    commit = resolve_base(top, ref)
    snap = BaseSnapshot(ref=ref, commit=commit)
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
        if product is None:
            snap.unreadable.append(rel)
            continue
        snap.products.append(product)
    snap.products.sort(key=lambda p: (p.path, p.id))
    for product in snap.products:
        snap.by_id.setdefault(product.id, product)
    return snap
