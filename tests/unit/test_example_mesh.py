"""The example mesh through the real CLI: the intended violations, nothing else, and the gate.

Runs ``python -m govern`` in fresh processes (so hash randomisation differs between runs) on
examples/mesh and examples/mesh-clean. Other products may be added to examples/mesh later (e.g. for
SQL rules), so these tests assert the intended findings and the clean products, never the totals.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MESH = REPO / "examples" / "mesh"
CLEAN = REPO / "examples" / "mesh-clean"
TODAY = "2026-11-22"

# (product, rule, standard, severity, path, line, waived): the violations examples/mesh/README.md lists.
INTENDED = [
    ("marketing.campaign_assets", "owner.group-exists", "owner", "error",
     "marketing/campaign_assets/dataproduct.yaml", 9, False),
    ("marketing.campaign_assets", "auth.deploy-own-domain", "auth", "error",
     "marketing/campaign_assets/dataproduct.yaml", 7, False),
    ("marketing.Market-Share", "namespace.id-format", "namespace", "error",
     "marketing/market_share/dataproduct.yaml", 2, False),
    ("crm.account_tiers", "lifecycle.deprecation-sunset", "lifecycle", "error",
     "crm/account_tiers/dataproduct.yaml", 14, False),
    ("logistics.volume_shipping", "lifecycle.transitions", "lifecycle", "error",
     "logistics/volume_shipping/dataproduct.yaml", 19, False),
    ("marketing.customer_churn", "lineage.input-exists", "lineage", "error",
     "marketing/customer_churn/dataproduct.yaml", 22, False),
    ("crm.customer_segments", "tombstoning.consume-retired", "tombstoning", "error",
     "crm/customer_segments/dataproduct.yaml", 20, False),
    ("marketing.campaign_targets", "auth.restricted-read", "auth", "error",
     "marketing/campaign_targets/dataproduct.yaml", 20, False),
    ("logistics.shipping_modes", "structure.enum", "structure", "error",
     "logistics/shipping_modes/dataproduct.yaml", 13, False),
    ("finance.forecast_revenue", "documentation.description", "documentation", "warning",
     "finance/forecast_revenue/dataproduct.yaml", 1, False),
    (None, "waiver.invalid", "config", "warning", "waivers.yaml", 9, False),
    ("finance.revenue_legacy", "lifecycle.consume-deprecated-past-sunset", "lifecycle", "error",
     "finance/revenue_legacy/dataproduct.yaml", 20, True),
]
VIOLATING = sorted({p for p, *_ in INTENDED if p})
BLOCKED = sorted({p for p, _, _, sev, _, _, waived in INTENDED if p and sev == "error" and not waived})

CLEAN_PRODUCTS = [
    "crm.geography", "crm.customers", "crm.customer_contacts", "crm.customers_v0",
    "sales.orders", "sales.order_lines", "sales.orders_legacy", "sales.pricing_summary",
    "sales.order_priority", "sales.large_orders",
    "logistics.suppliers", "logistics.parts", "logistics.late_suppliers",
    "finance.returned_items", "finance.supplier_profit", "finance.top_supplier", "finance.promotion_effect",
]

# Files examples/mesh-clean changes to fix the violations; every other file of a product is identical.
FIXED_FILES = {
    "crm/account_tiers/dataproduct.yaml", "crm/customer_contacts/dataproduct.yaml",
    "crm/customer_segments/dataproduct.yaml", "crm/customer_segments/customer_segments.sql",
    "finance/forecast_revenue/dataproduct.yaml", "logistics/shipping_modes/dataproduct.yaml",
    "logistics/volume_shipping/dataproduct.yaml", "marketing/market_share/dataproduct.yaml",
    "marketing/market_share/market_share.sql", "marketing/campaign_assets/dataproduct.yaml",
    "marketing/campaign_targets/dataproduct.yaml", "marketing/customer_churn/dataproduct.yaml",
    "waivers.yaml", "README.md",
}


def govern(*args: str) -> subprocess.CompletedProcess:
    """Run the real CLI in a fresh interpreter."""
    return subprocess.run([sys.executable, "-m", "govern", *args], capture_output=True, text=True,
                          cwd=REPO, timeout=120, check=False)


@cache
def check_json(mesh: Path) -> tuple[int, str]:
    proc = govern("check", str(mesh), "--format", "json", "--today", TODAY)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, proc.stdout


def findings(mesh: Path = MESH) -> list[dict]:
    return json.loads(check_json(mesh)[1])["findings"]


def key(f: dict) -> tuple:
    loc = f["location"]
    return (f["product"], f["rule"], f["standard"], f["severity"], loc["path"], loc["line"], f["waived"])


@pytest.mark.parametrize("expected", INTENDED, ids=[f"{e[1]}@{e[4]}:{e[5]}" for e in INTENDED])
def test_each_intended_violation_is_reported_where_the_readme_says(expected: tuple) -> None:
    assert expected in {key(f) for f in findings()}, [key(f) for f in findings() if f["rule"] == expected[1]]


def test_check_exits_1_on_the_example_mesh() -> None:
    assert check_json(MESH)[0] == 1


def test_clean_products_have_no_findings() -> None:
    on_clean = [key(f) for f in findings() if f["product"] in CLEAN_PRODUCTS]
    assert on_clean == []


def test_violating_products_have_only_their_intended_findings_in_their_manifests() -> None:
    """Any other finding on a manifest of a violating product would be an accident of the example.

    SQL analysis may report the same problem again at the line of the SQL that reads the table; those
    findings point at .sql files and are allowed here.
    """
    intended = {(p, rule) for p, rule, *_ in INTENDED}
    stray = [key(f) for f in findings() if f["product"] in VIOLATING and not f["location"]["path"].endswith(".sql")
             and (f["product"], f["rule"]) not in intended]
    assert stray == []


def test_the_valid_waiver_applies_and_the_expired_one_does_not() -> None:
    by_rule = {(f["product"], f["rule"]): f for f in findings() if f["location"]["path"].endswith("dataproduct.yaml")}
    waived = by_rule[("finance.revenue_legacy", "lifecycle.consume-deprecated-past-sunset")]
    assert waived["waived"] is True and "expires 2027-03-31" in waived["waiver_reason"]
    undone = by_rule[("finance.forecast_revenue", "documentation.description")]
    assert undone["waived"] is False
    invalid = [f for f in findings() if f["rule"] == "waiver.invalid"]
    assert [f["location"]["line"] for f in invalid] == [9]
    assert "expired on 2026-10-31" in invalid[0]["message"]


def test_json_output_is_byte_identical_across_runs() -> None:
    first = govern("check", str(MESH), "--format", "json", "--today", TODAY)
    second = govern("check", str(MESH), "--format", "json", "--today", TODAY)
    assert first.stdout == second.stdout
    assert first.stdout == check_json(MESH)[1]


def test_gate_blocks_the_example_mesh_on_the_intended_errors() -> None:
    proc = govern("gate", str(MESH), "--format", "json", "--today", TODAY)
    assert proc.returncode == 1, proc.stderr
    gate = json.loads(proc.stdout)["gate"]
    assert gate["decision"] == "blocked"
    decisions = {p["product"]: p["decision"] for p in gate["products"]}
    for product in BLOCKED:
        assert decisions[product] == "blocked", product
    for product in [*CLEAN_PRODUCTS, "finance.forecast_revenue", "finance.revenue_legacy"]:
        assert decisions[product] == "allowed", product


def test_gate_text_output_names_the_blocked_products() -> None:
    proc = govern("gate", str(MESH), "--today", TODAY)
    assert proc.returncode == 1
    assert "gate: BLOCKED" in proc.stdout
    for product in BLOCKED:
        assert re.search(rf"^  {re.escape(product)}: \d+ blocking findings?$", proc.stdout, re.M), product


def test_gate_allows_the_clean_mesh() -> None:
    proc = govern("gate", str(CLEAN), "--today", TODAY)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "gate: ALLOWED" in proc.stdout


def test_the_clean_mesh_keeps_the_valid_waiver_and_has_no_unwaived_finding() -> None:
    code, text = check_json(CLEAN)
    assert code == 0
    data = json.loads(text)
    assert data["findings"] and all(f["waived"] for f in data["findings"])
    assert {f["rule"] for f in data["findings"]} == {"lifecycle.consume-deprecated-past-sunset"}


def test_the_clean_mesh_differs_from_the_example_only_by_the_fixes() -> None:
    """Clean products are byte-identical in both meshes; only the listed files carry fixes."""
    def files(root: Path) -> dict[str, bytes]:
        # .govern-cache/ and .govern/ are git-ignored run state, not part of the mesh
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
                if p.is_file() and not any(part.startswith(".govern") for part in p.relative_to(root).parts)}

    example, clean = files(MESH), files(CLEAN)
    for rel, content in clean.items():
        if rel in FIXED_FILES or rel.startswith("crm/customer_events/"):
            continue
        assert example.get(rel) == content, rel
    for rel in FIXED_FILES:
        assert example[rel] != clean[rel], f"{rel} is listed as fixed but unchanged"


def test_the_readme_lists_every_intended_violation() -> None:
    readme = (MESH / "README.md").read_text(encoding="utf-8")
    for product, rule, _, _, path, line, _ in INTENDED:
        row = next((r for r in readme.splitlines() if f"`{rule}`" in r and f"`{path}:{line}`" in r), None)
        assert row is not None, (rule, path, line)
        assert (product or "(mesh)") in row


def test_the_example_mesh_has_every_product_these_tests_name() -> None:
    from govern.load.loader import load_mesh

    mesh = load_mesh([MESH])
    ids = {p.id for p in mesh.products}
    assert set(CLEAN_PRODUCTS) | set(VIOLATING) <= ids
    assert len(ids) >= 18 and len({p.model.domain for p in mesh.products}) >= 5
    assert not set(CLEAN_PRODUCTS) & set(VIOLATING)
