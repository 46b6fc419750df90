"""Fixtures shared by the trust tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture()
def xdg(tmp_path: Path) -> Path:
    """This test's own cache home (its own key, pack cache and index)."""
    return tmp_path / "xdg"
