"""The compiled parser (sqlglotc, ``sqlglot[c]``) and pure-Python sqlglot give the same output, byte for byte.

The suite runs on the compiled build (pyproject pins the pair). The pure build is the same sqlglot without
the compiled modules that sqlglotc lays over its ``.py`` files: a copy of the installed package without
its ``.so`` files, put first on ``PYTHONPATH`` of a subprocess, is pure sqlglot of the very same version
(a second virtualenv would cost a minute of installs). docs/readme-bench.md says how to run the whole
suite on pure sqlglot (``pip uninstall -y sqlglotc``).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.generate import generate

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "mesh"
TODAY = "2026-06-01"


def _installed(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


@pytest.fixture(scope="module")
def pure(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a subprocess that imports pure-Python sqlglot (the installed version, no .so)."""
    import sqlglot

    where = tmp_path_factory.mktemp("pure-sqlglot")
    shutil.copytree(Path(sqlglot.__file__).parent, where / "sqlglot",
                    ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(where), str(REPO)]), "GOVERN_CACHE": "0"}
    probe = subprocess.run([sys.executable, "-c", "import sqlglot, sqlglot.tokens as t; "
                            "print(sqlglot.__version__, t.SQLGLOTC_INSTALLED, sqlglot.__file__)"],
                           capture_output=True, text=True, env=env, check=True)
    version, compiled, path = probe.stdout.split()
    assert (version, compiled) == (sqlglot.__version__, "False") and path.startswith(str(where)), probe.stdout
    return env


def test_the_suite_runs_the_compiled_parser_of_sqlglots_own_version() -> None:
    """What CI installs (``.[test]``): sqlglotc of exactly sqlglot's version, and sqlglot using it."""
    import sqlglot.tokens

    compiled = _installed("sqlglotc")
    if compiled is None:
        pytest.skip("pure-Python sqlglot installed (no sqlglotc): the run docs/readme-bench.md describes")
    assert compiled == _installed("sqlglot") == sqlglot.__version__
    assert sqlglot.tokens.SQLGLOTC_INSTALLED


@pytest.mark.parametrize("which", ["example", "bench"])
def test_pure_sqlglot_finds_byte_for_byte_what_the_compiled_one_finds(which: str, pure: dict[str, str],
                                                                      tmp_path: Path) -> None:
    """``govern check -f json`` on the example mesh and a generated 1,000-product mesh (every planted
    violation, a file that does not parse among them): the same bytes from both builds."""
    root = EXAMPLE if which == "example" else tmp_path / "mesh"
    if which == "bench":
        generate(root, 1000, seed=7)
    command = [sys.executable, "-m", "govern", "check", str(root), "-f", "json", "--today", TODAY]
    compiled = subprocess.run(command, capture_output=True, text=True, timeout=600,
                              env={**os.environ, "GOVERN_CACHE": "0"})
    on_pure = subprocess.run(command, capture_output=True, text=True, timeout=600, env=pure)
    assert compiled.returncode == 1, compiled.stderr
    assert on_pure.returncode == compiled.returncode, on_pure.stderr
    assert on_pure.stdout == compiled.stdout
    rules = {f["rule"] for f in json.loads(compiled.stdout)["findings"]}
    assert any(r.startswith(("sql.", "lineage.")) for r in rules)  # the SQL decided something


def test_the_sql_scanner_tests_pass_on_pure_sqlglot(pure: dict[str, str]) -> None:
    """tests/unit/test_sqlscan.py (parse errors located, an unterminated string among them) on pure sqlglot;
    this run of the suite covers the compiled one."""
    out = subprocess.run([sys.executable, "-m", "pytest", "-o", "addopts=", "-q", "-p", "no:cacheprovider",
                          str(REPO / "tests" / "unit" / "test_sqlscan.py")],
                         capture_output=True, text=True, timeout=600, env=pure, cwd=REPO)
    assert out.returncode == 0, out.stdout[-4000:]
    assert " passed" in out.stdout and " failed" not in out.stdout and " skipped" not in out.stdout
