"""``govern init --from PATH``: adopt what a team already has, in any format govern reads.

PATH is a dbt project (or its ``target/manifest.json``), a folder of ODCS contracts and/or ODPS
products, or an OpenLineage events file (or a folder of them). In the folder (the dbt project's, the
documents' or the events file's) it scaffolds the governance files (govern/adopt/scaffold.py), then:

- ``org.yaml``: one team per owner the inputs name (dbt groups, ODCS / ODPS ``team``, OpenLineage
  ``ownership`` facets ``team:x``), with the owners' e-mail addresses as members and the domain of
  the products they own;
- ``govern.yaml`` ``importers:``, declared once and visible in review: the namespace of each server
  environment the contracts use (``importers.namespaces``: production → prod, staging → preprod,
  dev → test; a name govern does not recognise is left for the team to map), and per domain the
  descriptive fields the format cannot say (``importers.domains.<domain>.defaults``: namespace,
  format, complexity, structure, version) where a product of the domain lacks them. Owners,
  classifications, jobs and code are never defaulted: they are the team's to say, in its files;
- then the folder is checked, and what is left is listed with its fix in the source's terms
  (govern/load/importers/hints.py).

No click here (govern/cli/init.py prints the result).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from govern.adopt.adoption import (
    Adoption,
    append_domains,
    append_importers,
    finish,
    missing_descriptive,
    namespace_for,
    scaffold_for_adoption,
    teams_from_owners,
    unknown_classifications,
    write_org,
)
from govern.adopt.dbt_init import init_from_dbt
from govern.model.errors import ConfigError


def init_from(path: str | Path, today: Any = None) -> Adoption:
    """Scaffold a governance repository from what PATH holds; check it; list what is left."""
    source = Path(path)
    if not source.exists():
        raise ConfigError("does not exist", path=str(source))
    if _is_dbt(source):
        return init_from_dbt(source, today=today)
    root = source if source.is_dir() else source.parent
    inputs = _inputs(source, root)
    if not inputs:
        raise ConfigError("no dbt project, ODCS contract, ODPS product or OpenLineage events found", path=str(source),
                          expected="a dbt project (or its target/manifest.json), a folder of *.odcs.yaml / "
                                   "*.odps.yaml documents, or an OpenLineage events file")
    out = Adoption(root=root, formats=dict(sorted(Counter(inputs.values()).items())))
    done = scaffold_for_adoption(root)
    out.written, out.kept = list(done.written), list(done.kept)
    out.namespaces = _environments(inputs)
    mesh = _load(root)
    out.classifications = unknown_classifications(mesh)
    if "govern.yaml" in done.written:
        append_importers(root / "govern.yaml", namespaces=out.namespaces, classifications=out.classifications)
        mesh = _load(root)
    out.teams = teams_from_owners(mesh)
    if "org.yaml" in done.written:
        write_org(root / "org.yaml", out.teams, "owners the documents and events name")
    if "govern.yaml" in done.written:
        mesh = _load(root)  # owners now resolve to the org.yaml teams
        out.domain_defaults = missing_descriptive(mesh)
        if out.domain_defaults:
            append_domains(root / "govern.yaml", out.domain_defaults)
    finish(out, today)
    return out


def _is_dbt(source: Path) -> bool:
    if source.is_dir():
        return (source / "dbt_project.yml").is_file()
    from govern.load.importers import detect

    return detect(source) == "dbt"


def _inputs(source: Path, root: Path) -> dict[Path, str]:
    from govern.load.importers import find_inputs

    return {p: fmt for p, fmt in find_inputs([source], root, []).items() if fmt in ("odcs", "odps", "openlineage")}


def _load(root: Path) -> Any:
    from govern.load.loader import load_mesh

    return load_mesh([root], root=root)


def _environments(inputs: dict[Path, str]) -> dict[str, str | None]:
    """Every server environment the ODCS contracts name, with the namespace it stands for (or None)."""
    from govern.load.yamlio import read_yaml_file
    from govern.model.errors import GovernError

    found: dict[str, str | None] = {}
    for path, fmt in sorted(inputs.items()):
        if fmt != "odcs":
            continue
        try:
            data = read_yaml_file(path, path.name)[0]
        except GovernError:
            continue  # the check reports it
        for server in data.get("servers") or [] if isinstance(data, dict) else []:
            env = server.get("environment") if isinstance(server, dict) else None
            if isinstance(env, str) and env.strip() and env not in found:
                found[env] = namespace_for(env)
    return dict(sorted(found.items(), key=lambda kv: kv[0].lower()))


