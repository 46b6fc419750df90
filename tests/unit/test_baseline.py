"""Baselines and fingerprints: adopt govern on a messy mesh without blocking every PR on day one."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from meshkit import MeshDir

import govern
from govern.evaluate.baseline import apply, create, load
from govern.evaluate.fingerprint import Fingerprinter, normalise_message
from govern.model.errors import ConfigError
from govern.model.findings import Finding, Location, Severity

GOVERN = Path(sys.executable).parent / "govern"
ENV = {**os.environ, "GOVERN_TODAY": "2026-06-01", "NO_COLOR": "1"}


def govern_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(GOVERN), *args], capture_output=True, text=True, env=ENV, cwd=cwd, check=False)


@pytest.fixture
def messy(mesh: MeshDir) -> MeshDir:
    """Two products that break standards today, one clean, one waived finding."""
    mesh.org()
    mesh.product("sales.orders", {"owner": {"group": "sales-dta"}})
    mesh.product("crm.customers", {"namespace": "production", "description": None})
    mesh.product("finance.revenue")
    mesh.write_yaml("waivers.yaml", {"waivers": [{
        "rule": "documentation.description", "product": "crm.customers", "reason": "next sprint",
        "approved_by": "lead@example.com", "expires": "2026-07-01"}]})
    return mesh


def test_gate_with_a_baseline_blocks_only_new_findings(messy: MeshDir, tmp_path: Path) -> None:
    baseline = tmp_path / "govern-baseline.json"
    assert govern_cli("gate", str(messy.root)).returncode == 1
    created = govern_cli("baseline", "create", str(messy.root), "-o", str(baseline))
    assert created.returncode == 0, created.stderr
    assert "baseline: 3 findings" in created.stdout  # group-exists, deploy-own-domain, namespace.enum
    doc = json.loads(baseline.read_text())
    assert doc["total"] == 3 and {e["rule"] for e in doc["findings"]} == {
        "owner.group-exists", "auth.deploy-own-domain", "namespace.enum"}
    assert all("line" not in e for e in doc["findings"])

    allowed = govern_cli("gate", str(messy.root), "--baseline", str(baseline))
    assert allowed.returncode == 0, allowed.stdout
    assert "3 known findings accepted by the baseline are not shown" in allowed.stdout

    # Lines inserted above the offending ones keep the findings known.
    manifest = messy.root / "sales" / "orders" / "dataproduct.yaml"
    manifest.write_text("# Orders: owned by the sales data team\n# (see the wiki)\n" + manifest.read_text())
    assert govern_cli("gate", str(messy.root), "--baseline", str(baseline)).returncode == 0

    # A new violation is reported and blocks; the known ones stay hidden.
    messy.product("finance.revenue", {"owner": {"person": "not an e-mail"}})
    blocked = govern_cli("gate", str(messy.root), "--baseline", str(baseline), "-f", "json")
    assert blocked.returncode == 1
    findings = json.loads(blocked.stdout)["findings"]
    assert [(f["rule"], f["product"]) for f in findings if not f["waived"]] == [
        ("owner.person-email", "finance.revenue")]
    assert json.loads(blocked.stdout)["baselined"] == 3

    # Changing the offending value makes it a new finding.
    manifest.write_text(manifest.read_text().replace("sales-dta", "sales-dat"))
    changed = govern_cli("check", str(messy.root), "--baseline", str(baseline), "-f", "json")
    rules = [(f["rule"], f["product"]) for f in json.loads(changed.stdout)["findings"] if not f["waived"]]
    assert ("owner.group-exists", "sales.orders") in rules


def test_waived_findings_are_not_baselined_and_counts_are_respected(messy: MeshDir) -> None:
    result = govern.check([messy.root], root=messy.root, today=dt.date(2026, 6, 1))
    doc = create(result)
    assert "documentation.description" not in {e["rule"] for e in doc["findings"]}
    # Two identical findings, one accepted: one stays.
    f = next(x for x in result.findings if x.rule == "namespace.enum")
    twin = Finding(f.rule, f.standard, f.severity, f.message, f.product, f.location, fingerprint=f.fingerprint)
    result.findings.append(twin)
    path = messy.root / "b.json"
    path.write_text(json.dumps(doc))
    apply(result, load(path))
    assert [x.rule for x in result.findings if not x.waived] == ["namespace.enum"]
    assert len(result.baselined) == 3


def test_a_crashed_rule_is_never_hidden(messy: MeshDir, tmp_path: Path) -> None:
    result = govern.check([messy.root], root=messy.root, today=dt.date(2026, 6, 1))
    crash = Finding("rule.crashed", "config", Severity.ERROR, "rule 'x' failed", fingerprint="abc")
    result.findings.append(crash)
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"version": 1, "findings": [{"fingerprint": "abc", "count": 1}]}))
    apply(result, load(path))
    assert crash in result.findings


@pytest.mark.parametrize("text, error", [
    ("not json", "not valid JSON"),
    ('{"version": 7, "findings": []}', "not a govern baseline"),
    ('{"version": 1, "findings": [{"count": 1}]}', "fingerprint and a positive count"),
    ('{"version": 1, "findings": [{"fingerprint": "x", "count": 0}]}', "fingerprint and a positive count"),
])
def test_a_broken_baseline_cannot_decide(tmp_path: Path, messy: MeshDir, text: str, error: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(text)
    with pytest.raises(ConfigError, match=error):
        load(path)
    proc = govern_cli("gate", str(messy.root), "--baseline", str(path))
    assert proc.returncode == 2 and error in proc.stderr
    missing = govern_cli("gate", str(messy.root), "--baseline", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "cannot read baseline" in missing.stderr


def test_fingerprints_ignore_line_numbers_and_follow_content(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("kind: DataProduct\nowner: {group: sales-dta}\n")
    fp = Fingerprinter(tmp_path)

    def finding(line: int, message: str = "owner.group 'sales-dta' is not a team") -> Finding:
        return Finding("owner.group-exists", "owner", Severity.ERROR, message, "sales.orders",
                       Location("a.yaml", line))

    first = fp(finding(2))
    (tmp_path / "a.yaml").write_text("kind: DataProduct\n\n\nowner: {group: sales-dta}\n")
    assert Fingerprinter(tmp_path)(finding(4)) == first  # moved down, same content
    assert Fingerprinter(tmp_path)(finding(4, "owner.group 'x' is not a team")) != first
    (tmp_path / "a.yaml").write_text("kind: DataProduct\nowner: {group: sales-dat}\n")
    assert Fingerprinter(tmp_path)(finding(2)) != first  # same line, other content
    assert normalise_message("duplicate key 'id' (first defined on line 12)") == \
        "duplicate key 'id' (first defined on line #)"
    assert normalise_message("syntax error at line 3, column 14") == "syntax error at line #, column #"
