"""CI outputs: SARIF 2.1.0 (validated against the official schema), JUnit XML, GitHub workflow
commands and the Markdown summary; several outputs in one run."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
import yaml
from meshkit import MeshDir

import govern
from govern.output.render import render
from govern.output.render.github import escape_data, escape_property
from govern.output.render.markdown import escape

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "mesh"
SCHEMA = json.loads((REPO / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text())
TODAY = dt.date(2026, 6, 1)
GOVERN = Path(sys.executable).parent / "govern"
HOSTILE = 'Ord]ers](https://evil.example/x) <img src=x onerror=alert(1)> | `tick` %0A\n::error::pwned\r\x1b[31m'


def validate_sarif(text: str) -> dict:
    doc = json.loads(text)
    jsonschema.Draft4Validator(SCHEMA).validate(doc)
    return doc


@pytest.fixture(scope="module")
def example():
    return govern.check([EXAMPLE], root=EXAMPLE, today=TODAY)


@pytest.fixture
def hostile(mesh: MeshDir):
    """A mesh with a waived finding, an error and text that tries to break every output format."""
    mesh.org()
    mesh.product("sales.orders", {"description": None})
    mesh.product("crm.customers", {"owner": {"group": "crm-cor"}, "name": HOSTILE,
                                   "lifecycle": {"state": f"live{HOSTILE}"}})
    mesh.write_yaml("waivers.yaml", {"waivers": [{
        "rule": "documentation.description", "product": "sales.orders", "reason": "written next sprint",
        "approved_by": "lead@example.com", "expires": "2026-07-01"}]})
    return govern.check([mesh.root], root=mesh.root, today=TODAY)


def test_sarif_of_the_example_mesh_validates_and_carries_rule_metadata(example) -> None:
    doc = validate_sarif(render(example, "sarif"))
    run = doc["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    in_force = {sel.spec.id for sel in example.standard.rules}
    assert in_force <= set(rules)
    for rid, rule in rules.items():
        spec = example.pack.rules[rid]
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"] and rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
        assert rule["properties"]["tags"] == [spec.standard]
    assert rules["owner.required"]["defaultConfiguration"]["level"] == "error"
    assert rules["documentation.name"]["defaultConfiguration"]["level"] == "note"  # audit mode
    results = run["results"]
    assert len(results) == len(example.findings) and results
    for item, finding in zip(results, example.findings, strict=True):
        assert item["ruleId"] == finding.rule
        assert run["tool"]["driver"]["rules"][item["ruleIndex"]]["id"] == finding.rule
        assert item["partialFingerprints"]["govern/v2"] == finding.fingerprint
        if finding.location.path:
            physical = item["locations"][0]["physicalLocation"]
            uri = physical["artifactLocation"]["uri"]
            assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
            # Relative to the repository: the mesh lives in examples/mesh of this repository.
            assert uri == "examples/mesh/" + finding.location.path and not uri.startswith("/")
            if finding.location.line:
                assert physical["region"]["startLine"] == finding.location.line
    assert run["invocations"] == [{"executionSuccessful": True}]
    assert str(REPO) not in json.dumps(doc)  # no absolute paths


def test_sarif_marks_waived_findings_as_suppressions_and_is_deterministic(hostile) -> None:
    text = render(hostile, "sarif")
    doc = validate_sarif(text)
    results = doc["runs"][0]["results"]
    waived = [r for r in results if r["ruleId"] == "documentation.description"]
    assert len(waived) == 1
    assert waived[0]["suppressions"] == [{
        "kind": "external", "status": "accepted",
        "justification": "written next sprint (approved by lead@example.com, expires 2026-07-01)"}]
    assert all("suppressions" not in r for r in results if r["ruleId"] != "documentation.description")
    assert render(hostile, "sarif") == text
    # The mesh is not in a git repository: paths are relative to the mesh root.
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results if "locations" in r}
    assert "crm/customers/dataproduct.yaml" in uris


def test_sarif_is_byte_identical_across_processes_and_hash_seeds(mesh: MeshDir) -> None:
    mesh.org()
    for pid in ("sales.orders", "crm.customers", "finance.revenue"):
        mesh.product(pid, {"owner": {"group": "ghost"}})
    outputs = set()
    for seed in ("0", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "GOVERN_TODAY": "2026-06-01"}
        proc = subprocess.run([str(GOVERN), "check", str(mesh.root), "-f", "sarif"], capture_output=True,
                              env=env, check=False)
        assert proc.returncode == 1, proc.stderr
        outputs.add(proc.stdout)
    assert len(outputs) == 1
    validate_sarif(outputs.pop().decode())


def test_junit_has_one_test_case_per_product_and_rule(example) -> None:
    root = ET.fromstring(render(example, "junit"))
    assert root.tag == "testsuites"
    in_force = {sel.spec.id for sel in example.standard.rules}
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(example.products) <= set(suites)
    orders = suites["sales.orders"]
    assert {c.get("name") for c in orders.findall("testcase")} >= in_force
    assert all(c.get("classname") == "sales.orders" for c in orders.findall("testcase"))
    errors = {(f.product, f.rule) for f in example.findings if f.blocking}
    failed = {(c.get("classname"), c.get("name")) for s in suites.values() for c in s.findall("testcase")
              if c.find("failure") is not None}
    assert failed == {(p or "(mesh)", r) for p, r in errors}
    assert int(root.get("failures")) == len(failed)
    assert int(root.get("tests")) == sum(len(s.findall("testcase")) for s in suites.values())


def test_junit_skips_waived_cases_and_survives_control_characters(hostile) -> None:
    text = render(hostile, "junit")
    root = ET.fromstring(text)  # parses: no raw control characters
    case = root.find("testsuite[@name='sales.orders']/testcase[@name='documentation.description']")
    assert case.find("skipped") is not None and "written next sprint" in case.find("skipped").get("message")
    failure = root.find("testsuite[@name='crm.customers']/testcase[@name='owner.group-exists']/failure")
    assert failure is not None and "crm-cor" in failure.get("message")
    assert "\x1b" not in text


def test_github_annotations_point_at_files_and_cannot_inject_commands(hostile) -> None:
    text = render(hostile, "github")
    lines = text.splitlines()
    assert re.search(r"^::error file=crm/customers/dataproduct\.yaml,line=\d+,title=owner\.group-exists "
                     r"\(crm\.customers\)::owner\.group 'crm-cor' is not a team in org\.yaml \(did you mean 'crm-core'\?\)%0Afix: ", text, re.M)
    # Every line is one command or the summary: the message's newline and '::' stay inside one line.
    assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in lines[:-1])
    assert lines[-1].startswith("govern: 2 products checked")
    pwned = [line for line in lines if "pwned" in line]
    assert pwned and all("%0A::error::pwned" in line for line in pwned)
    assert not any(line.startswith("::error::pwned") for line in lines)
    assert escape_data("50%\r\nnext") == "50%25%0D%0Anext"
    assert escape_property("a:b,c") == "a%3Ab%2Cc"


def test_markdown_summary_escapes_input_text(hostile, example) -> None:
    text = render(hostile, "markdown", gate=govern.decide(hostile))
    assert text.startswith("## govern: ❌ gate blocked")
    assert not re.search(r"(?<!\\)\]\(", text) and "<img" not in text and "\x1b" not in text  # no link, no HTML
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "<details><summary>1 waived findings</summary>" in text
    for line in text.splitlines():
        if line.startswith("| 🔴"):
            assert len(re.findall(r"(?<!\\)\|", line)) == 6, line  # five cells, pipes escaped
    assert escape("a|b") == "a\\|b"
    long = render(example, "markdown", limit=2)
    assert "… and " in long


def test_several_outputs_in_one_run(mesh: MeshDir, tmp_path: Path) -> None:
    mesh.org()
    mesh.product("sales.orders", {"owner": {"group": "ghost"}})
    out = tmp_path / "reports"
    proc = subprocess.run(
        [str(GOVERN), "gate", str(mesh.root), "-f", "text", "-f", f"sarif={out}/govern.sarif",
         "-f", f"junit={out}/junit.xml", "-f", f"markdown={out}/summary.md", "-f", "github"],
        capture_output=True, text=True, env={**os.environ, "GOVERN_TODAY": "2026-06-01"}, check=False)
    assert proc.returncode == 1, proc.stderr
    assert "gate: BLOCKED" in proc.stdout and "::error file=sales/orders/dataproduct.yaml" in proc.stdout
    validate_sarif((out / "govern.sarif").read_text())
    assert ET.parse(out / "junit.xml").getroot().get("failures") == "2"  # owner.group-exists, auth.deploy-own-domain
    assert "❌ gate blocked" in (out / "summary.md").read_text()
    assert yaml.safe_load((out / "govern.sarif").read_text())["version"] == "2.1.0"
