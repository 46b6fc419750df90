"""The Cedar mapping: entities from org.yaml and manifests, requests from lineage, reasons to findings."""

from __future__ import annotations

import datetime as dt

from meshkit import MeshDir

import govern
from govern.model.lineage import declared_edges
from govern.standards.cedar import build_entities, deploy_requests, highest_classification, read_requests

TODAY = dt.date(2026, 6, 1)


def _mesh(mesh: MeshDir) -> None:
    mesh.org()
    mesh.product("crm.customers", {
        "outputPorts": [{"name": "customers", "classification": "restricted"},
                        {"name": "segments", "classification": "public"}],
    })
    mesh.product("sales.orders", {"inputs": [{"product": "crm.customers", "port": "segments"}],
                                  "execution": {"code": ["q.sql"]}})
    mesh.product("finance.revenue", {"inputs": [{"product": "crm.customers"}],
                                     "execution": {"code": ["q.sql"]}})


def test_entities_carry_membership_and_attributes(mesh: MeshDir) -> None:
    _mesh(mesh)
    loaded = govern.load_mesh([mesh.root], root=mesh.root)
    entities = {(e["uid"]["type"], e["uid"]["id"]): e for e in build_entities(loaded)}
    team = entities[("Team", "sales-data")]
    assert team["parents"] == [{"type": "Domain", "id": "sales"}]
    user = entities[("User", "ana@example.com")]
    assert {"type": "Team", "id": "sales-data"} in user["parents"]
    product = entities[("DataProduct", "crm.customers")]
    assert product["attrs"]["classification"] == "restricted"
    assert product["attrs"]["domain"] == {"__entity": {"type": "Domain", "id": "crm"}}
    assert product["attrs"]["ownerTeam"] == {"__entity": {"type": "Team", "id": "crm-core"}}


def test_read_requests_use_the_port_classification(mesh: MeshDir) -> None:
    _mesh(mesh)
    loaded = govern.load_mesh([mesh.root], root=mesh.root)
    requests = {r.product: r for r in read_requests(loaded, declared_edges(loaded.products))}
    assert requests["sales.orders"].body["context"]["classification"] == "public"
    assert requests["finance.revenue"].body["context"]["classification"] == "restricted"
    assert requests["finance.revenue"].body["principal"] == {"type": "Team", "id": "finance-analytics"}
    assert requests["finance.revenue"].location.line is not None


def test_deploy_requests_one_per_product(mesh: MeshDir) -> None:
    _mesh(mesh)
    loaded = govern.load_mesh([mesh.root], root=mesh.root)
    assert sorted(r.product for r in deploy_requests(loaded.products)) == [
        "crm.customers", "finance.revenue", "sales.orders"]


def test_forbid_reason_becomes_a_finding_with_the_policy_metadata(mesh: MeshDir) -> None:
    _mesh(mesh)
    result = govern.check([mesh.root], root=mesh.root, today=TODAY)
    denied = [f for f in result.findings if f.engine == "cedar"]
    assert [(f.rule, f.product) for f in denied] == [("auth.restricted-read", "finance.revenue")]
    finding = denied[0]
    assert finding.standard == "auth" and str(finding.severity) == "error"
    assert "finance-analytics" in finding.message and "crm.customers" in finding.message
    assert finding.location.path == "finance/revenue/dataproduct.yaml"
    assert finding.help and "access.readers" in finding.help


def test_a_grant_in_readers_allows_the_read(mesh: MeshDir) -> None:
    _mesh(mesh)
    mesh.product("crm.customers", {
        "outputPorts": [{"name": "customers", "classification": "restricted"},
                        {"name": "segments", "classification": "public"}],
        "access": {"readers": ["finance-analytics"]},
    })
    result = govern.check([mesh.root], root=mesh.root, today=TODAY)
    assert not [f for f in result.findings if f.engine == "cedar"]


def test_highest_classification_treats_unknown_as_restricted(mesh: MeshDir) -> None:
    mesh.product("crm.customers", {"outputPorts": [{"name": "a", "classification": "secret"}]})
    loaded = govern.load_mesh([mesh.root], root=mesh.root)
    assert highest_classification(loaded.by_id["crm.customers"]) == "restricted"


def test_policy_set_is_built_once_per_run(mesh: MeshDir, monkeypatch) -> None:
    import cedarpy

    _mesh(mesh)
    calls = {"policies": 0, "batch": 0}
    original_from_json = cedarpy.PolicySet.from_json_str
    original_batch = cedarpy.is_authorized_batch

    def count_policies(*a, **k):
        calls["policies"] += 1
        return original_from_json(*a, **k)

    def count_batch(*a, **k):
        calls["batch"] += 1
        return original_batch(*a, **k)

    monkeypatch.setattr(cedarpy.PolicySet, "from_json_str", count_policies)
    monkeypatch.setattr(cedarpy, "is_authorized_batch", count_batch)
    govern.check([mesh.root], root=mesh.root, today=TODAY)
    assert calls == {"policies": 1, "batch": 1}
