"""SARIF 2.1.0 output, for GitHub code scanning, GitLab and any SARIF viewer.

- ``tool.driver.rules``: every rule in force (and every rule a finding names), with its description,
  help, default level (after the enforcement mode) and its standard as a tag;
- ``results``: one per finding, ``ruleId``/``ruleIndex``, level, message, a location with a path
  relative to the repository (``uriBaseId: %SRCROOT%``; the mesh root's place in the git work tree is
  prefixed so code scanning finds the file) and the line, ``partialFingerprints`` from the finding's
  fingerprint; waived findings carry a ``suppressions`` entry with the waiver;
- byte-deterministic: no timestamps, no absolute paths, sorted keys.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from govern.output.render import provenance_note

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
FINGERPRINT_KEY = "govern/v2"


def _level_for(spec: Any, mode: str) -> str:
    severity = str(spec.severity)
    if mode == "audit":
        return "note"
    if mode == "warn" and severity == "error":
        return "warning"
    return LEVELS[severity]


def _uri(path: str, prefix: str) -> str:
    return quote(prefix + path, safe="/-_.~")


def short(text: str, limit: int = 140) -> str:
    """The first sentence of ``text``, at most ``limit`` characters (cut at a word)."""
    first = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]
    if len(first) <= limit:
        return first
    return first[: first.rfind(" ", 0, limit - 1)].rstrip(",;: ") + "…"


def _rule_descriptor(spec: Any, mode: str | None) -> dict[str, Any]:
    description = spec.description or spec.message
    full = f"{description} (standard: {spec.standard}; engine: {spec.engine}"
    full += f"; mode: {mode})" if mode else ")"
    descriptor: dict[str, Any] = {
        "id": spec.id,
        "name": spec.id,
        "shortDescription": {"text": short(description)},
        "fullDescription": {"text": full},
        "help": {"text": spec.help or description},
        "defaultConfiguration": {"level": _level_for(spec, mode or "enforce"), "enabled": True},
        "properties": {"tags": [spec.standard], "standard": spec.standard, "engine": spec.engine},
    }
    if mode:
        descriptor["properties"]["mode"] = mode
    return descriptor


def _fallback_descriptor(finding: Any) -> dict[str, Any]:
    return {
        "id": finding.rule,
        "name": finding.rule,
        "shortDescription": {"text": finding.rule},
        "defaultConfiguration": {"level": LEVELS[str(finding.severity)]},
        "properties": {"tags": [finding.standard], "standard": finding.standard, "engine": finding.engine},
    }


def build(result: Any, uri_prefix: str | None = None) -> dict[str, Any]:
    """The SARIF log as a dict (see the module docstring)."""
    from govern.version import __version__

    if uri_prefix is None:
        from govern.load.git import repo_prefix

        uri_prefix = repo_prefix(result.root)
    modes = {sel.spec.id: sel.mode_on(result.today) for sel in result.standard.rules}
    rule_ids = sorted(set(modes) | {f.rule for f in result.findings})
    descriptors = []
    for rid in rule_ids:
        spec = result.pack.rules.get(rid)
        if spec is not None:
            descriptors.append(_rule_descriptor(spec, modes.get(rid)))
        else:
            descriptors.append(_fallback_descriptor(next(f for f in result.findings if f.rule == rid)))
    index = {rid: i for i, rid in enumerate(rule_ids)}

    results = []
    for f in result.findings:
        item: dict[str, Any] = {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": LEVELS[str(f.severity)],
            "message": {"text": f.message + provenance_note(f)},
            "properties": {"standard": f.standard, "mode": f.mode, "engine": f.engine},
        }
        if f.provenance is not None:  # the value the finding is about was inferred, or set in govern.yaml
            item["properties"]["provenance"] = {"field": f.provenance.field, "kind": f.provenance.kind,
                                                "source": f.provenance.source}
        if f.product:
            item["properties"]["product"] = f.product
            item["logicalLocations"] = [{"name": f.product, "fullyQualifiedName": f.product, "kind": "module"}]
        loc = f.location
        if loc.path:
            physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(loc.path, uri_prefix), "uriBaseId": SRCROOT}}
            if loc.line:
                region: dict[str, Any] = {"startLine": loc.line}
                if loc.column:
                    region["startColumn"] = loc.column
                physical["region"] = region
            location: dict[str, Any] = {"physicalLocation": physical}
            if "logicalLocations" in item:
                location["logicalLocations"] = item.pop("logicalLocations")
            item["locations"] = [location]
        if f.fingerprint:
            item["partialFingerprints"] = {FINGERPRINT_KEY: f.fingerprint}
        if f.waived:
            item["suppressions"] = [
                {"kind": "external", "status": "accepted", "justification": f.waiver_reason or "waived"}
            ]
        if result.baselined is not None:
            item["baselineState"] = "new"
        results.append(item)

    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "govern",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": "https://govern.dev",
                "rules": descriptors,
            }
        },
        "originalUriBaseIds": {SRCROOT: {"description": {"text": "The root of the repository (git work tree)."}}},
        "columnKind": "unicodeCodePoints",
        "invocations": [_invocation(result)],
        "results": results,
        "properties": {
            "standards": {"pack": result.standard.pack, "version": result.standard.version},
            "date": result.today.isoformat(),
            "meshRoot": uri_prefix or "./",
            "products": len(result.products),
        },
    }
    if result.baselined is not None:
        run["properties"]["baselined"] = len(result.baselined)
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _invocation(result: Any) -> dict[str, Any]:
    invocation: dict[str, Any] = {"executionSuccessful": not result.undecided}
    if result.undecided:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": text}} for text in result.undecided
        ]
    return invocation


def render(result: Any, uri_prefix: str | None = None, **_: Any) -> str:
    """SARIF 2.1.0 JSON text (deterministic: sorted keys, trailing newline)."""
    return json.dumps(build(result, uri_prefix), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
