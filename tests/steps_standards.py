"""Step definitions for the standards' feature files (lineage, auth, waivers, enforcement).

The shared steps live in tests/steps.py; these add consumers with real SQL, custom standards packs,
mesh-level findings (waivers.yaml), waiver state and enforcement modes.
"""

from __future__ import annotations

import shutil

import yaml
from meshkit import MeshDir, base_product, merge
from pytest_bdd import given, parsers, then

from govern.model.findings import Severity
from govern.standards.pack import default_pack_root

CUSTOM_PACK_DIR = "standards-pack"
CUSTOM_PACK_NAME = "custom"


def _location_of(product_id: str) -> str:
    """The output-port location meshkit's base product gives ``product_id``."""
    domain, _, name = product_id.partition(".")
    return f"analytics.{domain}_prod.{name}"


def _consumer_sql(product_id: str, inputs: list[str]) -> str:
    """A query that reads every input through its output-port location (so SQL and inputs agree)."""
    lines = [f"-- {product_id}: reads {', '.join(inputs)}", "select", "    t0.id", "from",
             f"    {_location_of(inputs[0])} as t0"]
    for i, upstream in enumerate(inputs[1:], start=1):
        lines.append(f"    join {_location_of(upstream)} as t{i} on t{i}.id = t0.id")
    return "\n".join(lines) + ";\n"


def _write_consumer(mesh: MeshDir, pid: str, inputs_text: str, overlay: dict | None) -> None:
    inputs = [i.strip() for i in inputs_text.split(",") if i.strip()]
    domain, _, name = pid.partition(".")
    data = merge(base_product(pid), {
        "inputs": [{"product": i} for i in inputs],
        "execution": {"code": [f"{name}.sql"]},
    })
    data = merge(data, overlay or {})
    mesh.write_yaml(f"{domain}/{name}/dataproduct.yaml", data)
    mesh.write(f"{domain}/{name}/{name}.sql", _consumer_sql(pid, inputs))


@given(parsers.re(r'a valid consumer "(?P<pid>[^"]+)" reading "(?P<inputs>[^"]+)"'))
def given_consumer(mesh: MeshDir, pid: str, inputs: str) -> None:
    """A compliant product whose inputs and SQL both read the named products."""
    _write_consumer(mesh, pid, inputs, None)


@given(parsers.re(r'a valid consumer "(?P<pid>[^"]+)" reading "(?P<inputs>[^"]+)" with'))
def given_consumer_with(mesh: MeshDir, pid: str, inputs: str, docstring: str) -> None:
    _write_consumer(mesh, pid, inputs, yaml.safe_load(docstring) or {})


@given("the mesh has no org.yaml")
def given_no_org(mesh: MeshDir) -> None:
    (mesh.root / "org.yaml").unlink(missing_ok=True)


@given("the mesh uses a custom standards pack with the rules")
def given_custom_pack(mesh: MeshDir, docstring: str) -> None:
    """Copy the shipped rules into the mesh and select ``docstring`` (a YAML list) as version 1.0.0."""
    rules = yaml.safe_load(docstring)
    pack_root = mesh.root / CUSTOM_PACK_DIR
    shutil.copytree(default_pack_root() / "rules", pack_root / "rules", dirs_exist_ok=True)
    mesh.write_yaml(f"{CUSTOM_PACK_DIR}/standards/{CUSTOM_PACK_NAME}/1.0.0.yaml", {
        "pack": CUSTOM_PACK_NAME,
        "version": "1.0.0",
        "status": "released",
        "description": "A pack written by a feature scenario",
        "rules": rules,
    })
    from govern.standards.pack import load_pack, write_lock

    write_lock(load_pack(pack_root, CUSTOM_PACK_NAME))  # a released version is verified against its lock
    mesh.write_yaml("govern.yaml", {
        "standards": {"pack": CUSTOM_PACK_NAME, "version": "1.0.0", "path": CUSTOM_PACK_DIR},
    })


def _at(run: dict, rule: str, path: str) -> list:
    return [f for f in run["result"].findings if f.rule == rule and f.location.path == path]


@then(parsers.re(r'a "(?P<rule>[\w.-]+)" (?P<severity>error|warning|info) is reported in "(?P<path>[^"]+)" '
                 r'at line (?P<line>\d+)'))
def then_reported_in_file(run: dict, rule: str, severity: str, path: str, line: str) -> None:
    found = _at(run, rule, path)
    assert any(f.location.line == int(line) and f.severity is Severity.parse(severity) for f in found), [
        (f.location, f.severity, f.message) for f in run["result"].findings if f.rule == rule
    ]


@then(parsers.re(r'the message of "(?P<rule>[\w.-]+)" in "(?P<path>[^"]+)" mentions "(?P<text>[^"]+)"'))
def then_message_in_file(run: dict, rule: str, path: str, text: str) -> None:
    found = _at(run, rule, path)
    assert any(text in f.message for f in found), [f.message for f in found]


@then(parsers.re(r'no "(?P<rule>[\w.-]+)" finding is reported'))
def then_rule_absent(run: dict, rule: str) -> None:
    found = [f for f in run["result"].findings if f.rule == rule]
    assert not found, [(f.location, f.message) for f in found]


@then(parsers.re(r'"(?P<rule>[\w.-]+)" for "(?P<pid>[^"]+)" is not waived'))
def then_not_waived(run: dict, rule: str, pid: str) -> None:
    found = [f for f in run["result"].findings if f.rule == rule and f.product == pid]
    assert found and not any(f.waived for f in found), found


@then(parsers.re(r'"(?P<rule>[\w.-]+)" for "(?P<pid>[^"]+)" is reported as (?P<severity>error|warning|info) '
                 r'in mode (?P<mode>enforce|warn|audit)'))
def then_mode(run: dict, rule: str, pid: str, severity: str, mode: str) -> None:
    found = [f for f in run["result"].findings if f.rule == rule and f.product == pid]
    assert found, [(f.rule, f.product) for f in run["result"].findings]
    assert all(f.severity is Severity.parse(severity) and f.mode == mode for f in found), [
        (f.severity, f.mode) for f in found
    ]
