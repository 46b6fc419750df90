"""Importers: detection, the dbt / ODCS / ODPS / OpenLineage mappings, on the committed real-shaped fixtures."""

from __future__ import annotations

import copy
import datetime as dt
import importlib.util
import json
import random
import shutil
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource

import govern
from govern.load.importers import detect, detect_text, find_inputs
from govern.load.importers.dbt import render_raw
from govern.load.loader import load_mesh
from govern.model.errors import ConfigError
from govern.model.findings import Severity

FIXTURES = Path(__file__).parent.parent / "fixtures"
SCHEMAS = Path(__file__).parent.parent / "schemas"
TODAY = dt.date(2026, 6, 1)
MANIFEST = "target/manifest.json"


def _copy(name: str, tmp_path: Path) -> Path:
    dest = tmp_path / name
    shutil.copytree(FIXTURES / name, dest)
    return dest


def _pairs(result) -> set[tuple[str, str | None]]:
    return {(f.rule, f.product) for f in result.findings}


# ------------------------------------------------------------------------------------------- detection
@pytest.mark.parametrize(
    ("head", "name", "expected"),
    [
        ("kind: DataProduct\nid: sales.orders\n", "dataproduct.yaml", "native"),
        ("apiVersion: v1.0.0\nkind: DataProduct\nid: x\nstatus: active\n", "dataproduct.yaml", "odps"),
        ("# c\napiVersion: 'v3.1.0'\nkind: DataContract\n", "orders.yaml", "odcs"),
        ('{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"}}',
         "manifest.json", "dbt"),
        ('{"eventTime": "2026-01-01T00:00:00Z", "eventType": "START", "job": {}}', "x.json", "openlineage"),
        ('[{"eventTime": "2026-01-01T00:00:00Z", "dataset": {}}]', "events.json", "openlineage"),
        ('{"kind": "DataContract", "apiVersion": "v3.0.2"}', "c.json", "odcs"),
        ("teams: []\n", "org.yaml", None),
        ('{"name": "left-pad"}', "package.json", None),
    ],
)
def test_detect_by_content(head: str, name: str, expected: str | None) -> None:
    assert detect_text(head, name) == expected


def test_find_inputs_walks_dbt_projects_and_skips_native_manifests(tmp_path: Path) -> None:
    root = _copy("dbt_project", tmp_path)
    (root / "products").mkdir()
    (root / "products" / "dataproduct.yaml").write_text("kind: DataProduct\nid: a.b\n")
    (root / "products" / "c.odcs.yaml").write_text("apiVersion: v3.1.0\nkind: DataContract\nid: x\n")
    found = find_inputs([root], root, [])
    rel = {p.relative_to(root.resolve()).as_posix(): fmt for p, fmt in found.items()}
    # target/ is never walked; dbt_project.yml brings its manifest
    assert rel == {MANIFEST: "dbt", "products/c.odcs.yaml": "odcs"}
    assert find_inputs([root], root, ["products/*"]) == {(root / MANIFEST).resolve(): "dbt"}


def test_input_format_overrides_detection(tmp_path: Path) -> None:
    contract = yaml.safe_load((FIXTURES / "bitol_mesh/contracts/crm_customers.odcs.yaml").read_text())
    path = tmp_path / "customers.txt"
    path.write_text(yaml.safe_dump(contract))
    assert detect(path) == "odcs"  # content decides, not the name
    plain = tmp_path / "plain.txt"
    plain.write_text(json.dumps(contract))
    mesh = load_mesh([plain], root=tmp_path, formats={plain: "odcs"})
    assert [p.id for p in mesh.products] == ["crm.customers"]
    assert mesh.products[0].origin == "odcs"


# ------------------------------------------------------------------------------------------------ dbt
@pytest.fixture(scope="module")
def dbt_mesh():
    root = FIXTURES / "dbt_project"
    return load_mesh([root], root=root)


def test_dbt_manifest_is_real_and_supported() -> None:
    doc = json.loads((FIXTURES / "dbt_project" / MANIFEST).read_text())
    assert doc["metadata"]["dbt_schema_version"].endswith("/manifest/v12.json")
    assert doc["metadata"]["dbt_version"].startswith("1.10.")
    assert all(n.get("compiled_code") for n in doc["nodes"].values() if n["resource_type"] == "model")


def test_dbt_models_sources_exposures_become_products(dbt_mesh) -> None:
    ids = sorted(p.id for p in dbt_mesh.products)
    assert ids == [
        "crm.crm_raw", "crm.dim_customers_v1", "crm.dim_customers_v2", "crm.stg_customers",
        "finance.bad_ledger", "finance.finance_dashboard", "finance.revenue", "misc.scratch_numbers",
        "sales.commission", "sales.fct_orders", "sales.orders_archive", "sales.orders_legacy", "sales.shop_raw",
        "sales.stg_orders", "sales.stg_payments",
    ]
    assert {p.origin for p in dbt_mesh.products} == {"dbt"}
    assert not [f for f in dbt_mesh.findings if f.severity is Severity.ERROR]


def test_dbt_owner_access_lifecycle_and_columns(dbt_mesh) -> None:
    by = dbt_mesh.by_id
    fct = by["sales.fct_orders"].model
    assert (fct.owner.group, fct.owner.person) == ("sales-data", "ana@example.com")  # group sales_data → team
    assert fct.access.visibility == "mesh"
    assert by["finance.revenue"].model.access.visibility == "domain"  # protected
    assert by["sales.stg_orders"].model.access.visibility == "private"
    port = fct.outputPorts[0]
    assert (port.location, port.type, port.classification) == ("analytics.main.fct_orders", "table", "confidential")
    assert [(c.name, c.pii) for c in port.columns] == [
        ("order_id", False), ("customer_id", False), ("customer_email", True), ("amount", False)]
    v1, v2 = by["crm.dim_customers_v1"].model, by["crm.dim_customers_v2"].model
    assert (v1.lifecycle.state, v1.lifecycle.replacedBy, v1.lifecycle.sunset) == (
        "deprecated", "crm.dim_customers_v2", dt.date(2026, 12, 31))
    assert v2.lifecycle.state == "active"
    assert [c.pii for c in v2.outputPorts[0].columns] == [False, True, True]  # meta.pii, meta.contains_pii
    legacy = by["sales.orders_legacy"].model.lifecycle
    assert (legacy.state, legacy.sunset) == ("deprecated", dt.date(2026, 1, 31))
    assert by["sales.orders_archive"].state == "retired"  # meta.lifecycle.state
    assert [(i.product, i.port) for i in by["sales.stg_orders"].model.inputs] == [("sales.shop_raw", "orders")]
    assert by["crm.crm_raw"].model.execution.job == "fivetran:crm_raw"  # the source's loader


def test_dbt_locations_are_json_pointers(dbt_mesh) -> None:
    bad = dbt_mesh.by_id["finance.bad_ledger"]
    assert bad.path == MANIFEST
    assert bad.source.pointer_of(("namespace",)) == "/nodes/model.jaffle_mesh.bad_ledger/config/meta/namespace"
    assert bad.source.pointer_of(("description",)) == "/nodes/model.jaffle_mesh.bad_ledger"  # absent: the node
    assert bad.source.line_of(("namespace",)) is None
    revenue = dbt_mesh.by_id["finance.revenue"]
    assert revenue.source.pointer_of(("inputs", 1, "product")) == "/nodes/model.jaffle_mesh.revenue/depends_on/nodes/1"
    doc = json.loads((FIXTURES / "dbt_project" / MANIFEST).read_text())
    assert doc["nodes"]["model.jaffle_mesh.revenue"]["depends_on"]["nodes"][1] == "model.jaffle_mesh.orders_legacy"


def test_dbt_sql_is_the_compiled_code(dbt_mesh) -> None:
    (sql,) = dbt_mesh.by_id["sales.fct_orders"].sql
    assert sql.path == "models/sales/fct_orders.sql" and sql.dialect == "duckdb"
    assert '"analytics"."main"."stg_orders"' in sql.text and "{{" not in sql.text
    assert dbt_mesh.by_id["sales.fct_orders"].model.execution.code == ["../models/sales/fct_orders.sql"]


def test_dbt_raw_code_is_rendered_when_not_compiled(tmp_path: Path) -> None:
    root = _copy("dbt_project", tmp_path)
    doc = json.loads((root / MANIFEST).read_text())
    for node in doc["nodes"].values():
        node.pop("compiled_code", None)  # what `dbt parse` writes
    (root / MANIFEST).write_text(json.dumps(doc))
    mesh = load_mesh([root], root=root)
    (sql,) = mesh.by_id["finance.revenue"].sql
    assert '"analytics"."main"."dim_customers_v1"' in sql.text  # ref('dim_customers', v=1)
    assert '"analytics"."main"."fct_orders"' in sql.text and "config(" not in sql.text
    (src,) = mesh.by_id["sales.stg_orders"].sql
    assert '"analytics"."shop_raw"."orders"' in src.text  # source('shop_raw', 'orders')


def test_dbt_render_is_sandboxed() -> None:
    node = {"unique_id": "model.p.x", "depends_on": {"nodes": []}}
    empty = SimpleNamespace(nodes={}, sources={}, relation_of=lambda uid: uid)
    assert render_raw("{{ ''.__class__.__mro__[1].__subclasses__() }}", node, empty) == (None, None)
    assert render_raw("select {{ var('x', 1) }} from {{ this }}", node, empty) == ("select 1 from model.p.x", None)


def test_dbt_access_filter_reads_through_unselected_models(tmp_path: Path) -> None:
    root = _copy("dbt_project", tmp_path)
    config = yaml.safe_load((root / "govern.yaml").read_text())
    config["importers"]["dbt"]["access"] = ["public"]
    (root / "govern.yaml").write_text(yaml.safe_dump(config))
    mesh = load_mesh([root], root=root)
    assert "sales.stg_orders" not in mesh.by_id and "finance.revenue" not in mesh.by_id
    fct = mesh.by_id["sales.fct_orders"].model
    assert sorted((i.product, i.port) for i in fct.inputs) == [
        ("crm.dim_customers_v2", "dim_customers_v2"), ("sales.shop_raw", "orders"), ("sales.shop_raw", "payments")]


def test_dbt_source_that_is_a_port_of_the_mesh_resolves_to_that_product(tmp_path: Path) -> None:
    root = _copy("dbt_project", tmp_path)
    (root / "crm").mkdir()
    (root / "crm" / "dataproduct.yaml").write_text(yaml.safe_dump({
        "kind": "DataProduct", "id": "crm.customers_raw",
        "outputPorts": [{"name": "customers", "location": "ANALYTICS.CRM_RAW.CUSTOMERS"}],
    }))
    mesh = load_mesh([root], root=root)
    assert "crm.crm_raw" not in mesh.by_id  # its only table is that product's port
    assert [(i.product, i.port) for i in mesh.by_id["crm.stg_customers"].model.inputs] == [
        ("crm.customers_raw", "customers")]


def test_dbt_bad_manifests_are_findings_not_crashes(tmp_path: Path) -> None:
    (tmp_path / "govern.yaml").write_text("standards: {pack: mesh-core}\n")
    (tmp_path / "broken.json").write_text('{"metadata": {"dbt_schema_version": \n  "x"  oops}')
    old = json.loads((FIXTURES / "dbt_project" / MANIFEST).read_text())
    old["metadata"]["dbt_schema_version"] = "https://schemas.getdbt.com/dbt/manifest/v7.json"
    (tmp_path / "old.json").write_text(json.dumps(old))
    result = govern.check([tmp_path / "broken.json", tmp_path / "old.json"], root=tmp_path, today=TODAY,
                          formats={tmp_path / "broken.json": "dbt"})
    broken = [f for f in result.findings if f.location.path == "broken.json"]
    assert [(f.rule, f.location.line) for f in broken] == [("input.invalid", 2)]
    old_warn = [f for f in result.findings if f.location.path == "old.json" and f.rule == "input.invalid"]
    assert old_warn and old_warn[0].severity is Severity.WARNING
    assert old_warn[0].location.pointer == "/metadata/dbt_schema_version"
    assert "sales_data.fct_orders" in result.products  # still imported (no org.yaml: domain = dbt group)


# ----------------------------------------------------------------------------------------- ODCS / ODPS
def _validator(schema_file: str):
    schema = json.loads((SCHEMAS / schema_file).read_text())
    return jsonschema.validators.validator_for(schema)(schema)


@pytest.mark.parametrize("path", sorted((FIXTURES / "bitol_mesh").rglob("*.od?s.yaml")), ids=lambda p: p.name)
def test_bitol_fixtures_validate_against_the_published_schemas(path: Path) -> None:
    schema = "odcs-json-schema-v3.1.0.json" if path.name.endswith(".odcs.yaml") else "odps-json-schema-v1.0.0.json"
    data = json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))
    errors = list(_validator(schema).iter_errors(data))
    if path.name == "broken.odcs.yaml":
        assert len(errors) == 3  # malformed on purpose: no status, a bad logicalType, a server without type
    else:
        assert errors == [], [e.message for e in errors]


def test_bitol_mesh_findings() -> None:
    result = govern.check([FIXTURES / "bitol_mesh"], root=FIXTURES / "bitol_mesh", today=TODAY)
    assert _pairs(result) == {
        ("auth.classification-required", "finance.ledger"), ("namespace.enum", "finance.ledger"),
        ("structure.enum", "finance.ledger"), ("documentation.description", "finance.ledger"),
        ("format.required", "finance.revenue"), ("owner.required", "finance.revenue"),
        ("lifecycle.deprecation-sunset", "finance.revenue"), ("lifecycle.deprecation-successor", "finance.revenue"),
        ("lineage.input-exists", "finance.revenue"), ("sql.classification-downgrade", "finance.revenue"),
        # format and complexity are inferred from the typed properties of the broken contract
        ("manifest.invalid", "marketing.campaigns"), ("auth.classification-required", "marketing.campaigns"),
        ("documentation.description", "marketing.campaigns"), ("lifecycle.state-required", "marketing.campaigns"),
        ("lineage.job-declared", "marketing.campaigns"), ("owner.required", "marketing.campaigns"),
        ("structure.required", "marketing.campaigns"),
    }
    invalid = sorted((f.location.line, f.message) for f in result.findings if f.rule == "manifest.invalid")
    assert [line for line, _ in invalid] == [2, 9, 15]
    assert "'text' is not one of" in invalid[2][1] and "schema[0].properties[0].logicalType" in invalid[2][1]


def test_odps_output_port_takes_the_contract_schema_and_address() -> None:
    mesh = load_mesh([FIXTURES / "bitol_mesh"], root=FIXTURES / "bitol_mesh")
    orders = mesh.by_id["sales.orders"]
    port = orders.model.outputPorts[0]
    assert (port.location, port.classification) == ("ANALYTICS.SALES_PROD.orders", "confidential")
    assert [(c.name, c.pii) for c in port.columns] == [
        ("order_id", False), ("customer_id", False), ("email", True), ("amount", False)]
    assert [(i.product, i.port) for i in orders.model.inputs] == [("crm.customers", None)]
    assert orders.source.line_of(("outputPorts", 0, "columns", 2)) == 25  # the port's contractId line
    revenue = mesh.by_id["finance.revenue"].model
    assert [(i.product, i.port) for i in revenue.inputs] == [("sales.orders", "orders"), ("treasury-fx-rates", None)]
    customers = mesh.by_id["crm.customers"]
    assert customers.origin == "odcs" and customers.model.namespace == "prod"
    assert customers.model.outputPorts[0].location == "analytics.crm_prod.customers"
    assert customers.source.line_of(("owner", "person")) == 14  # team.members[0].username


# ------------------------------------------------------------------------------------------ OpenLineage
def _openlineage_validators():
    resources = []
    for path in sorted((SCHEMAS / "openlineage").rglob("*.json")):
        doc = json.loads(path.read_text())
        resources.append((doc["$id"], Resource.from_contents(doc)))
    registry = Registry().with_resources(resources)
    core = json.loads((SCHEMAS / "openlineage" / "OpenLineage.json").read_text())
    facets = {}
    for path in (SCHEMAS / "openlineage" / "facets").glob("*.json"):
        doc = json.loads(path.read_text())
        facets[next(iter(doc["properties"]))] = jsonschema.Draft202012Validator(doc, registry=registry)
    return jsonschema.Draft202012Validator(core, registry=registry), facets


def test_events_built_with_the_client_validate_and_match_the_committed_fixture() -> None:
    pytest.importorskip("openlineage.client")
    spec = importlib.util.spec_from_file_location("openlineage_events", FIXTURES / "openlineage_events.py")
    openlineage_events = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(openlineage_events)

    events = openlineage_events.build_events()
    text = openlineage_events.to_ndjson(events)
    core, facets = _openlineage_validators()
    for line in text.splitlines():
        event = json.loads(line)
        assert list(core.iter_errors(event)) == []
        for holder in [event.get("job", {}), event.get("dataset", {}), *event.get("inputs", []),
                       *event.get("outputs", [])]:
            for name, facet in holder.get("facets", {}).items():
                if name in facets:
                    assert list(facets[name].iter_errors({name: facet})) == [], name
    committed = (FIXTURES / "openlineage_mesh" / "lineage" / "events.ndjson").read_text()
    assert text == committed, "regenerate with: python tests/fixtures/openlineage_events.py"


def test_openlineage_mesh_findings() -> None:
    root = FIXTURES / "openlineage_mesh"
    result = govern.check([root], root=root, today=TODAY)
    shadow = "airflow.adhoc_export_emails"
    assert _pairs(result) == {
        ("lineage.undeclared-dependency", "sales.orders"), ("tombstoning.consume-retired", "sales.orders"),
        ("lineage.dataset-dropped", "sales.orders"), ("lineage.dataset-dropped", "crm.customers"),
        ("owner.observed-mismatch", "crm.customers"),
        ("lineage.undeclared-dependency", "finance.revenue"), ("auth.private-read", "finance.revenue"),
        ("auth.restricted-read", "finance.revenue"),
        ("lineage.dataset-dropped", shadow), ("auth.classification-required", shadow),
        ("auth.deploy-own-domain", shadow), ("complexity.required", shadow), ("documentation.description", shadow),
        ("format.required", shadow), ("lineage.code-declared", shadow),  # lifecycle: active (the job ran)
        ("namespace.required", shadow), ("owner.person-email", shadow), ("structure.required", shadow),
        ("versioning.required", shadow),
    }
    undeclared = {f.product: f.location for f in result.findings if f.rule == "lineage.undeclared-dependency"}
    assert (undeclared["sales.orders"].path, undeclared["sales.orders"].line, undeclared["sales.orders"].pointer) == (
        "lineage/events.ndjson", 1, "/inputs/1")
    # finance.revenue writes s3://lake/finance/revenue; its symlink names the table of the product
    assert (undeclared["finance.revenue"].line, undeclared["finance.revenue"].pointer) == (2, "/inputs/1")
    runtime = result.mesh.runtime
    assert (runtime.events, runtime.jobs) == (4, 3)
    assert [(d.dataset.rsplit("/", 1)[-1], d.change, d.producer) for d in runtime.drops] == [
        ("analytics.crm_prod.customers", "DROP", "crm.customers")]


def test_openlineage_json_array_uses_pointers_and_bad_lines_do_not_stop_the_rest(tmp_path: Path) -> None:
    root = _copy("openlineage_mesh", tmp_path)
    lines = (root / "lineage" / "events.ndjson").read_text().splitlines()
    (root / "lineage" / "events.ndjson").unlink()
    (root / "lineage" / "events.json").write_text(json.dumps([json.loads(x) for x in lines], indent=2))
    (root / "lineage" / "more.ndjson").write_text('{"eventTime": "2026-05-09T00:00:00Z", "job": {oops\n')
    result = govern.check([root], root=root, today=TODAY)
    undeclared = [f.location for f in result.findings
                  if f.rule == "lineage.undeclared-dependency" and f.product == "sales.orders"]
    assert [(loc.path, loc.line, loc.pointer) for loc in undeclared] == [("lineage/events.json", None, "/0/inputs/1")]
    bad = [f for f in result.findings if f.location.path == "lineage/more.ndjson"]
    assert [(f.rule, f.location.line) for f in bad] == [("input.invalid", 1)]


def test_unowned_jobs_can_be_ignored(tmp_path: Path) -> None:
    root = _copy("openlineage_mesh", tmp_path)
    (root / "govern.yaml").write_text("importers: {openlineage: {unownedJobs: ignore}}\n")
    result = govern.check([root], root=root, today=TODAY)
    assert "airflow.adhoc_export_emails" not in result.products
    assert ("lineage.undeclared-dependency", "sales.orders") in _pairs(result)


def test_a_bad_importers_section_is_a_config_error_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "govern.yaml").write_text("standards: {pack: mesh-core}\nimporters:\n  dbt:\n    domain: [team]\n")
    shutil.copytree(FIXTURES / "dbt_project" / "target", tmp_path / "target")
    with pytest.raises(ConfigError) as exc:
        load_mesh([tmp_path / MANIFEST], root=tmp_path)
    assert exc.value.line == 4 and "importers.dbt.domain" in str(exc.value)


def test_an_odps_document_named_dataproduct_yaml_is_read_as_odps(tmp_path: Path) -> None:
    root = tmp_path / "mesh"
    shutil.copytree(FIXTURES / "bitol_mesh", root)
    odps = root / "products" / "sales_orders.odps.yaml"
    (root / "sales").mkdir()
    odps.rename(root / "sales" / "dataproduct.yaml")
    (root / "products" / "orders.sql").rename(root / "sales" / "orders.sql")
    native = root / "crm_native" / "dataproduct.yaml"
    native.parent.mkdir()
    native.write_text(yaml.safe_dump({"kind": "DataProduct", "id": "crm.native", "description": "x"}))
    mesh = load_mesh([root], root=root)
    assert mesh.by_id["sales.orders"].origin == "odps" and mesh.by_id["sales.orders"].path == "sales/dataproduct.yaml"
    assert mesh.by_id["crm.native"].origin == "native"
    assert not [f for f in mesh.findings if f.location.path == "sales/dataproduct.yaml"]


def _corrupt(doc, rng: random.Random, times: int):
    """Put a value of the wrong type at a few random places of a JSON-like document."""
    bad = [None, 1, "x", [], {}, [1, "a", None], {"a": 1}, True, -1.5]
    doc = copy.deepcopy(doc)
    for _ in range(times):
        spots = []
        stack = [(doc, ())]
        while stack:
            obj, path = stack.pop()
            items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
            for key, value in items:
                spots.append((obj, key))
                stack.append((value, (*path, key)))
        if spots:
            holder, key = rng.choice(spots)
            holder[key] = copy.deepcopy(rng.choice(bad))
    return doc


@pytest.mark.parametrize("fmt", ["dbt", "odcs", "odps", "openlineage"])
def test_wrong_types_anywhere_give_findings_never_a_crash(fmt: str, tmp_path: Path) -> None:
    rng = random.Random(fmt)
    if fmt == "dbt":
        full = json.loads((FIXTURES / "dbt_project" / MANIFEST).read_text())
        doc = {k: full[k] for k in ("metadata", "sources", "exposures", "groups")}
        doc["nodes"] = dict(sorted(full["nodes"].items())[:4])
        name = "manifest.json"
    elif fmt == "openlineage":
        doc = [json.loads(x) for x in (FIXTURES / "openlineage_mesh/lineage/events.ndjson").read_text().splitlines()]
        name = "events.json"
    else:
        rel = "contracts/crm_customers.odcs.yaml" if fmt == "odcs" else "products/sales_orders.odps.yaml"
        doc = json.loads(json.dumps(yaml.safe_load((FIXTURES / "bitol_mesh" / rel).read_text()), default=str))
        name = f"doc.{fmt}.json"
    (tmp_path / "org.yaml").write_text("teams: [{id: sales-data, domain: sales}]\n")
    imported = 0
    for _ in range(12):
        (tmp_path / name).write_text(json.dumps(_corrupt(doc, rng, rng.randint(1, 5))))
        result = govern.check([tmp_path], root=tmp_path, today=TODAY, formats={tmp_path / name: fmt})
        assert not [f for f in result.findings if f.rule == "rule.crashed"], result.findings
        imported += any(p.origin == fmt for p in result.mesh.products) or bool(result.mesh.runtime)
    assert imported >= 6  # the importer really ran on most of the corrupted documents
