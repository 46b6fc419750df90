"""Scoring configuration, scoring functions, and the scorecard / history / check --record commands."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from meshkit import MeshDir

from govern.cli.main import cli
from govern.model.errors import StandardsError
from govern.model.findings import Finding, Severity
from govern.output.scorecard import (
    parse_scoring,
    product_score,
    scoring_for,
    standard_status,
)
from govern.standards.pack import default_pack_root, load_pack

LEVELS = [{"name": "raw"}, {"name": "curated", "standards": ["owner"]}]


def finding(rule: str, severity: Severity, waived: bool = False, standard: str = "owner") -> Finding:
    return Finding(rule=rule, standard=standard, severity=severity, message="m", product="p", waived=waived)


def test_standard_status_ranks_fail_over_warn_over_waived() -> None:
    e, w, i = Severity.ERROR, Severity.WARNING, Severity.INFO
    assert standard_status([]) == "pass"
    assert standard_status([finding("a", i)]) == "pass"  # info (audit) never counts
    assert standard_status([finding("a", e, waived=True)]) == "waived"
    assert standard_status([finding("a", e, waived=True), finding("b", w)]) == "warn"
    assert standard_status([finding("a", w), finding("b", e)]) == "fail"


def test_score_weights_factors_caps_and_waivers() -> None:
    config = parse_scoring({"severity": {"error": 20, "warning": 4}, "waivedFactor": 0.5, "maxPerRule": 2,
                            "rules": {"x.heavy": 1.5}, "levels": LEVELS}, "t")
    e, w = Severity.ERROR, Severity.WARNING
    assert product_score([], config) == 100
    assert product_score([finding("a", e)], config) == 80
    assert product_score([finding("a", e)] * 5, config) == 60  # at most 2 per rule
    assert product_score([finding("x.heavy", e)], config) == 70
    assert product_score([finding("a", e, waived=True)], config) == 90
    assert product_score([finding("a", w), finding("b", e)] * 9, config) == 52
    assert product_score([finding(f"r{i}", e) for i in range(9)], config) == 0  # floor


@pytest.mark.parametrize(("data", "message", "field"), [
    ({"levels": []}, "levels must be a non-empty list", "scoring.levels"),
    ({"levels": [{"name": "raw", "standards": ["owner"]}]}, "the first (lowest) level has no criteria",
     "scoring.levels.0"),
    ({"levels": LEVELS, "maxPerRule": 0}, "maxPerRule must be an integer >= 1", "scoring.maxPerRule"),
    ({"levels": LEVELS, "severity": {"error": -1}}, "must be a number >= 0", "scoring.severity.error"),
    ({"levels": LEVELS, "severity": {"fatal": 1}}, "unknown severity 'fatal'", "scoring.severity.fatal"),
    ({"levels": LEVELS, "waivedFactor": 2}, "waivedFactor must be between 0 and 1", "scoring.waivedFactor"),
    ({"levels": LEVELS, "weights": {}}, "unknown key 'weights'", "scoring.weights"),
    ({"levels": [{"name": "raw"}, {"name": "raw"}]}, "level 'raw' is listed twice", "scoring.levels.1"),
    ({"levels": [{"name": "raw"}, {"name": "c", "accept": ["warn"]}]}, "includes pass",
     "scoring.levels.1.accept"),
])
def test_bad_scoring_configuration_is_reported_with_its_field(data: dict, message: str, field: str) -> None:
    with pytest.raises(StandardsError) as info:
        parse_scoring(data, "standards/x/1.0.0.yaml")
    assert message in info.value.message
    assert info.value.field == field
    assert info.value.path == "standards/x/1.0.0.yaml"


def test_shipped_pack_scoring_is_read_from_the_standard_version() -> None:
    pack = load_pack()
    config = scoring_for(pack.version("1.0.0"), pack.root)
    assert config.source == "standards/mesh-core/1.0.0.yaml"
    assert config.level_names == ["raw", "curated", "authoritative"]
    assert config.levels[1].standards == ("namespace", "owner", "format", "lifecycle")
    assert config.levels[2].no_unwaived_errors and config.levels[2].states == ("active",)
    assert config.severity[Severity.ERROR] == 15


def _pack_copy(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "pack"
    shutil.copytree(default_pack_root() / "rules", root / "rules")
    shutil.copytree(default_pack_root() / "standards", root / "standards")
    return root, root / "standards" / "mesh-core" / "1.0.0.yaml"


def test_a_version_without_scoring_uses_the_shipped_scoring(tmp_path: Path) -> None:
    root, version_file = _pack_copy(tmp_path)
    text = version_file.read_text()
    start, end = text.index("scoring:"), text.index("\nrules:")
    version_file.write_text(text[:start] + text[end + 1:])
    pack = load_pack(root)
    assert "scoring" not in pack.version("1.0.0").raw
    config = scoring_for(pack.version("1.0.0"), pack.root)
    assert "default: standards/mesh-core/1.0.0.yaml has no scoring section" in config.source
    assert config.level_names == ["raw", "curated", "authoritative"]


def test_a_broken_scoring_section_names_file_and_line(tmp_path: Path) -> None:
    root, version_file = _pack_copy(tmp_path)
    text = version_file.read_text().replace("  maxPerRule: 3\n", "  maxPerRule: many\n")
    version_file.write_text(text)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("  maxPerRule:"))
    pack = load_pack(root)
    with pytest.raises(StandardsError) as info:
        scoring_for(pack.version("1.0.0"), pack.root)
    assert (info.value.path, info.value.line, info.value.field) == (
        "standards/mesh-core/1.0.0.yaml", line, "scoring.maxPerRule")


# --- commands ---------------------------------------------------------------------------------------


def govern(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def small(mesh: MeshDir) -> MeshDir:
    mesh.org()
    mesh.product("sales.orders")
    mesh.product("sales.returns", {"description": None})
    mesh.product("crm.accounts", {"owner": {"group": "nobody"}})
    return mesh


def test_scorecard_text_lists_domains_and_products(small: MeshDir) -> None:
    res = govern("scorecard", str(small.root), "--today", "2026-06-01")
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].startswith("mesh: 3 products in 2 domains, mean score 88.3; raw 1, curated 1, authoritative 1;")
    rows = {line.split()[0]: line.split() for line in lines if re.match(r"^(sales|crm)\.", line)}
    assert rows["crm.accounts"][1:5] == ["raw", "70", "2", "0"]
    assert rows["sales.returns"][1:5] == ["curated", "95", "0", "1"]
    assert rows["sales.orders"][1:3] == ["authoritative", "100"]
    domains = {line.split()[0]: line.split() for line in lines if re.match(r"^(sales|crm) ", line)}
    assert domains["sales"][1:3] == ["2", "97.5"]


def test_scorecard_one_product_shows_blockers_and_findings(small: MeshDir) -> None:
    res = govern("scorecard", str(small.root), "--product", "crm.accounts", "--today", "2026-06-01")
    assert res.exit_code == 0, res.output
    assert res.output.startswith("crm.accounts: raw, score 70 (Accounts)\n")
    assert "  not yet curated: owner: fail\n" in res.output
    assert re.search(r"^    owner +fail$", res.output, re.M)
    assert "crm/accounts/dataproduct.yaml:9: error   [owner.group-exists]" in res.output


def test_scorecard_json_filters_by_domain(small: MeshDir) -> None:
    res = govern("scorecard", str(small.root), "--domain", "sales", "--format", "json", "--today", "2026-06-01")
    data = json.loads(res.output)
    assert [p["product"] for p in data["products"]] == ["sales.orders", "sales.returns"]
    assert [d["domain"] for d in data["domains"]] == ["sales"]
    assert data["products"][1]["standards"]["documentation"] == "warn"
    assert data["products"][1]["blockers"] == ["documentation: warn"]
    assert "findings" not in data["products"][0]


def test_scorecard_unknown_product_or_domain_exits_2(small: MeshDir) -> None:
    res = govern("scorecard", str(small.root), "--product", "sales.nope")
    assert res.exit_code == 2 and "no product 'sales.nope'" in res.output
    res = govern("scorecard", str(small.root), "--domain", "hr")
    assert res.exit_code == 2 and "domains: crm, sales" in res.output


def test_check_record_stores_a_run_and_history_shows_it(small: MeshDir) -> None:
    root = str(small.root)
    res = govern("check", root, "--record", "--today", "2026-06-01")
    assert res.exit_code == 1  # the check's own exit code is unchanged: crm.accounts has errors
    assert "recorded run #1 in" in res.output
    res = govern("history", root, "--format", "json")
    runs = json.loads(res.output)["runs"]
    assert [(r["id"], r["source"], r["asOf"], r["meanScore"]) for r in runs] == [(1, "check", "2026-06-01", 88.3)]
    assert runs[0]["standards"] == {"pack": "mesh-core", "version": "1.0.0"}


def test_check_record_refuses_a_partial_mesh(small: MeshDir) -> None:
    res = govern("check", str(small.root / "sales"), "--record")
    assert res.exit_code == 2 and "whole-mesh runs" in res.output
    assert not (small.root / ".govern").exists()


def test_history_path_from_govern_yaml_and_missing_history(small: MeshDir, tmp_path: Path) -> None:
    small.write("govern.yaml", "history: audit/governance.sqlite\n")
    res = govern("history", str(small.root))
    assert res.exit_code == 0 and "no runs recorded yet" in res.output
    assert not (small.root / "audit").exists()
    res = govern("report", str(small.root), "--out", str(tmp_path / "r"), "--today", "2026-06-01")
    assert res.exit_code == 0, res.output
    assert (small.root / "audit" / "governance.sqlite").is_file()
    assert not (small.root / ".govern").exists()
    other = tmp_path / "elsewhere.sqlite"
    res = govern("report", str(small.root), "--out", str(tmp_path / "r"), "--history", str(other),
                 "--today", "2026-06-02")
    assert res.exit_code == 0 and other.is_file()
    res = govern("history", str(small.root), "--format", "json")
    assert len(json.loads(res.output)["runs"]) == 1


def test_a_broken_history_file_is_exit_2_with_its_path(small: MeshDir, tmp_path: Path) -> None:
    bad = tmp_path / "bad.sqlite"
    bad.write_text("this is not a database\n")
    res = govern("report", str(small.root), "--out", str(tmp_path / "r"), "--history", str(bad))
    assert res.exit_code == 2
    assert str(bad) in res.output and "history database" in res.output
    assert "Traceback" not in res.output


def test_report_of_a_sub_path_is_not_recorded(small: MeshDir, tmp_path: Path) -> None:
    res = govern("report", str(small.root / "sales"), "--out", str(tmp_path / "r"), "--today", "2026-06-01")
    assert res.exit_code == 0, res.output
    assert "not recorded in the history" in res.output
    assert not (small.root / ".govern").exists()
    data = json.loads((tmp_path / "r" / "scorecards.json").read_text())
    assert [p["product"] for p in data["products"]] == ["sales.orders", "sales.returns"]
    assert data["run"] is None


def test_scorecards_are_deterministic(small: MeshDir) -> None:
    outs = {govern("scorecard", str(small.root), "--format", "json", "--today", "2026-06-01").output
            for _ in range(2)}
    assert len(outs) == 1
    assert json.loads(outs.pop())["date"] == dt.date(2026, 6, 1).isoformat()


def test_a_factor_for_an_unknown_rule_is_reported(tmp_path: Path) -> None:
    root, version_file = _pack_copy(tmp_path)
    text = version_file.read_text()
    assert "{lineage.cycle: 2," in text
    version_file.write_text(text.replace("{lineage.cycle: 2,", "{lineage.cycles: 2,"))
    pack = load_pack(root)
    with pytest.raises(StandardsError) as info:
        scoring_for(pack.version("1.0.0"), pack.root, known_rules=pack.rules)
    assert info.value.message == "unknown rule 'lineage.cycles'"
    assert info.value.field == "scoring.rules.lineage.cycles"
    assert info.value.line == next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("  rules: {"))
