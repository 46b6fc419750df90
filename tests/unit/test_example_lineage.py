"""The SQL-analysis products of examples/mesh: each rule of issue 3 fires where docs/readme-lineage.md says.

Runs the real CLI in fresh processes. Only the products added for SQL analysis are asserted in full
(their findings, nothing else); the rest of the example mesh is covered by test_example_mesh.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MESH = REPO / "examples" / "mesh"
TODAY = "2026-11-22"
CARRIER = "logistics/carrier_costs/carrier_costs"

# (product, rule, severity, path, line)
INTENDED = [
    ("finance.dunning_list", "sql.classification-downgrade", "error", "finance/dunning_list/dunning_list.sql", 4),
    ("marketing.order_feed", "sql.select-star", "warning", "marketing/order_feed/order_feed.sql", 3),
    ("marketing.order_feed", "lineage.unused-input", "warning", "marketing/order_feed/dataproduct.yaml", 21),
    ("sales.channel_mix", "lineage.undeclared-dependency", "error", "sales/channel_mix/channel_mix.sql", 8),
    ("sales.channel_mix", "lineage.unknown-table", "warning", "sales/channel_mix/channel_mix.sql", 10),
    ("finance.promo_forecast", "lineage.namespace-leakage", "error", "finance/promo_forecast/dataproduct.yaml", 20),
    ("finance.promo_forecast", "lineage.namespace-leakage", "error", "finance/promo_forecast/promo_forecast.sql", 6),
    ("logistics.carrier_costs", "lineage.undeclared-dependency", "error", f"{CARRIER}.sql", 5),
    ("logistics.carrier_costs", "tombstoning.consume-retired", "error", f"{CARRIER}.sql", 5),
    ("marketing.supplier_ads", "auth.domain-read", "error", "marketing/supplier_ads/dataproduct.yaml", 20),
    ("marketing.supplier_ads", "auth.domain-read", "error", "marketing/supplier_ads/supplier_ads.sql", 7),
    ("sales.returns_v2", "sql.parse-error", "error", "sales/returns_v2/returns_v2.sql", 12),
    ("sales.returns_v2", "sql.code-unreadable", "error", "sales/returns_v2/dataproduct.yaml", 24),
    ("sales.order_matrix", "sql.too-complex", "error", "sales/order_matrix/order_matrix.sql", 3),
]
PRODUCTS = sorted({p for p, *_ in INTENDED})


def govern(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "govern", *args], capture_output=True, text=True, cwd=REPO,
                          timeout=120, check=False)


@cache
def findings() -> list[dict]:
    proc = govern("check", str(MESH), "--format", "json", "--today", TODAY)
    assert proc.returncode == 1, proc.stderr
    return json.loads(proc.stdout)["findings"]


def key(f: dict) -> tuple:
    return (f["product"], f["rule"], f["severity"], f["location"]["path"], f["location"]["line"])


@pytest.mark.parametrize("expected", INTENDED, ids=[f"{e[1]}@{e[3]}:{e[4]}" for e in INTENDED])
def test_each_sql_case_is_reported_at_its_file_and_line(expected: tuple) -> None:
    assert expected in {key(f) for f in findings()}, [key(f) for f in findings() if f["product"] == expected[0]]


def test_the_sql_products_have_only_their_intended_findings() -> None:
    stray = [key(f) for f in findings() if f["product"] in PRODUCTS and key(f) not in INTENDED]
    assert stray == []


def test_the_readme_section_lists_every_case() -> None:
    readme = (REPO / "docs" / "readme-lineage.md").read_text(encoding="utf-8")
    for product, rule, _, path, line in INTENDED:
        assert any(f"`{rule}`" in row and f"`{path}:{line}`" in row and product in row
                   for row in readme.splitlines()), (rule, path, line)


def test_impact_names_the_undeclared_sql_reader() -> None:
    proc = govern("impact", str(MESH), "crm.customers", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    dependents = {d["product"]: d for d in json.loads(proc.stdout)["dependents"]}
    assert dependents["sales.channel_mix"]["via"] == ["sql"]
    assert dependents["logistics.carrier_costs"]["depth"] == 2
    assert dependents["logistics.carrier_costs"]["through"] == "logistics.volume_shipping"


def test_lineage_of_a_dbt_model_shows_its_rendered_refs() -> None:
    proc = govern("lineage", str(MESH), "--product", "sales.channel_mix", "--upstream", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert [(r["product"], r["via"]) for r in doc["upstream"]] == [
        ("crm.customers", ["sql"]), ("sales.orders", ["declared", "sql"])]
    reads = doc["sql"]["sales.channel_mix"]["reads"]
    assert [(r["table"], r["product"], r["location"]["line"]) for r in reads] == [
        ("analytics.sales_prod.orders", "sales.orders", 7),
        ("analytics.crm_prod.customers", "crm.customers", 8),
        ("web.sessions", None, 10),
    ]
