"""What ``govern init --from`` shares across formats (govern/adopt/init_from.py, govern/adopt/dbt_init.py):
the result, the org.yaml teams from the owners found, the govern.yaml importers section (environment
→ namespace, classifications outside the scheme, per-domain defaults for the descriptive fields a
format cannot say), and the check that lists what is left. No click here.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from govern.model.findings import Severity

# environment names → namespace (compared lowercase); anything else is left for the team to map
ENVIRONMENTS = {
    "prod": ("prod", "production", "prd", "live"),
    "preprod": ("preprod", "pre-prod", "pre_prod", "staging", "stage", "stg", "uat", "qa", "acceptance",
                "acc", "integration"),
    "test": ("test", "testing", "tst", "dev", "development", "develop", "sandbox", "sbx", "local", "ci"),
}
# what init may declare for a domain, and the value it declares (the team reviews it in govern.yaml);
# owners, classifications, jobs and code are never defaulted
DESCRIPTIVE = {"namespace": "prod", "format": "structured", "complexity": "simple", "structure": "set",
               "version": "1.0.0"}
# the formats whose documents carry a version of their own (a missing one is the document's to fix)
VERSIONED = ("odcs", "odps")


@dataclass
class Adoption:
    """What ``init_from`` found and wrote."""

    root: Path
    formats: dict[str, int] = field(default_factory=dict)  # format → input files
    teams: list[dict[str, Any]] = field(default_factory=list)
    namespaces: dict[str, str | None] = field(default_factory=dict)  # environment → namespace (None: unknown)
    classifications: dict[str, str] = field(default_factory=dict)  # value outside the scheme → restricted
    domain_defaults: dict[str, dict[str, Any]] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)  # "<product>: [rule] fix", errors only
    checked: int = 0  # products checked after init
    passing: int = 0  # of them, products without an unwaived error
    manifest: Path | None = None  # a dbt project: its manifest (checked with --dbt)


def namespace_for(environment: str) -> str | None:
    """The namespace an environment name stands for, or None when govern does not recognise it."""
    low = environment.strip().lower()
    for namespace, names in ENVIRONMENTS.items():
        if low in names:
            return namespace
    return None


def team_id_for(name: str) -> str:
    """An org.yaml team id from a team's name: ``Data Team`` → ``data-team``, ``sales_data`` → ``sales-data``."""
    return re.sub(r"[^a-z0-9]+", "-", name.strip().lower()).strip("-") or "team"


def scaffold_for_adoption(root: Path) -> Any:
    """The governance files of govern/adopt/scaffold.py, without anything of its own to govern."""
    from govern.adopt.scaffold import init as scaffold

    return scaffold(root, example=False)  # the products are what the source says, no example of ours


def finish(out: Adoption, today: Any) -> None:
    """Check the adopted folder and list its errors with their fix (in the source's terms)."""
    from govern.api import check

    if out.manifest is not None:  # the project folder (events, contracts next to it) and its manifest
        result = check([str(out.root), str(out.manifest)], root=str(out.root), today=today,
                       formats={str(out.manifest): "dbt"})
    else:
        result = check([str(out.root)], root=str(out.root), today=today)
    failing = set()
    for f in result.findings:
        if f.severity == Severity.ERROR and not f.waived:
            failing.add(f.product)
            line = f"{f.product or f.location.path}: [{f.rule}] {f.help or f.message}"
            if f.rule in ("input.invalid", "manifest.invalid"):
                line = f"{f.product or f.location.path}: [{f.rule}] {f.location.path}: {f.message}"
            if line not in out.left:
                out.left.append(line)
    out.checked = len(result.products)
    out.passing = len([p for p in result.products if p not in failing])


def teams_from_owners(mesh: Any) -> list[dict[str, Any]]:
    """One org.yaml team per owning group the imported products name, sorted by id: its display name as
    the source wrote it, the owners' e-mail addresses as members, the domain most of its products have."""
    from govern.load.importers.common import is_email

    groups: dict[str, dict[str, Any]] = {}
    for product in sorted(mesh.products, key=lambda p: p.id):
        owner = product.model.owner
        if owner is None or not owner.group:
            continue
        entry = groups.setdefault(owner.group, {"domains": Counter(), "members": set()})
        if product.model.domain:
            entry["domains"][product.model.domain] += 1
        if owner.person and is_email(owner.person):
            entry["members"].add(owner.person)
    teams: dict[str, dict[str, Any]] = {}
    for name, entry in sorted(groups.items()):
        tid = team_id_for(name)
        team = teams.setdefault(tid, {"id": tid, "name": name})
        if entry["domains"]:
            team.setdefault("domain", sorted(entry["domains"].items(), key=lambda kv: (-kv[1], kv[0]))[0][0])
        members = sorted(set(team.get("members", [])) | entry["members"])
        if members:
            team["members"] = members
    return [teams[k] for k in sorted(teams)]


def write_org(path: Path, teams: list[dict[str, Any]], what: str) -> None:
    text = (f"# Teams from the {what} (govern init --from); add members and domains as needed.\n"
            "# A product's owner must be one of these teams (its id, or its name as the source writes it).\n")
    path.write_text(text + yaml.safe_dump({"teams": teams}, sort_keys=False, allow_unicode=True), encoding="utf-8")


def missing_descriptive(mesh: Any) -> dict[str, dict[str, Any]]:
    """Per domain, the descriptive fields (namespace, format, complexity, structure, version) that a
    product of the domain lacks after import and inference, with the value init declares. Products of
    no domain (the source does not say one: namespace.domain-required) are keyed by their format,
    prefixed ``@`` (written under ``importers.<format>.defaults``)."""
    out: dict[str, dict[str, Any]] = {}
    for product in sorted(mesh.products, key=lambda p: p.id):
        if product.origin == "native":
            continue
        key_of = product.model.domain or f"@{product.origin}"
        for key, value in DESCRIPTIVE.items():
            if key == "version" and product.origin in VERSIONED:
                continue
            if getattr(product.model, key) is None:
                out.setdefault(key_of, {})[key] = value
    return {d: dict(sorted(v.items())) for d, v in sorted(out.items())}


IMPORTERS_HEADER = ["", "# What the inputs cannot say, declared once here (govern init --from; review it):",
                    "importers:"]


def has_importers(path: Path) -> bool:
    return any(line.rstrip() == "importers:" for line in path.read_text(encoding="utf-8").splitlines())


def unknown_classifications(mesh: Any) -> dict[str, str]:
    """Classification values of imported ports and columns outside the scheme, each mapped to restricted:
    the strictest, which is how the access policies treat a value they do not know anyway."""
    from govern.model.product import CLASSIFICATIONS

    found: set[str] = set()
    for product in mesh.products:
        if product.origin == "native":
            continue
        for port in product.model.outputPorts:
            values = [port.classification, *(c.classification for c in port.columns)]
            found.update(v for v in values if isinstance(v, str) and v not in CLASSIFICATIONS)
    return {value: "restricted" for value in sorted(found)}


def append_importers(path: Path, namespaces: dict[str, str | None], classifications: dict[str, str]) -> None:
    if not namespaces and not classifications:
        return
    lines = [] if has_importers(path) else list(IMPORTERS_HEADER)
    if classifications:
        lines.append("  classifications:   # values the sources use outside the scheme: restricted (the strictest)")
        lines.append("                     # until you choose (public, internal, confidential or restricted)")
        for value, mapped in classifications.items():
            key = yaml.safe_dump(value).strip().removesuffix("...").strip()
            lines.append(f"    {key}: {mapped}")
    if namespaces:
        lines.append("  namespaces:   # the namespace each server environment of the contracts stands for")
        for env, namespace in namespaces.items():
            key = yaml.safe_dump(env, default_style=None).strip().removesuffix("...").strip()
            if namespace:
                lines.append(f"    {key}: {namespace}")
            else:
                lines.append(f"    # {key}: prod   # not recognised by govern init: map it to prod, preprod or test")
    with path.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


def append_domains(path: Path, domains: dict[str, dict[str, Any]]) -> None:
    named = {d: {"defaults": v} for d, v in domains.items() if not d.startswith("@")}
    formats = {d[1:]: {"defaults": v} for d, v in domains.items() if d.startswith("@")}
    body = yaml.safe_dump({"domains": named} if named else {}, sort_keys=True, allow_unicode=True,
                          default_flow_style=None) if named else ""
    if formats:
        body += "# the same for products of no domain yet (their documents say none):\n"
        body += yaml.safe_dump(formats, sort_keys=True, allow_unicode=True, default_flow_style=None)
    lines = [] if has_importers(path) else list(IMPORTERS_HEADER)
    lines += ["  # Per domain, what the sources cannot say about their products (chosen by govern init --from:",
             "  # namespace prod, format structured, complexity simple, structure set, version 1.0.0; a value",
             "  # written in a source wins). Review each: structure is lot, set or append; complexity simple",
             "  # or complex; namespace prod, preprod or test."]
    lines += ["  " + line for line in body.rstrip().splitlines()]
    with path.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
