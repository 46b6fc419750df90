"""Issue 16 (dbt): a team's dbt project passes through govern with only the errors it can fix in dbt.

The fixture tests/fixtures/dbt_adoption is our own small dbt project; its target/manifest.json is
written by dbt-core 1.10 (`dbt parse`, tests/fixtures/regenerate_dbt.sh). Tests run the real CLI.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from govern.cli.main import cli
from govern.load.loader import load_mesh
from tests.meshkit import base_product

FIXTURES = Path(__file__).parent.parent / "fixtures"
PROJECT = FIXTURES / "dbt_adoption"
TODAY = "2026-06-01"
NODE = "/nodes/model.adoption_shop."


def _copy(tmp_path: Path, *, first_run: bool = False) -> Path:
    """The fixture project in tmp_path (no git above it); first_run: without govern.yaml and org.yaml."""
    root = tmp_path / "shop"
    shutil.copytree(PROJECT, root)
    if first_run:
        (root / "govern.yaml").unlink()
        (root / "org.yaml").unlink()
    return root


def _check(project: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> tuple[int, list[dict]]:
    """`govern check --dbt target/manifest.json -f json`, run from the dbt project folder."""
    monkeypatch.chdir(project)
    result = CliRunner().invoke(cli, ["check", "--dbt", "target/manifest.json", "--today", TODAY,
                                      "-f", "json", *extra], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.output)["findings"]


def _where(f: dict) -> tuple:
    loc = f["location"]
    return f["rule"], f["severity"], f["product"], loc["path"], loc.get("line"), loc.get("pointer")


def test_adoption_project_reports_exactly_the_errors_the_team_can_fix_in_dbt(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, findings = _check(_copy(tmp_path), monkeypatch)
    assert code == 1
    assert sorted(_where(f) for f in findings) == sorted([
        # columns without a classification in meta: the team adds meta.classification
        ("auth.classification-required", "error", "my_domain_team.customer_revenue", "target/manifest.json",
         None, f"{NODE}customer_revenue/relation_name"),
        ("auth.classification-required", "error", "orders.shop_raw", "target/manifest.json", None,
         "/sources/source.adoption_shop.shop_raw.customers"),
        ("auth.classification-required", "error", "orders.shop_raw", "target/manifest.json", None,
         "/sources/source.adoption_shop.shop_raw.orders"),
        # how the loader writes raw tables is not in dbt: meta.structure on the source
        ("structure.required", "error", "orders.shop_raw", "target/manifest.json", None,
         "/sources/source.adoption_shop.shop_raw.customers"),
        # a model owned by a person only (meta.owner is an e-mail, no group)
        ("auth.prod-deploy-team", "error", "orders.shop_summary", "target/manifest.json", None,
         f"{NODE}shop_summary"),
        # no columns with data_type declared: complexity cannot be inferred
        ("complexity.required", "error", "orders.shop_summary", "target/manifest.json", None, f"{NODE}shop_summary"),
        ("complexity.required", "error", "orders.stg_orders", "target/manifest.json", None, f"{NODE}stg_orders"),
        # the project macro: SQL not analysed, said once, as info
        ("input.invalid", "info", "my_domain_team.customer_revenue", "target/manifest.json", None,
         f"{NODE}customer_revenue/raw_code"),
    ])


def test_no_auth_finding_between_models_dbt_lets_reference_each_other(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # fct_orders (group orders) refs stg_customers (protected, group my_domain_team): same project;
    # fct_orders refs stg_orders (private, same group); stg_orders refs the seed country_codes.
    _, findings = _check(_copy(tmp_path), monkeypatch)
    assert [f for f in findings if f["rule"].startswith("auth.") and f["rule"] != "auth.classification-required"
            and f["rule"] != "auth.prod-deploy-team"] == []
    mesh = load_mesh([tmp_path / "shop" / "target" / "manifest.json"], formats={
        tmp_path / "shop" / "target" / "manifest.json": "dbt"})
    by_id = mesh.by_id
    assert by_id["my_domain_team.stg_customers"].model.access.visibility == "domain"
    assert by_id["my_domain_team.stg_customers"].model.access.readers == ["orders-team"]
    assert by_id["orders.stg_orders"].model.access.visibility == "private"
    assert by_id["orders.fct_orders"].model.access.visibility == "mesh"


def test_a_protected_model_read_from_outside_the_dbt_project_is_still_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _copy(tmp_path)
    org = yaml.safe_load((root / "org.yaml").read_text())
    org["teams"].append({"id": "crm-core", "name": "CRM", "domain": "crm", "members": ["ana@example.com"]})
    (root / "org.yaml").write_text(yaml.safe_dump(org))
    reader = base_product("crm.churn")
    reader["owner"]["group"] = "crm-core"
    reader["inputs"] = [{"product": "my_domain_team.stg_customers", "port": "stg_customers"}]
    (root / "products").mkdir()
    (root / "products" / "dataproduct.yaml").write_text(yaml.safe_dump(reader))
    monkeypatch.chdir(root)
    result = CliRunner().invoke(cli, ["check", ".", "--today", TODAY, "-f", "json"], catch_exceptions=False)
    found = [(f["rule"], f["product"]) for f in json.loads(result.output)["findings"] if f["rule"] == "auth.domain-read"]
    assert found == [("auth.domain-read", "crm.churn")]


def test_the_root_of_a_dbt_run_is_the_dbt_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A first run: no govern.yaml, no org.yaml, no git. The models' SQL files are found and analysed.
    _, findings = _check(_copy(tmp_path, first_run=True), monkeypatch)
    assert [f for f in findings if "does not exist" in f["message"] or f["rule"] == "sql.unreadable"] == []
    sql = {f["location"]["path"] for f in findings if f["location"]["path"].startswith("models/")}
    assert sql == set()  # nothing wrong in the SQL, and it was read (see the next assertion)
    mesh = load_mesh([tmp_path / "shop" / "target" / "manifest.json"])
    assert mesh.root == (tmp_path / "shop").resolve()
    fct = mesh.by_id["orders.fct_orders"]
    assert (mesh.root / fct.sql[0].path).is_file() and fct.sql[0].path == "models/marts/fct_orders.sql"


def test_a_macro_govern_cannot_render_is_one_info_finding_and_lineage_comes_from_depends_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, findings = _check(_copy(tmp_path), monkeypatch)
    mine = [f for f in findings if f["product"] == "my_domain_team.customer_revenue" and f["rule"] != "auth.classification-required"]
    assert [(f["rule"], f["severity"]) for f in mine] == [("input.invalid", "info")]
    assert "macro 'macro.adoption_shop.cents_to_dollars'" in mine[0]["message"]
    assert "neither compiled_code nor raw SQL" not in mine[0]["message"]
    mesh = load_mesh([tmp_path / "shop"])
    product = mesh.by_id["my_domain_team.customer_revenue"]
    assert [(i.product, i.port) for i in product.model.inputs] == [("orders.fct_orders", "fct_orders")]


def test_domain_with_hyphens_matches_its_slug_in_the_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, findings = _check(_copy(tmp_path), monkeypatch)
    assert [f for f in findings if f["rule"] == "namespace.domain-match"] == []
    mesh = load_mesh([tmp_path / "shop"])
    assert mesh.by_id["my_domain_team.stg_customers"].model.domain == "my-domain-team"


def test_domain_match_still_fails_for_another_domain_and_accepts_the_slug_in_native_manifests(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ok = base_product("my_domain.orders")
    ok["domain"] = "my-domain"
    bad = base_product("sales.orders")
    bad["domain"] = "finance"
    for name, doc in (("ok", ok), ("bad", bad)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "dataproduct.yaml").write_text(yaml.safe_dump(doc))
    (tmp_path / "govern.yaml").write_text("standards: {pack: mesh-core}\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["check", ".", "--today", TODAY, "-f", "json"], catch_exceptions=False)
    found = [(f["product"], f["message"]) for f in json.loads(result.output)["findings"]
             if f["rule"] == "namespace.domain-match"]
    assert found == [("sales.orders", "domain 'finance' does not match the id prefix 'sales'")]


def test_seeds_are_products_so_a_staging_model_reading_one_is_not_an_unknown_table(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, findings = _check(_copy(tmp_path), monkeypatch)
    assert [f for f in findings if f["rule"] == "lineage.unknown-table"] == []
    mesh = load_mesh([tmp_path / "shop"])
    seed = mesh.by_id["orders.country_codes"]
    assert seed.model.outputPorts[0].location == "analytics.main.country_codes"
    assert seed.model.owner.group == "orders-team"  # group orders → the org.yaml team by the owner's name
    inputs = {(i.product, i.port) for i in mesh.by_id["orders.stg_orders"].model.inputs}
    assert inputs == {("orders.shop_raw", "orders"), ("orders.country_codes", "country_codes")}


def test_top_level_model_gets_the_project_domain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mesh = load_mesh([_copy(tmp_path)])  # govern.yaml: importers.dbt.projectDomain: orders
    assert mesh.by_id["orders.shop_summary"].model.domain == "orders"
    first = load_mesh([_copy(tmp_path / "first", first_run=True) / "target" / "manifest.json"])
    assert first.by_id["adoption_shop.shop_summary"].model.domain == "adoption_shop"  # the dbt project name
    assert not any(p.id.startswith(("marts.", "staging.")) for p in first.products)  # never the folder


def test_unclassified_port_is_its_own_finding_not_a_restricted_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # stg_customers (my-domain-team) reads the source shop_raw (orders), whose tables have no classification
    _, findings = _check(_copy(tmp_path), monkeypatch)
    assert [f for f in findings if f["rule"] == "auth.restricted-read"] == []
    assert sum(f["rule"] == "auth.classification-required" and f["product"] == "orders.shop_raw"
               for f in findings) == 2


def test_inferred_values_carry_their_provenance_and_convert_shows_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _copy(tmp_path)
    mesh = load_mesh([root])
    fct, rev = mesh.by_id["orders.fct_orders"], mesh.by_id["my_domain_team.customer_revenue"]
    assert (fct.model.structure, fct.inferred[("structure",)]) == ("set", "dbt config.materialized 'table'")
    assert (rev.model.structure, rev.inferred[("structure",)]) == ("append", "dbt config.materialized 'incremental'")
    assert (fct.model.format, fct.model.complexity, fct.model.version) == ("structured", "simple", "1.0.0")
    assert fct.inferred[("version",)] == "dbt_project.yml version"
    assert fct.inferred[("owner", "group")] == "dbt group 'orders'"
    assert fct.model.execution.job == "dbt:adoption_shop/fct_orders"
    assert fct.source.pointers[("structure",)] == f"{NODE}fct_orders/config/materialized"
    monkeypatch.chdir(root)
    out = tmp_path / "native"
    result = CliRunner().invoke(cli, ["convert", "--dbt", "target/manifest.json", "--to", "native", "-o", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    text = (out / "my_domain_team" / "customer_revenue" / "dataproduct.yaml").read_text()
    assert "#   structure: append  <- dbt config.materialized 'incremental'\n" in text
    assert "#   owner.group: my-domain-team  <- dbt group 'my_domain_team'\n" in text
    assert "#   domain: my-domain-team  <- dbt group 'my_domain_team' (its org.yaml team's domain)\n" in text


@pytest.mark.parametrize("fixture", ["dbt_adoption", "dbt_project", "bitol_mesh", "openlineage_mesh"])
def test_importer_fixtures_report_each_problem_once(fixture: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / fixture
    shutil.copytree(FIXTURES / fixture, root)
    monkeypatch.chdir(root)
    result = CliRunner().invoke(cli, ["check", ".", "--today", TODAY, "-f", "json"], catch_exceptions=False)
    findings = json.loads(result.output)["findings"]
    assert findings
    keys = Counter((f["rule"], f["location"]["path"], f["location"].get("line"), f["location"].get("pointer"),
                    f["message"]) for f in findings)
    assert [k for k, n in keys.items() if n > 1] == []


def test_the_fix_of_each_remaining_error_is_written_in_dbt_terms(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _, findings = _check(_copy(tmp_path), monkeypatch)
    helps = {(f["rule"], f["product"]): f["help"] for f in findings if f["severity"] == "error"}
    assert helps[("auth.classification-required", "my_domain_team.customer_revenue")].startswith(
        "Add `meta: {classification: internal}` (public, internal, confidential or restricted) under `config:` "
        "of model `customer_revenue` in models/marts/_marts.yml")
    assert "source `shop_raw` in models/sources.yml" in helps[("structure.required", "orders.shop_raw")]
    assert helps[("complexity.required", "orders.stg_orders")].startswith(
        "Declare the columns of model `stg_orders` in models/staging/_staging.yml with their `data_type`")
    assert all("`" in h for h in helps.values())  # every error: a dbt key to set, none the native field


@pytest.mark.parametrize("domain", ["ѕales", "sales!", "finance"])
def test_domain_match_normalises_only_what_an_id_cannot_hold(domain: str, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # 'ѕales' starts with a Cyrillic letter; 'sales!' slugs to 'sales' (kept: punctuation only)
    doc = base_product("sales.orders")
    doc["domain"] = domain
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "dataproduct.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    (tmp_path / "govern.yaml").write_text("standards: {pack: mesh-core}\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["check", ".", "--today", TODAY, "-f", "json"], catch_exceptions=False)
    rules = {f["rule"] for f in json.loads(result.output)["findings"]}
    assert ("namespace.domain-match" in rules) == (domain != "sales!")


def test_a_nested_column_type_makes_the_model_complex(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    path = root / "target" / "manifest.json"
    doc = json.loads(path.read_text())
    doc["nodes"]["model.adoption_shop.fct_orders"]["columns"]["country_name"]["data_type"] = "struct(code varchar)"
    path.write_text(json.dumps(doc))
    fct = load_mesh([root]).by_id["orders.fct_orders"]
    assert (fct.model.complexity, fct.inferred[("complexity",)]) == ("complex", "dbt columns data_type 'struct(code varchar)'")


def test_init_from_a_dbt_project_scaffolds_teams_from_groups_and_lists_what_is_left_in_dbt_terms(
        tmp_path: Path) -> None:
    root = _copy(tmp_path, first_run=True)
    result = CliRunner().invoke(cli, ["init", "--from", str(root)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "wrote org.yaml" in result.output and "2 teams from dbt groups: my-domain-team, orders" in result.output
    org = yaml.safe_load((root / "org.yaml").read_text())
    assert org["teams"] == [
        {"id": "my-domain-team", "name": "My domain team", "domain": "my-domain-team", "members": ["max@example.com"]},
        {"id": "orders", "name": "Orders team", "domain": "orders", "members": ["olga@example.com"]},
    ]
    importers = yaml.safe_load((root / "govern.yaml").read_text())["importers"]
    assert importers["defaults"] == {"namespace": "prod"}
    # what dbt cannot say (no typed columns, a source's loading), declared once per domain, visible in review
    assert importers["domains"] == {"adoption_shop": {"defaults": {"complexity": "simple"}},
                                    "orders": {"defaults": {"complexity": "simple", "structure": "set"}}}
    assert "declared for domain orders (review in govern.yaml): complexity: simple, structure: set" in result.output
    left = result.output.split("left to fix (4):\n", 1)[1].splitlines()
    assert [line.split(":", 1)[0].strip() + " " + line.split("[", 1)[1].split("]", 1)[0] for line in left] == [
        "adoption_shop.shop_summary auth.deploy-own-domain", "adoption_shop.shop_summary auth.prod-deploy-team",
        "my_domain_team.customer_revenue auth.classification-required", "orders.shop_raw auth.classification-required",
    ]
    assert all("`" in line for line in left)  # each fix names a dbt key or file
    assert not any("namespace" in line for line in left)  # declared once in govern.yaml


def test_a_dbt_project_yml_linked_from_outside_the_root_gives_no_version(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    outside = tmp_path / "elsewhere.yml"
    outside.write_text((root / "dbt_project.yml").read_text().replace('version: "1.0.0"', 'version: "9.9.9"'))
    (root / "dbt_project.yml").unlink()
    (root / "dbt_project.yml").symlink_to(outside)
    fct = load_mesh([root]).by_id["orders.fct_orders"]
    assert fct.model.version is None and ("version",) not in fct.inferred
