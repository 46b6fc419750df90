"""The git command, for the mesh at a base revision and for tracked files (no extra dependency)."""

from __future__ import annotations

import os
from pathlib import Path

from govern.load.yamlio import MAX_FILE_BYTES
from govern.model.errors import ConfigError

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
