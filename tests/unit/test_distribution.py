"""The distribution name: ``govern`` on the public package index is an unrelated project, so nothing
govern writes or documents may tell anyone to install the bare name (issue 17, item 6)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from govern import DISTRIBUTION

ROOT = Path(__file__).resolve().parents[2]
GOVERN = Path(sys.executable).parent / "govern"

# An install command and what follows it on the line: pip, pip3, python -m pip, uv pip, pipx, uv add, poetry add.
INSTALL = re.compile(r"\b(?:pip3?|pipx|uv\s+pip|uv|poetry)\s+(?:install|add)\b(?P<args>.*)")
REQUIREMENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
DEPENDENCY_LIST = re.compile(r"additional_dependencies\s*:\s*\[(?P<items>[^\]]*)\]")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _installed_names(args: str) -> list[str]:
    """The distribution names of the requirement arguments of one install command line."""
    try:
        tokens = shlex.split(args, comments=True)
    except ValueError:  # an unbalanced quote in prose: fall back to whitespace
        tokens = args.split()
    names = []
    for token in tokens:
        token = token.strip("`'\",;)")
        if not token or token.startswith(("-", ".", "/", "$", "<", "#")) or re.match(r"[a-z+]+://", token):
            continue
        match = REQUIREMENT_NAME.match(token)
        if match:
            names.append(_normalise(match.group()))
    return names


def bare_installs(text: str) -> list[tuple[int, str]]:
    """(line, text) of every line that installs the distribution ``govern`` itself."""
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        names: list[str] = []
        for match in INSTALL.finditer(line):
            names += _installed_names(match.group("args"))
        for match in DEPENDENCY_LIST.finditer(line):
            names += [_normalise(item.strip(" '\"").split("=")[0].split(" ")[0]) for item in match.group("items").split(",")]
        if "govern" in names:
            out.append((number, line.strip()))
    return out


def test_the_detector_finds_bare_installs_and_lets_the_real_name_pass() -> None:
    bad = ['pip install "govern==0.1.0"', "pip install govern", "  - run: python -m pip install -U govern>=0.1",
           'pip install "govern @ git+https://example.com/govern@v1"', "pipx install govern[sql]",
           "additional_dependencies: [govern]"]
    good = [f'pip install "{DISTRIBUTION}==0.1.0"', f"pip install {DISTRIBUTION}", "pip install -q -e '.[test]'",
            "pip install pre-commit && pre-commit install", "pip install sqlglot[c]", "govern check .",
            f'pip install "{DISTRIBUTION} @ git+https://github.com/your-org/govern@v0.1.0"']
    assert [bare_installs(line) != [] for line in bad] == [True] * len(bad)
    assert [bare_installs(line) for line in good] == [[]] * len(good)


def test_pyproject_names_the_distribution_and_keeps_the_command() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] == DISTRIBUTION != "govern"
    assert project["scripts"] == {"govern": "govern.cli.entry:main"}


def test_version_names_the_distribution() -> None:
    proc = subprocess.run([str(GOVERN), "--version"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"govern ({DISTRIBUTION}), version 0.1.0"


def _docs() -> list[Path]:
    docs = [ROOT / "README.md", ROOT / ".pre-commit-hooks.yaml", *sorted((ROOT / "docs").glob("*.md"))]
    docs += sorted((ROOT / "examples").rglob("*.md"))
    return docs


@pytest.mark.parametrize("doc", _docs(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_doc_installs_the_bare_name(doc: Path) -> None:
    assert bare_installs(doc.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("copy_pack", [False, True], ids=["pinned", "copy-pack"])
def test_no_scaffold_installs_the_bare_name(tmp_path: Path, copy_pack: bool) -> None:
    proc = subprocess.run([str(GOVERN), "init", str(tmp_path), *(["--copy-pack"] if copy_pack else [])],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    written = sorted(p for p in tmp_path.rglob("*") if p.is_file() and "standards-pack" not in p.parts)
    assert {p.relative_to(tmp_path).as_posix() for p in written} >= {
        ".github/workflows/govern.yml", ".pre-commit-config.yaml", "govern.yaml"}
    found = {p.relative_to(tmp_path).as_posix(): bare_installs(p.read_text(encoding="utf-8")) for p in written}
    assert found == {rel: [] for rel in found}
    workflow = (tmp_path / ".github/workflows/govern.yml").read_text(encoding="utf-8")
    assert f'pip install "{DISTRIBUTION}==0.1.0"' in workflow
