"""Layering contracts: the core is a library; the CLI is a thin layer; rules are data."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "govern"


def test_core_modules_never_import_click_or_the_cli() -> None:
    offenders = []
    for path in CORE.rglob("*.py"):
        rel = path.relative_to(CORE).as_posix()
        if rel.startswith("cli/") or rel == "__main__.py":
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"^\s*(import click|from click|from govern\.cli|import govern\.cli)", text, re.M):
            offenders.append(rel)
    assert offenders == []


def test_import_linter_contract_holds() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "KEPT" in proc.stdout


def test_importing_govern_and_checking_loads_no_heavy_library_without_need() -> None:
    code = (
        "import sys, govern; from govern.load.loader import load_mesh; "
        "print(sorted(m for m in ('click','sqlglot','networkx','jinja2') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_python_rule_module_registers_exactly_the_rules_it_declares() -> None:
    from govern.standards.checks import registry
    from govern.standards.pack import load_pack

    pack = load_pack()
    python_rules = {r.id for r in pack.rules.values() if r.engine == "python"}
    assert python_rules <= set(registry())


def _contracts() -> list[dict]:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]


def _top_level() -> set[str]:
    return {
        f"govern.{p.stem if p.is_file() else p.name}"
        for p in CORE.iterdir()
        if (p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists()))
        and p.stem not in ("__init__", "__main__", "cli")
    }


def test_every_core_module_is_under_the_click_contract() -> None:
    listed = set(_contracts()[0]["source_modules"])
    assert _top_level() - listed == set(), "add new core modules to the import-linter contract in pyproject.toml"


def test_the_folders_are_the_layers_of_the_contract() -> None:
    """Every folder of govern/ (and the facade modules) is a layer: a new folder cannot escape the contract."""
    layers = next(c for c in _contracts() if c["type"] == "layers")["layers"]
    assert _top_level() - {"govern.version"} == set(layers) - {"govern.cli"}
    assert layers[-1] == "govern.model" and layers[0] == "govern.cli"


def test_every_input_format_is_under_the_independence_contract() -> None:
    """A new importer cannot lean on another format's module unnoticed."""
    from govern.load.importers import FORMATS

    contract = next(c for c in _contracts() if c["type"] == "independence" and "importers" in c["modules"][0])
    assert {f"govern.load.importers.{f}" for f in FORMATS if f != "native"} == set(contract["modules"])


def test_no_import_cycles_in_govern() -> None:
    """Zero cycles between govern's modules; imports inside functions and under TYPE_CHECKING count too."""
    import grimp
    import networkx as nx

    graph = grimp.build_graph("govern", include_external_packages=False)
    edges = nx.DiGraph((m, dep) for m in graph.modules for dep in graph.find_modules_directly_imported_by(m))
    cycles = sorted(sorted(c) for c in nx.strongly_connected_components(edges) if len(c) > 1)
    assert cycles == []
