"""Issue 16: every value an importer infers carries where it came from — in findings (text, JSON,
SARIF, Markdown, GitHub, JUnit), in scorecards (text, JSON, the HTML and Markdown reports) and in
`govern convert` — and every inferred value can be overridden: in the source's own fields, or in
govern.yaml (`importers.overrides` / `portOverrides`, per format and per domain). What the source
writes is never overridden, and govern.yaml defaults never replace an inferred value.

Inputs: our dbt adoption fixture (a real dbt-core manifest), the Bitol fixture mesh, and real files of
tests/corpus/real (the Bitol ODCS and ODPS examples, a dbt-core manifest of jaffle_shop_duckdb and of
dbt-project-evaluator's integration project, OpenLineage's Spark integration events).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from govern.api import check
from govern.cli.main import cli
from govern.load.importers.config import NOT_OVERRIDDEN
from govern.load.loader import load_mesh
from govern.model.findings import GOVERN_YAML, INFERRED, Provenance
from govern.model.product import value_at
from govern.output.render import render
from govern.output.report import generate_report
from govern.output.scorecard import build_scorecards

FIXTURES = Path(__file__).parent.parent / "fixtures"
REAL = Path(__file__).parent.parent / "corpus" / "real"
TODAY = "2026-06-01"
ENV_NOTE = ("namespace inferred from ODCS servers[0].environment 'dev', which govern.yaml importers.namespaces "
            "does not map")

LEDGER = """\
apiVersion: v3.1.0
kind: DataContract
id: finance.ledger
name: ledger
version: 1.0.0
status: active
domain: finance
description: {purpose: The general ledger}
team: {name: finance-core, members: [{username: fin@example.com, role: owner}]}
servers:
  - {server: dev, type: postgres, environment: dev, host: db, port: 5432, database: erp, schema: finance}
schema:
  - name: ledger
    physicalType: table
    properties:
      - {name: entry_id, logicalType: string, classification: internal}
customProperties:
  - {property: job, value: "airflow:finance/ledger"}
  - {property: structure, value: append}
"""

NATIVE = """\
kind: DataProduct
id: finance.budget
name: budget
description: The budget
domain: finance
version: 1.0.0
namespace: dev
owner: {group: finance-core}
format: structured
complexity: simple
structure: set
lifecycle: {state: active}
execution: {job: "airflow:finance/budget"}
outputPorts:
  - {name: budget, type: table, location: erp.finance.budget, classification: internal}
access: {visibility: mesh}
"""

ORG = "teams:\n  - {id: finance-core, name: Finance core, domain: finance, members: [fin@example.com]}\n"


def _mesh(root: Path, files: dict[str, str], govern: dict | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    if govern is not None:
        (root / "govern.yaml").write_text(yaml.safe_dump(govern, sort_keys=False))
    return root


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _set_govern(root: Path, importers: dict[str, Any]) -> None:
    """Add ``importers`` to the root's govern.yaml (kept otherwise)."""
    path = root / "govern.yaml"
    data = yaml.safe_load(path.read_text()) if path.is_file() else {}
    data = data or {}
    data.setdefault("standards", {"pack": "mesh-core"})
    merged = data.get("importers") or {}
    merged.update(importers)
    data["importers"] = merged
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _nested(fpath: tuple, value: Any) -> dict[str, Any]:
    out: Any = value
    for part in reversed(fpath):
        out = {part: out}
    return out


def _merge(into: dict[str, Any], more: dict[str, Any]) -> None:
    for key, value in more.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


# ------------------------------------------------------------------------------------------- findings
def test_a_finding_about_an_inferred_value_says_where_it_came_from_in_every_output(tmp_path: Path) -> None:
    root = _mesh(tmp_path / "mesh", {"contracts/ledger.odcs.yaml": LEDGER, "budget/dataproduct.yaml": NATIVE,
                                     "org.yaml": ORG}, {"standards": {"pack": "mesh-core"}})
    result = check([root], today=_date())
    enum = {f.product: f for f in result.findings if f.rule == "namespace.enum"}
    imported, native = enum["finance.ledger"], enum["finance.budget"]
    # the same rule and severity as for a written value: only the provenance differs
    assert (imported.rule, imported.severity, imported.message) == (native.rule, native.severity, native.message)
    assert native.provenance is None
    assert imported.provenance == Provenance(
        "namespace", "ODCS servers[0].environment 'dev', which govern.yaml importers.namespaces does not map",
        INFERRED)
    assert imported.location.path == "contracts/ledger.odcs.yaml" and imported.location.line == 11

    text = render(result, "text")
    assert ("contracts/ledger.odcs.yaml:11: error   [namespace.enum] namespace 'dev' is not one of prod, preprod, "
            f"test ({ENV_NOTE})") in text
    assert "budget/dataproduct.yaml:7: error   [namespace.enum] namespace 'dev' is not one of prod, preprod, test\n" \
        in text
    as_json = {f["product"]: f for f in json.loads(render(result, "json"))["findings"] if f["rule"] == "namespace.enum"}
    assert as_json["finance.ledger"]["provenance"] == {
        "field": "namespace", "kind": "inferred",
        "source": "ODCS servers[0].environment 'dev', which govern.yaml importers.namespaces does not map"}
    assert as_json["finance.budget"]["provenance"] is None
    assert as_json["finance.ledger"]["message"] == as_json["finance.budget"]["message"]  # fingerprints unchanged
    sarif = json.loads(render(result, "sarif", uri_prefix=""))
    results = {r["properties"]["product"]: r for r in sarif["runs"][0]["results"] if r["ruleId"] == "namespace.enum"}
    assert results["finance.ledger"]["properties"]["provenance"] == as_json["finance.ledger"]["provenance"]
    assert results["finance.ledger"]["message"]["text"].endswith(f"({ENV_NOTE})")
    assert results["finance.ledger"]["level"] == results["finance.budget"]["level"] == "error"
    assert "provenance" not in results["finance.budget"]["properties"]
    markdown = render(result, "markdown")
    assert "namespace inferred from ODCS servers\\[0\\].environment 'dev', which govern.yaml" in markdown
    github = render(result, "github", uri_prefix="")
    assert f"::error file=contracts/ledger.odcs.yaml,line=11,title=namespace.enum (finance.ledger)::namespace 'dev' " \
           f"is not one of prod, preprod, test ({ENV_NOTE})" in github
    junit = ET.fromstring(render(result, "junit").split("\n", 1)[1])
    case = junit.find("./testsuite[@name='finance.ledger']/testcase[@name='namespace.enum']/failure")
    assert case is not None and ENV_NOTE in (case.text or "")


def _date() -> Any:
    import datetime as dt

    return dt.date.fromisoformat(TODAY)


def test_a_dbt_finding_names_the_dbt_field_its_value_was_inferred_from(tmp_path: Path) -> None:
    root = _copy(FIXTURES / "dbt_adoption", tmp_path / "shop")
    org = root / "org.yaml"  # the dbt group 'orders' has no team in org.yaml
    org.write_text("".join(line for line in org.read_text().splitlines(True) if "orders-team" not in line))
    result = check([root], today=_date())
    exists = [f for f in result.findings if f.rule == "owner.group-exists"]
    assert {(f.product, f.message) for f in exists} >= {
        ("orders.fct_orders", "owner.group 'orders' is not a team in org.yaml")}
    fct = next(f for f in exists if f.product == "orders.fct_orders")
    assert fct.provenance == Provenance("owner.group", "dbt group 'orders'", INFERRED)
    assert fct.location.pointer == "/nodes/model.adoption_shop.fct_orders/group"
    assert "owner.group 'orders' is not a team in org.yaml (owner.group inferred from dbt group 'orders')" \
        in render(result, "text")


def test_a_value_govern_yaml_set_says_so_even_when_it_is_invalid(tmp_path: Path) -> None:
    root = _copy(FIXTURES / "dbt_adoption", tmp_path / "shop")
    _set_govern(root, {"defaults": {"namespace": "dev", "tags": "nightly", "colour": "red"}})
    result = check([root], today=_date())
    fct = [f for f in result.findings if f.product == "orders.fct_orders"]
    by_rule = {f.rule: f for f in fct}
    assert by_rule["namespace.enum"].provenance == Provenance("namespace", "govern.yaml importers.defaults",
                                                              GOVERN_YAML)
    # a default of the wrong type and an unknown field are findings of the product, and say where they came from
    assert by_rule["manifest.invalid"].message.startswith("field 'tags':")
    assert by_rule["manifest.invalid"].provenance == Provenance("tags", "govern.yaml importers.defaults", GOVERN_YAML)
    assert by_rule["manifest.unknown-field"].provenance == Provenance("colour", "govern.yaml importers.defaults",
                                                                      GOVERN_YAML)
    text = render(result, "text")
    assert "namespace 'dev' is not one of prod, preprod, test (namespace set in govern.yaml importers.defaults)" in text
    # the fix names the govern.yaml key that set the value
    assert by_rule["namespace.enum"].help.endswith(
        "namespace is set in govern.yaml (`importers.defaults`): change it there, or write it in the source.")
    assert by_rule["namespace.enum"].help.startswith("Use one of prod, preprod or test. ")


# ------------------------------------------------------------------------------------------ scorecards
def test_scorecards_tell_declared_from_inferred_values(tmp_path: Path) -> None:
    root = _copy(FIXTURES / "dbt_adoption", tmp_path / "shop")
    result = check([root], today=_date())
    cards = build_scorecards(result)
    rev = cards.product("my_domain_team.customer_revenue")
    assert rev is not None
    inferred = {v.field: (v.value, v.source, v.kind) for v in rev.inferred}
    assert inferred["structure"] == ("append", "dbt config.materialized 'incremental'", INFERRED)
    assert inferred["namespace"] == ("prod", "govern.yaml importers.defaults", GOVERN_YAML)
    assert inferred["owner.group"] == ("my-domain-team", "dbt group 'my_domain_team'", INFERRED)
    assert "outputPorts[0].location" not in inferred and "name" not in inferred  # written by dbt
    assert [v.field for v in rev.inferred] == sorted(v.field for v in rev.inferred)

    runner = CliRunner()
    out = runner.invoke(cli, ["scorecard", str(root), "--today", TODAY, "--product",
                              "my_domain_team.customer_revenue"], catch_exceptions=False).output
    assert "  not written in the source (inferred, or set in govern.yaml):\n" in out
    assert "    structure: append  <- dbt config.materialized 'incremental'\n" in out
    assert "    namespace: prod  <- govern.yaml importers.defaults\n" in out
    data = json.loads(runner.invoke(cli, ["scorecard", str(root), "--today", TODAY, "--format", "json"],
                                    catch_exceptions=False).output)
    card = next(p for p in data["products"] if p["product"] == "my_domain_team.customer_revenue")
    assert {"field": "structure", "value": "append", "source": "dbt config.materialized 'incremental'",
            "kind": "inferred"} in card["inferred"]

    out_dir = tmp_path / "report"
    generate_report(result, out_dir, history_path=tmp_path / "history.db")
    html = (out_dir / "index.html").read_text()
    from html.parser import HTMLParser

    rows: list[dict[str, str]] = []

    class Rows(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "tr" and dict(attrs).get("data-field"):
                rows.append({k: v or "" for k, v in attrs})

    Rows().feed(html)
    assert {"data-product": "my_domain_team.customer_revenue", "data-field": "structure",
            "data-kind": "inferred"} in [{k: r[k] for k in ("data-product", "data-field", "data-kind")} for r in rows]
    assert 'id="inferred"' in html and "inferred from dbt config.materialized &#39;incremental&#39;" in html
    assert 'data-inferred="0"' not in html.split('data-product="my_domain_team.customer_revenue"')[1].split("</tr>")[0]
    markdown = (out_dir / "report.md").read_text()
    assert ("| my_domain_team.customer_revenue | structure | append | inferred from dbt config.materialized "
            "'incremental' |") in markdown
    scorecards = json.loads((out_dir / "scorecards.json").read_text())
    assert any(v["field"] == "structure" for p in scorecards["products"] for v in p["inferred"])


def test_a_native_mesh_has_no_inferred_values() -> None:
    result = check([Path("examples/mesh")], today=_date())
    assert all(f.provenance is None for f in result.findings)
    assert all(not card.inferred for card in build_scorecards(result).products)


# ------------------------------------------------------------------------------------------- overrides
def _inferred_by_source(mesh: Any) -> dict[str, dict[tuple, str]]:
    return {p.id: {k: v for k, v in p.inferred.items() if not v.startswith(GOVERN_YAML + " ")}
            for p in mesh.products if p.origin != "native"}


def _overridable(fpath: tuple) -> bool:
    """Not the product's identity nor a list, except the fields of an output port (portOverrides)."""
    return fpath[0] not in NOT_OVERRIDDEN or (fpath[0] == "outputPorts" and len(fpath) > 2)


REAL_INPUTS = {
    "dbt jaffle_shop_duckdb": ("dbt/jaffle_shop_duckdb", None),
    "dbt dbt_project_evaluator": ("dbt/dbt_project_evaluator_integration_tests", None),
    "ODCS Bitol full example": ("odcs/bitol-examples/all", None),
    "ODPS with ODCS (fixture)": (None, "bitol_mesh"),
    "OpenLineage python client events": ("openlineage/client-python", None),
    "dbt adoption (fixture)": (None, "dbt_adoption"),
}


@pytest.mark.parametrize("name", sorted(REAL_INPUTS))
def test_every_inferred_value_can_be_overridden_in_govern_yaml(name: str, tmp_path: Path) -> None:
    real, fixture = REAL_INPUTS[name]
    root = _copy(REAL / real if real else FIXTURES / str(fixture), tmp_path / "mesh")
    before = _inferred_by_source(load_mesh([root]))
    paths = {fpath for inferred in before.values() for fpath in inferred if _overridable(fpath)}
    assert paths, "the input must have inferred values"
    overrides: dict[str, Any] = {}
    port_overrides: dict[str, Any] = {}
    for fpath in sorted(paths, key=str):
        relative = fpath[2:] if fpath[0] == "outputPorts" else fpath
        value = "overridden:" + ".".join(str(p) for p in relative)
        _merge(port_overrides if fpath[0] == "outputPorts" else overrides, _nested(relative, value))
    _set_govern(root, {"overrides": overrides, "portOverrides": port_overrides})
    after = load_mesh([root])
    for pid, inferred in before.items():
        product = after.by_id[pid]
        for fpath, because in inferred.items():
            if not _overridable(fpath):
                continue
            relative = fpath[2:] if fpath[0] == "outputPorts" else fpath
            assert value_at(product.data, fpath) == "overridden:" + ".".join(str(p) for p in relative), (pid, fpath)
            provenance = product.provenance_of(fpath)
            assert provenance is not None and provenance.kind == GOVERN_YAML, (pid, fpath)
            assert provenance.source.startswith(
                "govern.yaml importers.portOverrides" if fpath[0] == "outputPorts" else "govern.yaml importers.overrides")
            assert f"inferred from {because})" in provenance.source, (pid, fpath, provenance.source)


def test_overrides_never_replace_what_the_source_writes_and_defaults_never_replace_inferred(tmp_path: Path) -> None:
    root = _copy(FIXTURES / "dbt_adoption", tmp_path / "shop")
    manifest = root / "target" / "manifest.json"
    doc = json.loads(manifest.read_text())
    doc["nodes"]["model.adoption_shop.fct_orders"]["config"]["meta"]["structure"] = "append"
    manifest.write_text(json.dumps(doc))
    _set_govern(root, {"overrides": {"structure": "lot"}, "defaults": {"namespace": "prod", "format": "unstructured"}})
    mesh = load_mesh([root])
    fct, rev = mesh.by_id["orders.fct_orders"], mesh.by_id["my_domain_team.customer_revenue"]
    assert fct.model.structure == "append" and fct.provenance_of(("structure",)) is None  # dbt meta: the source
    assert rev.model.structure == "lot"
    assert rev.inferred[("structure",)] == ("govern.yaml importers.overrides (instead of append, inferred from dbt "
                                            "config.materialized 'incremental')")
    # a default fills only what nothing says: format stays inferred from the relation
    assert rev.model.format == "structured"
    assert rev.inferred[("format",)] == "dbt relation_name (a warehouse table or view)"
    # the overridden value is located at the product, not at the dbt field it no longer comes from
    assert rev.source.pointer_of(("structure",)) == "/nodes/model.adoption_shop.customer_revenue"


def test_the_domain_override_wins_over_the_format_one_over_the_common_one(tmp_path: Path) -> None:
    root = _copy(FIXTURES / "dbt_adoption", tmp_path / "shop")
    _set_govern(root, {"overrides": {"structure": "lot", "complexity": "complex", "execution": {"job": "x:{name}"}},
                       "dbt": {"overrides": {"structure": "append", "execution": {"job": "cron:{domain}/{name}"}}},
                       "domains": {"orders": {"overrides": {"structure": "set"}}}})
    mesh = load_mesh([root])
    fct, rev = mesh.by_id["orders.fct_orders"], mesh.by_id["my_domain_team.customer_revenue"]
    assert (fct.model.structure, rev.model.structure) == ("set", "append")
    assert fct.inferred[("structure",)].startswith("govern.yaml importers.domains.orders.overrides (instead of set")
    assert (fct.model.complexity, fct.model.execution.job) == ("complex", "cron:orders/fct_orders")
    assert fct.inferred[("execution", "job")].startswith("govern.yaml importers.dbt.overrides")


def test_port_overrides_set_each_ports_inferred_fields_never_its_written_ones(tmp_path: Path) -> None:
    doc = yaml.safe_load((REAL / "odcs" / "bitol-examples" / "all" / "full-example.odcs.yaml").read_text())
    root = _mesh(tmp_path / "mesh", {"full-example.odcs.yaml": yaml.safe_dump(doc, sort_keys=False)},
                 {"standards": {"pack": "mesh-core"}})
    (before,) = load_mesh([root]).products
    inferred = [k for k, port in enumerate(before.data["outputPorts"]) if ("outputPorts", k, "classification")
                in before.inferred]
    assert inferred and [before.data["outputPorts"][k]["classification"] for k in inferred] == ["restricted"] * 2
    doc["schema"][1]["customProperties"] = [{"property": "classification", "value": "internal"}]  # written
    (root / "full-example.odcs.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    _set_govern(root, {"domains": {"seller": {"portOverrides": {"classification": "secret"}}}})
    result = check([root], today=_date())
    (product,) = load_mesh([root]).products
    ports = product.data["outputPorts"]
    assert (ports[0]["classification"], ports[1]["classification"]) == ("secret", "internal")
    assert product.provenance_of(("outputPorts", 1, "classification")) is None
    assert product.provenance_of(("outputPorts", 0, "classification")) == Provenance(
        "outputPorts[0].classification",
        "govern.yaml importers.domains.seller.portOverrides (instead of restricted, inferred from ODCS "
        "schema[0].properties[1].classification 'restricted' (rcvr_id), the most sensitive of the object's "
        "properties)", GOVERN_YAML)
    (enum,) = [f for f in result.findings if f.rule == "auth.classification-enum"]
    assert enum.provenance is not None and enum.provenance.kind == GOVERN_YAML
    assert enum.help.endswith("outputPorts[0].classification is set in govern.yaml "
                              "(`importers.domains.seller.portOverrides`): change it there, or write it in the source.")


@pytest.mark.parametrize("key", NOT_OVERRIDDEN)
def test_identity_and_lists_cannot_be_overridden(key: str, tmp_path: Path) -> None:
    root = _copy(FIXTURES / "dbt_adoption", tmp_path / "shop")
    _set_govern(root, {"domains": {"orders": {"overrides": {key: "x"}}}})
    result = CliRunner().invoke(cli, ["check", str(root), "--today", TODAY])
    assert result.exit_code == 2
    assert "field 'importers.domains.orders.overrides'" in result.output
    assert f"'{key}' cannot be overridden" in result.output


# The source's own fields win over what govern infers: per format, each inferred value and the field
# of the format that states it instead.
DBT_META = {  # inferred path -> (meta key, value)
    ("structure",): ("structure", "lot"),
    ("format",): ("format", "unstructured"),
    ("complexity",): ("complexity", "complex"),
    ("version",): ("version", "2.0.0"),
    ("execution", "job"): ("job", "airflow:orders/fct"),
    ("execution", "code"): ("code", ["analyses/fct.sql"]),
    ("owner", "group"): ("team", "my-domain-team"),
    ("domain",): ("domain", "finance"),
    ("lifecycle", "state"): ("lifecycle", {"state": "deprecated"}),
}


@pytest.mark.parametrize("fpath", sorted(DBT_META, key=str))
def test_dbt_meta_states_what_govern_would_infer(fpath: tuple, tmp_path: Path) -> None:
    root = _copy(FIXTURES / "dbt_adoption", tmp_path / "shop")
    assert fpath in load_mesh([root]).by_id["orders.fct_orders"].inferred
    manifest = root / "target" / "manifest.json"
    doc = json.loads(manifest.read_text())
    key, value = DBT_META[fpath]
    doc["nodes"]["model.adoption_shop.fct_orders"]["config"]["meta"][key] = value
    manifest.write_text(json.dumps(doc))
    mesh = load_mesh([root])
    product = next(p for p in mesh.products if p.source_name and "fct_orders" in p.source_name)
    assert fpath not in product.inferred
    written = value_at(product.data, fpath)
    expected = value["state"] if isinstance(value, dict) else value
    if fpath == ("execution", "code"):
        expected = ["../analyses/fct.sql"]  # relative to the manifest, as dbt's paths are to the project
    assert written == expected


def test_dbt_protected_readers_are_inferred_and_meta_readers_are_written() -> None:
    mesh = load_mesh([REAL / "dbt" / "dbt_project_evaluator_integration_tests"])
    protected = [p for p in mesh.products if p.inferred.get(("access", "readers"))]
    assert protected, "dbt-project-evaluator has protected models read by other groups"
    assert all(p.inferred[("access", "readers")] == "dbt access 'protected' (the teams of the project's models)"
               and p.model.access.visibility == "domain" for p in protected)


ODCS_CUSTOM = {  # inferred path -> customProperties that state it
    ("namespace",): ("namespace", "preprod"),
    ("format",): ("format", "unstructured"),
    ("complexity",): ("complexity", "complex"),
    ("outputPorts", 0, "classification"): ("classification", "public"),
}


@pytest.mark.parametrize("fpath", sorted(ODCS_CUSTOM, key=str))
def test_odcs_custom_properties_state_what_govern_would_infer(fpath: tuple, tmp_path: Path) -> None:
    doc = yaml.safe_load((REAL / "odcs" / "bitol-examples" / "all" / "full-example.odcs.yaml").read_text())
    doc["servers"][0]["environment"] = "production"  # the Bitol example names no environment
    root = _mesh(tmp_path / "mesh", {"full-example.odcs.yaml": yaml.safe_dump(doc, sort_keys=False)},
                 {"standards": {"pack": "mesh-core"}, "importers": {"namespaces": {"production": "prod"}}})
    (product,) = load_mesh([root]).products
    assert fpath in product.inferred, product.inferred
    key, value = ODCS_CUSTOM[fpath]
    doc["customProperties"] = [{"property": key, "value": value}, *(doc.get("customProperties") or [])]
    (root / "full-example.odcs.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    (product,) = load_mesh([root]).products
    assert fpath not in product.inferred and value_at(product.data, fpath) == value


def test_odcs_product_id_is_built_from_domain_and_name_unless_custom_properties_say_it(tmp_path: Path) -> None:
    root = _mesh(tmp_path / "mesh", {"orders.odcs.yaml": LEDGER.replace("id: finance.ledger", "id: 7d1c2e4a")})
    (product,) = load_mesh([root]).products
    assert (product.id, product.inferred[("id",)]) == ("finance.ledger", "ODCS domain 'finance' and name 'ledger'")
    text = LEDGER.replace("id: finance.ledger", "id: 7d1c2e4a").replace(
        "customProperties:\n", "customProperties:\n  - {property: productId, value: finance.gl}\n")
    (root / "orders.odcs.yaml").write_text(text)
    (product,) = load_mesh([root]).products
    assert product.id == "finance.gl" and ("id",) not in product.inferred


def test_odps_custom_properties_state_the_namespace_its_contract_implies(tmp_path: Path) -> None:
    root = _copy(FIXTURES / "bitol_mesh", tmp_path / "mesh")
    path = root / "products" / "sales_orders.odps.yaml"
    path.write_text(path.read_text().replace("  - property: namespace\n    value: prod\n", ""))
    product = load_mesh([root]).by_id["sales.orders"]
    assert (product.model.namespace, product.inferred[("namespace",)]) == ("prod", "ODCS servers[0].environment 'prod'")
    path.write_text(path.read_text().replace("customProperties:\n  - property: format",
                                             "customProperties:\n  - {property: namespace, value: test}\n"
                                             "  - property: format"))
    product = load_mesh([root]).by_id["sales.orders"]
    assert product.model.namespace == "test" and ("namespace",) not in product.inferred


def test_openlineage_values_only_govern_yaml_can_state(tmp_path: Path) -> None:
    root = _copy(REAL / "openlineage" / "client-python", tmp_path / "events")
    jobs = [p for p in load_mesh([root]).products if p.origin == "openlineage"]
    ran = [p for p in jobs if ("lifecycle", "state") in p.inferred]
    assert ran and all(p.model.lifecycle.state == "active" for p in ran)
    _set_govern(root, {"overrides": {"lifecycle": {"state": "deprecated"}}})
    again = {p.id: p for p in load_mesh([root]).products}
    for product in ran:
        assert again[product.id].model.lifecycle.state == "deprecated"
        assert again[product.id].inferred[("lifecycle", "state")].startswith(
            "govern.yaml importers.overrides (instead of active, inferred from OpenLineage: the job ran")


# --------------------------------------------------------------------------------------- determinism
def test_provenance_in_outputs_is_byte_identical_across_hash_seeds_and_time_zones(tmp_path: Path) -> None:
    root = _copy(FIXTURES / "dbt_adoption", tmp_path / "shop")
    _set_govern(root, {"defaults": {"namespace": "dev"}, "domains": {"orders": {"overrides": {"structure": "lot"}}}})
    outputs = []
    for seed, tz in (("0", "UTC"), ("4242", "Asia/Kolkata")):
        env = {**os.environ, "PYTHONHASHSEED": seed, "TZ": tz, "GOVERN_CACHE": "0"}
        runs = []
        for args in (["check", str(root), "-f", "json", "-f", "sarif"], ["scorecard", str(root), "--format", "json"]):
            proc = subprocess.run([sys.executable, "-m", "govern", *args, "--today", TODAY], env=env,
                                  capture_output=True, text=True, check=False)
            assert proc.returncode in (0, 1), proc.stderr
            runs.append(proc.stdout)
        outputs.append(runs)
    assert outputs[0] == outputs[1]
    assert '"provenance": {' in outputs[0][0] and '"inferred": [' in outputs[0][1]
