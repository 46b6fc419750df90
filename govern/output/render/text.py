"""Human output, grouped by product. Colour only when asked (the CLI asks on a TTY)."""

from __future__ import annotations

from typing import Any

from govern.model.findings import Severity
from govern.output.render import count, location_text, provenance_note
from govern.output.visible import visible

_COLOURS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}
_RESET = "\033[0m"
_BOLD = "\033[1m"


def where(location: Any) -> str:
    """``path:line:column`` when the column is known (what editors, grep and CI problem matchers parse),
    else ``path:line`` or ``path#pointer``."""
    text = location_text(location)
    if location.line and location.column:
        text += f":{location.column}"
    return text


def render(result: Any, colour: bool = False, gate: Any = None, verbose: bool = False, **_: Any) -> str:
    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if colour else text

    lines: list[str] = []
    groups: dict[str, list] = {}
    for f in result.findings:
        groups.setdefault(f.product or "", []).append(f)
    for product in sorted(groups):
        findings = groups[product]
        if not verbose and all(f.severity is Severity.INFO for f in findings):
            continue
        header = visible(product) if product else "(mesh files)"
        lines.append(paint(header, _BOLD))
        for f in findings:
            if f.severity is Severity.INFO and not verbose:
                continue
            sev = paint(f"{f.severity!s:7}", _COLOURS[f.severity])
            mark = " (waived)" if f.waived else ""
            lines.append(f"  {visible(where(f.location))}: {sev} [{f.rule}] {visible(f.message + provenance_note(f))}"
                         f"{mark}")
            if f.help:
                lines.append(f"      fix: {f.help}")
            if f.waived and f.waiver_reason:
                lines.append(f"      waiver: {f.waiver_reason}")
        lines.append("")
    s = result.summary()
    sev = s["bySeverity"]
    lines.append(
        f"{count(s['products'], 'product')} checked against {result.standard.pack} {result.standard.version}: "
        f"{count(sev['error'], 'error')}, {count(sev['warning'], 'warning')}, {sev['info']} info, "
        f"{s['waived']} waived; {count(s['passed'], 'product')} {'passes' if s['passed'] == 1 else 'pass'}"
    )
    if result.baselined:
        lines.append(f"{count(len(result.baselined), 'known finding')} accepted by the baseline "
                     f"{'is' if len(result.baselined) == 1 else 'are'} not shown")
    if gate is not None:
        blocked = [p for p in gate.products if not p.allowed]
        if not gate.decided:
            lines.append(paint("gate: UNDECIDED (fails closed)", _COLOURS[Severity.ERROR]))
            lines.extend(f"  {u}" for u in gate.undecided)
        elif gate.allowed:
            lines.append(paint("gate: ALLOWED", "\033[32m"))
        else:
            lines.append(paint(f"gate: BLOCKED ({count(len(blocked), 'product')})", _COLOURS[Severity.ERROR]))
            for p in blocked:
                lines.append(f"  {p.product}: {count(len(p.reasons), 'blocking finding')}")
            for r in gate.mesh_reasons:
                lines.append(f"  mesh: {r}")
    return "\n".join(lines) + "\n"
