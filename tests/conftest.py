from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from meshkit import MeshDir

pytest_plugins = ["steps", "steps_standards", "steps_git", "steps_scorecard", "steps_sql", "steps_trust", "steps_importers"]


@pytest.fixture
def mesh(tmp_path: Path) -> MeshDir:
    return MeshDir(tmp_path / "mesh")


@pytest.fixture(scope="session")
def _cache_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("xdg-cache")


@pytest.fixture(autouse=True)
def _own_cache_home(_cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """govern's per-user caches (index key, pack cache) go to a directory of the test run, never ~/.cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(_cache_home))


@pytest.fixture
def pack_copy(tmp_path: Path) -> Path:
    """A copy of the shipped standards pack (rules/ and standards/) to edit."""
    import shutil

    from govern.standards.pack import default_pack_root

    root = default_pack_root()
    dest = tmp_path / "pack"
    shutil.copytree(root / "rules", dest / "rules")
    shutil.copytree(root / "standards", dest / "standards")
    return dest
