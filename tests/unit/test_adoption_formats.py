"""Issue 16 for ODCS, ODPS and OpenLineage (and dbt's tests, contracts and metrics): infer in the
source's terms with provenance, keep what the documents say, one finding per problem, and
`govern init --from` for every format. Small documents written here; the real ones are in
tests/unit/test_real_corpus.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from govern.cli.main import cli
from govern.load.loader import load_mesh

TODAY = "2026-06-01"
REAL = Path(__file__).parent.parent / "corpus" / "real"

CONTRACT = """\
apiVersion: v3.1.0
kind: DataContract
id: sales-orders
name: orders
version: 1.2.0
status: active
domain: sales
description: {purpose: Orders placed in the shop}
team:
  name: Sales Data
  members:
    - {username: ana@example.com, role: owner}
servers:
  - {server: dev, type: postgres, environment: DEV, host: localhost, port: 5432, database: shop, schema: dev}
  - {server: prod, type: postgres, environment: production, host: db, port: 5432, database: shop, schema: sales}
schema:
  - name: orders
    physicalType: table
    physicalName: orders
    quality:
      - {type: library, metric: rowCount, mustBeGreaterThan: 0}
    relationships:
      - {type: foreignKey, from: orders.customer_id, to: customers.id}
    properties:
      - {name: order_id, logicalType: string, classification: public, primaryKey: true, required: true, unique: true}
      - name: customer_id
        logicalType: string
        classification: restricted
        quality:
          - {type: library, metric: nullValues, mustBe: 0}
      - {name: total, logicalType: number, classification: internal}
slaProperties:
  - {property: latency, value: 4, unit: d}
support:
  - {channel: sales-data, tool: slack, url: https://example.slack.com/sales-data}
roles:
  - {role: sales_reader, access: read, firstLevelApprovers: Sales lead}
customProperties:
  - {property: job, value: "airflow:sales/orders"}
  - {property: structure, value: append}
"""


def _mesh(tmp_path: Path, files: dict[str, str], govern: dict | None = None) -> Path:
    root = tmp_path / "mesh"
    root.mkdir(parents=True)
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    if govern is not None:
        (root / "govern.yaml").write_text(yaml.safe_dump(govern))
    return root


def _check(root: Path, *args: str) -> tuple[int, list[dict[str, Any]]]:
    result = CliRunner().invoke(cli, ["check", str(root), "--today", TODAY, "-f", "json", *args],
                                catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)["findings"]


# --------------------------------------------------------------------------------------------- ODCS
def test_odcs_namespace_comes_from_the_most_production_like_environment_through_the_mapping(tmp_path: Path) -> None:
    root = _mesh(tmp_path, {"orders.odcs.yaml": CONTRACT},
                 {"importers": {"namespaces": {"DEV": "test", "production": "prod"}}})
    product = load_mesh([root]).by_id["sales.orders"]
    assert product.model.namespace == "prod"
    assert product.inferred[("namespace",)] == \
        "ODCS servers[1].environment 'production' (govern.yaml importers.namespaces)"
    assert product.model.outputPorts[0].location == "shop.sales.orders"  # the port lives on that server


def test_odcs_environment_without_a_mapping_is_one_finding_with_the_fix_in_govern_yaml(tmp_path: Path) -> None:
    text = CONTRACT.replace("  - {server: prod, type: postgres, environment: production, host: db, port: 5432, "
                            "database: shop, schema: sales}\n", "")
    root = _mesh(tmp_path, {"orders.odcs.yaml": text})
    _, findings = _check(root)
    ns = [f for f in findings if f["rule"].startswith("namespace.")]
    assert [(f["rule"], f["location"]["line"]) for f in ns] == [("namespace.enum", 14)]
    assert "importers.namespaces" in ns[0]["help"]


def test_odcs_port_classification_is_the_most_sensitive_property_classification(tmp_path: Path) -> None:
    root = _mesh(tmp_path, {"orders.odcs.yaml": CONTRACT})
    product = load_mesh([root]).by_id["sales.orders"]
    port = product.model.outputPorts[0]
    assert port.classification == "restricted"
    assert product.inferred[("outputPorts", 0, "classification")] == (
        "ODCS schema[0].properties[1].classification 'restricted' (customer_id), the most sensitive of the "
        "object's properties")
    # a value outside the scheme, mapped once in govern.yaml
    sensitive = CONTRACT.replace("classification: restricted", "classification: sensitive")
    root = _mesh(tmp_path / "b", {"orders.odcs.yaml": sensitive},
                 {"importers": {"classifications": {"sensitive": "confidential"}}})
    port = load_mesh([root]).by_id["sales.orders"].model.outputPorts[0]
    assert port.classification == "confidential" and port.columns[1].classification == "confidential"


def test_odcs_keeps_quality_sla_support_roles_relationships_and_keys(tmp_path: Path) -> None:
    root = _mesh(tmp_path, {"orders.odcs.yaml": CONTRACT})
    model = load_mesh([root]).by_id["sales.orders"].model
    port = model.outputPorts[0]
    assert [(q.metric, q.details) for q in port.quality] == [("rowCount", {"mustBeGreaterThan": 0})]
    assert [(r.type, r.from_, r.to) for r in port.relationships] == [("foreignKey", "orders.customer_id", "customers.id")]
    order_id, customer_id, _ = port.columns
    assert (order_id.primaryKey, order_id.required, order_id.unique) == (True, True, True)
    assert [(q.metric, q.details) for q in customer_id.quality] == [("nullValues", {"mustBe": 0})]
    assert (port.contract.id, port.contract.version) == ("sales-orders", "1.2.0")
    assert [(s.property, s.value, s.unit) for s in model.sla] == [("latency", 4, "d")]
    assert [(s.channel, s.tool) for s in model.support] == [("sales-data", "slack")]
    assert [(r.role, r.access, r.firstLevelApprovers) for r in model.roles] == [("sales_reader", "read", "Sales lead")]
    assert (model.owner.group, model.owner.person) == ("Sales Data", "ana@example.com")


def test_odcs_format_and_complexity_are_inferred_from_property_types(tmp_path: Path) -> None:
    nested = CONTRACT.replace("{name: total, logicalType: number, classification: internal}",
                              "{name: lines, logicalType: array, classification: internal}")
    root = _mesh(tmp_path, {"a.odcs.yaml": CONTRACT})
    product = load_mesh([root]).by_id["sales.orders"]
    assert (product.model.format, product.model.complexity) == ("structured", "simple")
    assert product.inferred[("complexity",)] == "ODCS property types (all flat)"
    root = _mesh(tmp_path / "b", {"a.odcs.yaml": nested})
    product = load_mesh([root]).by_id["sales.orders"]
    assert product.model.complexity == "complex" and product.inferred[("complexity",)] == "ODCS property type 'array'"


def test_one_schema_problem_is_one_finding_at_its_line_in_govern_words(tmp_path: Path) -> None:
    broken = CONTRACT.replace("  - {server: dev, type: postgres, environment: DEV, host: localhost, port: 5432, "
                              "database: shop, schema: dev}",
                              "  - {server: dev, type: snowflake, environment: DEV, database: shop, schema: dev, "
                              "warehouse: wh, hots: x}")
    root = _mesh(tmp_path, {"orders.odcs.yaml": broken})
    _, findings = _check(root)
    invalid = [f for f in findings if f["rule"] == "manifest.invalid"]
    assert [(f["location"]["line"], f["message"]) for f in invalid] == [
        (14, "ODCS contract: field 'servers[0]': 'account' is required; 'hots' is not a field here "
             "(did you mean 'host'?)")]


def test_an_odcs_v3_0_contract_valid_under_its_own_schema_is_valid(tmp_path: Path) -> None:
    # datacontract-cli's v3.0.0 example: a list of team members and quality rules named `rule` (v3.1 has a
    # team mapping and `metric`): valid for the version it declares
    example = REAL / "odcs" / "datacontract-cli" / "tests" / "fixtures" / "odcs_v3" / "full-example.odcs.yaml"
    root = _mesh(tmp_path, {"full-example.odcs.yaml": example.read_text()})
    _, findings = _check(root)
    assert [f for f in findings if f["rule"] == "manifest.invalid"] == []
    port = load_mesh([root]).products[0].model.outputPorts[0]
    assert [q.metric for q in port.columns[2].quality] == ["nullValues"]  # v3.0's rule is v3.1's metric


def test_a_contract_without_domain_is_one_finding_not_three(tmp_path: Path) -> None:
    text = CONTRACT.replace("domain: sales\n", "")
    root = _mesh(tmp_path, {"orders.odcs.yaml": text, "org.yaml": yaml.safe_dump(
        {"teams": [{"id": "sales-data", "name": "Sales Data", "domain": "sales", "members": ["ana@example.com"]}]})})
    _, findings = _check(root)
    rules = sorted(f["rule"] for f in findings if f["severity"] == "error")
    assert "namespace.domain-required" in rules
    assert "namespace.id-format" not in rules and "auth.deploy-own-domain" not in rules
    required = next(f for f in findings if f["rule"] == "namespace.domain-required")
    assert "Add `domain:` to contract `orders` (orders.odcs.yaml)" in required["help"]


def test_a_domain_with_hyphens_matches_its_slug_in_the_id(tmp_path: Path) -> None:
    root = _mesh(tmp_path, {"orders.odcs.yaml": CONTRACT.replace("domain: sales", "domain: my-domain-team")})
    product = load_mesh([root]).by_id["my_domain_team.orders"]
    assert product.model.domain == "my-domain-team"
    _, findings = _check(root)
    assert [f for f in findings if f["rule"] == "namespace.domain-match"] == []


# --------------------------------------------------------------------------------------------- ODPS
PRODUCT = """\
apiVersion: v0.9.0
kind: DataProduct
id: 3f1c5b1e-0000-4000-8000-000000000001
name: Customer 360
domain: sales
status: active
version: 2.0.0
team: {name: Sales Data, members: [{username: ana@example.com, role: owner}]}
inputPorts:
  - {name: orders, version: 1.2.0, contractId: sales-orders}
outputPorts:
  - {name: customers, version: 1.0.0, type: tables, contractId: customers-v1}
  - name: customers
    version: 2.0.0
    type: tables
    contractId: customers-v2
    inputContracts:
      - {id: sales-orders, version: 1.2.0}
"""


def test_odps_ports_of_one_name_and_two_versions_stay_two_ports(tmp_path: Path) -> None:
    root = _mesh(tmp_path, {"c.odps.yaml": PRODUCT, "orders.odcs.yaml": CONTRACT})
    model = load_mesh([root]).by_id["sales.customer_360"].model
    assert [(p.name, p.version, p.contract.id) for p in model.outputPorts] == [
        ("customers", "1.0.0", "customers-v1"), ("customers", "2.0.0", "customers-v2")]
    assert [(c.id, c.version) for c in model.outputPorts[1].inputContracts] == [("sales-orders", "1.2.0")]
    # the input port and the input contract name one contract: one input, with the contract it reads
    assert [(i.product, i.port, i.contract.id, i.contract.version) for i in model.inputs] == [
        ("sales.orders", None, "sales-orders", "1.2.0")]


def test_an_older_odps_api_version_is_mentioned(tmp_path: Path) -> None:
    root = _mesh(tmp_path, {"c.odps.yaml": PRODUCT})
    _, findings = _check(root)
    note = [f for f in findings if f["rule"] == "manifest.invalid"]
    assert [(f["severity"], f["location"]["line"]) for f in note] == [("info", 1)]
    assert "apiVersion v0.9.0 is older than ODPS v1.0.0, the schema govern validates against" in note[0]["message"]


# -------------------------------------------------------------------------------------- OpenLineage
def _event(**kw: Any) -> dict[str, Any]:
    event = {"eventType": "COMPLETE", "eventTime": "2026-05-01T10:00:00Z",
             "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.0.0/integration/spark",
             "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
             "run": {"runId": "0176a8c2-fe01-7439-87e6-56a1a1b4029f"},
             "job": {"namespace": "spark", "name": "build_customers"}, "inputs": [], "outputs": []}
    event.update(kw)
    return event


def _facet(**body: Any) -> dict[str, Any]:
    return {"_producer": "https://example.com/spark", "_schemaURL": "https://openlineage.io/spec/facets/x.json",
            **body}


def test_a_facet_without_producer_is_one_warning_in_govern_words_and_the_event_is_read(tmp_path: Path) -> None:
    event = _event(outputs=[{"namespace": "postgres://db", "name": "shop.sales.customers",
                             "facets": {"schema": {"fields": [{"name": "id", "type": "string"}]}}}])
    event["job"]["facets"] = {"jobType": {"jobType": "QUERY", "integration": "SPARK", "processingType": "BATCH"}}
    root = _mesh(tmp_path, {"lineage/events.json": json.dumps([event, event])})
    _, findings = _check(root)
    warnings = [f for f in findings if f["rule"] == "input.invalid"]
    assert [(f["severity"], f["location"]["pointer"]) for f in warnings] == [("warning", "/0/job/facets/jobType")]
    assert warnings[0]["message"] == (
        "OpenLineage: 4 facets without '_producer' or '_schemaURL', which the spec requires of every facet (who "
        "wrote it, which facet schema it follows), the first the job facet 'jobType'; govern reads the facets anyway")
    assert "is a required property" not in json.dumps(findings)
    product = load_mesh([root]).by_id["spark.build_customers"]  # the event was read
    assert [c.name for c in product.model.outputPorts[0].columns] == ["id"]
    assert product.inferred[("lifecycle", "state")].startswith("OpenLineage: the job ran (COMPLETE at")


def test_an_event_missing_what_govern_reads_is_not_used_and_said_once_per_file(tmp_path: Path) -> None:
    bad = _event(eventTime="${json-unit.any-string}")
    root = _mesh(tmp_path, {"events.json": json.dumps([bad, bad, bad])})
    result = CliRunner().invoke(cli, ["check", str(root), "--today", TODAY, "-f", "json", "--allow-empty"])
    findings = json.loads(result.stdout)["findings"]
    assert [(f["severity"], f["location"]["pointer"], f["message"]) for f in findings] == [
        ("error", "/0/eventTime", "OpenLineage RunEvent: field 'eventTime': '${json-unit.any-string}' is not a date "
         "and time (ISO 8601); the event is not used (3 events of this file, the first here)")]


SENSITIVE = """\
kind: DataProduct
id: crm.customers
name: Customers
description: Customers of the shop
domain: crm
version: 1.0.0
namespace: prod
owner: {group: crm-team}
format: structured
complexity: simple
structure: set
lifecycle: {state: active}
execution: {job: "airflow:crm/customers"}
outputPorts:
  - name: customers
    type: table
    location: shop.crm.customers
    classification: restricted
    columns:
      - {name: id, type: string}
      - {name: email, type: string, pii: true}
access: {visibility: mesh}
"""


def test_openlineage_column_lineage_feeds_pii_propagation_as_sql_column_lineage_does(tmp_path: Path) -> None:
    lineage = {"fields": {"contact": {"inputFields": [
        {"namespace": "postgres://db", "name": "shop.crm.customers", "field": "email"}]}}}
    event = _event(job={"namespace": "spark", "name": "build_mailing",
                        "facets": {"ownership": _facet(owners=[{"name": "team:crm-team"}])}},
                   inputs=[{"namespace": "postgres://db", "name": "shop.crm.customers"}],
                   outputs=[{"namespace": "postgres://db", "name": "shop.crm.mailing",
                             "facets": {"columnLineage": _facet(**lineage),
                                        "schema": _facet(fields=[{"name": "contact", "type": "string"}])}}])
    files = {"crm/customers/dataproduct.yaml": SENSITIVE, "lineage/events.ndjson": json.dumps(event) + "\n",
             "org.yaml": yaml.safe_dump({"teams": [{"id": "crm-team", "domain": "crm", "members": ["c@example.com"]}]})}
    root = _mesh(tmp_path, files, {"importers": {"domains": {"crm": {"portDefaults": {"classification": "internal"}}}}})
    _, findings = _check(root)
    downgrade = [f for f in findings if f["rule"] == "sql.classification-downgrade"]
    assert [(f["product"], f["location"]["path"], f["location"]["line"], f["location"]["pointer"])
            for f in downgrade] == [("crm.build_mailing", "lineage/events.ndjson", 1,
                                     "/outputs/0/facets/columnLineage/fields/contact")]
    assert "crm.customers:customers.email" in downgrade[0]["message"]


def test_openlineage_quality_parent_and_sql_are_kept(tmp_path: Path) -> None:
    assertions = _facet(assertions=[{"assertion": "not_null", "success": True, "column": "id"},
                                    {"assertion": "unique", "success": False, "column": "id"}])
    writer = _event(job={"namespace": "spark", "name": "build_customers",
                         "facets": {"sql": _facet(query="insert into shop.sales.customers select 1", dialect="spark")}},
                    outputs=[{"namespace": "postgres://db", "name": "shop.sales.customers"}])
    writer["run"]["facets"] = {"parent": _facet(job={"namespace": "airflow", "name": "daily"},
                                                run={"runId": "0176a8c2-fe01-7439-87e6-56a1a1b40200"})}
    test = _event(job={"namespace": "spark", "name": "test_customers"}, eventTime="2026-05-01T11:00:00Z",
                  inputs=[{"namespace": "postgres://db", "name": "shop.sales.customers",
                           "inputFacets": {"dataQualityAssertions": assertions}}])
    root = _mesh(tmp_path, {"events.ndjson": json.dumps(writer) + "\n" + json.dumps(test) + "\n"})
    product = load_mesh([root]).by_id["spark.build_customers"]
    assert product.model.execution.parent == "openlineage:airflow/daily"
    assert product.model.execution.query == "insert into shop.sales.customers select 1"
    assert [(q.metric, q.column, q.success) for q in product.model.outputPorts[0].quality] == [
        ("not_null", "id", True), ("unique", "id", False)]


# --------------------------------------------------------------------------------------------- dbt
def test_dbt_tests_constraints_contracts_semantic_models_and_metrics_are_kept() -> None:
    manifest = REAL / "dbt" / "dbt_project_evaluator_integration_tests" / "target" / "manifest.json"
    mesh = load_mesh([manifest], formats={manifest: "dbt"})
    port = mesh.by_id["dbt_project_evaluator_integration_tests.dim_model_7"].model.outputPorts[0]
    assert port.contract.enforced is True
    column = port.columns[0]
    assert (column.name, [c.type for c in column.constraints], column.required) == ("id", ["not_null"], True)
    assert [(q.type, q.metric, q.name) for q in column.quality] == [("dbt", "unique", "unique_dim_model_7_id")]
    assert [(s.name, s.entities, s.measures) for s in port.semanticModels] == [("my_model", ["dim"], ["total_count"])]
    assert [(m.name, m.type) for m in port.metrics] == [("new_metric", "simple"), ("new_metric_with_window", "cumulative")]


# -------------------------------------------------------------------------- defaults declared once
def test_per_domain_defaults_fill_what_the_source_cannot_say_with_templates(tmp_path: Path) -> None:
    text = CONTRACT.replace("  - {property: job, value: \"airflow:sales/orders\"}\n", "").replace(
        "  - {property: structure, value: append}\n", "  - {property: format, value: structured}\n")
    govern = {"importers": {"domains": {"sales": {"defaults": {"structure": "set",
                                                               "execution": {"job": "airflow:{domain}/{name}"}}}}}}
    root = _mesh(tmp_path, {"orders.odcs.yaml": text}, govern)
    product = load_mesh([root]).by_id["sales.orders"]
    assert (product.model.structure, product.model.execution.job) == ("set", "airflow:sales/orders")
    assert product.inferred[("structure",)] == "govern.yaml importers.domains.sales.defaults"
    assert product.inferred[("execution",)] == "govern.yaml importers.domains.sales.defaults"


# ---------------------------------------------------------------------------------- init --from
def test_init_from_a_folder_of_contracts(tmp_path: Path) -> None:
    text = CONTRACT.replace("  - {property: structure, value: append}\n", "").replace(
        "environment: DEV", "environment: uat-east")
    root = _mesh(tmp_path, {"orders.odcs.yaml": text})
    result = CliRunner().invoke(cli, ["init", "--from", str(root)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "read 1 ODCS data contract file" in result.output
    assert "environment production -> prod" in result.output
    assert "environment uat-east -> not recognised: map it in govern.yaml importers.namespaces" in result.output
    assert yaml.safe_load((root / "org.yaml").read_text())["teams"] == [
        {"id": "sales-data", "name": "Sales Data", "domain": "sales", "members": ["ana@example.com"]}]
    govern = (root / "govern.yaml").read_text()
    assert "    production: prod\n" in govern
    assert "    # uat-east: prod   # not recognised by govern init: map it to prod, preprod or test\n" in govern
    importers = yaml.safe_load(govern)["importers"]
    assert importers["domains"] == {"sales": {"defaults": {"structure": "set"}}}
    assert "1 of 1 product pass" in result.output and "nothing left to fix" in result.output
    assert _check(root)[0] == 0


def test_init_from_an_events_file(tmp_path: Path) -> None:
    event = _event(job={"namespace": "spark", "name": "build_customers",
                        "facets": {"ownership": _facet(owners=[{"name": "team:Customer Data"},
                                                               {"name": "user:cd@example.com"}])}},
                   outputs=[{"namespace": "postgres://db", "name": "shop.sales.customers",
                             "facets": {"schema": _facet(fields=[{"name": "id", "type": "string"}])}}])
    root = _mesh(tmp_path, {"lineage/events.ndjson": json.dumps(event) + "\n"})
    result = CliRunner().invoke(cli, ["init", "--from", str(root / "lineage" / "events.ndjson")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    adopted = root / "lineage"
    assert yaml.safe_load((adopted / "org.yaml").read_text())["teams"] == [
        {"id": "customer-data", "name": "Customer Data", "domain": "spark", "members": ["cd@example.com"]}]
    importers = yaml.safe_load((adopted / "govern.yaml").read_text())["importers"]
    assert importers["domains"] == {"spark": {"defaults": {"namespace": "prod", "structure": "set", "version": "1.0.0"}}}
    left = result.output.split("left to fix (", 1)[1]
    # what events cannot say and init never defaults: the classification of the written data
    assert "[auth.classification-required] OpenLineage events have no classification" in left
    assert "[documentation.description]" not in left  # a warning, not an error


def test_init_from_keeps_existing_files(tmp_path: Path) -> None:
    root = _mesh(tmp_path, {"orders.odcs.yaml": CONTRACT, "govern.yaml": "standards: {pack: mesh-core}\n"})
    result = CliRunner().invoke(cli, ["init", "--from", str(root)], catch_exceptions=False)
    assert "kept  govern.yaml (exists)" in result.output
    assert (root / "govern.yaml").read_text() == "standards: {pack: mesh-core}\n"


def test_init_from_a_folder_with_nothing_to_adopt_fails_closed(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(cli, ["init", "--from", str(tmp_path / "empty")])
    assert result.exit_code == 2
    assert "no dbt project, ODCS contract, ODPS product or OpenLineage events found" in result.output


def test_init_from_a_bare_dbt_manifest_and_its_events(tmp_path: Path) -> None:
    root = tmp_path / "run"
    shutil.copytree(REAL / "dbt_openlineage" / "postgres_run", root, ignore=shutil.ignore_patterns("LICENSE"))
    result = CliRunner().invoke(cli, ["init", "--from", str(root / "target" / "manifest.json")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (root / "govern.yaml").is_file()
    # the dbt-ol events of the run resolve to the models: no product is made from a job
    mesh = load_mesh([root, root / "target" / "manifest.json"], root=root,
                     formats={root / "target" / "manifest.json": "dbt"})
    assert {p.origin for p in mesh.products} == {"dbt"}
    assert mesh.runtime is not None and mesh.runtime.events > 0
