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
