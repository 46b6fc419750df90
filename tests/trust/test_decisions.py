"""Nothing decided is not an ALLOW (issue 13, item 4): empty meshes, paths not in the mesh, signals.

Real files, the real CLI; the signal tests run the venv's ``govern`` console script as a subprocess.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from meshkit import MeshDir
from prockit import alive
from trustkit import TODAY, base_mesh
from trustkit import govern as run_govern

from bench.generate import generate

NOTHING = "nothing to check under"


@pytest.fixture
def mesh(tmp_path: Path) -> MeshDir:
    return base_mesh(tmp_path / "mesh")


@pytest.mark.parametrize("command", ["gate", "check"])
def test_an_empty_directory_decides_nothing_and_exits_2(tmp_path: Path, command: str) -> None:
    (tmp_path / "empty").mkdir()
    out = run_govern(command, str(tmp_path / "empty"), "--root", str(tmp_path / "empty"))
    assert out.exit_code == 2, out.stdout + out.stderr
    assert f"{NOTHING} {tmp_path / 'empty'}: is this the mesh root?" in out.stderr
    if command == "gate":
        assert "gate: UNDECIDED (fails closed)" in out.stdout


def test_allow_empty_accepts_a_run_that_finds_no_product(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    out = run_govern("gate", str(tmp_path / "empty"), "--root", str(tmp_path / "empty"), "--allow-empty")
    assert out.exit_code == 0, out.stdout + out.stderr
    assert "gate: ALLOWED" in out.stdout


def test_a_folder_with_only_sql_decides_nothing(mesh: MeshDir) -> None:
    mesh.write("scratch/query.sql", "select 1\n")
    out = run_govern("gate", str(mesh.root / "scratch"), "--root", str(mesh.root), "-f", "json")
    assert out.exit_code == 2
    decision = json.loads(out.stdout)["gate"]
    assert decision["decision"] == "undecided"
    assert any(NOTHING in u for u in decision["undecided"])


def test_a_mesh_whose_exclude_hides_every_product_decides_nothing(mesh: MeshDir) -> None:
    mesh.write("govern.yaml", "exclude: ['**']\n")
    assert run_govern("gate", str(mesh.root)).exit_code == 2


def test_a_mesh_whose_only_manifest_is_invalid_still_blocks(tmp_path: Path) -> None:
    mesh = MeshDir(tmp_path / "mesh")
    mesh.org()
    mesh.write("sales/orders/dataproduct.yaml", "id: [unclosed\n")
    out = run_govern("gate", str(mesh.root))
    assert out.exit_code == 1, out.stdout + out.stderr
    assert NOTHING not in out.stderr


def test_a_dbt_manifest_with_no_models_decides_nothing(mesh: MeshDir) -> None:
    manifest = mesh.write("target/manifest.json", json.dumps({
        "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"},
        "nodes": {}, "sources": {}, "exposures": {}, "metrics": {}, "groups": {}}))
    out = run_govern("gate", "--root", str(mesh.root), "--dbt", str(manifest))
    assert out.exit_code == 2, out.stdout + out.stderr


def test_a_path_outside_the_mesh_root_exits_2(mesh: MeshDir, tmp_path: Path) -> None:
    other = MeshDir(tmp_path / "other")
    other.product("sales.orders")
    out = run_govern("gate", str(other.root), "--root", str(mesh.root))
    assert out.exit_code == 2
    assert out.stderr == (f"govern: {other.root}: path is not in the mesh root {mesh.root.resolve()} "
                          "(expected a path under the mesh root; --root names another root)\n")


def test_a_path_that_does_not_exist_exits_2(mesh: MeshDir) -> None:
    out = run_govern("gate", str(mesh.root / "nowhere"), "--root", str(mesh.root))
    assert out.exit_code == 2
    assert "nowhere: path does not exist" in out.stderr


@pytest.mark.parametrize("command", ["gate", "check"])
def test_changed_files_that_affect_no_product_exit_0_and_say_so(mesh: MeshDir, command: str) -> None:
    readme = mesh.write("README.md", "# the mesh\n")
    out = run_govern(command, str(readme), "--root", str(mesh.root))
    assert out.exit_code == 0, out.stdout + out.stderr
    assert "govern: the changed files affect no product; nothing to check" in out.stderr


def test_baseline_create_with_no_product_exits_2(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    out = run_govern("baseline", "create", str(tmp_path / "empty"), "--root", str(tmp_path / "empty"),
                     "-o", str(tmp_path / "baseline.json"))
    assert out.exit_code == 2, out.stdout + out.stderr
    assert NOTHING in out.stderr
    assert not (tmp_path / "baseline.json").exists()


# --- signals ---------------------------------------------------------------------------------------

GOVERN = Path(sys.executable).parent / "govern"


@pytest.fixture(scope="module")
def big_mesh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mesh large enough that a cold gate is still running a second after start."""
    root = tmp_path_factory.mktemp("signals") / "mesh"
    generate(root, 600)
    return root


def _children_of(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(c) for c in text.split()]


@pytest.mark.skipif(not GOVERN.exists() or not Path("/proc/self/stat").exists(),
                    reason="needs the venv's console script and /proc")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("command", ["gate", "check"])
def test_a_signal_at_any_moment_exits_128_plus_signal_without_a_traceback(
    big_mesh: Path, sig: signal.Signals, command: str
) -> None:
    """Sent at several delays after start (start-up, imports, loading, the run): never 0 or 1, never a traceback."""
    env = {**os.environ, "NO_COLOR": "1", "GOVERN_CACHE": "0"}
    # check with files forks the early index child (govern/incremental/changed.py start_early) when an index exists
    args = [str(big_mesh)] if command == "gate" else [
        str(next(big_mesh.rglob("dataproduct.yaml"))), "--root", str(big_mesh)]
    if command == "check":
        env.pop("GOVERN_CACHE")
        subprocess.run([str(GOVERN), "check", str(big_mesh), "--today", TODAY], env=env, capture_output=True,
                       check=False, timeout=300)  # writes the mesh index
    before = reached = 0
    for delay in (0.0, 0.01, 0.03, 0.06, 0.1, 0.2, 0.4, 0.8):
        proc = subprocess.Popen([str(GOVERN), command, *args, "--today", TODAY], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(delay)
        children = _children_of(proc.pid)
        if proc.poll() is not None:  # the run was over before the signal: nothing to interrupt
            proc.communicate()
            continue
        proc.send_signal(sig)
        try:
            stdout, stderr = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        code = proc.returncode
        if _before_govern(stderr):
            before += 1
            continue
        reached += 1
        # 128+N from govern's handler; -N when the signal arrived before Python could run any handler
        assert code in (128 + sig, -sig, 2), (delay, code, stderr[-2000:])
        assert b"Traceback" not in stdout + stderr, (delay, stderr[-2000:])
        assert b"KeyboardInterrupt" not in stderr and b"Aborted" not in stderr, (delay, stderr[-2000:])
        deadline = time.monotonic() + 5
        while any(alive(c) for c in children) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not any(alive(c) for c in children), (delay, children)
    assert reached >= 3, (before, reached)  # most signals landed in govern's own code


def _before_govern(stderr: bytes) -> bool:
    """A KeyboardInterrupt raised before the console script ran a line of govern: in CPython's site import,
    the ``import re`` of the wrapper pip generates, or the import system finding the package. No frame of
    the traceback is a govern file; outside govern's reach (documented limit)."""
    if b"Traceback" not in stderr and b"init_import_site" not in stderr:
        return False
    return b"/govern/" not in stderr.replace(b"/bin/govern", b"")


# --- unique addresses (issue 13, item 7) -----------------------------------------------------------

@pytest.mark.parametrize("cached", [False, True], ids=["no index", "mesh index"])
def test_changed_files_mode_reports_a_claimed_address_like_a_whole_mesh_run(
    mesh: MeshDir, cached: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A product claiming another's table, then edited elsewhere: the edited file alone gives the finding on
    both claimants (namespace.unique-address reads the products sharing an address: the other claimant is
    affected, and with the mesh index the sub-mesh holds it)."""
    monkeypatch.setenv("GOVERN_CACHE", "1" if cached else "0")
    mesh.write("govern.yaml", "standards: {pack: mesh-core, version: 1.1.0}\ndialect: snowflake\n")
    claim = {"outputPorts": [
        {"name": "copy", "type": "table", "location": "ANALYTICS.SALES_PROD.Orders", "classification": "internal"}]}
    copy = mesh.product("sales.order_copy", claim)
    monkeypatch.setenv("GOVERN_CACHE_DEBUG", "1")
    time.sleep(1.1)  # files older than the index's racy margin, so that it vouches for them
    whole = run_govern("check", str(mesh.root), "-f", "json")  # writes the mesh index when caching is on
    time.sleep(0.05)
    mesh.product("sales.order_copy", {**claim, "description": "A copy of the orders, edited in this change"})
    changed = run_govern("check", str(copy), "--root", str(mesh.root), "-f", "json")
    for out in (whole, changed):
        assert out.exit_code == 1, out.stdout[-2000:] + out.stderr
    assert ("mesh index: answered" in changed.stderr) == cached, changed.stderr
    claims = [(f["product"], f["location"]["path"], f["location"]["line"])
              for f in json.loads(changed.stdout)["findings"] if f["rule"] == "namespace.unique-address"]
    assert ("sales.order_copy", "sales/order_copy/dataproduct.yaml", claims[0][2]) in claims, claims
    # the other claimant's finding depends on the edited product too: it is reported, as the whole run has it
    assert {c[0] for c in claims} == {"sales.order_copy", "sales.orders"}
    assert claims == [(f["product"], f["location"]["path"], f["location"]["line"])
                      for f in json.loads(whole.stdout)["findings"] if f["rule"] == "namespace.unique-address"]


# --- look-alike team ids (issue 13, item 6) --------------------------------------------------------

def test_two_team_ids_that_look_alike_are_an_error_in_org_yaml(mesh: MeshDir, tmp_path: Path) -> None:
    from meshkit import BASE_ORG

    # Cyrillic 'а' (U+0430) in the second id: it prints as sales-data
    mesh.org({"teams": [*BASE_ORG["teams"], {"id": "s\u0430les-data", "domain": "sales", "members": []}]})
    out = run_govern("gate", str(mesh.root), text_out=tmp_path / "out.txt")
    assert out.exit_code == 1, out.stdout[-2000:]
    hits = [f for f in out.findings if f["rule"] == "input.invalid" and f["location"]["path"] == "org.yaml"]
    assert [(f["severity"], f["location"]["line"]) for f in hits] == [("error", 2 + 4 * len(BASE_ORG["teams"]))]
    assert hits[0]["message"].startswith("team id 's\u0430les-data' looks like team 'sales-data'")


@pytest.mark.parametrize(("rule", "overlay"), [
    ("owner.group-exists", {"owner": {"group": "s\u0430les-data"}}),
    ("auth.reader-exists", {"access": {"visibility": "mesh", "readers": ["crm-c\u043ere"]}}),
])
def test_an_owner_group_or_reader_that_only_looks_like_a_team_says_so(
    mesh: MeshDir, tmp_path: Path, rule: str, overlay: dict
) -> None:
    mesh.product("sales.returns", overlay)
    out = run_govern("check", str(mesh.root), text_out=tmp_path / "out.txt")
    messages = [f["message"] for f in out.findings if f["rule"] == rule and f["product"] == "sales.returns"]
    team = "sales-data" if rule.startswith("owner") else "crm-core"
    assert len(messages) == 1 and messages[0].endswith(f"(it looks like team '{team}' but is not: check its characters)")
