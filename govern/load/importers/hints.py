"""The fix of a finding in the terms of the format a product was imported from.

A team that runs govern on its dbt project, its ODCS contracts, its ODPS products or its OpenLineage
events fixes problems in those files (or declares once, in govern.yaml, what the format cannot say),
not in a ``dataproduct.yaml`` it never wrote: for the rules whose fix is a field of the manifest, the
help of a finding on an imported product names the key of the source format and the file to edit.
Other rules keep their own help.

``source_fix`` gives that text (``govern_yaml_fix`` adds the govern.yaml key that set a value);
``one_per_problem`` keeps one finding per problem on imported products.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from govern.model.findings import Provenance
from govern.model.product import CONFIG_SOURCE, Product

# "{where}" is replaced by the node or document and its file (Product.source_name), "{domain}" by the
# product's domain (or <domain> when it has none)
DBT_FIXES = {
    "auth.classification-required": "Add `meta: {classification: internal}` (public, internal, confidential or "
        "restricted) under `config:` of {where}, or `+meta: {classification: ...}` for a folder in dbt_project.yml.",
    "complexity.required": "Declare the columns of {where} with their `data_type` (govern infers simple or "
        "complex from them), or add `meta: {complexity: simple}` under its `config:`.",
    "structure.required": "govern infers structure from `materialized` for models and seeds; for {where}, add "
        "`meta: {structure: set}` (lot, set or append) under its `config:`.",
    "format.required": "Add `meta: {format: structured}` under `config:` of {where}.",
    "versioning.required": "Give dbt_project.yml a semantic `version:` (\"1.0.0\"), or add "
        "`meta: {version: 1.0.0}` under `config:` of {where}.",
    "owner.required": "Put {where} in a dbt group (`group:`; the group has an `owner`), or add "
        "`meta: {owner: <org.yaml team id>}` under its `config:`.",
    "auth.prod-deploy-team": "Put {where} in a dbt group whose owner's name is an org.yaml team, or add "
        "`meta: {team: <org.yaml team id>}` under its `config:`.",
    "auth.deploy-own-domain": "Put {where} in a dbt group of its domain's team, or add `meta: {domain: <the "
        "owning team's org.yaml domain>}` under its `config:` (or set `importers.dbt.projectDomain` in govern.yaml).",
    "owner.group-exists": "Add the team to org.yaml (its `name` may be the dbt group owner's name), or add "
        "`meta: {team: <org.yaml team id>}` under `config:` of {where}.",
    "namespace.required": "dbt has no namespace: set `importers.defaults.namespace` in govern.yaml once, or add "
        "`meta: {namespace: prod}` under `config:` of {where}.",
    "documentation.description": "Add a `description:` to {where}.",
    "lineage.job-declared": "Give {where} a `loader:` (govern names the job <loader>:<source>), or add "
        "`meta: {job: <scheduler>:<job id>}`.",
    "lineage.code-declared": "Add `meta: {code: [path/to/query.sql]}` (paths relative to the dbt project) to "
        "{where}: the code that reads its inputs.",
    "auth.domain-read": "{where} reads a model of another domain: if both are of this dbt project, put the "
        "reader in a dbt group (exposures: `meta: {team: <org.yaml team id>}`), or add its owner's e-mail to "
        "the members of an org.yaml team of the model's domain; else ask for `access: public`.",
    "sql.parse-error": "The SQL of {where} does not parse in the dialect of the manifest's adapter "
        "(`metadata.adapter_type`): fix the model's SQL at this line, or run dbt with the adapter the SQL is "
        "written for.",
    "auth.private-read": "{where} reads a private model: dbt allows that only within the model's group; put "
        "the reader in that group, or ask for `access: protected` or `public`.",
}

# What ODCS and ODPS documents share (both Bitol standards; custom fields go in customProperties).
_BITOL_FIXES = {
    "namespace.domain-required": "Add `domain:` to {where} (govern builds the product id <domain>.<name> from it).",
    "namespace.id-format": "Give {where} an `id` of the form <domain>.<name>, or a `domain:` and a `name:` to "
        "build it from, or customProperties `{property: productId, value: <domain>.<name>}`.",
    "namespace.required": "Add customProperties `{property: namespace, value: prod}` to {where}, or declare the "
        "namespace once for domain {domain} in govern.yaml (`importers.domains.{domain}.defaults.namespace`).",
    "namespace.enum": "Map the environment to prod, preprod or test in govern.yaml `importers.namespaces` "
        "(`<environment>: prod`), or add customProperties `{property: namespace, value: prod}` to {where}.",
    "owner.required": "Add `team:` with a `name:` (an org.yaml team id or name) to {where}; a current member whose "
        "`role` is owner and whose `username` is an e-mail address is the owning person.",
    "owner.group-exists": "Add the team named in `team.name` of {where} to org.yaml (`name:` may carry the "
        "document's team name), or use an org.yaml team id as `team.name`.",
    "owner.person-email": "The owner member of `team.members` in {where} is the owning person: give it a "
        "`username` that is an e-mail address.",
    "format.required": "Add customProperties `{property: format, value: structured}` to {where}, or declare it "
        "once for domain {domain} in govern.yaml (`importers.domains.{domain}.defaults.format`).",
    "complexity.required": "Give the schema properties of {where} a `logicalType` (govern infers simple or complex "
        "from them), or add customProperties `{property: complexity, value: simple}`, or declare it once for "
        "domain {domain} in govern.yaml (`importers.domains.{domain}.defaults.complexity`).",
    "structure.required": "ODCS and ODPS have no structure: add customProperties `{property: structure, value: "
        "set}` (lot, set or append) to {where}, or declare it once for domain {domain} in govern.yaml "
        "(`importers.domains.{domain}.defaults.structure`).",
    "lineage.job-declared": "Name the job that builds the data: add customProperties `{property: job, value: "
        "<scheduler>:<job id>}` to {where}, or declare the naming of domain {domain}'s jobs once in govern.yaml "
        "(`importers.domains.{domain}.defaults.execution.job`, e.g. \"airflow:{domain}/{name}\").",
    "lineage.code-declared": "Name the code that builds the data: add customProperties `{property: code, value: "
        "[path/to/build.sql]}` to {where} (paths relative to the document).",
    "auth.classification-required": "Give the schema properties of the port's contract a `classification:` "
        "(govern takes the most sensitive), or add customProperties `{property: classification, value: "
        "internal}` to the schema object or to {where}.",
    "auth.classification-enum": "Use public, internal, confidential or restricted in {where}, or map the value "
        "once in govern.yaml `importers.classifications` (`<value>: restricted`).",
    "lifecycle.state-required": "Add `status:` (proposed, draft, active, deprecated or retired) to {where}.",
    "lifecycle.state-enum": "Use a `status:` govern knows in {where}: proposed, draft, development, active, "
        "deprecated, retired.",
    "lifecycle.deprecation-sunset": "Add customProperties `{property: sunset, value: YYYY-MM-DD}` to {where}.",
    "lifecycle.deprecation-successor": "Add customProperties `{property: replacedBy, value: <product id>}` to "
        "{where}.",
    "documentation.description": "Add `description: {purpose: ...}` to {where}.",
    "documentation.name": "Add `name:` to {where}.",
    "namespace.domain-match": "Make `domain:` of {where} the first segment of its id (`id:`, or customProperties "
        "`{property: productId, value: <domain>.<name>}`).",
    "tombstoning.record-required": "Add customProperties `{property: tombstone, value: {at: YYYY-MM-DD, reason: "
        "<why>}}` to {where}.",
    "versioning.required": "Add a semantic `version:` (1.0.0) to {where}.",
    "versioning.semver": "Write the `version:` of {where} as MAJOR.MINOR.PATCH (1.0.0, no leading v).",
    "auth.prod-deploy-team": "A product in prod is deployed by a team: give {where} a `team:` whose `name:` is an "
        "org.yaml team (ODCS v3.1 `team: {name: ..., members: [...]}`; a v3.0 list of members names no team).",
    "auth.deploy-own-domain": "Name a team of domain {domain} in `team.name` of {where}, or move the document to "
        "the owning team's domain (`domain:`).",
}
ODCS_FIXES = {**_BITOL_FIXES}
ODPS_FIXES = {
    **_BITOL_FIXES,
    "lineage.input-exists": "An input port (or input contract) of {where} names a contract no ODCS contract or "
        "ODPS output port of the mesh offers: add that contract (an ODCS document with this `id`) or the ODPS "
        "product that offers it, or remove the input port.",
    "auth.classification-required": "Add customProperties `{property: classification, value: internal}` to the "
        "output port of {where}, or name an ODCS contract (`contractId`) whose properties are classified.",
    "complexity.required": "Add customProperties `{property: complexity, value: simple}` to {where}, or name ODCS "
        "contracts with typed properties in its output ports, or declare it once for domain {domain} in "
        "govern.yaml (`importers.domains.{domain}.defaults.complexity`).",
}
OPENLINEAGE_FIXES = {
    "owner.required": "Send an `ownership` job facet with the events of {where} (`owners: [{name: "
        "'team:<org.yaml team id>'}]`), or declare the owner once for domain {domain} in govern.yaml "
        "(`importers.domains.{domain}.defaults.owner.group`).",
    "owner.group-exists": "Add the team named by the `ownership` facet of {where} to org.yaml.",
    "namespace.required": "OpenLineage events have no namespace: declare it once for domain {domain} in "
        "govern.yaml (`importers.domains.{domain}.defaults.namespace`).",
    "format.required": "OpenLineage events have no format: declare it once for domain {domain} in govern.yaml "
        "(`importers.domains.{domain}.defaults.format`).",
    "complexity.required": "Send a `schema` dataset facet with typed fields for the outputs of {where}, or "
        "declare it once for domain {domain} in govern.yaml (`importers.domains.{domain}.defaults.complexity`).",
    "structure.required": "OpenLineage events have no structure: declare it once for domain {domain} in govern.yaml "
        "(`importers.domains.{domain}.defaults.structure`).",
    "versioning.required": "OpenLineage events have no product version: declare it once for domain {domain} in "
        "govern.yaml (`importers.domains.{domain}.defaults.version`).",
    "auth.classification-required": "OpenLineage events have no classification: declare the classification of "
        "the datasets {where} writes in govern.yaml (`importers.domains.{domain}.portDefaults.classification`).",
    "documentation.description": "Send a `documentation` job facet with the events of {where}.",
    "lineage.code-declared": "Send a `sourceCodeLocation` job facet with the events of {where} whose `path` "
        "names the job's code in this repository (relative to the mesh root).",
    "lineage.job-declared": "The events of {where} name no job: send `job.namespace` and `job.name`.",
    "lifecycle.state-required": "Declare the lifecycle state of domain {domain}'s jobs in govern.yaml "
        "(`importers.domains.{domain}.defaults.lifecycle.state`).",
}
FIXES = {"dbt": DBT_FIXES, "odcs": ODCS_FIXES, "odps": ODPS_FIXES, "openlineage": OPENLINEAGE_FIXES}


def source_fix(rule: str, product: Product) -> str | None:
    """The fix of ``rule`` on ``product`` in its source format's terms, or None (keep the rule's help)."""
    if not product.source_name:
        return None
    text = product.fixes.get(rule) or FIXES.get(product.origin, {}).get(rule)
    if not text:
        return None
    domain = product.model.domain or "<domain>"
    return text.replace("{where}", product.source_name).replace("{domain}", domain)


def govern_yaml_fix(fix: str | None, provenance: Provenance) -> str:
    """``fix`` for a finding about a value govern.yaml set (importers defaults or overrides): the key that
    set it added, since changing the source alone may not be enough (an override's value stays until a
    value is written in the source)."""
    key = provenance.source.split(" (instead of ", 1)[0].removeprefix(CONFIG_SOURCE)
    note = f"{provenance.field} is set in govern.yaml (`{key}`): change it there, or write it in the source."
    return f"{fix} {note}" if fix else note


def one_per_problem(findings: Iterable[Any], by_id: dict[str, Product]) -> list[Any]:
    """One finding per problem on imported products: a finding that is a consequence of another one
    on the same product goes (an importer built the id from a domain the source lacks:
    namespace.domain-required says it, not namespace.id-format too; a consequence stays when the
    finding it follows from is waived), and so does the second of two identical findings (a dbt model
    reading two tables of one source through an ephemeral model: two inputs at one place)."""
    findings = list(findings)
    present = {(f.product, f.rule) for f in findings if f.product and not f.waived}
    out = []
    seen: set[tuple] = set()
    for f in findings:
        product = by_id.get(f.product) if f.product else None
        if product is None or product.origin == "native":
            out.append(f)
            continue
        cause = product.consequences.get(f.rule)
        if cause is not None and (f.product, cause) in present:
            continue
        key = (f.rule, f.product, f.location.path, f.location.line, f.location.column, f.location.pointer,
               f.message, f.waived)
        if key in seen:
            continue
        seen.add(key)
        out.append(f)
    return out
