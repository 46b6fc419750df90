"""Caches never change a verdict (issue 13, items 1 and 5).

Every test builds a small mesh on disk, runs the real CLI (``python -m govern``, the console script's
entry, so the early child of ``changed.start_early`` runs too) once over the whole mesh to write the
mesh index, changes the mesh the way archive tools, Nix, CI cache layers and editors do (an edit that
keeps the size and puts the mtime back, a file replaced by a rename, an index restored from another
checkout), and asserts that ``govern gate FILE``, ``govern check FILE`` and whole-mesh runs give exactly
what the same run gives with every cache off (``GOVERN_CACHE=0``): output and exit code.

The cache key and the cache files: a key that is empty, short or unreadable is never used, a write that
fails (a path through a regular file, a file size limit as a full disk) disables caching for the run and
leaves no temporary file, and a cache directory or index that is a symbolic link is never written through.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from meshkit import MeshDir, base_product, merge
from trustkit import FIXED_NS, VALID_WAIVER, age, same_size_edit

TODAY = "2026-06-01"
ORDERS = "sales/orders/dataproduct.yaml"
ORDERS_SQL = "sales/orders/orders.sql"
OLD = "crm/oldclient/dataproduct.yaml"
TOMBSTONED = {
    "lifecycle": {
        "state": "tombstoned",
        "events": [{"state": "init", "at": "2023-01-09"}, {"state": "active", "at": "2023-02-06"},
                   {"state": "deprecated", "at": "2024-05-06"}, {"state": "retired", "at": "2024-11-04"},
                   {"state": "tombstoned", "at": "2025-05-05"}],
        "sunset": "2024-11-04",
        "reason": "merged into crm.customers",
    },
    "tombstone": {"at": "2025-05-05", "reason": "merged into crm.customers"},
}


def build(root: Path) -> MeshDir:
    """A mesh the gate allows: sales.orders reads crm.customers (inputs and SQL); crm.oldclient is tombstoned
    (same id length as crm.customers, so an edit can swap one for the other and keep the file's size)."""
    mesh = MeshDir(root)
    mesh.org()
    mesh.product("crm.customers", {"owner": {"person": "Ben from CRM"}})
    mesh.product("crm.oldclient", TOMBSTONED)
    mesh.write_yaml(ORDERS, merge(base_product("sales.orders"), {
        "inputs": [{"product": "crm.customers"}], "execution": {"code": ["orders.sql"]}}))
    mesh.write(ORDERS_SQL, "select t0.id from analytics.crm_prod.customers as t0;\n")
    mesh.write("waivers.yaml", VALID_WAIVER)
    return mesh


def govern(root: Path, *args: str, cache: bool = True, xdg: Path,
           preexec: Callable[[], None] | None = None) -> tuple[int, str]:
    """(exit code, stdout + stderr) of the real CLI in a fresh process, in ``root``."""
    argv = [sys.executable, "-m", "govern", *args]
    if args[0] in ("check", "gate"):
        argv += ["--today", TODAY]
    if args[0] == "gate" and cache:
        argv.append("--trust-cache")  # the gate reads no cache unless told to (test_the_gate_reads_no_cache...)
    env = {**os.environ, "XDG_CACHE_HOME": str(xdg), "GOVERN_CACHE": "1" if cache else "0", "NO_COLOR": "1"}
    env.pop("GOVERN_CACHE_DEBUG", None)
    proc = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, timeout=120,
                          preexec_fn=preexec)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, proc.stdout + proc.stderr


def full_run(root: Path, xdg: Path) -> None:
    """A whole-mesh run that writes the index (files must be older than the run: ``stamps.MARGIN_NS``)."""
    code, out = govern(root, "gate", ".", xdg=xdg)
    assert code == 0, out
    assert (root / ".govern-cache" / "mesh-index.bin").is_file()


# the whole-mesh check may answer from the last whole-mesh result (govern/incremental/memo.py)
RUNS = (("gate", ORDERS), ("check", "-f", "json", ORDERS), ("gate", ORDERS_SQL), ("check", ORDERS_SQL),
        ("check", "-f", "json", "."), ("gate", "."))


def assert_uncached(root: Path, xdg: Path, runs: tuple = RUNS, blocked: bool = True) -> None:
    """Every run answers as with the caches off (and the change is one the gate must block)."""
    codes = {}
    for run in runs:
        cached = govern(root, *run, xdg=xdg)
        uncached = govern(root, *run, cache=False, xdg=xdg)
        assert cached == uncached, run
        codes[run] = uncached[0]
    if blocked:
        whole = ("gate", ".")
        assert (codes[whole] if whole in codes else govern(root, *whole, cache=False, xdg=xdg)[0]) == 1


@pytest.fixture()
def mesh(tmp_path: Path, xdg: Path) -> Path:
    """The mesh, aged to one mtime, indexed by a whole-mesh run with the caches on."""
    root = tmp_path / "mesh"
    build(root)
    age(root)
    full_run(root, xdg)
    return root


@pytest.fixture()
def settled(tmp_path: Path, xdg: Path) -> Path:
    """As ``mesh``, but indexed more than ``MARGIN_NS`` after the last change of any file, so no entry is racy
    and only the stat comparison (ctime, inode) can tell an edit that put size and mtime back."""
    root = tmp_path / "mesh"
    build(root)
    age(root)
    time.sleep(1.2)
    full_run(root, xdg)
    return root


# --- item 1: an edit that keeps size and mtime ---------------------------------------------------------


def test_named_manifest_now_reading_a_tombstoned_product_is_seen(mesh: Path, xdg: Path) -> None:
    same_size_edit(mesh / ORDERS, "product: crm.customers", "product: crm.oldclient")
    assert_uncached(mesh, xdg)
    assert "tombstoning.consume-retired" in govern(mesh, "gate", ORDERS, xdg=xdg)[1]


def test_named_sql_now_reading_a_tombstoned_product_is_seen(mesh: Path, xdg: Path) -> None:
    same_size_edit(mesh / ORDERS_SQL, "crm_prod.customers", "crm_prod.oldclient")
    assert_uncached(mesh, xdg)
    code, out = govern(mesh, "gate", ORDERS_SQL, xdg=xdg)
    assert code == 1 and "tombstoning.consume-retired" in out


def test_unnamed_producer_edit_is_seen_by_ctime(settled: Path, xdg: Path) -> None:
    """crm.oldclient (not named) now claims the table sales.orders reads; only its ctime moved."""
    same_size_edit(settled / OLD, "analytics.crm_prod.oldclient", "analytics.crm_prod.customers")
    assert_uncached(settled, xdg, blocked=False)


def test_owner_changed_with_size_and_mtime_kept(settled: Path, xdg: Path) -> None:
    same_size_edit(settled / ORDERS, "group: sales-data", "group: sales-xxxx")
    assert_uncached(settled, xdg)


def test_file_replaced_by_rename_is_seen_by_inode(settled: Path, xdg: Path) -> None:
    """An editor or ``git checkout`` writes a new file and renames it over the old one (a new inode)."""
    path = settled / ORDERS_SQL
    before = path.stat()
    new = path.with_name("orders.sql.new")
    new.write_text(path.read_text().replace("customers", "oldclient"))
    os.utime(new, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(new, path)
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert path.stat().st_ino != before.st_ino
    assert_uncached(settled, xdg, runs=(("gate", ORDERS), ("check", ORDERS), ("gate", "."), ("check", ".")))


def test_a_new_manifest_in_a_directory_whose_mtime_was_put_back(settled: Path, xdg: Path) -> None:
    """A product added that claims the table sales.orders reads, the directory's mtime put back: the listing
    is read again (the directory's ctime moved)."""
    folder = settled / "crm"
    before = folder.stat()
    port = {**base_product("crm.newclient")["outputPorts"][0], "location": "analytics.crm_prod.customers"}
    MeshDir(settled).product("crm.newclient", {"outputPorts": [port]}, relpath="crm/again/dataproduct.yaml")
    os.utime(settled / "crm" / "again" / "dataproduct.yaml", ns=(FIXED_NS, FIXED_NS))
    os.utime(settled / "crm" / "again", ns=(FIXED_NS, FIXED_NS))
    os.utime(folder, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert_uncached(settled, xdg, blocked=False)


def test_org_and_waivers_edits_with_size_and_mtime_kept(mesh: Path, xdg: Path) -> None:
    same_size_edit(mesh / "org.yaml", "id: sales-data", "id: sales-xxxx")
    same_size_edit(mesh / "waivers.yaml", "expires: 2026-07-01", "expires: 2026-05-01")
    assert_uncached(mesh, xdg, runs=(*RUNS, ("gate", "org.yaml"), ("check", "waivers.yaml")))


def test_an_index_restored_from_another_checkout(tmp_path: Path, xdg: Path) -> None:
    """A CI cache restored into a different commit: the index of commit A, the files of commit B."""
    root = tmp_path / "mesh"
    build(root)
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    (root / ".gitignore").write_text(".govern-cache/\n")
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "A"], check=True)
    same_size_edit(root / ORDERS_SQL, "crm_prod.customers", "crm_prod.oldclient")
    same_size_edit(root / ORDERS, "product: crm.customers", "product: crm.oldclient")
    subprocess.run([*git, "commit", "-qam", "B"], check=True)
    subprocess.run([*git, "checkout", "-q", "HEAD~1"], check=True)
    age(root)
    time.sleep(1.2)
    full_run(root, xdg)
    saved = tmp_path / "index-of-A.bin"
    shutil.copy2(root / ".govern-cache" / "mesh-index.bin", saved)
    subprocess.run([*git, "checkout", "-q", "main"], check=True)
    age(root)  # the restored cache layer gives every file the same mtime again
    shutil.copy2(saved, root / ".govern-cache" / "mesh-index.bin")
    for run in RUNS:
        cached = govern(root, *run, xdg=xdg)
        shutil.copy2(saved, root / ".govern-cache" / "mesh-index.bin")  # a whole-mesh run rewrites it
        assert cached == govern(root, *run, cache=False, xdg=xdg), run
    assert govern(root, "gate", ORDERS_SQL, xdg=xdg)[0] == 1


def test_an_index_copied_from_another_mesh_is_not_used(mesh: Path, tmp_path: Path, xdg: Path) -> None:
    other = tmp_path / "other"
    build(other)
    same_size_edit(other / ORDERS, "product: crm.customers", "product: crm.oldclient")
    age(other)
    shutil.copy2(mesh / ".govern-cache" / "mesh-index.bin", tmp_path / "clean.bin")
    (other / ".govern-cache").mkdir()
    shutil.copy2(tmp_path / "clean.bin", other / ".govern-cache" / "mesh-index.bin")
    assert_uncached(other, xdg, runs=(("gate", ORDERS), ("check", ORDERS)))
    assert govern(other, "gate", ORDERS, xdg=xdg)[0] == 1


# --- item 5: keys and temporary files ------------------------------------------------------------------


def key(xdg: Path) -> Path:
    return xdg / "govern" / "index.key"


def leftovers(*folders: Path) -> list[str]:
    """Temporary files left in ``folders`` (a failed write must remove its own)."""
    return sorted(p.name for f in folders if f.is_dir() for p in f.iterdir() if ".tmp" in p.name)


@pytest.mark.parametrize("content", [b"", b"short", b"\x00" * 31, b"k" * 65],
                         ids=["empty", "short", "31-bytes", "65-bytes"])
def test_a_bad_key_is_recreated_atomically(tmp_path: Path, xdg: Path, content: bytes) -> None:
    root = tmp_path / "mesh"
    build(root)
    age(root)
    key(xdg).parent.mkdir(parents=True)
    key(xdg).write_bytes(content)
    full_run(root, xdg)
    fresh = key(xdg).read_bytes()
    assert len(fresh) == 32 and fresh != content
    assert oct(key(xdg).stat().st_mode & 0o777) == "0o600"
    assert leftovers(key(xdg).parent, root / ".govern-cache") == []
    same_size_edit(root / ORDERS, "product: crm.customers", "product: crm.oldclient")
    assert_uncached(root, xdg, runs=(("gate", ORDERS), ("gate", ".")))


def test_an_unreadable_key_disables_caching(tmp_path: Path, xdg: Path) -> None:
    """The key's path is a directory: it cannot be read nor replaced, so nothing is cached."""
    root = tmp_path / "mesh"
    build(root)
    age(root)
    key(xdg).mkdir(parents=True)
    assert govern(root, "gate", ".", xdg=xdg)[0] == 0
    assert not (root / ".govern-cache" / "mesh-index.bin").exists()
    assert leftovers(key(xdg).parent, root / ".govern-cache") == []
    same_size_edit(root / ORDERS, "product: crm.customers", "product: crm.oldclient")
    assert_uncached(root, xdg, runs=(("gate", ORDERS), ("gate", ".")))


def test_a_cache_home_that_is_a_file_disables_caching(tmp_path: Path) -> None:
    root = tmp_path / "mesh"
    build(root)
    age(root)
    xdg = tmp_path / "not-a-dir"
    xdg.write_text("a regular file\n")
    assert govern(root, "gate", ".", xdg=xdg)[0] == 0
    assert xdg.read_text() == "a regular file\n"
    assert not (root / ".govern-cache" / "mesh-index.bin").exists()
    assert leftovers(root / ".govern-cache", tmp_path) == []
    same_size_edit(root / ORDERS_SQL, "crm_prod.customers", "crm_prod.oldclient")
    assert_uncached(root, xdg, runs=(("gate", ORDERS_SQL), ("gate", ".")))


def _small_files() -> None:
    """A full disk, as root cannot be stopped by permissions: no file may grow past 2 KiB (EFBIG)."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))


def test_a_full_disk_disables_caching_and_leaves_no_temp_file(tmp_path: Path, xdg: Path) -> None:
    root = tmp_path / "mesh"
    build(root)
    age(root)
    code, out = govern(root, "gate", ".", xdg=xdg, preexec=_small_files)
    assert code == 0, out
    assert not (root / ".govern-cache" / "mesh-index.bin").exists()
    assert leftovers(root / ".govern-cache", key(xdg).parent) == []
    assert not key(xdg).exists() or len(key(xdg).read_bytes()) == 32
    same_size_edit(root / ORDERS, "product: crm.customers", "product: crm.oldclient")
    for run in (("gate", ORDERS), ("check", ORDERS), ("gate", ".")):
        assert govern(root, *run, xdg=xdg, preexec=_small_files) == govern(root, *run, cache=False, xdg=xdg)
    assert leftovers(root / ".govern-cache", key(xdg).parent) == []


def test_a_cache_directory_that_is_a_symlink_is_not_written_through(tmp_path: Path, xdg: Path) -> None:
    root = tmp_path / "mesh"
    build(root)
    age(root)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / ".govern-cache").symlink_to(elsewhere, target_is_directory=True)
    assert govern(root, "gate", ".", xdg=xdg)[0] == 0
    assert list(elsewhere.iterdir()) == []
    same_size_edit(root / ORDERS, "product: crm.customers", "product: crm.oldclient")
    assert_uncached(root, xdg, runs=(("gate", ORDERS), ("gate", ".")))
    assert list(elsewhere.iterdir()) == []


def test_an_index_that_is_a_symlink_is_neither_read_nor_written_through(mesh: Path, tmp_path: Path,
                                                                        xdg: Path) -> None:
    """mesh-index.bin links to a valid index elsewhere (and to a file govern must not overwrite)."""
    index = mesh / ".govern-cache" / "mesh-index.bin"
    target = tmp_path / "planted.bin"
    shutil.move(index, target)
    index.symlink_to(target)
    planted = target.read_bytes()
    same_size_edit(mesh / ORDERS, "product: crm.customers", "product: crm.oldclient")
    age(mesh)
    assert_uncached(mesh, xdg, runs=(("gate", ORDERS), ("check", ORDERS), ("gate", ".")))
    assert target.read_bytes() == planted


def test_a_key_directory_that_is_a_symlink_is_not_written_through(tmp_path: Path, xdg: Path) -> None:
    root = tmp_path / "mesh"
    build(root)
    age(root)
    elsewhere = tmp_path / "keys-elsewhere"
    elsewhere.mkdir()
    xdg.mkdir()
    (xdg / "govern").symlink_to(elsewhere, target_is_directory=True)
    assert govern(root, "gate", ".", xdg=xdg)[0] == 0
    assert list(elsewhere.iterdir()) == []



def test_the_cedar_build_stamp_tells_a_module_replaced_with_the_same_size_and_mtime(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cedar verdicts are cached per cedarpy build (govern/incremental/packcache.py): a native module rebuilt with the same
    size and mtime (a CI cache layer, a reinstall from an archive) is another build."""
    from govern.incremental import packcache

    package = tmp_path / "site" / "cedarpy"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    module = package / "_internal.abi3.so"
    module.write_bytes(b"\x7fELF build one")
    os.utime(module, ns=(FIXED_NS, FIXED_NS))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.delitem(sys.modules, "cedarpy", raising=False)
    packcache.cedar_build.cache_clear()
    first = packcache.cedar_build()
    replacement = package / "new.tmp"
    replacement.write_bytes(b"\x7fELF build two")
    os.utime(replacement, ns=(FIXED_NS, FIXED_NS))
    os.replace(replacement, module)
    packcache.cedar_build.cache_clear()
    try:
        assert first and str(package) in first
        assert packcache.cedar_build() != first
    finally:
        packcache.cedar_build.cache_clear()


def test_a_racy_entry_is_compared_by_its_hash_never_by_its_stat(tmp_path: Path) -> None:
    """git's racy-entry rule (govern/incremental/stamps.py ``unchanged``): an entry whose ctime is not older than the
    indexing run (less ``MARGIN_NS``) could share its timestamps with a later edit on a file system with
    coarse timestamps, so even an identical stat does not vouch for it; the content hash decides."""
    from govern.incremental.stamps import unchanged

    path = tmp_path / "orders.sql"
    path.write_text("select 1 as one;\n")
    st = path.stat()
    other_bytes = bytes(32)  # the hash of some other content, recorded with this very stat
    stamp = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev, other_bytes)
    settled = st.st_ctime_ns + 1  # the indexing run started (less the margin) after the last change
    assert unchanged(str(path), stamp, trusted_before=settled)  # the stat vouches, as in git
    assert not unchanged(str(path), stamp, trusted_before=st.st_ctime_ns)  # racy: hashed, differs
    for moved in ((2, st.st_ctime_ns + 1), (3, st.st_ino + 1), (4, st.st_dev + 1)):  # ctime, inode, device
        changed = list(stamp)
        changed[moved[0]] = moved[1]
        assert not unchanged(str(path), tuple(changed), trusted_before=settled)


def test_an_index_that_is_a_fifo_is_not_waited_for(mesh: Path, xdg: Path) -> None:
    """A FIFO where the index should be (a restored CI cache) would block a plain open() forever."""
    index = mesh / ".govern-cache" / "mesh-index.bin"
    index.unlink()
    os.mkfifo(index)
    same_size_edit(mesh / ORDERS, "product: crm.customers", "product: crm.oldclient")
    assert_uncached(mesh, xdg, runs=(("gate", ORDERS), ("check", ORDERS)), blocked=False)


def test_a_key_that_is_a_fifo_is_replaced_not_waited_for(tmp_path: Path, xdg: Path) -> None:
    root = tmp_path / "mesh"
    build(root)
    age(root)
    key(xdg).parent.mkdir(parents=True)
    os.mkfifo(key(xdg))
    full_run(root, xdg)
    assert key(xdg).is_file() and len(key(xdg).read_bytes()) == 32
    assert leftovers(key(xdg).parent) == []


# --- the gate's own rule: no cache unless the operator says so ---------------------------------------


def test_the_gate_reads_and_writes_no_cache_unless_told(tmp_path: Path, xdg: Path) -> None:
    """Whoever can write the cache home (an earlier job, a restored runner cache) can write the key that seals
    the index: the deployment gate decides from the files alone unless the operator passes --trust-cache."""
    root = tmp_path / "mesh"
    build(root)
    age(root)
    env = {**os.environ, "XDG_CACHE_HOME": str(xdg), "GOVERN_CACHE": "1", "NO_COLOR": "1"}
    plain = subprocess.run([sys.executable, "-m", "govern", "gate", ".", "--today", TODAY], cwd=root, env=env,
                           capture_output=True, text=True, timeout=120)
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert not (root / ".govern-cache").exists() and not xdg.exists()
    trusted = subprocess.run([sys.executable, "-m", "govern", "gate", ".", "--today", TODAY, "--trust-cache"],
                             cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert trusted.returncode == 0 and trusted.stdout == plain.stdout
    assert (root / ".govern-cache" / "mesh-index.bin").is_file()
    # an index and key planted by an earlier job, forged or not, are not even opened by a plain gate
    (root / ".govern-cache" / "mesh-index.bin").write_bytes(b"forged")
    same_size_edit(root / ORDERS, "product: crm.customers", "product: crm.oldclient")
    blocked = subprocess.run([sys.executable, "-m", "govern", "gate", ORDERS, "--today", TODAY], cwd=root,
                             env=env, capture_output=True, text=True, timeout=120)
    assert blocked.returncode == 1 and "tombstoning.consume-retired" in blocked.stdout
    assert (root / ".govern-cache" / "mesh-index.bin").read_bytes() == b"forged"
