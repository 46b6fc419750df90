"""``govern init``: scaffold a governance repository (no click here; govern/cli/init.py is the command).

Writes govern.yaml (pinned to the shipped standards pack's latest released version, or pointing at a
copy of the pack), org.yaml, waivers.yaml, an example product that passes every rule, the JSON Schemas
of these files (schemas/, named by a ``yaml-language-server`` modeline in each, so editors complete and
check them), a pre-commit configuration and a CI workflow that install the same ``govern-mesh``
version, and a .gitignore for govern's cache and history. Existing files are kept unless ``force``
(a .gitignore gets the missing lines appended instead).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

PACK_COPY_DIR = "standards-pack"

SCHEMA_DIR = "schemas"
EXAMPLE_DIR = "platform/example"
# govern's mesh index cache (govern/incremental) and its history database (govern.yaml 'history:' default)
GITIGNORE_LINES = (".govern-cache/", ".govern/")

ORG_YAML = """\
# The teams of the organisation: the owners of data products and the principals of the access
# policies. A product's owner.group must be one of these ids.
teams:
  - id: data-platform
    name: Data platform team
    domain: platform
    members: [platform@example.com]
"""

WAIVERS_YAML = """\
# Time-boxed exceptions to a rule for one product. A waiver needs a reason, an approver and an
# expiry date (at most waiverMaxDays ahead, 180 by default); expired waivers stop applying.
waivers: []
#  - rule: lineage.job-declared
#    product: platform.example
#    reason: The scheduler migration lands in Q3
#    approved_by: governance@example.com
#    expires: 2026-09-30
"""

# The files the govern-check hook runs on: every input govern reads in a mesh (native manifests,
# the mesh files, SQL, ODCS/ODPS contracts, OpenLineage event logs, a dbt target/manifest.json).
# The one source of the pattern: .pre-commit-hooks.yaml and docs/readme-ci.md carry the same text
# (tests/unit/test_cli_everyday.py compares them).
HOOK_FILES = (r"(^|/)(dataproduct\.ya?ml|org\.yaml|waivers\.yaml|govern\.yaml|manifest\.json)$"
              r"|\.(sql|ndjson|jsonl)$|\.od[cp]s\.(ya?ml|json)$")

EXAMPLE_PRODUCT = """\
# An example data product: it passes every rule of the standards in force ('govern check' exits 0).
# Copy it for a product of your own (one folder per product), then delete it.
# Fields: 'govern schema --for manifest'; the rules: 'govern rules', 'govern explain RULE'.
kind: DataProduct
id: platform.example              # <domain>.<name>; lowercase [a-z0-9_] segments; unique in the mesh
name: Example
description: An example product that passes every rule; copy it to start one of your own
domain: platform                  # the id's prefix, and the domain of the owning team in org.yaml
version: 1.0.0                    # semver: bump major for a breaking change of a port
namespace: prod                   # prod | preprod | test
owner:
  group: data-platform            # a team of org.yaml
  person: platform@example.com
format: structured                # structured | unstructured
complexity: simple                # simple | complex
structure: append                 # lot | set | append
lifecycle:
  state: active                   # init | active | deprecated | retired | tombstoned
  events:
    - {state: init, at: 2025-01-06}
    - {state: active, at: 2025-02-03}
execution:
  job: airflow:platform/example_daily   # the scheduler job that builds it
  # code: [example.sql]                 # its SQL files, relative to this file: govern reads the lineage
outputPorts:
  - name: example
    type: table                   # table | view | file | stream | api
    location: analytics.platform_prod.example   # the table name SQL of other products uses
    classification: internal      # public | internal | confidential | restricted
    columns:
      - {name: id, type: string}
access:
  visibility: mesh                # mesh | domain | private
"""

PRE_COMMIT = """\
# pre-commit (https://pre-commit.com). The hook runs the govern installed next to pre-commit:
#   {install} pre-commit && pre-commit install
# govern check gets the staged files and reports on the products they affect.
repos:
  - repo: local
    hooks:
      - id: govern-check
        name: govern check (data product standards)
        entry: govern check
        language: system
        files: {files}
        pass_filenames: true
        require_serial: true
"""

WORKFLOW = """\
# Runs the deployment gate on every pull request and push: blocked (exit 1) when an unwaived error
# of an enforced rule exists, undecided (exit 2) when govern could not run.
name: govern
on:
  pull_request:
  push:
    branches: [main]
jobs:
  gate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - run: {install}
{verify}      - run: govern gate . --format text --format {report}
"""


@dataclass
class Scaffold:
    """What ``init`` wrote and what it left alone."""

    root: Path
    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)  # existing files govern added lines to (.gitignore)


def govern_yaml(pack: str, version: str, copied: bool) -> str:
    where = f"  path: {PACK_COPY_DIR}        # a copy of the pack, reviewed in this repository\n" if copied else ""
    return (
        "# govern configuration: the standards in force for this mesh.\n"
        "standards:\n"
        f"  pack: {pack}\n"
        f"  version: {version}        # pinned: move to a new version deliberately (govern standards list)\n"
        f"{where}"
        "# dialect: snowflake        # default sqlglot dialect of the SQL files\n"
        "exclude: []                 # glob patterns of paths not to scan\n"
        "# Other formats (dbt manifest.json, ODCS, ODPS, OpenLineage) are detected by content; fields\n"
        "# they have no place for can be defaulted here (see the importers section of the README):\n"
        "# importers:\n"
        "#   defaults: {namespace: prod, format: structured, complexity: simple, structure: set}\n"
    )


def install_line(govern_version: str | None = None) -> str:
    """The pip command that installs this govern (the distribution name, pinned): what CI and pre-commit run."""
    from govern.version import DISTRIBUTION, __version__

    return f'pip install "{DISTRIBUTION}=={govern_version or __version__}"'


def _with_schema(kind: str, text: str, depth: int = 0) -> str:
    """``text`` headed by the modeline naming the schema of ``kind`` in schemas/ (``depth`` folders below)."""
    from govern.load.schemas import SCHEMAS, modeline

    return modeline("../" * depth + f"{SCHEMA_DIR}/{SCHEMAS[kind][0]}") + text


def schema_files() -> dict[str, str]:
    """schemas/<name>.schema.json for the manifest, govern.yaml, org.yaml and waivers.yaml."""
    import json

    from govern.load.schemas import SCHEMAS, json_schema

    return {f"{SCHEMA_DIR}/{name}": json.dumps(json_schema(kind), indent=2, sort_keys=True) + "\n"
            for kind, (name, _, _) in SCHEMAS.items()}


def _gitignore(root: Path, out: Scaffold) -> None:
    """Ignore govern's cache and history: create .gitignore, or append the lines it lacks."""
    target = root / ".gitignore"
    text = target.read_text(encoding="utf-8") if target.is_file() else ""
    have = {line.strip() for line in text.splitlines()}
    missing = [line for line in GITIGNORE_LINES if line not in have and line.rstrip("/") not in have]
    if not missing:
        out.kept.append(".gitignore")
        return
    block = "# govern: the mesh index cache and the history of runs (govern init)\n" + "".join(
        f"{line}\n" for line in missing)
    with target.open("a", encoding="utf-8") as fh:
        fh.write(("\n" if text and not text.endswith("\n") else "") + ("\n" if text else "") + block)
    (out.updated if text else out.written).append(".gitignore")


def init(directory: str | Path, *, copy_pack: bool = False, force: bool = False, pack: str = "mesh-core",
         govern_version: str | None = None, example: bool = True) -> Scaffold:
    """Scaffold a governance repository in ``directory`` (created if needed); ``example``: with the
    example product (platform/example), which passes every rule."""
    from govern.output.render import FORMATS
    from govern.standards.pack import default_pack_root, load_pack

    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    shipped = default_pack_root()
    version = load_pack(None, pack).version(None).version  # the latest released version
    install = install_line(govern_version)
    report = "sarif=govern.sarif" if "sarif" in FORMATS else "json=govern.json"
    verify = "      - run: govern standards verify --pack standards-pack\n" if copy_pack else ""
    files = {
        "govern.yaml": _with_schema("config", govern_yaml(pack, version, copy_pack)),
        "org.yaml": _with_schema("org", ORG_YAML),
        "waivers.yaml": _with_schema("waivers", WAIVERS_YAML),
        **schema_files(),
        ".pre-commit-config.yaml": PRE_COMMIT.replace("{files}", HOOK_FILES).replace("{install}", install),
        ".github/workflows/govern.yml": WORKFLOW.format(install=install, verify=verify, report=report),
    }
    if example:
        files[f"{EXAMPLE_DIR}/dataproduct.yaml"] = _with_schema("manifest", EXAMPLE_PRODUCT,
                                                                EXAMPLE_DIR.count("/") + 1)
    out = Scaffold(root)
    for rel, text in files.items():
        target = root / rel
        if target.exists() and not force:
            out.kept.append(rel)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        out.written.append(rel)
    _gitignore(root, out)
    if copy_pack:
        dest = root / PACK_COPY_DIR
        for part in ("rules", "standards"):
            src, dst = shipped / part, dest / part
            if dst.exists() and not force:
                out.kept.append(f"{PACK_COPY_DIR}/{part}/")
                continue
            if dst.exists():
                shutil.rmtree(dst)
            shutil.copytree(src, dst)
            out.written.append(f"{PACK_COPY_DIR}/{part}/")
    return out
