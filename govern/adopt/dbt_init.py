"""``govern init --from DBT_PROJECT``: scaffold a governance repository from what a dbt project says.

org.yaml gets one team per dbt group (id from the group name, ``name`` the group owner's name, the
owner's e-mail as a member, the team's own domain); govern.yaml declares, once and visibly, what dbt
cannot say (the namespace of the warehouse, and per domain the descriptive fields no model states or
implies) and how domains are found. Then the project is checked and what is left is listed with its
fix in dbt terms (govern/load/importers/hints.py). No click here.

A bare manifest (a ``manifest.json`` without its project) is adopted in its folder (the parent of
``target/``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from govern.adopt.adoption import (
    Adoption,
    append_domains,
    append_importers,
    finish,
    missing_descriptive,
    scaffold_for_adoption,
    team_id_for,
    teams_from_owners,
    unknown_classifications,
    write_org,
)
from govern.load.importers.common import as_dict, as_text, read_json
from govern.model.errors import ConfigError


def _manifest_of(path: Path) -> tuple[Path, Path]:
    """(project folder, manifest.json) from a dbt project folder or its manifest."""
    if path.is_dir():
        manifest = path / "target" / "manifest.json"
        project = path
        if not (project / "dbt_project.yml").is_file():
            raise ConfigError("not a dbt project: no dbt_project.yml", path=str(project),
                              expected="a dbt project folder or its target/manifest.json")
    else:
        manifest = path
        project = path.parent.parent if path.parent.name == "target" else path.parent
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
        tid = team_id_for(name)
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


def init_from_dbt(path: str | Path, today: Any = None) -> Adoption:
    """Scaffold govern.yaml, org.yaml, waivers.yaml, CI files in the dbt project; list what is left."""
    project, manifest = _manifest_of(Path(path))
    doc = read_json(manifest, str(manifest))  # InputError: the command cannot run (exit 2)
    out = Adoption(root=project, formats={"dbt": 1}, teams=teams_of(doc if isinstance(doc, dict) else {}),
                   manifest=manifest)
    done = scaffold_for_adoption(project)
    out.written, out.kept = list(done.written), list(done.kept)
    from govern.load.loader import load_mesh

    def load() -> Any:
        return load_mesh([manifest], root=project, formats={manifest: "dbt"})

    if "org.yaml" in done.written:
        # teams of the groups, then the teams meta.owner / meta.team name that no group is
        known = {t["id"] for t in out.teams} | {team_id_for(t["name"]) for t in out.teams}
        out.teams = sorted(out.teams + [t for t in teams_from_owners(load()) if t["id"] not in known],
                           key=lambda t: t["id"])
        write_org(project / "org.yaml", out.teams, "dbt project's groups and owners")
    if "govern.yaml" in done.written:
        with (project / "govern.yaml").open("a", encoding="utf-8") as fh:
            fh.write(IMPORTERS_YAML)
        out.classifications = unknown_classifications(load())
        append_importers(project / "govern.yaml", namespaces={}, classifications=out.classifications)
        mesh = load()
        out.domain_defaults = missing_descriptive(mesh)
        if out.domain_defaults:
            append_domains(project / "govern.yaml", out.domain_defaults)
    finish(out, today)
    return out


