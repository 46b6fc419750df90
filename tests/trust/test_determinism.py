"""Determinism: the same mesh gives byte-identical JSON and SARIF, whatever the hash seed and the order
in which the file system lists directories."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from meshkit import MeshDir
from trustkit import TODAY, base_mesh, govern

from govern.output.render import FORMATS

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "mesh"
SEEDS = ("0", "4242", "random")


def _messy_mesh(root: Path) -> MeshDir:
    """The base mesh plus duplicates, look-alikes, cycles, broken files and waivers: many findings
    whose order must not depend on dicts, sets or directory listings."""
    mesh = base_mesh(root)
    for i in range(6):
        upstream = f"finance.report_{(i + 1) % 6}"
        mesh.product(f"finance.report_{i}", {"namespace": "qa", "inputs": [{"product": upstream}]})
    mesh.product("logistics.parts", relpath="logistics/a/dataproduct.yaml")
    mesh.product("logistics.parts", relpath="logistics/b/dataproduct.yaml")
    mesh.product("logistics.pаrts", {"domain": "logistics"}, relpath="logistics/c/dataproduct.yaml")
    mesh.write("logistics/d/dataproduct.yaml", "kind: DataProduct\nid: logistics.broken\nowner: {group: x\n")
    mesh.write("logistics/e/dataproduct.yaml", "kind: DataProduct\nid: logistics.dupe\nid: logistics.dupe2\n")
    return mesh


def _source(kind: str, tmp_path: Path) -> Path:
    if kind == "example":
        if not (EXAMPLE / "govern.yaml").exists():
            pytest.skip("examples/mesh is not in this tree")
        return EXAMPLE
    return _messy_mesh(tmp_path / "source").root


def _copy_in_order(src: Path, dest: Path, seed: int) -> None:
    """Copy a tree creating files and directories in a shuffled order (tmpfs lists in creation order)."""
    files = sorted(p for p in src.rglob("*") if p.is_file())
    random.Random(seed).shuffle(files)
    for path in files:
        target = dest / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def _formats() -> list[str]:
    return [f for f in ("json", "sarif") if f in FORMATS]


@pytest.mark.parametrize("kind", ["example", "messy"])
def test_output_is_byte_identical_across_hash_seeds_and_creation_orders(kind: str, tmp_path: Path) -> None:
    src = _source(kind, tmp_path)
    outputs: dict[str, set[bytes]] = {fmt: set() for fmt in _formats()}
    exits = set()
    for n, seed in enumerate(SEEDS):
        # Same mesh name, different parent and creation order, so paths relative to the root are equal.
        root = tmp_path / f"copy{n}" / "mesh"
        _copy_in_order(src, root, seed=n)
        args = [sys.executable, "-m", "govern", "check", str(root), "--today", TODAY]
        for fmt in outputs:
            args += ["-f", f"{fmt}={tmp_path / f'out{n}.{fmt}'}"]
        env = {**os.environ, "PYTHONHASHSEED": seed, "NO_COLOR": "1"}
        proc = subprocess.run(args, capture_output=True, env=env, cwd=root.parent, timeout=120)
        assert b"Traceback" not in proc.stderr, proc.stderr.decode()
        exits.add(proc.returncode)
        for fmt in outputs:
            outputs[fmt].add((tmp_path / f"out{n}.{fmt}").read_bytes())
    assert exits == {1}
    for fmt, seen in outputs.items():
        assert len(seen) == 1, f"{fmt} output differs between runs"
        assert str(tmp_path).encode() not in next(iter(seen)), f"{fmt} output contains an absolute path"
    if "sarif" not in outputs:
        pytest.skip("json checked; no sarif renderer in this tree")


def test_sarif_renderer_is_present() -> None:
    """The SARIF half of the determinism test above is only skipped while the renderer is missing."""
    if "sarif" not in FORMATS:
        pytest.skip("the sarif renderer (issue 4) is not in this tree yet")
    assert "sarif" in _formats()


def _shuffle_listings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every directory listing (os.scandir, os.listdir; os.walk and pathlib use them) comes back
    in a different random order."""
    rng = random.Random(7)
    real_scandir, real_listdir = os.scandir, os.listdir

    class _Listing:
        """Behaves like the iterator os.scandir returns (os.walk calls next() on it)."""

        def __init__(self, entries: list) -> None:
            self.entries = iter(entries)

        def __iter__(self):
            return self

        def __next__(self):
            return next(self.entries)

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            return None

        def close(self) -> None:
            return None

    def scandir(path="."):
        with real_scandir(path) as it:
            entries = list(it)
        rng.shuffle(entries)
        return _Listing(entries)

    def listdir(path="."):
        entries = real_listdir(path)
        rng.shuffle(entries)
        return entries

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "listdir", listdir)


def test_output_is_identical_with_shuffled_directory_listings(tmp_path: Path, monkeypatch) -> None:
    mesh = _messy_mesh(tmp_path / "mesh")
    plain = {fmt: govern("check", str(mesh.root), "-f", fmt).stdout for fmt in _formats()}
    assert all(plain.values())
    _shuffle_listings(monkeypatch)
    orders = {tuple(os.listdir(mesh.root / "finance")) for _ in range(5)}
    assert len(orders) > 1, "the listings are not shuffled"
    for _ in range(3):
        for fmt, expected in plain.items():
            assert govern("check", str(mesh.root), "-f", fmt).stdout == expected
