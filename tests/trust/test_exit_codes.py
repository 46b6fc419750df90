"""The exit-code table of docs/readme-trust.md is true: every documented code of every command is
produced by a real scenario, every command is in the table, and a usage error is always 2."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from trustkit import BAD, base_mesh, copy_pack, govern

from govern.cli.main import COMMANDS, cli

REPO = Path(__file__).resolve().parents[2]
MARKER = "<!-- exit-codes -->"


def _table() -> dict[str, dict[int, str]]:
    """{command: {code: meaning}} from the table after the marker (README.md once merged, else the doc)."""
    for doc in (REPO / "README.md", REPO / "docs" / "readme-trust.md"):
        text = doc.read_text(encoding="utf-8") if doc.exists() else ""
        if MARKER in text:
            break
    else:  # pragma: no cover
        pytest.fail(f"no exit-code table ({MARKER}) in README.md or docs/readme-trust.md")
    rows = {}
    for line in text.split(MARKER, 1)[1].strip().splitlines():
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        names = re.findall(r"`govern ([a-z ]+)`", cells[0])
        for name in names:
            rows[name] = {code: cells[code + 1] for code in (0, 1, 2) if cells[code + 1] not in ("", "-", "—")}
    return rows


def _leaf_commands() -> list[str]:
    out = []
    for name in sorted(COMMANDS):
        command = cli.get_command(click.Context(cli), name)
        if isinstance(command, click.Group):
            out += [f"{name} {sub}" for sub in sorted(command.commands)]
        else:
            out.append(name)
    return out


TABLE = _table()


def test_every_command_is_in_the_table_and_exit_2_is_always_documented() -> None:
    assert sorted(TABLE) == _leaf_commands(), "document the exit codes of new commands in docs/readme-trust.md"
    assert all(2 in codes for codes in TABLE.values())


@pytest.mark.parametrize("command", _leaf_commands())
def test_a_usage_error_exits_2(command: str) -> None:
    out = govern(*command.split(), "--no-such-option")
    assert out.exit_code == 2 and "No such option" in out.stderr


# ------------------------------------------------------------------ one real scenario per documented code

def _clean(tmp: Path) -> Path:
    return base_mesh(tmp / "mesh").root


def _failing(tmp: Path) -> Path:
    mesh = base_mesh(tmp / "mesh")
    mesh.product("finance.revenue", {"namespace": "qa"})
    return mesh.root


def _broken_config(tmp: Path) -> Path:
    mesh = base_mesh(tmp / "mesh")
    mesh.write("govern.yaml", "standards: [mesh-core\n")
    return mesh.root


def _with_broken_manifest(tmp: Path) -> Path:
    mesh = base_mesh(tmp / "mesh")
    mesh.write("logistics/shipments/dataproduct.yaml", "kind: DataProduct\nid: [\n")
    return mesh.root


def _a_file(tmp: Path) -> Path:
    path = tmp / "a-file"
    path.write_text("not a directory\n", encoding="utf-8")
    return path


def _broken_pack(tmp: Path) -> str:
    pack = copy_pack(tmp / "pack")
    shutil.copyfile(BAD / "cedar" / "syntax_error.cedar", pack / "rules" / "cedar" / "test.cedar")
    return str(pack)


def _edited_release(tmp: Path) -> str:
    pack = copy_pack(tmp / "pack")
    version = pack / "standards" / "mesh-core" / "1.0.0.yaml"
    version.write_text(version.read_text(encoding="utf-8").replace(
        "{id: owner.required, mode: enforce}", "{id: owner.required, mode: audit}"), encoding="utf-8")
    return str(pack)


def _relocked(tmp: Path) -> str:
    """A copy of the shipped pack whose lock matches its rules (the working tree may be mid-change)."""
    pack = copy_pack(tmp / "pack")
    (pack / "standards" / "mesh-core" / "standards.lock").unlink()
    assert govern("standards", "lock", "--pack", str(pack)).exit_code == 0
    return str(pack)


def _case_that_no_longer_holds(tmp: Path) -> str:
    """A copy of the shipped pack whose case of namespace.enum fails with a value the rule accepts."""
    pack = copy_pack(tmp / "pack")
    cases = pack / "rules" / "cases" / "manifest.yaml"
    text = cases.read_text(encoding="utf-8")
    assert "    fail: {namespace: production}" in text
    cases.write_text(text.replace("    fail: {namespace: production}", "    fail: {namespace: preprod}"),
                     encoding="utf-8")
    return str(pack)


def _history(tmp: Path, good: bool) -> list[str]:
    root = _clean(tmp)
    db = tmp / "history.db"
    if good:
        assert govern("report", str(root), "-o", str(tmp / "report"), "--history", str(db)).exit_code == 0
    else:
        db.write_text("this is not a database\n", encoding="utf-8")
    return [str(root), "--history", str(db)]


Scenario = Callable[[Path], list[str]]
SCENARIOS: dict[tuple[str, int], Scenario] = {
    ("check", 0): lambda t: [str(_clean(t))],
    ("check", 1): lambda t: [str(_failing(t))],
    ("check", 2): lambda t: [str(_broken_config(t))],
    ("gate", 0): lambda t: [str(_clean(t))],
    ("gate", 1): lambda t: [str(_failing(t))],
    ("gate", 2): lambda t: [str(_clean(t)), "--pack", _broken_pack(t)],
    ("standards validate", 0): lambda t: [],
    ("standards validate", 2): lambda t: ["--pack", _broken_pack(t)],
    ("standards verify", 0): lambda t: ["--pack", _relocked(t)],
    ("standards verify", 2): lambda t: ["--pack", _edited_release(t)],
    ("standards check", 0): lambda t: ["--pack", _relocked(t)],
    ("standards check", 2): lambda t: ["--pack", _edited_release(t)],
    ("init", 0): lambda t: [str(t / "governance")],
    ("init", 2): lambda t: [str(_a_file(t) / "governance")],
    ("standards list", 0): lambda t: [],
    ("standards list", 2): lambda t: ["--pack", _broken_pack(t)],
    ("standards show", 0): lambda t: [],
    ("standards show", 2): lambda t: ["9.9.9"],
    ("standards lock", 0): lambda t: ["--pack", str(copy_pack(t / "pack"))],
    ("standards lock", 2): lambda t: ["--pack", _broken_pack(t)],
    ("standards test", 0): lambda t: ["namespace.enum", "owner.person-email"],
    ("standards test", 1): lambda t: ["--pack", _case_that_no_longer_holds(t)],
    ("standards test", 2): lambda t: ["--pack", _broken_pack(t)],
    ("schema", 0): lambda t: [],
    ("schema", 2): lambda t: ["unexpected-argument"],
    ("convert", 0): lambda t: [str(_clean(t)), "-o", str(t / "out")],
    ("convert", 1): lambda t: [str(_with_broken_manifest(t)), "-o", str(t / "out")],
    ("convert", 2): lambda t: [str(_broken_config(t)), "-o", str(t / "out")],
    ("baseline create", 0): lambda t: [str(_failing(t)), "-o", str(t / "baseline.json")],
    ("baseline create", 2): lambda t: [str(_broken_config(t)), "-o", str(t / "baseline.json")],
    ("report", 0): lambda t: [str(_failing(t)), "-o", str(t / "out"), "--history", str(t / "h.db")],
    ("report", 2): lambda t: [str(_broken_config(t)), "-o", str(t / "out"), "--history", str(t / "h.db")],
    ("scorecard", 0): lambda t: [str(_failing(t))],
    ("scorecard", 2): lambda t: [str(_broken_config(t))],
    ("lineage", 0): lambda t: [str(_clean(t))],
    ("lineage", 2): lambda t: [str(_clean(t)), "--product", "no.such_product"],
    ("impact", 0): lambda t: [str(_clean(t)), "sales.orders"],
    ("impact", 2): lambda t: [str(_clean(t)), "no.such_product"],
    ("history", 0): lambda t: _history(t, good=True),
    ("history", 2): lambda t: _history(t, good=False),
    ("rules", 0): lambda t: [str(_clean(t))],
    ("rules", 2): lambda t: [str(_broken_config(t))],
    ("explain", 0): lambda t: ["owner.required", "--path", str(_clean(t))],
    ("explain", 2): lambda t: ["owner.requird", "--path", str(_clean(t))],
}
DOCUMENTED = [(cmd, code) for cmd, codes in sorted(TABLE.items()) for code in sorted(codes)]


def test_every_documented_code_has_a_scenario() -> None:
    assert sorted(set(DOCUMENTED) - set(SCENARIOS)) == []


@pytest.mark.parametrize(("command", "code"), DOCUMENTED, ids=[f"{c}={n}" for c, n in DOCUMENTED])
def test_documented_exit_code(command: str, code: int, tmp_path: Path) -> None:
    if (command, code) not in SCENARIOS:
        pytest.fail(f"no scenario for '{command}' exit {code}")
    out = govern(*command.split(), *SCENARIOS[(command, code)](tmp_path))
    assert out.exit_code == code, out.stdout[-1500:] + out.stderr
    assert "Traceback" not in out.stdout + out.stderr
    if code == 2:
        assert out.stderr.strip(), "exit 2 without saying why"
