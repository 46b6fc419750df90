"""The standards pack ships as package data: a plain install works outside a checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", str(ROOT), "-w", str(out)],
        check=True, capture_output=True,
    )
    return next(out.glob("govern_mesh-*.whl"))


def test_wheel_contains_the_standards_pack(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "govern/_pack/standards/mesh-core/1.0.0.yaml" in names
    assert "govern/_pack/standards/mesh-core/standards.lock" in names
    assert "govern/_pack/rules/cedar/schema.cedarschema" in names
    assert "govern/_pack/rules/owner.yaml" in names


def test_installed_wheel_verifies_its_pack_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {**os.environ, "PYTHONPATH": str(site)}
    code = (
        "import govern.standards.pack as s, sys; p = s.load_pack(); "
        "print(s.default_pack_root()); sys.exit(1 if s.verify_pack(p) or s.validate_pack(p) else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert str(site) in proc.stdout
