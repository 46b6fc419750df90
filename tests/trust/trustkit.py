"""Shared helpers of the trust tests: the corpus of broken inputs, the base mesh, running the CLI."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from meshkit import MeshDir

from govern.cli.main import cli
from govern.standards.pack import default_pack_root

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
BAD = CORPUS / "bad_inputs"
TODAY = "2026-06-01"
DEFAULT_AT = "logistics/shipments/dataproduct.yaml"

VALID_WAIVER = """waivers:
  - rule: owner.person-email
    product: crm.customers
    reason: CRM owner mailbox being set up
    approved_by: governance@example.com
    expires: 2026-07-01
"""


FIXED_NS = 1_000_000_000 * 10**9  # the one mtime an archive or a CI cache layer gives every file (2001)


def age(root: Path, ns: int = FIXED_NS) -> None:
    """Give every file and directory of the mesh one old mtime, as archive tools and CI cache layers do."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            os.utime(Path(dirpath) / name, ns=(ns, ns))
        os.utime(dirpath, ns=(ns, ns))


def same_size_edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` (same length) in place, then put the file's mtime back: an edit that
    keeps size and mtime, as archive tools and CI cache layers leave files."""
    assert len(old) == len(new)
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def load_cases() -> list[dict[str, Any]]:
    """The cases of tests/corpus/expected.yaml."""
    data = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
    return data["cases"]


def base_mesh(root: Path) -> MeshDir:
    """The mesh every broken input is put into: it passes check and gate on its own (see expected.yaml)."""
    mesh = MeshDir(root)
    mesh.org()
    mesh.product("sales.orders")
    mesh.product("crm.customers", {"owner": {"person": "Ben from CRM"},
                                   "access": {"readers": ["marketing-insights"]}})
    mesh.write("waivers.yaml", VALID_WAIVER)
    return mesh


def copy_pack(dest: Path) -> Path:
    """A copy of the shipped standards pack (rules/ and standards/) to break."""
    src = default_pack_root()
    shutil.copytree(src / "rules", dest / "rules")
    shutil.copytree(src / "standards", dest / "standards")
    return dest


def relocked_pack(dest: Path) -> Path:
    """A copy of the shipped pack locked afresh, for a test that swaps a registered Python rule: the lock
    covers each rule's code, so every run verifies it (govern/standards/pack.py ``verify_in_use``)."""
    from govern.standards.pack import load_pack, write_lock

    pack = copy_pack(dest)
    (pack / "standards" / "mesh-core" / "standards.lock").unlink()
    write_lock(load_pack(pack))
    return pack


@dataclass
class Run:
    """The outcome of one CLI invocation."""

    exit_code: int
    stdout: str
    stderr: str
    findings: list[dict[str, Any]] = field(default_factory=list)
    text: str = ""


def govern(*args: str, text_out: Path | None = None) -> Run:
    """Run the real CLI in-process; an unhandled exception fails the test (never a silent exit 1)."""
    argv = list(args)
    if argv and argv[0] in ("check", "gate"):
        argv += ["--today", TODAY]
    if text_out is not None:
        argv += ["-f", "json", "-f", f"text={text_out}"]
    result = CliRunner().invoke(cli, argv, catch_exceptions=False, env={"NO_COLOR": "1"})
    findings: list[dict[str, Any]] = []
    if text_out is not None and result.stdout.strip().startswith("{"):
        findings = json.loads(result.stdout)["findings"]
    text = text_out.read_text(encoding="utf-8") if text_out is not None and text_out.exists() else ""
    return Run(result.exit_code, result.stdout, result.stderr, findings, text)


# ------------------------------------------------------------------ generated cases (not committed)

def _template() -> str:
    return (CORPUS / "good" / "logistics_shipments.yaml").read_text(encoding="utf-8")


def _outside_dir(root: Path) -> Path:
    """A directory next to (not under) the mesh root holding a manifest that fails every rule."""
    outside = root.parent / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "dataproduct.yaml").write_text("kind: DataProduct\nid: secret.leak\nnamespace: nowhere\n",
                                              encoding="utf-8")
    return outside


def generate(name: str, mesh: MeshDir) -> None:
    """Write the generated case ``name`` into the mesh."""
    root = mesh.root
    target = root / DEFAULT_AT
    target.parent.mkdir(parents=True, exist_ok=True)
    template = _template()
    if name == "hundred_thousand_brackets":
        text = template.replace("access:\n", "tags: " + "[" * 100_000 + "]" * 100_000 + "\naccess:\n")
        target.write_text(text, encoding="utf-8")
    elif name == "oversize_file":
        target.write_text(template + "# " + "x" * (2 * 1024 * 1024) + "\n", encoding="utf-8")
    elif name == "too_many_nodes":
        target.write_text(template + "".join(f"k{i}: {i}\n" for i in range(100_001)), encoding="utf-8")
    elif name == "many_unknown_keys":
        target.write_text(template + "".join(f"extra{i}: 1\n" for i in range(5_000)), encoding="utf-8")
    elif name == "very_long_line":
        text = template.replace("  person: dee@example.com\n", "  person: Dee from logistics\n")
        text = text.replace("description: Parcels handed over to carriers, one row per parcel\n",
                            "description: " + "parcel " * 220_000 + "\n")
        target.write_text(text, encoding="utf-8")
    elif name == "symlinked_directory_outside":
        os.symlink(_outside_dir(root), root / "logistics" / "outside", target_is_directory=True)
    elif name == "symlinked_manifest_outside":
        os.symlink(_outside_dir(root) / "dataproduct.yaml", target)
    elif name == "symlink_loop":
        os.symlink(target.name, target)  # dataproduct.yaml -> dataproduct.yaml
    else:  # pragma: no cover - a typo in expected.yaml
        raise KeyError(f"unknown generated case {name!r}")
