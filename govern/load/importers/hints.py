"""The fix of a finding in the terms of the format a product was imported from.

A team that runs govern on its dbt project (or its ODPS documents) fixes problems in its dbt files (or
its ODPS document), not in a ``dataproduct.yaml`` it never wrote: for the rules whose fix is a field of
the manifest, the help of a finding on an imported product names the key to set and the file to edit.
Other rules keep their own help.
"""

from __future__ import annotations

from govern.model.product import Product

# "{where}" is replaced by the dbt node and its YAML file (Product.source_name)
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
}


def _odps_property(name: str, value: str) -> str:
    return f"`{{property: {name}, value: {value}}}`"


# "{where}" is replaced by the ODPS document (Product.source_name); ODPS v1.0 has no place for the
# global standards, so they are custom properties (govern/load/importers/bitol.py CUSTOM_PROPERTIES)
ODPS_FIXES = {
    "namespace.required": "ODPS has no namespace: add " + _odps_property("namespace", "prod") + " to "
        "`customProperties` of {where}, or set `importers.defaults.namespace` in govern.yaml once.",
    "namespace.domain-required": "Add `domain:` to {where} (the first segment of the product id).",
    "namespace.domain-match": "Make `domain:` of {where} the first segment of its id (`id:`, or the "
        "`productId` custom property).",
    "format.required": "Add " + _odps_property("format", "structured") + " (or unstructured) to "
        "`customProperties` of {where}.",
    "complexity.required": "Add " + _odps_property("complexity", "simple") + " (or complex) to "
        "`customProperties` of {where}.",
    "structure.required": "Add " + _odps_property("structure", "set") + " (lot, set or append) to "
        "`customProperties` of {where}.",
    "owner.required": "Give {where} a `team:` whose `name` is an org.yaml team, or a team member with "
        "`role: owner` and an e-mail address as `username`.",
    "owner.person-email": "The owner is the `username` of the `team.members` entry with `role: owner` in "
        "{where}: make it an e-mail address.",
    "owner.group-exists": "Make `team.name` of {where} a team id of org.yaml, or add the team to org.yaml.",
    "auth.classification-required": "Add " + _odps_property("classification", "internal") + " (public, "
        "internal, confidential or restricted) to `customProperties` of the output port in {where}, or of "
        "the product for all its ports, or classify the schema of the port's contract (`contractId`).",
    "auth.prod-deploy-team": "Give {where} a `team:` whose `name` is an org.yaml team.",
    "lifecycle.state-required": "Add `status:` (proposed, draft, active, deprecated or retired) to {where}.",
    "lifecycle.deprecation-sunset": "Add " + _odps_property("sunset", "YYYY-MM-DD") + " to `customProperties` "
        "of {where}.",
    "lifecycle.deprecation-successor": "Add " + _odps_property("replacedBy", "<product id>") + " or "
        + _odps_property("deprecationReason", "<why>") + " to `customProperties` of {where}.",
    "tombstoning.record-required": "Add " + _odps_property("tombstone", "{at: YYYY-MM-DD, reason: <why>}")
        + " to `customProperties` of {where}.",
    "lineage.input-exists": "Each `inputPorts[].contractId` of {where} names the `contractId` of an output "
        "port of another product (or a data contract) of the mesh: fix the id, or remove the input port.",
    "lineage.job-declared": "Add " + _odps_property("job", "<scheduler>:<job id>") + " to `customProperties` "
        "of {where}.",
    "lineage.code-declared": "Add " + _odps_property("code", "[<file>.sql]") + " (SQL files next to the "
        "document) to `customProperties` of {where}.",
    "versioning.required": "Add `version:` (semantic, 1.0.0) to {where}.",
    "versioning.semver": "Write `version:` of {where} as MAJOR.MINOR.PATCH, for example 1.0.0.",
    "documentation.description": "Add `description: {purpose: ...}` to {where}.",
    "documentation.name": "Add `name:` to {where}.",
}

_FIXES = {"dbt": DBT_FIXES, "odps": ODPS_FIXES}


def source_name(origin: str, document: str) -> str:
    """How a finding's fix names a product imported from ``document`` (its path in the mesh)."""
    return f"the ODPS data product {document}" if origin == "odps" else document


def source_fix(rule: str, product: Product) -> str | None:
    """The fix of ``rule`` on ``product`` in its source format's terms, or None (keep the rule's help)."""
    fixes = _FIXES.get(product.origin)
    if fixes is None or not product.source_name:
        return None
    text = fixes.get(rule)
    return text.replace("{where}", product.source_name) if text else None
