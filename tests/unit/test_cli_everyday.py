"""Everyday use through the real CLI (issue 17): rules, explain, did-you-mean, locations, plurals."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml
from meshkit import BASE_ORG, MeshDir

from govern.standards.pack import default_pack_root, load_pack
from govern.standards.rulecases import load_cases

GOVERN = Path(sys.executable).parent / "govern"
TODAY = "2026-06-01"


def govern(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(GOVERN), *args], capture_output=True, text=True, cwd=cwd)


def clean_mesh(root: Path) -> MeshDir:
    mesh = MeshDir(root)
    mesh.org(BASE_ORG)
    mesh.product("sales.orders")
    return mesh


# ---------------------------------------------------------------- govern rules / explain

def test_rules_lists_every_rule_in_force(tmp_path: Path) -> None:
    proc = govern("rules", cwd=clean_mesh(tmp_path).root)
    assert proc.returncode == 0, proc.stderr
    version = load_pack().latest_released()
    lines = proc.stdout.splitlines()
    assert lines[0] == f"mesh-core {version.version} (released): {len(version.rules)} rules"
    assert [line.split()[0] for line in lines[1:]] == version.rule_ids()
    assert "auth.prod-deploy-team" in proc.stdout and "enforce from 2026-01-01 cedar" in " ".join(proc.stdout.split())


def test_rules_filters_by_standard_in_json(tmp_path: Path) -> None:
    proc = govern("rules", str(clean_mesh(tmp_path).root), "--standard", "owner", "-f", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert [r["id"] for r in data["rules"]] == ["owner.required", "owner.person-email", "owner.group-exists",
                                                "owner.observed-mismatch"]
    assert data["rules"][0] == {"id": "owner.required", "standard": "owner", "severity": "error",
                                "mode": "enforce", "effective": None, "engine": "yaml", "reads": ["product"]}
    assert data["rules"][-1]["reads"] == ["product", "runtime"]  # owner.observed-mismatch: OpenLineage facets


def test_rules_unknown_standard_is_exit_2_with_did_you_mean(tmp_path: Path) -> None:
    proc = govern("rules", str(clean_mesh(tmp_path).root), "--standard", "ownr")
    assert proc.returncode == 2
    assert "unknown standard 'ownr' (did you mean 'owner'?)" in proc.stderr


def test_rules_follow_the_version_pinned_in_govern_yaml(tmp_path: Path) -> None:
    mesh = clean_mesh(tmp_path)
    mesh.write("govern.yaml", "standards:\n  pack: mesh-core\n  version: 9.9.9\n")
    proc = govern("rules", cwd=mesh.root)
    assert proc.returncode == 2
    assert "9.9.9" in proc.stderr


def test_explain_prints_the_rule_and_its_tested_examples(tmp_path: Path) -> None:
    proc = govern("explain", "owner.person-email", "--path", str(clean_mesh(tmp_path).root))
    assert proc.returncode == 0, proc.stderr
    spec = load_pack().rules["owner.person-email"]
    case = load_cases(default_pack_root())["owner.person-email"]
    out = proc.stdout
    assert out.splitlines()[0] == "owner.person-email  [owner, error, enforce in mesh-core 1.0.0, engine yaml]"
    assert f"what:  {spec.description}" in out and f"fix:   {spec.help}" in out
    assert "why:   Standard: owner." in out
    passes, fails = out.split("    passes:\n")[1].split("    fails:\n")
    assert yaml.safe_load(passes) == case.passing and yaml.safe_load(fails) == case.failing


def test_explain_unknown_rule_is_exit_2_with_did_you_mean(tmp_path: Path) -> None:
    proc = govern("explain", "owner.person-emial", "--path", str(clean_mesh(tmp_path).root))
    assert proc.returncode == 2
    assert "unknown rule 'owner.person-emial' (did you mean 'owner.person-email'?)" in proc.stderr
    assert proc.stdout == ""


# ---------------------------------------------------------------- did you mean

def _typo_mesh(root: Path) -> MeshDir:
    mesh = clean_mesh(root)
    mesh.product("crm.customers")
    mesh.product("finance.revenue", {"descripton": "Revenue", "zzqqxx": 1, "inputs": [{"product": "crm.customer"}],
                                     "owner": {"group": "finance-analytic"}, "access": {"readers": ["crm-cor"]}})
    mesh.write("waivers.yaml", "waivers:\n  - rule: owner.person-emai\n    product: sales.orders\n"
                               "    reason: migrating\n    approved_by: gov@example.com\n    expires: 2026-07-01\n")
    return mesh


def _line(out: str, fragment: str) -> str:
    found = [line.strip() for line in out.splitlines() if fragment in line]
    assert len(found) == 1, (fragment, out)
    return found[0]


def test_unknown_names_in_a_mesh_get_the_closest_known_name(tmp_path: Path) -> None:
    proc = govern("check", str(_typo_mesh(tmp_path).root), "--today", TODAY)
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout
    assert _line(out, "'descripton'").endswith(
        "warning [manifest.unknown-field] unknown field 'descripton' is not part of the model "
        "(did you mean 'description'?)")
    assert _line(out, "'zzqqxx'").endswith("unknown field 'zzqqxx' is not part of the model")  # nothing close
    assert _line(out, "[lineage.input-exists]").endswith(
        "input 'crm.customer' is not a product of the mesh (did you mean 'crm.customers'?)")
    assert _line(out, "[owner.group-exists]").endswith(
        "owner.group 'finance-analytic' is not a team in org.yaml (did you mean 'finance-analytics'?)")
    assert _line(out, "[auth.reader-exists]").endswith("'crm-cor' is not a team in org.yaml (did you mean 'crm-core'?)")
    assert _line(out, "[waiver.invalid]").endswith(
        "unknown rule 'owner.person-emai' (did you mean 'owner.person-email'?)")


def test_an_unknown_govern_yaml_key_stops_the_run(tmp_path: Path) -> None:
    mesh = clean_mesh(tmp_path)
    mesh.write("govern.yaml", "standard:\n  pack: mesh-core\n  version: 1.0.0\n")
    for command in ("check", "gate"):
        proc = govern(command, str(mesh.root), "--today", TODAY)
        assert proc.returncode == 2, (command, proc.stdout, proc.stderr)
        assert proc.stderr.strip() == ("govern: govern.yaml:1: unknown field 'standard' is not part of the model "
                                       "(did you mean 'standards'?); govern.yaml accepts no unknown keys")
    # changed-files mode after a whole-mesh run left a mesh index: the new govern.yaml is read, not the index
    mesh.write("govern.yaml", "standards:\n  pack: mesh-core\n  version: 1.0.0\n")
    assert govern("check", str(mesh.root), "--today", TODAY).returncode == 0
    assert govern("check", str(mesh.root / "sales/orders/dataproduct.yaml"), "--today", TODAY).returncode == 0
    mesh.write("govern.yaml", "standards:\n  pack: mesh-core\n  verison: 1.0.0\n")
    proc = govern("check", str(mesh.root / "sales/orders/dataproduct.yaml"), "--today", TODAY)
    assert proc.returncode == 2
    assert "govern.yaml:3: unknown field 'standards.verison'" in proc.stderr and "(did you mean 'version'?)" in proc.stderr


def test_unknown_cli_values_get_the_closest_value(tmp_path: Path) -> None:
    root = str(clean_mesh(tmp_path).root)
    cases = {
        ("chek", root): "No such command 'chek' (did you mean 'check'?).",
        ("check", root, "-f", "jsn"): "unknown format 'jsn' (did you mean 'json'?)",
        ("check", root, "--fail-on", "warnin"): "'warnin' is not one of error, never, warning (did you mean 'warning'?)",
        ("check", root, "--input-format", "dbd"): "(did you mean 'dbt'?)",
        ("lineage", root, "-f", "mermiad"): "(did you mean 'mermaid'?)",
        ("lineage", root, "--product", "sales.order"): "no product 'sales.order' in the mesh (did you mean 'sales.orders'?)",
        ("impact", root, "sales.ordrs"): "no product 'sales.ordrs' in the mesh (did you mean 'sales.orders'?)",
        ("scorecard", root, "--product", "sales.ordes"): "(did you mean 'sales.orders'?)",
        ("scorecard", root, "--domain", "sale"): "no domain 'sale' in the mesh (did you mean 'sales'?)",
    }
    for args, message in cases.items():
        proc = govern(*args)
        assert proc.returncode == 2, args
        assert message in proc.stderr, (args, proc.stderr)


# ---------------------------------------------------------------- path:line:column

def test_text_output_gives_the_column_when_it_is_known(tmp_path: Path) -> None:
    mesh = clean_mesh(tmp_path)
    mesh.product("finance.revenue", {"namespace": "qa"})
    mesh.write("crm/customers/dataproduct.yaml", "kind: DataProduct\nid: crm.customers\nowner: {group: [\n")
    proc = govern("check", str(mesh.root), "--today", TODAY)
    assert proc.returncode == 1, proc.stderr
    syntax = _line(proc.stdout, "YAML syntax error")
    assert syntax.startswith("crm/customers/dataproduct.yaml:4:1: error   [manifest.invalid] YAML syntax error")
    # the same position as the JSON output's location, which every format shares
    data = json.loads(govern("check", str(mesh.root), "--today", TODAY, "-f", "json").stdout)
    location = next(f["location"] for f in data["findings"] if f["rule"] == "manifest.invalid")
    assert (location["line"], location["column"]) == (4, 1)
    # without a column: path:line, as before
    assert _line(proc.stdout, "[namespace.enum]").startswith("finance/revenue/dataproduct.yaml:7: error   [namespace.enum]")


# ---------------------------------------------------------------- small things

def test_counts_are_in_the_right_number(tmp_path: Path) -> None:
    mesh = clean_mesh(tmp_path)
    one = govern("gate", str(mesh.root), "--today", TODAY)
    assert one.returncode == 0
    assert "1 product checked against mesh-core 1.0.0: 0 errors, 0 warnings, 0 info, 0 waived; 1 product passes" \
        in one.stdout
    mesh.product("sales.orders", {"namespace": "qa", "owner": {"person": "not an e-mail"}, "descripton": "x"})
    blocked = govern("gate", str(mesh.root), "--today", TODAY)
    assert blocked.returncode == 1
    assert "1 product checked against mesh-core 1.0.0: 2 errors, 1 warning, 0 info, 0 waived; 0 products pass" \
        in blocked.stdout
    assert "gate: BLOCKED (1 product)\n  sales.orders: 2 blocking findings\n" in blocked.stdout
    mesh.product("sales.orders", {"namespace": "qa"})
    assert "  sales.orders: 1 blocking finding\n" in govern("gate", str(mesh.root), "--today", TODAY).stdout


def test_impact_lineage_and_scorecard_default_to_the_current_directory(tmp_path: Path) -> None:
    mesh = clean_mesh(tmp_path)
    mesh.product("finance.revenue", {"inputs": [{"product": "sales.orders"}]})
    impact = govern("impact", "sales.orders", cwd=mesh.root)
    assert impact.returncode == 0, impact.stderr
    assert impact.stdout.startswith("Impact of sales.orders (prod, active): 1 product depends on it\n")
    assert govern("impact", ".", "sales.orders", cwd=mesh.root).stdout == impact.stdout
    assert govern("impact", str(mesh.root), "sales.orders").stdout == impact.stdout
    lineage = govern("lineage", cwd=mesh.root)
    assert lineage.returncode == 0, lineage.stderr
    assert "2 products, 1 lineage link (1 declared, 0 seen in SQL, 0 undeclared); cycles: none" in lineage.stdout
    scorecard = govern("scorecard", "--today", TODAY, cwd=mesh.root)
    assert scorecard.returncode == 0, scorecard.stderr
    assert scorecard.stdout.startswith("mesh: 2 products in 2 domains")
    usage = govern("impact", cwd=mesh.root)
    assert usage.returncode == 2 and "expected [PATH] ID" in usage.stderr
    for command in ("impact", "lineage", "scorecard", "check"):
        assert "(default: the current directory)" in " ".join(govern(command, "--help").stdout.split()), command


def test_the_hook_pattern_has_one_source_and_covers_every_input_format(tmp_path: Path) -> None:
    import re

    from govern.adopt.scaffold import HOOK_FILES

    repo = Path(__file__).resolve().parents[2]
    published = yaml.safe_load((repo / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert next(h for h in published if h["id"] == "govern-check")["files"] == HOOK_FILES
    assert govern("init", str(tmp_path / "gov")).returncode == 0
    written = yaml.safe_load((tmp_path / "gov" / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert written["repos"][0]["hooks"][0]["files"] == HOOK_FILES
    assert f"files: {HOOK_FILES}\n" in (repo / "docs" / "readme-ci.md").read_text(encoding="utf-8")
    pattern = re.compile(HOOK_FILES)
    inputs = ["sales/orders/dataproduct.yaml", "dataproduct.yml", "org.yaml", "waivers.yaml", "govern.yaml",
              "sales/orders/orders.sql", "contracts/ledger.odcs.yaml", "contracts/ledger.odcs.yml",
              "products/revenue.odps.yaml", "products/revenue.odps.json", "lineage/events.ndjson",
              "lineage/events.jsonl", "dbt/target/manifest.json"]
    assert [name for name in inputs if not pattern.search(name)] == []
    others = ["README.md", "sales/orders/notes.yaml", "org.yaml.bak", ".github/workflows/govern.yml", "package.json"]
    assert [name for name in others if pattern.search(name)] == []


def test_shell_completion_completes_commands_and_values() -> None:
    import os

    def complete(words: str, cword: int) -> list[str]:
        env = {**os.environ, "COMP_WORDS": words, "COMP_CWORD": str(cword), "_GOVERN_COMPLETE": "bash_complete"}
        proc = subprocess.run([str(GOVERN)], capture_output=True, text=True, env=env)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.split()

    assert complete("govern ex", 1) == ["plain,explain"]
    assert complete("govern check --fail-on w", 3) == ["plain,warning"]
    script = subprocess.run([str(GOVERN)], capture_output=True, text=True,
                            env={**os.environ, "_GOVERN_COMPLETE": "bash_source"}).stdout
    assert "_govern_completion()" in script
    doc = (Path(__file__).resolve().parents[2] / "docs" / "readme-ci.md").read_text(encoding="utf-8")
    assert "_GOVERN_COMPLETE=bash_source govern" in doc
