"""Rules declare what they read (govern/model/scope.py); changed-files mode follows the declarations."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from meshkit import MeshDir, base_product, merge

from govern.ci import run
from govern.model.scope import EVERYTHING, Reads
from govern.standards.checks import Hit, RuleContext, declared, register, registry
from govern.standards.pack import load_pack, reads_in_force

TODAY = dt.date(2026, 6, 1)


def test_every_rule_of_the_shipped_pack_declares_what_it_reads() -> None:
    """The list of rules taken to read the whole mesh (no declaration): empty, and kept so."""
    pack = load_pack()
    undeclared = sorted(r.id for r in pack.rules.values() if Reads.MESH in r.reads)
    assert undeclared == []
    assert all(Reads.PRODUCT in r.reads for r in pack.rules.values() if r.engine != "builtin")


def test_what_a_yaml_rule_reads_follows_from_its_function() -> None:
    rules = load_pack().rules
    assert rules["owner.person-email"].reads == {Reads.PRODUCT}
    assert rules["lineage.input-exists"].reads == {Reads.PRODUCT, Reads.PRODUCT_IDS}  # referenceExists: product
    assert rules["owner.group-exists"].reads == {Reads.PRODUCT, Reads.ORG}  # referenceExists: team
    assert Reads.TEAM in rules["auth.restricted-read"].reads  # Cedar: the entities of the request builder


def test_a_python_rule_declares_what_it_reads_at_register() -> None:
    assert declared("lineage.cycle").reads == {Reads.GRAPH}
    assert declared("namespace.unique-address").reads == {Reads.SAME_ADDRESS}
    assert declared("lineage.input-port-exists").fields == ("inputs",)
    assert {rule for rule in registry() if declared(rule).reads is None} == set()


@pytest.fixture()
def whole_mesh_rule():
    """A Python rule that declares nothing, put in force in a copy of the shipped pack."""
    rule_id = "test.undeclared"

    @register(rule_id)
    def check(ctx: RuleContext):
        for product in ctx.targets:
            others = len(ctx.mesh.products)
            yield Hit(product.id, ("id",), {"count": str(others)})

    yield rule_id
    from govern.standards import checks

    checks._REGISTRY.pop(rule_id, None)
    checks._DECLARED.pop(rule_id, None)


def test_a_rule_that_declares_nothing_reads_the_whole_mesh(whole_mesh_rule: str, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Changed-files mode then reports every product, and the index does not answer."""
    import shutil

    from govern.incremental import index as mesh_index
    from govern.standards.pack import default_pack_root

    pack = tmp_path / "pack"
    shutil.copytree(default_pack_root() / "rules", pack / "rules")
    shutil.copytree(default_pack_root() / "standards", pack / "standards")
    (pack / "rules" / "test.yaml").write_text(
        "rules:\n  - id: test.undeclared\n    standard: documentation\n    severity: warning\n"
        "    engine: python\n    message: \"{count} products loaded\"\n    description: d\n    help: h\n")
    draft = pack / "standards" / "mesh-core" / "1.1.0.yaml"
    draft.write_text(draft.read_text().replace("rules:\n", "rules:\n  - {id: test.undeclared, mode: warn}\n", 1))
    spec = load_pack(pack).rules[whole_mesh_rule]
    assert spec.reads == EVERYTHING
    assert Reads.MESH in reads_in_force(load_pack(pack).version("1.1.0"))

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    mesh = MeshDir(tmp_path / "mesh")
    mesh.org()
    mesh.write("govern.yaml", "standards: {pack: mesh-core, version: 1.1.0}\n")
    mesh.product("sales.orders")
    mesh.product("crm.customers", merge(base_product("crm.customers"), {}))
    run([mesh.root], today=TODAY, pack_root=pack)
    changed = run([mesh.root / "sales/orders/dataproduct.yaml"], today=TODAY, pack_root=pack)
    assert changed.products == ["crm.customers", "sales.orders"]
    assert mesh_index.LAST["reason"] in (None, "a rule in force reads the whole mesh", "no usable index")
    assert {f.message for f in changed.findings if f.rule == whole_mesh_rule} == {"2 products loaded"}
