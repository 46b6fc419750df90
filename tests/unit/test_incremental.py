"""Changed-files mode from the mesh index (govern/incremental/) never changes an answer.

Each test builds a synthetic mesh (bench/generate.py), runs a full check (which writes the index), changes
the mesh on disk, and compares changed-files mode answered from the index with the same run done the
slow way (GOVERN_CACHE=0: the whole mesh loaded and analysed): the same products reported, the same
findings, byte for byte. It also checks which way was taken, so a test cannot pass by silently falling
back. tests/unit/test_incremental_property.py does the same for random meshes and random edits.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.generate import generate
from govern.ci import run
from govern.incremental import index as meshindex

TODAY = dt.date(2026, 6, 1)


def _age(root: Path, seconds: float = 30.0) -> None:
    """Pretend every file was written a while ago (the index trusts only files older than its run)."""
    past = time.time() - seconds
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            os.utime(Path(dirpath) / name, (past, past))
        os.utime(dirpath, (past, past))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bench") / "mesh"
    generate(root, 60, seed=11)
    return root


@pytest.fixture()
def mesh(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "mesh"
    shutil.copytree(template, root)
    _age(root)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # this test's own index key
    monkeypatch.delenv("GOVERN_CACHE", raising=False)
    run([root], today=TODAY)  # a whole-mesh run writes the index
    assert meshindex.index_path(root).is_file()
    return root


def _sample(root: Path) -> dict[str, str]:
    return json.loads((root / ".bench" / "expected.json").read_text())["sample"]


def _manifest(root: Path, rel: str) -> dict:
    import yaml

    return yaml.safe_load((root / rel).read_text())


def _write_manifest(root: Path, rel: str, data: dict) -> None:
    import yaml

    (root / rel).write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def _from_index(files: list[str], root: Path):
    """The result of changed-files mode answered from the index, or None when the index declined."""
    from govern.ci import from_index

    return from_index(root.resolve(), files, [], today=TODAY)


def _both(root: Path, files: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[dict | None, dict]:
    """(answer from the index or None if it declined, answer of the slow path) for changed ``files``."""
    fast = _from_index(files, root)
    monkeypatch.setenv("GOVERN_CACHE", "0")
    slow = run(files, cwd=root, today=TODAY)
    monkeypatch.delenv("GOVERN_CACHE")
    return (_answer(fast) if fast is not None else None), _answer(slow)


def _answer(result) -> dict:
    return {"result": result.to_dict(), "products": result.products, "undecided": result.undecided}


def _consumer_of(root: Path, producer: str) -> str | None:
    for path in sorted(root.glob("*/*/dataproduct.yaml")):
        data = _manifest(root, str(path.relative_to(root)))
        if any(i.get("product") == producer for i in data.get("inputs", [])):
            return str(path.relative_to(root))
    return None


Mutation = Callable[[Path], list[str]]


def edit_description(root: Path) -> list[str]:
    rel = _sample(root)["manifest"]
    data = _manifest(root, rel)
    data["description"] = "A new description"
    _write_manifest(root, rel, data)
    return [rel]


def deprecate_past_sunset(root: Path) -> list[str]:
    rel = _sample(root)["manifest"]
    data = _manifest(root, rel)
    data["lifecycle"] = {"state": "deprecated", "sunset": "2026-01-01", "replacedBy": data["id"],
                         "events": [*data["lifecycle"]["events"], {"state": "deprecated", "at": "2025-12-01"}]}
    _write_manifest(root, rel, data)
    return [rel]


def restrict_and_hide(root: Path) -> list[str]:
    rel = _sample(root)["manifest"]
    data = _manifest(root, rel)
    for port in data["outputPorts"]:
        port["classification"] = "restricted"
    data["access"] = {"visibility": "private"}
    data["owner"]["group"] = "ghost-team"
    _write_manifest(root, rel, data)
    return [rel]


def sql_reads_more(root: Path) -> list[str]:
    rel = _sample(root)["sql"]
    mine = _sample(root)["manifest"]
    other = next(p for p in sorted(root.glob("*/*/dataproduct.yaml")) if str(p.relative_to(root)) != mine)
    location = _manifest(root, str(other.relative_to(root)))["outputPorts"][0]["location"]
    path = root / rel
    path.write_text(path.read_text() + f"\nselect count(*) as n from {location};\nselect * from raw.unknown.things;\n")
    return [rel]


def sql_closes_a_cycle(root: Path) -> list[str]:
    sample = _sample(root)
    consumer = _consumer_of(root, sample["product"])
    assert consumer is not None
    location = _manifest(root, consumer)["outputPorts"][0]["location"]
    path = root / sample["sql"]
    path.write_text(path.read_text() + f"\nselect 1 as one from {location};\n")
    return [sample["sql"]]


def sql_breaks(root: Path) -> list[str]:
    rel = _sample(root)["sql"]
    (root / rel).write_text("select from where (;\n")
    return [rel]


def touch_only(root: Path) -> list[str]:
    rel = _sample(root)["manifest"]
    os.utime(root / rel)
    return [rel]


def dirty_producer_not_passed(root: Path) -> list[str]:
    """The changed file is the sample; one of its producers also changed on disk (not passed)."""
    sample = _sample(root)
    data = _manifest(root, sample["manifest"])
    producer = data["inputs"][0]["product"]
    for path in sorted(root.glob("*/*/dataproduct.yaml")):
        rel = str(path.relative_to(root))
        other = _manifest(root, rel)
        if other["id"] == producer:
            other["access"] = {"visibility": "domain"}
            other["lifecycle"]["state"] = "retired"
            _write_manifest(root, rel, other)
    data["description"] = "changed too"
    _write_manifest(root, sample["manifest"], data)
    return [sample["manifest"]]


def org_and_waivers(root: Path) -> list[str]:
    import yaml

    org = yaml.safe_load((root / "org.yaml").read_text())
    org["teams"] = org["teams"][1:]
    (root / "org.yaml").write_text(yaml.safe_dump(org))
    waivers = yaml.safe_load((root / "waivers.yaml").read_text())
    waivers["waivers"].append({"rule": "documentation.description", "product": _sample(root)["product"],
                               "reason": "r", "approved_by": "a@example.com", "expires": "2026-07-01"})
    (root / "waivers.yaml").write_text(yaml.safe_dump(waivers))
    return edit_description(root)


def change_inputs(root: Path) -> list[str]:
    rel = _sample(root)["manifest"]
    data = _manifest(root, rel)
    data["inputs"] = [*data["inputs"][:1], {"product": "nowhere.gone"}]
    _write_manifest(root, rel, data)
    return [rel]


def new_product(root: Path) -> list[str]:
    rel = _sample(root)["manifest"]
    data = _manifest(root, rel)
    data["id"] = data["id"] + "_copy"
    (root / "extra").mkdir()
    _write_manifest(root, "extra/dataproduct.yaml", data)
    return ["extra/dataproduct.yaml"]


def new_product_the_changed_sql_reads(root: Path) -> list[str]:
    """A new product claims a table; the sample's SQL starts to read it (both files change)."""
    sample = _sample(root)
    data = _manifest(root, sample["manifest"])
    data["id"] = data["id"].split(".")[0] + ".brand_new"
    data["inputs"] = []
    data.pop("execution", None)
    data["outputPorts"] = [{**data["outputPorts"][0], "location": "analytics.fresh.brand_new"}]
    (root / "fresh").mkdir()
    _write_manifest(root, "fresh/dataproduct.yaml", data)
    path = root / sample["sql"]
    path.write_text(path.read_text() + "\nselect count(*) as n from analytics.fresh.brand_new;\n")
    return ["fresh/dataproduct.yaml", sample["sql"]]


def rename_a_producer(root: Path) -> list[str]:
    """The sample's id changes: its consumers now name an id that does not exist."""
    rel = _sample(root)["manifest"]
    data = _manifest(root, rel)
    data["id"] = data["id"] + "_renamed"
    _write_manifest(root, rel, data)
    return [rel]


def broken_manifest(root: Path) -> list[str]:
    rel = _sample(root)["manifest"]
    (root / rel).write_text("kind: DataProduct\nid: [unclosed\n")
    return [rel]


def sql_outside_the_change(root: Path) -> list[str]:
    sample = _sample(root)
    other = next(p for p in sorted(root.glob("*/*/*.sql")) if str(p.relative_to(root)) != sample["sql"])
    other.write_text(other.read_text() + "\n;select 1 as x;\n")
    return edit_description(root)


def deleted_elsewhere(root: Path) -> list[str]:
    """A producer of the sample is deleted on disk; the sample is the named change."""
    sample = _sample(root)
    producer = _manifest(root, sample["manifest"])["inputs"][0]["product"]
    for path in sorted(root.glob("*/*/dataproduct.yaml")):
        if _manifest(root, str(path.relative_to(root)))["id"] == producer:
            shutil.rmtree(path.parent)
    return edit_description(root)


ANSWERED = [edit_description, deprecate_past_sunset, restrict_and_hide, sql_reads_more, sql_closes_a_cycle,
            sql_breaks, touch_only, dirty_producer_not_passed, org_and_waivers, change_inputs, new_product,
            new_product_the_changed_sql_reads, rename_a_producer, broken_manifest, sql_outside_the_change,
            deleted_elsewhere]


@pytest.mark.parametrize("mutate", ANSWERED, ids=lambda f: f.__name__)
def test_the_index_answers_exactly_as_the_whole_mesh(mesh: Path, mutate: Mutation,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    files = mutate(mesh)
    fast, slow = _both(mesh, files, monkeypatch)
    assert fast is not None, f"the index declined a change it can answer: {meshindex.LAST['reason']}"
    assert fast == slow
    assert slow["products"] or slow["result"]["findings"]  # a manifest that does not load: its own finding


def config_changed(root: Path) -> list[str]:
    path = root / "govern.yaml"
    path.write_text(path.read_text() + "\nwaiverMaxDays: 90\n")
    return edit_description(root)


def skipped_folder_appears(root: Path) -> list[str]:
    """A manifest in node_modules/ is reported by a whole-mesh search (input.not-discovered)."""
    rel = _sample(root)["manifest"]
    (root / "node_modules" / "pkg").mkdir(parents=True)
    (root / "node_modules" / "pkg" / "dataproduct.yaml").write_text((root / rel).read_text())
    return edit_description(root)


DECLINED = [config_changed, skipped_folder_appears]


@pytest.mark.parametrize("mutate", DECLINED, ids=lambda f: f.__name__)
def test_changes_the_index_cannot_vouch_for_load_the_whole_mesh(mesh: Path, mutate: Mutation,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    files = mutate(mesh)
    _age(mesh, 10)  # the change is older than the next run: that run may index it
    fast, slow = _both(mesh, files, monkeypatch)
    assert fast is None
    # the normal run (index on) answers like the slow one
    assert _answer(run(files, cwd=mesh, today=TODAY)) == slow


def test_a_corrupt_index_is_ignored(mesh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = meshindex.index_path(mesh)
    blob = bytearray(path.read_bytes())
    blob[200] ^= 0x01  # inside the authenticated head
    path.write_bytes(bytes(blob))
    files = edit_description(mesh)
    fast, slow = _both(mesh, files, monkeypatch)
    assert fast is None and meshindex.LAST["reason"] == "no usable index"
    assert _answer(run(files, cwd=mesh, today=TODAY)) == slow


def test_a_damaged_entry_of_the_index_is_never_used(mesh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows and SQL scans are read one by one, each checked against a digest in the authenticated head."""
    index = meshindex.load_index(mesh.resolve())
    assert index is not None
    sample = _sample(mesh)
    ref = index.rows[meshindex.encode_ref((sample["manifest"], sample["product"]))]
    index.body.close()
    offset = index.body.start + int.from_bytes(ref[:8], "little")
    path = meshindex.index_path(mesh)
    blob = bytearray(path.read_bytes())
    blob[offset + 3] ^= 0x01  # the changed product's own row
    path.write_bytes(bytes(blob))
    files = edit_description(mesh)
    fast, slow = _both(mesh, files, monkeypatch)
    assert fast is None and meshindex.LAST["reason"] == "no usable index"
    path.write_bytes(path.read_bytes()[:-100])  # a truncated body: whatever is read must still match
    fast, slow = _both(mesh, files, monkeypatch)
    assert fast is None or fast == slow


def test_an_index_written_by_someone_else_is_never_trusted(mesh: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """An index committed to the repository or planted by a pull request could claim the mesh is clean."""
    files = edit_description(mesh)
    assert _from_index(files, mesh) is not None
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "another-user"))
    assert _from_index(files, mesh) is None
    assert meshindex.LAST["reason"] == "no usable index"


def test_gate_and_check_agree_with_the_index_off(mesh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from govern.evaluate.gate import decide

    files = deprecate_past_sunset(mesh)
    with_index = run(files, cwd=mesh, today=TODAY)
    monkeypatch.setenv("GOVERN_CACHE", "0")
    without = run(files, cwd=mesh, today=TODAY)
    assert decide(with_index).exit_code == decide(without).exit_code
    assert [f.to_dict() for f in with_index.findings] == [f.to_dict() for f in without.findings]


WHOLE = [sql_reads_more, sql_closes_a_cycle, sql_breaks, restrict_and_hide, edit_description]


@pytest.mark.parametrize("mutate", WHOLE, ids=lambda f: f.__name__)
def test_a_whole_mesh_run_takes_recorded_scans_only_for_unchanged_sql(mesh: Path, mutate: Mutation,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A second full check takes the SQL scans the index recorded instead of parsing again, and finds
    exactly what a run without the index finds (a changed file, or one whose outputs became more
    sensitive than its reads allow, is scanned afresh)."""
    from govern.api import check

    mutate(mesh)
    warm = check([mesh], today=TODAY)
    monkeypatch.setenv("GOVERN_CACHE", "0")
    cold = check([mesh], today=TODAY)
    assert [f.to_dict() for f in warm.findings] == [f.to_dict() for f in cold.findings]
    assert warm.analysis.to_dict() == cold.analysis.to_dict()
    assert warm.edges == cold.edges
    files, taken = warm.analysis.stats["files"], warm.analysis.stats["prefetched"]
    assert cold.analysis.stats["prefetched"] == 0 and taken >= files - 3 and taken > 0
    if mutate is not edit_description:  # the changed SQL file (or the re-classified product's) is parsed again
        assert taken < files


def test_the_pre_commit_process_answers_from_the_index_without_parsing_sql(mesh: Path) -> None:
    """``govern check FILE`` in a fresh process, as pre-commit runs it, after a real edit of one manifest:
    the same output as the slow path, answered from the index (compared with the disk by the early child
    when there are two cores), and sqlglot, networkx and jinja2 are never imported."""
    import subprocess
    import sys

    files = edit_description(mesh)
    command = [sys.executable, "-X", "importtime", "-m", "govern", "check", *files, "--today", TODAY.isoformat(),
               "-f", "json"]
    env = {**os.environ, "GOVERN_CACHE_DEBUG": "1"}
    fast = subprocess.run(command, cwd=mesh, env=env, capture_output=True, text=True, timeout=120)
    slow = subprocess.run(command, cwd=mesh, env={**env, "GOVERN_CACHE": "0"}, capture_output=True, text=True,
                          timeout=120)
    assert fast.returncode == slow.returncode and fast.stdout == slow.stdout
    assert "govern: mesh index: answered" in fast.stderr, fast.stderr[-2000:]
    if len(os.sched_getaffinity(0)) >= 2:
        assert "by the early child" in fast.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in fast.stderr.splitlines() if line.startswith("import time:")}
    assert not {m for m in imported if m.split(".")[0] in ("sqlglot", "networkx", "jinja2")}
    # nor a pool: no process pool, no Dask (govern/analysis/executor.py)
    assert not {m for m in imported if m.split(".")[0] in ("dask", "distributed")
                or m.startswith("concurrent.futures")}
    assert any(m.split(".")[0] == "sqlglot" for line in slow.stderr.splitlines()
               for m in [line.rsplit("|", 1)[-1].strip()])  # the slow path does parse SQL: the check can fail
