"""GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice`` annotation per finding.

``::error file=<repo-relative path>,line=<n>,title=<rule (product)>::<message>`` shows the finding on
the file in the pull request. Values are escaped per the workflow-command rules (``%``, CR and LF in
the message; additionally ``:`` and ``,`` in properties), so a hostile message cannot inject commands.
"""

from __future__ import annotations

from typing import Any

from govern.model.findings import Severity
from govern.output.render import provenance_note
from govern.output.visible import visible

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """Escape a workflow-command message (control and invisible characters shown as \\uXXXX)."""
    return visible(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    """Escape a workflow-command property value."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Any, prefix: str = "") -> str:
    """The workflow command for one finding."""
    command = "notice" if finding.waived else COMMANDS[finding.severity]
    props = []
    loc = finding.location
    if loc.path:
        props.append(f"file={escape_property(prefix + loc.path)}")
        if loc.line:
            props.append(f"line={loc.line}")
            if loc.column:
                props.append(f"col={loc.column}")
    title = finding.rule + (f" ({finding.product})" if finding.product else "")
    props.append(f"title={escape_property(title)}")
    message = finding.message + provenance_note(finding)
    if finding.waived:
        message += f" (waived: {finding.waiver_reason or 'waiver'})"
    elif finding.help:
        message += f"\nfix: {finding.help}"
    return f"::{command} {','.join(props)}::{escape_data(message)}"


def render(result: Any, verbose: bool = False, gate: Any = None, uri_prefix: str | None = None, **_: Any) -> str:
    """Annotations for errors and warnings (info and waived findings too with ``verbose``), then a summary."""
    if uri_prefix is None:
        from govern.load.git import repo_prefix

        uri_prefix = repo_prefix(result.root)
    lines = []
    for f in result.findings:
        if (f.waived or f.severity is Severity.INFO) and not verbose:
            continue
        lines.append(annotation(f, uri_prefix))
    s = result.summary()
    sev = s["bySeverity"]
    from govern.output.render import count

    text = (f"govern: {count(s['products'], 'product')} checked against {result.standard.pack} "
            f"{result.standard.version}: {count(sev['error'], 'error')}, {count(sev['warning'], 'warning')}, "
            f"{s['waived']} waived")
    if result.baselined is not None:
        text += f", {len(result.baselined)} known in the baseline"
    if gate is not None:
        text += "; gate: " + ("UNDECIDED" if not gate.decided else "ALLOWED" if gate.allowed else "BLOCKED")
    lines.append(escape_data(text))
    return "\n".join(lines) + "\n"
