"""``govern init``: scaffold a governance repository (no click here; govern/cli/init.py is the command).

Writes govern.yaml (pinned to the shipped standards pack's latest released version, or pointing at a
copy of the pack), org.yaml, waivers.yaml, a pre-commit configuration and a CI workflow. Existing files
are kept unless ``force``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

PACK_COPY_DIR = "standards-pack"

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

PRE_COMMIT = """\
# pre-commit (https://pre-commit.com): `pip install pre-commit && pre-commit install`.
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
      - run: pip install "{distribution}=={version}"
{verify}      - run: govern gate . --format text --format {report}
"""


@dataclass
class Scaffold:
    """What ``init`` wrote and what it left alone."""

    root: Path
    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


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


def init(directory: str | Path, *, copy_pack: bool = False, force: bool = False, pack: str = "mesh-core",
         govern_version: str | None = None) -> Scaffold:
    """Scaffold a governance repository in ``directory`` (created if needed)."""
    from govern.output.render import FORMATS
    from govern.standards.pack import default_pack_root, load_pack

    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    shipped = default_pack_root()
    version = load_pack(None, pack).version(None).version  # the latest released version
    from govern.version import DISTRIBUTION, __version__

    if govern_version is None:
        govern_version = __version__
    report = "sarif=govern.sarif" if "sarif" in FORMATS else "json=govern.json"
    verify = "      - run: govern standards verify --pack standards-pack\n" if copy_pack else ""
    files = {
        "govern.yaml": govern_yaml(pack, version, copy_pack),
        "org.yaml": ORG_YAML,
        "waivers.yaml": WAIVERS_YAML,
        ".pre-commit-config.yaml": PRE_COMMIT.replace("{files}", HOOK_FILES),
        ".github/workflows/govern.yml": WORKFLOW.format(distribution=DISTRIBUTION, version=govern_version,
                                                        verify=verify, report=report),
    }
    out = Scaffold(root)
    for rel, text in files.items():
        target = root / rel
        if target.exists() and not force:
            out.kept.append(rel)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        out.written.append(rel)
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
