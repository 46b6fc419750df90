"""Paths that come from inputs stay inside the mesh root.

A manifest may name files (``execution.code``) and a mesh may contain symbolic links. Nothing govern
reads may lie outside the mesh root: ``../../etc/passwd``, an absolute path, or a link whose target
leaves the root is refused with a finding, never opened. Use :func:`resolve_inside` before reading
any file a manifest names (SQL analysis, importers), :func:`root_file` for ``org.yaml``,
``waivers.yaml`` and ``govern.yaml``, and :func:`config_path_inside` for paths ``govern.yaml`` names.
"""

from __future__ import annotations

import dataclasses
import os
import stat
from collections.abc import Iterable
from pathlib import Path, PurePosixPath, PureWindowsPath

from govern.model.errors import ConfigError, InputError

INPUT_OUTSIDE_ROOT = "input.outside-root"
INPUT_SYMLINK_SKIPPED = "input.symlink-skipped"  # an error: a manifest or folder that was not read blocks
ROOT_MARKERS = ("govern.yaml", "org.yaml")  # the files that mark the root of a mesh


def marker_root(start: str | Path) -> str | None:
    """The nearest directory upwards from ``start`` (a directory, or a file's folder) that holds a root
    marker, or None. Plain ``os`` calls: the console script asks before it imports anything heavy."""
    here = os.path.realpath(start)
    if not os.path.isdir(here):
        here = os.path.dirname(here)
    while True:
        if any(os.path.isfile(os.path.join(here, marker)) for marker in ROOT_MARKERS):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def enclosing_marker(root: str | Path) -> str | None:
    """A directory above ``root``, up to its git work tree's top (or the filesystem root outside git),
    that also holds a root marker, or None."""
    here = os.path.realpath(root)
    while not os.path.exists(os.path.join(here, ".git")):
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent
        if any(os.path.isfile(os.path.join(here, marker)) for marker in ROOT_MARKERS):
            return here
    return None


def _shown(path: str) -> str:
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def unambiguous_marker_root(start: str | Path) -> str | None:
    """``marker_root(start)``, or ConfigError (exit 2) when a directory above it holds a marker too: the
    root of nested meshes is not guessed (a ``govern.yaml`` added to a sub-folder must not shrink the mesh)."""
    found = marker_root(start)
    if found is None:
        return None
    outer = enclosing_marker(found)
    if outer is not None:
        raise ConfigError(f"nested mesh roots: '{_shown(found)}' and '{_shown(outer)}' both hold govern.yaml or "
                          "org.yaml; pass --root", expected="one mesh root, or --root")
    return found


_REAL_DIRS: dict[str, Path] = {}
_MAX_REMEMBERED = 200_000


def real_root(root: Path) -> Path:
    """``root.resolve()``, remembered like the folders of ``real_path``."""
    if not root.is_absolute():
        return root.resolve()
    key = os.fspath(root)
    real = _REAL_DIRS.get(key)
    if real is None:
        if len(_REAL_DIRS) > _MAX_REMEMBERED:
            _REAL_DIRS.clear()
        real = _REAL_DIRS[key] = root.resolve()
    return real


def real_path(path: Path) -> Path:
    """``path.resolve()``, with the folder part remembered until ``forget_roots``.

    ``Path.resolve`` costs a system call per path component plus one ``stat``; a run resolves every
    file of a 10,000-product mesh several times, always in the same few thousand folders. Only the
    last component is looked at afresh (``lstat``); a link there is resolved in full as before.
    """
    text = os.fspath(path)
    head, name = os.path.split(text)
    if not os.path.isabs(text) or not head or name in ("", ".", ".."):
        return path.resolve()
    full = os.path.join(real_root(Path(head)), name)
    try:
        if stat.S_ISLNK(os.lstat(full).st_mode):
            return Path(full).resolve()
    except OSError:
        pass  # missing: resolve() keeps the name as written, and so does this
    return Path(full)


def known_real(folder: str) -> None:
    """Remember that ``folder`` (absolute) is its own real path: discovery reached it from the real mesh root
    without following a link, so it need not be resolved again in this run."""
    if len(_REAL_DIRS) < _MAX_REMEMBERED:
        _REAL_DIRS.setdefault(folder, Path(folder))


def forget_roots() -> None:
    """Drop remembered folders and resolved paths (each load resolves them afresh: a link may have been
    switched meanwhile)."""
    _REAL_DIRS.clear()
    _INSIDE.clear()


def is_inside(path: Path, root: Path) -> bool:
    """True when ``path`` (after resolving every symbolic link) lies under ``root``."""
    try:
        real_path(path).relative_to(real_root(root))
        return True
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop
        return False


def _contained(root: Path, base: Path, relpath: str, relative_to: str) -> Path:
    """``base / relpath`` resolved, or InputError when it is empty, absolute or leaves ``root``."""
    expected = f"a path relative to the {relative_to}"
    if not isinstance(relpath, str) or not relpath.strip():
        raise InputError("empty path", expected=expected)
    if "\x00" in relpath:
        raise InputError(f"path {relpath!r} contains a NUL byte", expected=expected)
    if PurePosixPath(relpath).is_absolute() or PureWindowsPath(relpath).is_absolute() or PureWindowsPath(
        relpath
    ).drive:
        raise InputError(f"absolute path '{relpath}' is not allowed", expected=f"{expected}, inside the mesh root")
    try:
        resolved = real_path(base / relpath)
        resolved.relative_to(real_root(root))
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop
        raise InputError(f"path '{relpath}' leaves the mesh root",
                         expected=f"{expected}, inside the mesh root") from None
    return resolved


def config_path_inside(root: Path, relpath: str) -> Path:
    """A path named by ``govern.yaml`` (``standards.path``, ``history``), resolved against the mesh root.

    Raises InputError when it is absolute, climbs out with ``..`` or reaches outside through a symbolic
    link: what decides a verdict is read from the reviewed repository only.
    """
    return _contained(root, root, relpath, "mesh root")


def root_file(root: Path, name: str) -> Path | None:
    """``root / name`` (``org.yaml``, ``waivers.yaml``, ``govern.yaml``) when it exists, else None.

    Raises InputError (naming the file) when it is a symbolic link whose target leaves the root or
    loops: such a file is not read. A link to a file inside the root is fine.
    """
    path = root / name
    if not os.path.islink(path):
        return path if os.path.lexists(path) else None
    if is_inside(path, root):
        return path
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    raise InputError(f"symbolic link to '{target}' leaves the mesh root (or loops); it is not read",
                     path=name, expected=f"{name} inside the mesh repository")


def no_link_below(root: Path, path: Path) -> bool:
    """True when no component of ``path`` below ``root`` is a symbolic link (a cache is only written to, and
    read from, its own directory, never through a link)."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return False
    here = root
    for part in parts:
        here = here / part
        if os.path.islink(here):
            return False
    return True


_INSIDE: dict[tuple[str, str, str], Path | InputError] = {}  # resolve_inside's answers in this run


def resolve_inside(root: Path, base: Path, relpath: str) -> Path:
    """Resolve ``relpath`` (relative to the directory ``base``) and refuse it if it leaves ``root``.

    Raises InputError naming the path; absolute paths (POSIX or Windows style) are always refused. The answer
    is remembered until ``forget_roots`` (loading a manifest and analysing its SQL ask the same question).
    """
    key = (os.fspath(root), os.fspath(base), relpath if isinstance(relpath, str) else repr(relpath))
    known = _INSIDE.get(key)
    if known is None:
        try:
            known = _resolve_inside(root, base, relpath)
        except InputError as exc:
            known = exc
        if len(_INSIDE) < _MAX_REMEMBERED:
            _INSIDE[key] = known
    if isinstance(known, InputError):
        raise dataclasses.replace(known)  # a fresh exception: each raise gets its own traceback
    return known


def _resolve_inside(root: Path, base: Path, relpath: str) -> Path:
    resolved = _contained(root, base, relpath, "manifest")
    try:
        mode = resolved.stat().st_mode
    except OSError:
        return resolved  # missing: the reader says so
    if not stat.S_ISREG(mode):  # a directory, FIFO or device: never opened
        raise InputError(f"path '{relpath}' is not a regular file", expected="a file")
    return resolved


def missing_path_message(path: str | Path) -> str:
    """"path does not exist", with the closest name in the deepest folder of ``path`` that exists
    (``exmaples/mesh`` -> did you mean 'examples/mesh'?)."""
    from govern.model.suggest import closest

    given = Path(path)
    parts = given.parts
    base = Path(parts[0]) if given.is_absolute() else Path(".")
    rest = parts[1:] if given.is_absolute() else parts
    for i, name in enumerate(rest):
        candidate = base / name
        if not candidate.exists():
            try:
                siblings = [c.name for c in base.iterdir()] if base.is_dir() else []
            except OSError:
                siblings = []
            best = closest(name, siblings)
            if best is None:
                break
            fixed = Path(*rest[:i], best, *rest[i + 1:])
            shown = (Path(parts[0]) / fixed) if given.is_absolute() else fixed
            return f"path does not exist (did you mean '{shown.as_posix()}'?)"
        base = candidate
    return "path does not exist"



def mesh_relative(path: Path, root: Path) -> str | None:
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


def is_under(path: str, folders: Iterable[str]) -> bool:
    """True when the mesh-relative ``path`` lies in one of the mesh-relative ``folders`` ('' is the root)."""
    for folder in folders:
        f = folder.replace("\\", "/").removeprefix("./").rstrip("/")
        if f in ("", ".") or path == f or path.startswith(f + "/"):
            return True
    return False
