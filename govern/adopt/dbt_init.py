"""``govern init --from DBT_PROJECT``: scaffold a governance repository from what a dbt project says.

org.yaml gets one team per dbt group (id from the group name, ``name`` the group owner's name, the
owner's e-mail as a member, the team's own domain); govern.yaml declares, once and visibly, what dbt
cannot say (the namespace) and how domains are found. Then the project is checked and what is left
is listed with its fix in dbt terms (govern/load/importers/hints.py). No click here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from govern.load.importers.common import as_dict, as_text, read_json
from govern.model.errors import ConfigError
from govern.model.findings import Severity


@dataclass
class DbtInit:
    """What ``init_from_dbt`` found and wrote."""

    project: Path
    teams: list[dict[str, Any]] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)  # "<product>: [rule] fix", errors only


def _manifest_of(path: Path) -> tuple[Path, Path]:
    """(project folder, manifest.json) from a dbt project folder or its manifest."""
    if path.is_dir():
        manifest = path / "target" / "manifest.json"
        project = path
    else:
        manifest = path
        project = path.parent.parent if path.parent.name == "target" else path.parent
    if not (project / "dbt_project.yml").is_file():
        raise ConfigError("not a dbt project: no dbt_project.yml", path=str(project),
                          expected="a dbt project folder or its target/manifest.json")
    if not manifest.is_file():
        raise ConfigError("no manifest.json: run 'dbt parse' (or 'dbt compile') first", path=str(manifest))
    return project, manifest


def teams_of(doc: dict) -> list[dict[str, Any]]:
    """One org.yaml team per dbt group, sorted by id."""
    teams = []
    for group in as_dict(doc.get("groups")).values():
        name = as_text(as_dict(group).get("name"))
        if not name:
            continue
        owner = as_dict(group.get("owner"))
        tid = name.strip().lower().replace("_", "-").replace(" ", "-")
        team: dict[str, Any] = {"id": tid, "name": as_text(owner.get("name")) or name, "domain": tid}
        if as_text(owner.get("email")):
            team["members"] = [owner["email"]]
        teams.append(team)
    return sorted(teams, key=lambda t: t["id"])


IMPORTERS_YAML = (
    "# What dbt cannot say, declared once here (visible in review):\n"
    "importers:\n"
    "  defaults: {namespace: prod}      # the warehouse this project builds (prod, preprod or test)\n"
    "  dbt:\n"
    "    domain: [meta, group, project]  # meta.domain, else the group's team's domain, else projectDomain\n"
    "    # projectDomain: <domain>        # for models in no group (default: the dbt project name)\n"
)


def init_from_dbt(path: str | Path, today: Any = None) -> DbtInit:
    """Scaffold govern.yaml, org.yaml, waivers.yaml, CI files in the dbt project; list what is left."""
    from govern.adopt.scaffold import init as scaffold
    from govern.api import check

    project, manifest = _manifest_of(Path(path))
    doc = read_json(manifest, str(manifest))  # InputError: the command cannot run (exit 2)
    out = DbtInit(project=project, teams=teams_of(doc if isinstance(doc, dict) else {}))
    done = scaffold(project, example=False)  # a dbt project's products are its models
    out.written, out.kept = list(done.written), list(done.kept)
    if "org.yaml" in done.written:
        text = "# Teams from the dbt project's groups (govern init --from); add members and domains as needed.\n"
        (project / "org.yaml").write_text(text + yaml.safe_dump({"teams": out.teams}, sort_keys=False),
                                          encoding="utf-8")
    if "govern.yaml" in done.written:
        with (project / "govern.yaml").open("a", encoding="utf-8") as fh:
            fh.write(IMPORTERS_YAML)
    result = check([str(manifest)], root=str(project), today=today, formats={str(manifest): "dbt"})
    for f in result.findings:
        if f.severity == Severity.ERROR and not f.waived:
            line = f"{f.product or f.location.path}: [{f.rule}] {f.help or f.message}"
            if line not in out.left:
                out.left.append(line)
    return out
