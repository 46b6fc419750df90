"""Markdown summary for a pull-request comment or ``$GITHUB_STEP_SUMMARY``.

A headline with the verdict, a table of counts, the unwaived findings (errors first) in a table, and
the waived ones folded away. Every value from the inputs is escaped, so a manifest cannot inject links,
images or HTML into the comment. Long lists are cut at ``limit`` rows (GitHub comments hold 65,536
characters).
"""

from __future__ import annotations

import re
from typing import Any

from govern.model.findings import Severity
from govern.output.render import location_text, provenance_note
from govern.output.visible import visible

_SPECIAL = re.compile(r"([\\`*_\[\]|~<>&])")
ICONS = {Severity.ERROR: "🔴 error", Severity.WARNING: "🟡 warning", Severity.INFO: "🔵 info"}


def escape(text: Any) -> str:
    """Escape Markdown and HTML so the text renders literally, on one line."""
    value = visible(" ".join(str(text).split()))
    return _SPECIAL.sub(lambda m: "&lt;" if m.group(1) == "<" else "&gt;" if m.group(1) == ">"
                        else "&amp;" if m.group(1) == "&" else "\\" + m.group(1), value)


def code(text: Any) -> str:
    """An inline code span (pipes escaped for tables), or escaped text when it cannot be one."""
    value = visible(" ".join(str(text).split()))
    if "`" in value or not value:
        return escape(value)
    return "`" + value.replace("|", "\\|") + "`"


def _row(f: Any) -> str:
    sev = ICONS[f.severity]
    product = code(f.product) if f.product else "(mesh)"
    message = escape(f.message + provenance_note(f))
    return f"| {sev} | {product} | {code(f.rule)} | {code(location_text(f.location))} | {message} |"


def _table(findings: list, limit: int) -> list[str]:
    lines = ["| Severity | Product | Rule | Location | Message |", "|---|---|---|---|---|"]
    lines.extend(_row(f) for f in findings[:limit])
    if len(findings) > limit:
        lines.append(f"\n… and {len(findings) - limit} more (see the job log or the SARIF report).")
    return lines


def render(result: Any, gate: Any = None, verbose: bool = False, limit: int = 100, **_: Any) -> str:
    """The Markdown summary."""
    s = result.summary()
    sev = s["bySeverity"]
    std = f"{result.standard.pack} {result.standard.version}"
    if gate is not None:
        verdict = ("⚠️ gate undecided (fails closed)" if not gate.decided
                   else "✅ gate allowed" if gate.allowed else "❌ gate blocked")
    elif result.undecided:
        verdict = "⚠️ check could not run completely"
    else:
        verdict = "❌ findings" if sev["error"] else "✅ no errors"
    lines = [f"## govern: {verdict}", "", f"Checked **{s['products']}** products against **{escape(std)}** "
             f"on {result.today.isoformat()}.", ""]
    counts = f"| {sev['error']} | {sev['warning']} | {sev['info']} | {s['waived']} | {s['passed']} / {s['products']} |"
    lines += ["| Errors | Warnings | Info | Waived | Products passing |", "|---:|---:|---:|---:|---:|", counts]
    if result.baselined is not None:
        lines += ["", f"{len(result.baselined)} known findings are accepted by the baseline and not shown."]
    if result.undecided:
        lines += ["", "**Could not decide:**", *[f"- {escape(u)}" for u in result.undecided]]
    if gate is not None and gate.decided and not gate.allowed:
        blocked = [p for p in gate.products if not p.allowed]
        lines += ["", "**Blocked:** " + ", ".join(code(p.product) for p in blocked[:50])
                  + (f" and {len(blocked) - 50} more" if len(blocked) > 50 else "")]
        if gate.mesh_reasons:
            lines += [f"- mesh: {escape(r)}" for r in gate.mesh_reasons[:20]]
    shown = [f for f in result.findings if not f.waived and (verbose or f.severity is not Severity.INFO)]
    shown.sort(key=lambda f: (-int(f.severity), f.sort_key()))
    if shown:
        lines += ["", "### Findings", "", *_table(shown, limit)]
    waived = [f for f in result.findings if f.waived]
    if waived:
        lines += ["", f"<details><summary>{len(waived)} waived findings</summary>", "", *_table(waived, limit),
                  "", "</details>"]
    return "\n".join(lines) + "\n"
