"""One bad value does not hide a product (issue 17, item 4), through the real ``govern`` command.

An invalid value (an impossible date, a wrong type) is a ``manifest.invalid`` error at its line; the
product is still checked by every rule that does not read that field (YAML rules: the fields of their
paths; Python rules: the fields they declare at ``@register``; Cedar: the fields its entities hold),
and a rule that reads it reports nothing on that product. The error blocks the gate, also in
changed-files mode when only a consumer of the product changed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from meshkit import BASE_ORG, MeshDir

from govern.load.manifest import parse_manifest
from govern.load.yamlio import parse_yaml
from govern.standards.cedar import ENTITY_FIELDS
from govern.standards.checks import declared
from govern.standards.pack import load_pack

GOVERN = Path(sys.executable).parent / "govern"
TODAY = "2026-06-01"
ORDERS = "sales/orders/dataproduct.yaml"


def govern(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(GOVERN), *args], capture_output=True, text=True, cwd=cwd)


def check_json(*args: str) -> tuple[int, dict]:
    proc = govern("check", *args, "--today", TODAY, "-f", "json")
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def on(data: dict, product: str) -> list[tuple[str, int | None, str]]:
    return sorted((f["rule"], f["location"].get("line"), f["message"]) for f in data["findings"]
                  if f["product"] == product)


def mesh_with(tmp_path: Path, orders_text: str) -> MeshDir:
    mesh = MeshDir(tmp_path / "mesh")
    mesh.org(BASE_ORG)
    mesh.write(ORDERS, orders_text)
    mesh.product("crm.customers")
    return mesh


# sales.orders passes every rule but for what each test breaks (a copy of meshkit.base_product, as YAML
# text: the impossible date must be a plain YAML date, which yaml.safe_dump would quote)
ORDERS_TEXT = """\
kind: DataProduct
id: sales.orders
name: Orders
description: The orders data product of the sales domain
domain: sales
version: 1.0.0
namespace: {namespace}
owner: {owner}
format: structured
complexity: simple
structure: append
lifecycle:
  state: active
  events:
    - {{state: init, at: 2025-01-10}}
    - {{state: active, at: {active_at}}}
execution:
  job: airflow:sales/orders_daily
outputPorts:
  - name: orders
    type: table
    location: analytics.sales_prod.orders
    classification: internal
    columns:
      - {{name: id, type: string, pii: {pii}}}
access:
  visibility: mesh
"""


def orders(namespace: str = "prod", owner: str = "{group: sales-data, person: ana@example.com}",
           active_at: str = "2025-02-01", pii: str = "false") -> str:
    return ORDERS_TEXT.format(namespace=namespace, owner=owner, active_at=active_at, pii=pii)


def test_the_base_product_passes(tmp_path: Path) -> None:
    code, data = check_json(str(mesh_with(tmp_path, orders()).root))
    assert code == 0, data["findings"]
    assert data["summary"]["products"] == 2


def test_an_impossible_date_is_reported_at_its_line_and_the_product_is_still_checked(tmp_path: Path) -> None:
    mesh = mesh_with(tmp_path, orders(active_at="2025-02-31", namespace="qa"))
    code, data = check_json(str(mesh.root))
    assert code == 1
    assert data["summary"]["products"] == 2  # no longer "1 product checked": sales.orders is still there
    assert on(data, "sales.orders") == [
        ("manifest.invalid", 16, "field 'lifecycle.events[1].at': '2025-02-31' is not a date: February 2025 has "
                                 "28 days (expected YYYY-MM-DD)"),
        # a rule that does not read lifecycle still runs on the product
        ("namespace.enum", 7, "namespace 'qa' is not one of prod, preprod, test"),
    ]
    # no spurious lifecycle finding (state-matches-events would see one event where there are two)
    text = govern("check", str(mesh.root), "--today", TODAY).stdout
    assert f"{ORDERS}:16: error   [manifest.invalid] field 'lifecycle.events[1].at': '2025-02-31' is not a date" \
        in text
    assert "2 products checked against mesh-core 1.0.0: 2 errors" in text
    gate = govern("gate", str(mesh.root), "--today", TODAY)
    assert gate.returncode == 1 and "sales.orders: 2 blocking findings" in gate.stdout


def test_a_month_that_does_not_exist_and_a_time_are_named(tmp_path: Path) -> None:
    for value, message in (("2025-13-01", "'2025-13-01' is not a date: there is no month 13 (expected YYYY-MM-DD)"),
                           ("2025-02-01T10:00:00", "'2025-02-01T10:00:00' is not a date: write the day only, "
                                                   "without a time (expected YYYY-MM-DD)"),
                           ("yesterday", "'yesterday' is not a date (expected YYYY-MM-DD)")):
        code, data = check_json(str(mesh_with(tmp_path / value, orders(active_at=value)).root))
        assert code == 1
        assert on(data, "sales.orders") == [("manifest.invalid", 16, f"field 'lifecycle.events[1].at': {message}")]


def test_a_wrong_type_hides_no_other_finding_and_adds_no_spurious_one(tmp_path: Path) -> None:
    # owner as text: owner.required, owner.group-exists and the Cedar deploy rules read owner and stay
    # silent; the other rules still find the missing description and the bad version
    text = orders(owner="sales-data").replace("description: The orders data product of the sales domain\n", "")
    text = text.replace("version: 1.0.0", "version: one")
    code, data = check_json(str(mesh_with(tmp_path, text).root))
    assert code == 1
    assert on(data, "sales.orders") == [
        ("documentation.description", 1, "product sales.orders has no description"),
        ("manifest.invalid", 7, "field 'owner': expected a mapping (key: value), got 'sales-data'"),
        ("versioning.semver", 5, "version 'one' is not a semantic version (MAJOR.MINOR.PATCH)"),
    ]


def test_a_wrong_type_of_a_field_cedar_reads_asks_cedar_nothing_about_the_product(tmp_path: Path) -> None:
    # namespace as a list: without the rule, namespace.required would say it is missing and the deploy
    # policies would deny a deployment to namespace ''
    code, data = check_json(str(mesh_with(tmp_path, orders(namespace="[prod]")).root))
    assert code == 1
    assert on(data, "sales.orders") == [
        ("manifest.invalid", 7, "field 'namespace': expected text, got a list")]


def test_a_bad_column_keeps_the_port_for_the_products_that_read_it(tmp_path: Path) -> None:
    mesh = mesh_with(tmp_path, orders(pii="[yes]"))
    mesh.product("finance.revenue", {"inputs": [{"product": "sales.orders", "port": "orders"}]})
    code, data = check_json(str(mesh.root))
    assert code == 1
    assert on(data, "sales.orders") == [
        ("manifest.invalid", 25, "field 'outputPorts[0].columns[0].pii': expected true or false, got a list")]
    # the port is still known: no lineage.input-port-exists on its consumer, no lineage.input-exists
    assert [r for r, _, _ in on(data, "finance.revenue")] == ["lineage.code-declared"]
    product, findings = parse_manifest(*parse_yaml(orders(pii="[yes]"), ORDERS))
    assert product is not None and product.invalid == frozenset({"outputPorts"})
    assert [p.name for p in product.model.outputPorts] == ["orders"]
    # only the invalid value is left out of the model: the column stays, with the default of pii
    assert [(c.name, c.pii) for c in product.model.outputPorts[0].columns] == [("id", False)]
    assert [f.rule for f in findings] == ["manifest.invalid"]


def test_changed_files_mode_on_a_consumer_reports_the_invalid_value_it_reads(tmp_path: Path) -> None:
    mesh = mesh_with(tmp_path, orders(active_at="2025-02-31"))
    consumer = mesh.product("finance.revenue", {"inputs": [{"product": "sales.orders"}],
                                                "execution": {"code": ["revenue.sql"]}})
    mesh.write("finance/revenue/revenue.sql", "select id from analytics.sales_prod.orders\n")
    assert govern("check", str(mesh.root), "--today", TODAY).returncode == 1  # a whole-mesh run (writes the index)
    for _ in range(2):  # from the mesh index, then again
        gate = govern("gate", str(consumer), "--today", TODAY, "--trust-cache")
        assert gate.returncode == 1, gate.stdout + gate.stderr
        assert "gate: BLOCKED" in gate.stdout
        assert f"manifest.invalid ({ORDERS}:16): field 'lifecycle.events[1].at'" in gate.stdout
        code, data = check_json(str(consumer))
        assert code == 1
        assert [f["rule"] for f in data["findings"]] == ["manifest.invalid"]
        assert data["findings"][0]["product"] == "sales.orders"
    # a consumer of a valid product does not get it
    other = mesh.product("crm.segments", {"inputs": [{"product": "crm.customers"}],
                                          "execution": {"job": "airflow:crm/segments"}})
    code, data = check_json(str(other))
    assert all(f["product"] != "sales.orders" for f in data["findings"]), data["findings"]


def test_without_a_valid_id_there_is_no_product(tmp_path: Path) -> None:
    mesh = mesh_with(tmp_path, orders().replace("id: sales.orders", "id: [sales, orders]"))
    code, data = check_json(str(mesh.root))
    assert code == 1
    assert data["summary"]["products"] == 1
    assert [(f["rule"], f["location"]["line"], f["message"]) for f in data["findings"]] == [
        ("manifest.invalid", 2, "field 'id': expected text, got a list")]


def test_every_rule_reads_fields_it_can_name() -> None:
    """The engine skips a rule on a product by the top-level fields the rule reads: YAML rules by their
    paths, Python rules by @register(fields=...), Cedar by ENTITY_FIELDS; every name is a manifest field."""
    from govern.model.product import DataProduct

    known = set(DataProduct.model_fields)
    pack = load_pack()
    for spec in pack.rules.values():
        if spec.engine == "yaml":
            assert spec.compiled is not None and spec.compiled.fields <= known, spec.id
        elif spec.engine == "python":
            fields = declared(spec.id).fields
            assert fields is not None and set(fields) <= known, spec.id
    assert known >= ENTITY_FIELDS
    deprecation = pack.rules["lifecycle.deprecation-sunset"].compiled
    assert deprecation is not None and deprecation.fields == {"lifecycle"}
    domain_match = pack.rules["namespace.domain-match"].compiled
    assert domain_match is not None and domain_match.fields == {"domain", "id"}


def test_a_standard_whose_rules_could_not_run_fails_on_the_scorecard(tmp_path: Path) -> None:
    import govern as library

    mesh = mesh_with(tmp_path, orders(owner="sales-data"))
    result = library.check([mesh.root], today=None)
    assert set(result.not_evaluated) == {"sales.orders"}
    skipped = result.not_evaluated["sales.orders"]
    assert {"owner.required", "owner.group-exists", "auth.deploy-own-domain"} <= skipped
    assert "namespace.enum" not in skipped and "documentation.description" not in skipped
    proc = govern("scorecard", str(mesh.root), "--product", "sales.orders", "--format", "json", "--today", TODAY)
    assert proc.returncode == 0, proc.stderr
    card = json.loads(proc.stdout)["products"][0]
    # owner and auth could not be shown to pass: not 'pass', so not 'curated' either
    assert card["standards"]["owner"] == "fail" and card["standards"]["auth"] == "fail"
    assert card["standards"]["namespace"] == "pass"
    assert card["level"] == "raw"
