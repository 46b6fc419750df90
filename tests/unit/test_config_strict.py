"""Strict configuration with schemas (issue 17, item 5), through the real ``govern`` command.

- ``govern schema --for manifest|config|org|waivers`` prints each JSON Schema; the files ``govern init``
  writes validate against them, and the README's enums are the schema's and are enforced by a rule;
- org.yaml: an unknown key is an error that blocks (it may hold a fact the access policies need);
- waivers.yaml: a waiver with an unknown key does not apply; another top-level key is a warning;
- govern.yaml: an unknown key stops the run (tests/unit/test_cli_everyday.py).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from meshkit import BASE_ORG, MeshDir

from govern.load.schemas import SCHEMAS
from govern.load.yamlio import parse_yaml
from govern.standards.pack import load_pack

GOVERN = Path(sys.executable).parent / "govern"
REPO = Path(__file__).resolve().parents[2]
TODAY = "2026-06-01"


def govern(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(GOVERN), *args], capture_output=True, text=True, cwd=cwd)


def schema_of(kind: str) -> dict[str, Any]:
    proc = govern("schema", "--for", kind)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


# ---------------------------------------------------------------- schemas


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_each_schema_is_a_closed_draft_2020_12_schema(kind: str) -> None:
    schema = schema_of(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    name, _, _ = SCHEMAS[kind]
    assert schema["$id"].endswith("/" + name)
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid({"kind": "DataProduct", "id": "a.b"} if kind == "manifest" else {})
    # an unknown key is marked, as govern reports it
    typo = {"kind": "DataProduct", "id": "a.b", "descripton": "x"} if kind == "manifest" else {"zzqqxx": 1}
    assert not validator.is_valid(typo)


def test_without_for_the_manifest_schema_is_printed() -> None:
    assert json.loads(govern("schema").stdout) == schema_of("manifest")
    assert "--for [manifest|config|org|waivers]" in govern("schema", "--help").stdout


def test_what_init_writes_validates_against_the_schemas_its_modelines_name(tmp_path: Path) -> None:
    assert govern("init", str(tmp_path)).returncode == 0
    files = {"govern.yaml": "config", "org.yaml": "org", "waivers.yaml": "waivers",
             "platform/example/dataproduct.yaml": "manifest"}
    for rel, kind in files.items():
        path = tmp_path / rel
        first = path.read_text(encoding="utf-8").splitlines()[0]
        match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
        assert match, (rel, first)
        schema_path = (path.parent / match.group(1)).resolve()
        assert schema_path == (tmp_path / "schemas" / SCHEMAS[kind][0]).resolve(), rel
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
        assert schema == schema_of(kind), rel  # the schema of the govern that wrote it
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        jsonschema.validate(json.loads(json.dumps(data, default=str)), schema)


def test_the_clean_example_mesh_validates_against_the_manifest_schema() -> None:
    validator = jsonschema.Draft202012Validator(schema_of("manifest"))
    manifests = sorted((REPO / "examples" / "mesh-clean").rglob("dataproduct.yaml"))
    assert len(manifests) >= 25
    for path in manifests:
        data = json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))
        errors = [e.message for e in validator.iter_errors(data)]
        assert errors == [], (path, errors)


# ---------------------------------------------------------------- enums: README, schema, rules


def _readme_enums() -> dict[str, list[str]]:
    """field path ('outputPorts[*].type') -> the values the README's manifest example lists after '#'
    ('# a | b | c' for the key of the line, '# key: a | b | c' for a key of a flow mapping on it)."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("## The product manifest", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    _, smap = parse_yaml(block, "README.md")
    by_line: dict[int, tuple] = {}
    for fpath, line in smap.lines.items():
        if fpath and isinstance(fpath[-1], str) and len(fpath) >= len(by_line.get(line, ())):
            by_line[line] = fpath
    out = {}
    for number, text in enumerate(block.splitlines(), 1):
        comment = re.search(r"#\s*(?:(\w+):\s*)?([a-z]+(?:\s*\|\s*[a-z]+)+)\s*$", text)
        if comment:
            fpath = by_line[number]
            if comment.group(1):
                fpath = (*fpath[:-1], comment.group(1))
            key = ".".join("[*]" if isinstance(p, int) else p for p in fpath).replace(".[*]", "[*]")
            out[key] = [v.strip() for v in comment.group(2).split("|")]
    return out


def _schema_enums(schema: dict[str, Any]) -> dict[str, list[str]]:
    """field path -> enum, for every enum of the schema ($refs followed)."""
    defs = schema.get("$defs", {})
    out: dict[str, list[str]] = {}

    def walk(node: Any, path: str) -> None:
        if "$ref" in node:
            node = defs[node["$ref"].rsplit("/", 1)[1]]
        if "enum" in node:
            out[path] = node["enum"]
        for branch in node.get("anyOf", []):
            walk(branch, path)
        if "items" in node:
            walk(node["items"], path + "[*]")
        for key, sub in node.get("properties", {}).items():
            walk(sub, f"{path}.{key}" if path else key)

    walk(schema, "")
    return out


def _enum_rules(version: str) -> dict[str, list[str]]:
    """given path -> values, for the enum rules in force in ``version``."""
    out = {}
    for sel in load_pack().version(version).rules:
        then = sel.spec.definition.get("then") or {}
        if sel.spec.engine == "yaml" and then.get("function") == "enum":
            out[sel.spec.definition["given"]] = [str(v) for v in then["values"]]
    return out


def test_the_readme_enums_are_the_schema_enums_and_each_is_enforced() -> None:
    readme = _readme_enums()
    schema = _schema_enums(schema_of("manifest"))
    assert "outputPorts[*].type" in readme and "outputPorts[*].columns[*].classification" in readme
    assert readme == schema
    # every enum is enforced by a rule of the newest version, with the same values
    assert _enum_rules("1.1.0") == schema
    # the released 1.0.0 decides as it did: the two new enum rules are only in the draft
    assert set(schema) - set(_enum_rules("1.0.0")) == {"outputPorts[*].type", "outputPorts[*].columns[*].classification"}


def test_a_port_type_outside_the_enum_is_an_error_where_1_1_0_is_pinned(tmp_path: Path) -> None:
    mesh = MeshDir(tmp_path)
    mesh.org(BASE_ORG)
    mesh.product("sales.orders", {"outputPorts": [{"name": "orders", "type": "tabel", "classification": "internal",
                                                   "location": "analytics.sales_prod.orders",
                                                   "columns": [{"name": "id", "type": "string",
                                                                "classification": "secret"}]}]})
    released = govern("check", str(mesh.root), "--today", TODAY)
    assert released.returncode == 0, released.stdout  # 1.0.0 (the default) decides as before
    mesh.write("govern.yaml", "standards:\n  pack: mesh-core\n  version: 1.1.0\n")
    proc = govern("check", str(mesh.root), "--today", TODAY)
    assert proc.returncode == 1
    assert "sales/orders/dataproduct.yaml:25: error   [format.port-type-enum] output port type 'tabel' is not one " \
           "of table, view, file, stream, api" in proc.stdout
    assert "sales/orders/dataproduct.yaml:31: error   [auth.column-classification-enum] column classification " \
           "'secret' is not one of public, internal, confidential, restricted" in proc.stdout
    assert govern("standards", "verify").returncode == 0  # the lock of 1.0.0 is unchanged


# ---------------------------------------------------------------- org.yaml and waivers.yaml


def _mesh(root: Path) -> MeshDir:
    mesh = MeshDir(root)
    mesh.org(BASE_ORG)
    mesh.product("sales.orders")
    return mesh


def test_an_unknown_org_yaml_key_is_an_error_at_its_line(tmp_path: Path) -> None:
    mesh = _mesh(tmp_path)
    org = yaml.safe_dump(BASE_ORG, sort_keys=False).replace("  members:\n  - ana@example.com", "  memebrs:\n  - ana@example.com", 1)
    mesh.write("org.yaml", org)
    proc = govern("check", str(mesh.root), "--today", TODAY)
    assert proc.returncode == 1
    assert "org.yaml:4: error   [input.invalid] unknown field 'teams[0].memebrs' is not part of the model (did you " \
           "mean 'members'?); org.yaml accepts no unknown keys" in proc.stdout
    gate = govern("gate", str(mesh.root), "--today", TODAY)
    assert gate.returncode == 1


def test_a_waiver_with_an_unknown_key_does_not_apply(tmp_path: Path) -> None:
    mesh = _mesh(tmp_path)
    mesh.product("sales.orders", {"owner": {"person": "Ana from sales"}})
    waiver = ("waivers:\n  - rule: owner.person-email\n    product: sales.orders\n    reason: migrating\n"
              "    approved_by: gov@example.com\n    expires: 2026-07-01\n")
    mesh.write("waivers.yaml", waiver)
    assert govern("gate", str(mesh.root), "--today", TODAY).returncode == 0  # the waiver applies
    mesh.write("waivers.yaml", waiver + "    column: email\n")  # meant to narrow it: it must not widen it
    proc = govern("gate", str(mesh.root), "--today", TODAY)
    assert proc.returncode == 1
    assert ("waivers.yaml:2: warning [waiver.invalid] waiver #1 (owner.person-email on sales.orders) does not apply: "
            "unknown field 'column' (a waiver may only name rule, product, reason, approved_by and expires)"
            ) in proc.stdout
    mesh.write("waivers.yaml", waiver.replace("expires:", "expiry:"))
    assert "does not apply: unknown field 'expiry' (did you mean 'expires'?)" in \
        govern("check", str(mesh.root), "--today", TODAY).stdout
    # a top-level key other than 'waivers:' is read by nobody: a warning, the waivers still apply
    mesh.write("waivers.yaml", "owner: governance@example.com\n" + waiver)
    proc = govern("gate", str(mesh.root), "--today", TODAY)
    assert proc.returncode == 0
    assert "waivers.yaml:1: warning [manifest.unknown-field] unknown field 'owner' is not part of the model" \
        in proc.stdout
