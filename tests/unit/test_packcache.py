"""The pack cache (govern/incremental/packcache.py): the same pack with or without it, and never a stale entry."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pytest

from govern.evaluate.engine import _require_valid_cedar
from govern.incremental import packcache, sealed
from govern.model.errors import StandardsError
from govern.model.findings import Severity
from govern.standards.pack import Pack, default_pack_root, load_pack


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test has its own cache directory and key."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("GOVERN_CACHE", raising=False)
    return tmp_path / "cache"


def snapshot(pack: Pack) -> str:
    """Everything load_pack produces, as text (compiled rules by their definition)."""
    return json.dumps({
        "rules": {rid: [s.standard, int(s.severity), s.message, s.description, s.help, s.engine, s.source, s.line,
                        s.definition, s.cedar_json, s.cedar_effect] for rid, s in pack.rules.items()},
        "versions": {v: [sv.status, sv.description, sv.path, sv.raw,
                         [[r.spec.id, r.mode, r.effective] for r in sv.rules]] for v, sv in pack.versions.items()},
        "lock": pack.lock, "schema": pack.cedar_schema, "cedar": pack.cedar_files,
        "digests": {v: pack.digest(v) for v in pack.versions},
    }, sort_keys=True, default=repr)


def load_uncached(root: Path | None, monkeypatch: pytest.MonkeyPatch) -> Pack:
    with monkeypatch.context() as m:
        m.setenv("GOVERN_CACHE", "0")
        return load_pack(root)


def test_the_pack_is_the_same_with_and_without_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    uncached = snapshot(load_uncached(None, monkeypatch))
    assert not packcache.cache_path().exists()
    cold = load_pack()
    assert packcache.cache_path().is_file()
    warm = load_pack()
    assert snapshot(cold) == uncached
    assert snapshot(warm) == uncached
    effective = [r.effective for sv in warm.versions.values() for r in sv.rules if r.effective]
    assert effective and all(type(d) is dt.date for d in effective)  # dates come back as dates


def test_the_cache_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    load_pack()
    parsed: list[str] = []
    real = packcache.parse_yaml
    monkeypatch.setattr(packcache, "parse_yaml", lambda raw, path: parsed.append(path) or real(raw, path))
    load_pack()
    assert parsed == []


def test_the_lock_digest_is_remembered_only_for_the_very_same_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every run verifies the version it uses against the lock; the cache spares parsing each Python rule's
    code, and a rule whose code is not what it was is digested again: a weakened rule cannot pass."""
    from govern.standards import pack as pack_module
    from govern.standards.pack import RuleSpec, verify_in_use

    load_pack()
    warm = load_pack()
    version = warm.latest_released().version
    assert warm.known_digests[version] == load_uncached(None, monkeypatch).digest(version)
    digests = pack_module.code_digest_text
    digests.cache_clear()
    verify_in_use(load_pack(), version)
    assert digests.cache_info().hits + digests.cache_info().misses == 0  # not computed: from the cache

    real_source = RuleSpec.code_source

    def weakened(spec: RuleSpec) -> str | None:
        source = real_source(spec)
        return source.replace("return", "return  # weakened", 1) + "\nWEAKENED = True\n" \
            if spec.id == "lineage.cycle" and source else source

    monkeypatch.setattr(RuleSpec, "code_source", weakened)
    changed = load_pack()
    assert digests.cache_info().misses > 0  # digested again
    assert changed.known_digests[version] != warm.known_digests[version]
    with pytest.raises(StandardsError, match=r"lineage\.cycle"):
        verify_in_use(changed, version)


def test_a_changed_pack_file_is_never_answered_from_the_cache(pack_copy: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    load_pack(pack_copy)
    load_pack(pack_copy)  # the cache now holds every file of this pack
    path = pack_copy / "rules" / "owner.yaml"
    before = path.stat()
    text = path.read_text()
    assert load_pack(pack_copy).rules["owner.required"].severity == Severity.ERROR
    changed = text.replace("severity: error", "severity: info ", 1)  # owner.required; the same size
    assert changed != text and len(changed) == len(text)
    path.write_text(changed)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # same size and mtime: only the bytes differ
    pack = load_pack(pack_copy)
    assert pack.rules["owner.required"].severity == Severity.INFO
    assert snapshot(pack) == snapshot(load_uncached(pack_copy, monkeypatch))


def test_added_and_removed_files_are_seen(pack_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_pack(pack_copy)
    extra = pack_copy / "rules" / "extra.yaml"
    extra.write_text("rules:\n  - id: extra.rule\n    standard: documentation\n    severity: info\n"
                     "    message: m\n    engine: builtin\n")
    assert "extra.rule" in load_pack(pack_copy).rules
    extra.unlink()
    assert "extra.rule" not in load_pack(pack_copy).rules
    assert snapshot(load_pack(pack_copy)) == snapshot(load_uncached(pack_copy, monkeypatch))


def test_a_file_that_does_not_parse_raises_as_before(pack_copy: Path) -> None:
    load_pack(pack_copy)
    (pack_copy / "rules" / "owner.yaml").write_text("rules: [\n")
    for _ in range(2):
        with pytest.raises(StandardsError) as exc:
            load_pack(pack_copy)
        assert exc.value.path == "rules/owner.yaml"


def test_cedar_policies_are_validated_again_when_they_change(pack_copy: Path) -> None:
    pack = load_pack(pack_copy)
    _require_valid_cedar(pack)  # validates and records it
    again = load_pack(pack_copy)
    assert again.cedar_validated is not None and again.cedar_validated == again.cedar_validation_key()
    path = pack_copy / "rules" / "cedar" / "read.cedar"
    path.write_text(path.read_text() + '\n@id("auth.bad")\n@standard("auth")\n@severity("error")\n@message("m")\n'
                    '@help("h")\nforbid(principal, action == Action::"read", resource) when { resource.colour == "red" };\n')
    changed = load_pack(pack_copy)
    assert changed.cedar_validated is None
    with pytest.raises(StandardsError) as exc:
        _require_valid_cedar(changed)
    assert "auth.bad" in str(exc.value)
    # a recorded mark covers the texts it was made for only: an edit after loading is validated too
    again.cedar_files["rules/cedar/read.cedar"] = path.read_text()
    with pytest.raises(StandardsError):
        _require_valid_cedar(again)


def test_a_cache_sealed_with_another_key_is_ignored(own_cache: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    load_pack()
    planted = packcache.cache_path().read_bytes()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "another-user"))
    sealed.secret(create=True)
    packcache.cache_path().write_bytes(planted)
    assert packcache.PackCache().entries == {}
    assert snapshot(load_pack()) == snapshot(load_uncached(None, monkeypatch))


def test_govern_cache_0_turns_it_off(monkeypatch: pytest.MonkeyPatch) -> None:
    from govern.incremental import index as meshindex

    for value in ("0", "false", "No", " off ", "1", "yes", ""):
        monkeypatch.setenv("GOVERN_CACHE", value)
        assert packcache.enabled() == meshindex.enabled(), value
    monkeypatch.setenv("GOVERN_CACHE", "0")
    load_pack()
    assert not packcache.cache_path().exists()


def test_the_cache_keeps_a_bounded_number_of_entries(tmp_path: Path) -> None:
    cache = packcache.PackCache()
    for i in range(packcache.MAX_ENTRIES + 10):
        cache.put(b"k%d" % i, i)
    cache.save()
    assert len(packcache.PackCache().entries) == packcache.MAX_ENTRIES + 10  # one run keeps what it used
    later = packcache.PackCache()
    later.put(b"new", 1)
    later.save()
    kept = packcache.PackCache().entries
    assert len(kept) == packcache.MAX_ENTRIES and b"new" in kept


# ------------------------------------------------------------------ Cedar verdicts

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "bad_inputs" / "cedar"


def _cedar_case(root: Path) -> tuple[list, object, list]:
    """A mesh with a restricted read (a deny), and a pack with a policy that errors at run time."""
    from meshkit import MeshDir

    import govern
    from govern.model.lineage import declared_edges
    from govern.standards.cedar import deploy_requests, read_requests

    mesh = MeshDir(root / "mesh")
    mesh.org()
    mesh.product("crm.customers", {"outputPorts": [{"name": "customers", "classification": "restricted"}]})
    mesh.product("finance.revenue", {"inputs": [{"product": "crm.customers"}]})
    pack_root = root / "pack"
    shutil.copytree(default_pack_root() / "rules", pack_root / "rules")
    shutil.copytree(default_pack_root() / "standards", pack_root / "standards")
    shutil.copyfile(CORPUS / "runtime_overflow.cedar", pack_root / "rules" / "cedar" / "test.cedar")
    loaded = govern.load_mesh([mesh.root], root=mesh.root)
    pack = load_pack(pack_root)
    specs = [s for s in pack.rules.values() if s.engine == "cedar"]
    requests = read_requests(loaded, declared_edges(loaded.products)) + deploy_requests(loaded.products)
    return specs, loaded, requests


def _verdicts(decisions: list) -> list:
    return [(d.request.product, d.request.body["action"]["id"], d.reasons, d.errors) for d in decisions]


def test_cedar_verdicts_are_the_same_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import cedarpy

    from govern.standards.cedar import CedarEvaluator

    specs, mesh, requests = _cedar_case(tmp_path)
    plain = _verdicts(CedarEvaluator(specs, mesh, requests).decide(requests))
    assert any(r for _, _, r, _ in plain) and any(e for _, _, _, e in plain)  # denies and errors
    assert _verdicts(CedarEvaluator(specs, mesh, requests, memo=True).decide(requests)) == plain  # computes
    batches = []
    original = cedarpy.is_authorized_batch
    monkeypatch.setattr(cedarpy, "is_authorized_batch", lambda *a: batches.append(1) or original(*a))
    again = CedarEvaluator(specs, mesh, requests, memo=True)
    assert _verdicts(again.decide(requests)) == plain
    assert batches == [] and again._engine is None  # answered from the cache: nothing parsed by cedarpy
    # Anything Cedar reads that differs is a different batch: asked again
    mesh.by_id["crm.customers"].model.outputPorts[0].classification = "public"
    changed = CedarEvaluator(specs, mesh, requests, memo=True)
    assert _verdicts(changed.decide(requests)) == _verdicts(CedarEvaluator(specs, mesh, requests).decide(requests))
    assert len(batches) == 2


def test_a_repeated_changed_files_run_does_not_import_cedarpy(tmp_path: Path, own_cache: Path) -> None:
    import subprocess
    import sys

    from meshkit import MeshDir

    mesh = MeshDir(tmp_path / "mesh")
    mesh.org()
    mesh.product("crm.customers", {"outputPorts": [{"name": "customers", "classification": "restricted"}]})
    mesh.product("finance.revenue", {"inputs": [{"product": "crm.customers"}]})
    code = ("import sys, datetime, govern; r = govern.check([sys.argv[1]], root=sys.argv[1], focus=['finance.revenue'],"
            " today=datetime.date(2026, 6, 1)); print(sorted((f.rule, f.product) for f in r.findings),"
            " 'cedarpy' in sys.modules)")
    env = {**os.environ, "XDG_CACHE_HOME": str(own_cache)}
    runs = [subprocess.run([sys.executable, "-c", code, str(mesh.root)], capture_output=True, text=True, env=env,
                           check=True).stdout for _ in range(2)]
    assert "auth.restricted-read" in runs[0]
    assert runs[0].replace("True", "False") == runs[1] and runs[1].strip().endswith("False")


def test_what_plain_data_cannot_hold_is_parsed_every_time(pack_copy: Path) -> None:
    """A timestamp with a time, or a document that is not a mapping: never cached, the same result."""
    path = pack_copy / "rules" / "extra.yaml"
    path.write_text("rules:\n  - id: extra.rule\n    standard: documentation\n    severity: info\n"
                    "    message: m\n    engine: builtin\n    at: 2026-06-01 10:00:00\n")
    for _ in range(2):
        assert isinstance(load_pack(pack_copy).rules["extra.rule"].definition["at"], dt.datetime)
    path.write_text("2026-06-01\n")
    for _ in range(2):
        with pytest.raises(StandardsError) as exc:
            load_pack(pack_copy)
        assert exc.value.path == "rules/extra.yaml"
