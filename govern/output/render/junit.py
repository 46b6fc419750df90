"""JUnit XML, which CI systems (GitLab, Jenkins, Azure DevOps, CircleCI) render as test results.

One ``<testsuite>`` per product, one ``<testcase>`` per product and rule in force (plus any other rule
that reported on it). An unwaived error is a ``<failure>``; warnings and info are listed in the
test case's ``<system-out>`` (they do not fail); a waived finding makes the test case ``<skipped>``.
Findings on no product (waivers.yaml, org.yaml) go to a ``(mesh)`` suite. Deterministic: no
timestamps, no host names, sorted suites and cases.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from govern.model.findings import Severity
from govern.output.render import location_text, provenance_note

MESH_SUITE = "(mesh)"
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    """Remove characters XML 1.0 cannot carry."""
    return _XML_INVALID.sub("\ufffd", text)


def _describe(f: Any) -> str:
    text = f"{location_text(f.location)}: {f.severity} [{f.rule}] {f.message}{provenance_note(f)}"
    if f.help:
        text += f"\n  fix: {f.help}"
    if f.waived and f.waiver_reason:
        text += f"\n  waiver: {f.waiver_reason}"
    return text


def build(result: Any) -> ET.Element:
    """The <testsuites> element."""
    in_force = sorted({sel.spec.id for sel in result.standard.rules})
    by_case: dict[str, dict[str, list]] = {}
    for pid in result.products:
        by_case[pid] = {rid: [] for rid in in_force}
    for f in result.findings:
        # Products outside the checked set (e.g. deleted since --base) get only the rules that reported.
        by_case.setdefault(f.product or MESH_SUITE, {}).setdefault(f.rule, []).append(f)

    root = ET.Element("testsuites", name=clean(f"govern {result.standard.pack} {result.standard.version}"))
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for suite_name in sorted(by_case, key=lambda n: (n == MESH_SUITE, n)):
        cases = by_case[suite_name]
        suite = ET.SubElement(root, "testsuite", name=clean(suite_name))
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        for rid in sorted(cases):
            findings = cases[rid]
            case = ET.SubElement(suite, "testcase", classname=clean(suite_name), name=clean(rid), time="0")
            counts["tests"] += 1
            failing = [f for f in findings if not f.waived and f.severity is Severity.ERROR]
            waived = [f for f in findings if f.waived]
            others = [f for f in findings if not f.waived and f.severity is not Severity.ERROR]
            if failing:
                message = failing[0].message + (f" (and {len(failing) - 1} more)" if len(failing) > 1 else "")
                failure = ET.SubElement(case, "failure", message=clean(message), type=clean(failing[0].standard))
                failure.text = clean("\n".join(_describe(f) for f in failing))
                counts["failures"] += 1
            elif waived and not others:
                ET.SubElement(case, "skipped", message=clean("waived: " + (waived[0].waiver_reason or "")))
                counts["skipped"] += 1
            notes = others + (waived if failing or others else [])
            if notes:
                ET.SubElement(case, "system-out").text = clean("\n".join(_describe(f) for f in notes))
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("errors", "0")
        suite.set("time", "0")
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("errors", "0")
    root.set("time", "0")
    return root


def render(result: Any, **_: Any) -> str:
    """JUnit XML text."""
    root = build(result)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
