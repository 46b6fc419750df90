"""The library facade: one call from paths to a Result, for the CLI and for Python users."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from govern.engine import Result, evaluate
from govern.loader import Mesh, load_mesh
from govern.standards import Pack, load_pack


def pack_for(mesh: Mesh, pack_root: str | Path | None = None) -> Pack:
    """The standards pack named by govern.yaml (or an explicit pack root), else the shipped one."""
    ref = mesh.config.standards
    root = Path(pack_root) if pack_root else (mesh.root / ref.path if ref.path else None)
    return load_pack(root, ref.pack)


def check(
    paths: Iterable[str | Path] = (),
    *,
    root: str | Path | None = None,
    version: str | None = None,
    today: dt.date | None = None,
    focus: Iterable[str] | None = None,
    pack_root: str | Path | None = None,
) -> Result:
    """Load the mesh under ``paths`` and evaluate the standards version in force."""
    mesh = load_mesh(list(paths), root=root)
    pack = pack_for(mesh, pack_root)
    return evaluate(mesh, pack, version=version, today=today, focus=focus)
