"""A whole-mesh check reuses the last whole-mesh result only while nothing it was computed from changed
(govern/incremental/memo.py).

Each test writes a mesh, lets it settle (files older than ``MARGIN_NS`` before the run that seals a result),
runs ``govern check .`` in a fresh process to seal the result, changes one input the way editors, archive
tools and reviewers do, and asserts that the next whole-mesh check gives exactly what it gives with every
cache off: output, byte for byte, and exit code. ``GOVERN_CACHE_DEBUG`` says whether the last result was
used; where nothing changed, it must be.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from meshkit import MeshDir, base_product, merge
from trustkit import FIXED_NS, VALID_WAIVER, copy_pack, same_size_edit

TODAY = "2026-06-01"
USED = "last result used"
ORDERS = "sales/orders/dataproduct.yaml"
ORDERS_SQL = "sales/orders/orders.sql"
SQL_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sql"


def build(root: Path) -> MeshDir:
    mesh = MeshDir(root)
    mesh.org()
    mesh.product("crm.customers", {"owner": {"person": "Ben from CRM"}})
    mesh.write_yaml(ORDERS, merge(base_product("sales.orders"), {
        "inputs": [{"product": "crm.customers"}], "execution": {"code": ["orders.sql"]}}))
    mesh.write(ORDERS_SQL, "select t0.id from analytics.crm_prod.customers as t0;\n")
    mesh.write("waivers.yaml", VALID_WAIVER)
    return mesh


def settle(root: Path) -> None:
    """Every file an old mtime, then wait out the margin: their ctimes too are older than the next run."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".govern-cache"]
        for name in filenames:
            os.utime(Path(dirpath) / name, ns=(FIXED_NS, FIXED_NS))
    time.sleep(1.2)


def govern(root: Path, *args: str, xdg: Path, cache: bool = True, today: str | None = TODAY) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of the real CLI in a fresh process, in ``root``."""
    argv = [sys.executable, "-m", "govern", *args] + (["--today", today] if today else [])
    env = {**os.environ, "XDG_CACHE_HOME": str(xdg), "GOVERN_CACHE": "1" if cache else "0", "NO_COLOR": "1",
           "GOVERN_CACHE_DEBUG": "1"}
    proc = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, proc.stdout, proc.stderr


def answer(root: Path, xdg: Path, *args: str, today: str | None = TODAY) -> tuple[tuple[int, str], bool]:
    """((exit code, JSON output) of a whole-mesh check, whether the last result was used), after asserting
    that the same check with every cache off answers exactly so."""
    code, out, err = govern(root, "check", ".", "-f", "json", *args, xdg=xdg, today=today)
    uncached = govern(root, "check", ".", "-f", "json", *args, xdg=xdg, cache=False, today=today)[:2]
    assert (code, out) == uncached
    return (code, out), USED in err


@pytest.fixture()
def mesh(tmp_path: Path, xdg: Path) -> Path:
    """The mesh, settled, and a whole-mesh check that sealed its result."""
    root = tmp_path / "mesh"
    build(root)
    settle(root)
    code, _, err = govern(root, "check", ".", "-f", "json", xdg=xdg)
    assert code in (0, 1) and USED not in err
    assert (root / ".govern-cache" / "last-check.bin").is_file()
    return root


def rules_of(out: str) -> set[tuple[str, str | None, bool]]:
    import json

    return {(f["rule"], f["product"], f["waived"]) for f in json.loads(out)["findings"]}


def test_an_unchanged_mesh_is_answered_from_the_last_result_in_every_format(mesh: Path, xdg: Path) -> None:
    _, used = answer(mesh, xdg)
    assert used
    for fmt in ("text", "sarif", "junit", "markdown", "github"):
        code, out, err = govern(mesh, "check", ".", "-f", fmt, xdg=xdg)
        assert USED in err
        assert (code, out) == govern(mesh, "check", ".", "-f", fmt, xdg=xdg, cache=False)[:2], fmt


def _owner_edit(root: Path) -> None:
    same_size_edit(root / ORDERS, "group: sales-data", "group: sales-xxxx")


def _sql_edit(root: Path) -> None:
    same_size_edit(root / ORDERS_SQL, "select t0.id", "selec( t0.id")


def _org_edit(root: Path) -> None:
    path = root / "org.yaml"
    data = yaml.safe_load(path.read_text())
    data["teams"] = [t for t in data["teams"] if t["id"] != "sales-data"]
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _waiver_dropped(root: Path) -> None:
    (root / "waivers.yaml").write_text("waivers: []\n")


def _config_excludes_crm(root: Path) -> None:
    path = root / "govern.yaml"
    text = path.read_text() if path.is_file() else ""
    path.write_text(text + "exclude: ['crm/**']\n")


def _new_product(root: Path) -> None:
    MeshDir(root).product("crm.leads", {"owner": {"group": "nobody-knows"}}, relpath="crm/leads/dataproduct.yaml")


def _manifest_in_a_skipped_folder(root: Path) -> None:
    MeshDir(root).product("crm.hidden", relpath="crm/node_modules/pkg/dataproduct.yaml")


def _manifest_deleted(root: Path) -> None:
    (root / "crm" / "customers" / "dataproduct.yaml").unlink()


def _org_linked(root: Path) -> None:
    """org.yaml replaced by a link to a copy of itself (a link is never a root file a result keys on)."""
    (root / "teams").mkdir()
    os.replace(root / "org.yaml", root / "teams" / "org.yaml")
    os.symlink("teams/org.yaml", root / "org.yaml")


def _misnamed_manifest(root: Path) -> None:
    shutil.copy(root / ORDERS, root / "sales" / "orders" / "DataProduct.yaml")


@pytest.mark.parametrize("change", [_owner_edit, _sql_edit, _org_edit, _waiver_dropped, _config_excludes_crm,
                                    _new_product, _manifest_in_a_skipped_folder, _manifest_deleted,
                                    _org_linked, _misnamed_manifest],
                         ids=lambda f: f.__name__.strip("_"))
def test_a_changed_input_is_evaluated_afresh(mesh: Path, xdg: Path, change) -> None:
    before, _ = answer(mesh, xdg)
    change(mesh)
    after, used = answer(mesh, xdg)
    assert not used
    assert after != before


def test_other_options_are_other_results(mesh: Path, xdg: Path) -> None:
    """--today and the standard version are part of what a result is found under."""
    _, used = answer(mesh, xdg, today="2026-07-02")  # the waiver has expired by then
    assert not used
    _, used = answer(mesh, xdg, "--standards-version", "1.0.0")
    assert not used
    _, used = answer(mesh, xdg, "--standards-version", "1.0.0")
    assert used


def test_a_changed_rule_of_the_pack_in_force_is_evaluated_afresh(tmp_path: Path, xdg: Path) -> None:
    """The pack named by --pack: a rule's help edited after the result was sealed (the lock then fails)."""
    pack = copy_pack(tmp_path / "pack")
    root = tmp_path / "mesh"
    build(root)
    settle(root)
    _, used = answer(root, xdg, "--pack", str(pack))
    assert not used
    _, used = answer(root, xdg, "--pack", str(pack))
    assert used
    rules = pack / "rules" / "owner.yaml"
    rules.write_text(rules.read_text().replace("help: ", "help: Changed. ", 1))
    (code, _), used = answer(root, xdg, "--pack", str(pack))
    assert not used and code == 2


def test_a_waiver_that_expires_after_the_result_was_sealed(mesh: Path, xdg: Path) -> None:
    """Without --today a result holds only until the first waiver expiry after its run began."""
    expires = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=4)).replace(microsecond=0)
    (mesh / "waivers.yaml").write_text(VALID_WAIVER.replace("2026-07-01", expires.isoformat()))
    settle(mesh)
    _, out, _ = govern(mesh, "check", ".", "-f", "json", xdg=xdg, today=None)
    assert ("owner.person-email", "crm.customers", True) in rules_of(out)
    while dt.datetime.now(dt.UTC) < expires + dt.timedelta(seconds=0.5):
        time.sleep(0.2)
    (_code, out), used = answer(mesh, xdg, today=None)
    assert not used
    assert ("owner.person-email", "crm.customers", False) in rules_of(out)


def test_sql_cut_short_by_its_time_limit_is_never_sealed(tmp_path: Path, xdg: Path) -> None:
    """A time limit hit depends on the machine's load: such a result is computed again by every run."""
    root = tmp_path / "mesh"
    build(root)
    text = (SQL_FIXTURES / "tpch_q02.sql").read_text().rstrip().rstrip(";")
    (root / ORDERS_SQL).write_text(";\n".join([text] * 400))
    (root / "govern.yaml").write_text("sql:\n  timeoutSeconds: 0.02\n")
    settle(root)
    _code, out, _ = govern(root, "check", ".", "-f", "json", xdg=xdg)
    assert ("sql.too-complex", "sales.orders", False) in rules_of(out)
    assert not (root / ".govern-cache" / "last-check.bin").exists()
    _, _, err = govern(root, "check", ".", "-f", "json", xdg=xdg)
    assert USED not in err


def test_the_gate_and_recording_runs_never_reuse_a_result(mesh: Path, xdg: Path) -> None:
    for args in (("gate", "."), ("gate", ".", "--trust-cache")):
        _, _, err = govern(mesh, *args, xdg=xdg)
        assert USED not in err, args
    _, _, err = govern(mesh, "check", ".", "--record", "--history", str(mesh.parent / "h.sqlite"), xdg=xdg)
    assert USED not in err


def test_root_files_changed_while_a_run_read_them_are_never_sealed(tmp_path: Path) -> None:
    """The key digests govern.yaml, org.yaml and waivers.yaml before the run loads them: a result is sealed
    only when none of them changed since shortly before the run began (both reads saw the same bytes)."""
    from govern.incremental import memo

    root = tmp_path / "mesh"
    build(root)
    assert not memo.root_files_settled(root, time.time_ns())
    settle(root)
    began = time.time_ns()
    assert memo.root_files_settled(root, began)
    (root / "waivers.yaml").write_text("waivers: []\n")
    assert not memo.root_files_settled(root, began)
