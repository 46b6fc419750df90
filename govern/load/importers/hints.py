"""The fix of a finding in the terms of the format a product was imported from.

A team that runs govern on its dbt project fixes problems in its dbt files, not in a ``dataproduct.yaml``
it never wrote: for the rules whose fix is a field of the manifest, the help of a finding on an
imported product names the dbt key and the file to edit. Other rules keep their own help.
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


def source_fix(rule: str, product: Product) -> str | None:
    """The fix of ``rule`` on ``product`` in its source format's terms, or None (keep the rule's help)."""
    if product.origin != "dbt" or not product.source_name:
        return None
    text = DBT_FIXES.get(rule)
    return text.replace("{where}", product.source_name) if text else None
