"""Paths that come from inputs stay inside the mesh root.

A manifest may name files (``execution.code``) and a mesh may contain symbolic links. Nothing govern
reads may lie outside the mesh root: ``../../etc/passwd``, an absolute path, or a link whose target
leaves the root is refused with a finding, never opened. Use :func:`resolve_inside` before reading
any file a manifest names (SQL analysis, importers).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath

from govern.errors import InputError

INPUT_OUTSIDE_ROOT = "input.outside-root"
INPUT_SYMLINK_SKIPPED = "input.symlink-skipped"


_REAL_ROOTS: dict[Path, Path] = {}


def real_root(root: Path) -> Path:
    """``root.resolve()``, remembered for absolute roots: resolving costs a system call per path component,
    and a run asks for the same mesh root once per file (10,000 times in a large mesh)."""
    if not root.is_absolute():
        return root.resolve()
    real = _REAL_ROOTS.get(root)
    if real is None:
        if len(_REAL_ROOTS) > 64:
            _REAL_ROOTS.clear()
        real = _REAL_ROOTS[root] = root.resolve()
    return real


def forget_roots() -> None:
    """Drop remembered roots (each load resolves them afresh: a link may have been switched meanwhile)."""
    _REAL_ROOTS.clear()


def is_inside(path: Path, root: Path) -> bool:
    """True when ``path`` (after resolving every symbolic link) lies under ``root``."""
    try:
        path.resolve().relative_to(real_root(root))
        return True
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop
        return False


def resolve_inside(root: Path, base: Path, relpath: str) -> Path:
    """Resolve ``relpath`` (relative to the directory ``base``) and refuse it if it leaves ``root``.

    Raises InputError naming the path; absolute paths (POSIX or Windows style) are always refused.
    """
    if not isinstance(relpath, str) or not relpath.strip():
        raise InputError("empty path", expected="a path relative to the manifest")
    if "\x00" in relpath:
        raise InputError(f"path {relpath!r} contains a NUL byte", expected="a path relative to the manifest")
    if PurePosixPath(relpath).is_absolute() or PureWindowsPath(relpath).is_absolute() or PureWindowsPath(
        relpath
    ).drive:
        raise InputError(f"absolute path '{relpath}' is not allowed",
                         expected="a path relative to the manifest, inside the mesh root")
    candidate = base / relpath
    if not is_inside(candidate, root):
        raise InputError(f"path '{relpath}' leaves the mesh root",
                         expected="a path relative to the manifest, inside the mesh root")
    resolved = candidate.resolve()
    if resolved.exists() and not resolved.is_file():  # a directory, FIFO or device: never opened
        raise InputError(f"path '{relpath}' is not a regular file", expected="a file")
    return resolved
