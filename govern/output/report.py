"""Periodic compliance reports: ``index.html``, ``report.md`` and ``scorecards.json`` for one mesh.

The templates live in the top-level ``reports/templates/`` directory (shipped as package data at
``govern/_pack/reports``). They are rendered with a sandboxed jinja2 environment: HTML with autoescaping,
Markdown with every expression escaped for Markdown and HTML. Charts are inline SVG computed here; the
HTML has no external resource and a Content-Security-Policy that allows only its own style and script.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govern.model.errors import GovernError
from govern.model.findings import Finding, Severity
from govern.output.history import (
    Changes,
    FindingRow,
    History,
    ProductRow,
    RunInfo,
    Snapshot,
    compare,
    format_utc,
    utc_now,
)
from govern.output.palette import UNSCORED_COLOUR, level_colour
from govern.output.scorecard import STATUSES, ProductScorecard, Scorecards, build_scorecards, value_text
from govern.standards.pack import default_pack_root

if TYPE_CHECKING:
    from govern.output.lineagemap import LineageMap

REPORT_FILES = ("index.html", "report.md", "scorecards.json")
TREND_RUNS = 52  # the trend charts show at most this many runs (the latest ones)
STATUS_ORDER = ("fail", "warn", "waived", "pass")


def default_templates_dir() -> Path:
    """``reports/templates`` of the shipped pack (installed) or of the source checkout."""
    return default_pack_root() / "reports" / "templates"


def fmt_number(value: Any) -> str:
    """87.5 -> '87.5', 100.0 -> '100', None -> '-'."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}".removesuffix(".0")
    return str(value)


def fmt_delta(value: float | None) -> str:
    if value is None:
        return "-"
    if round(value, 1) == 0:
        return "±0"
    return ("+" if value > 0 else "") + fmt_number(round(value, 1))


_MD_ESCAPES = str.maketrans({
    "\\": "\\\\", "`": "\\`", "*": "\\*", "[": "\\[", "]": "\\]", "|": "\\|", "~": "\\~",
    "<": "&lt;", ">": "&gt;", "&": "&amp;", "\n": " ", "\r": " ", "\t": " ",
})
# "_" only emphasises at a word boundary (CommonMark): keep snake_case ids readable in the raw text
_MD_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def md_escape(value: Any) -> str:
    """Text safe inside Markdown (and a Markdown table cell): no markup, no HTML, one line."""
    if value is None:
        return ""
    # templates never start a line with an expression, so line-start markup (#, -, +) cannot occur
    return _MD_UNDERSCORE.sub(r"\\_", str(value).translate(_MD_ESCAPES))


def listed(f: Finding) -> bool:
    """A finding the report lists: not info, unless waived (rules in audit mode stay out of the tables)."""
    return f.severity is not Severity.INFO or f.waived


def scorecard_href(card: ProductScorecard) -> str:
    """The anchor of a product's scorecard in the report: its findings section, else its products-table row."""
    from urllib.parse import quote

    prefix = "#p-" if any(listed(f) for f in card.findings) else "#product-"
    return prefix + quote(card.product, safe="")


# --- snapshots and changes -------------------------------------------------------------------------


def finding_row(f: Finding) -> FindingRow:
    return FindingRow(f.fingerprint or "", f.rule, f.standard, str(f.severity), f.product, f.message,
                      f.location.path, f.location.line, f.waived)


def snapshot_of(cards: Scorecards, run: RunInfo) -> Snapshot:
    """The snapshot of scorecards not (or not yet) read back from a history database."""
    products = {
        c.product: ProductRow(c.product, c.domain, c.score, c.level, c.open_errors, c.warnings, c.waived)
        for c in cards.products
    }
    findings = [finding_row(f) for c in cards.products for f in c.findings]
    findings += [finding_row(f) for f in cards.mesh_findings]
    return Snapshot(run, products, findings, {c.product: dict(c.statuses) for c in cards.products})


def unrecorded_run(cards: Scorecards, mesh: str, source: str = "report") -> RunInfo:
    """A RunInfo (id 0) for scorecards that were not recorded."""
    t = cards.total
    return RunInfo(0, format_utc(utc_now()), cards.as_of.isoformat(), source, mesh, cards.pack,
                   cards.standards_version, t.products, t.mean_score, t.open_errors, t.warnings, t.waived,
                   dict(t.levels))


@dataclass
class ReportOutcome:
    """What ``generate_report`` wrote and found."""

    out_dir: Path
    files: list[Path]
    cards: Scorecards
    run: RunInfo
    runs: list[RunInfo]
    changes: Changes
    history_path: Path | None = None
    recorded: bool = False


def record_and_compare(cards: Scorecards, history_path: Path | None, *, mesh: str, source: str,
                       record: bool) -> tuple[RunInfo, list[RunInfo], Changes]:
    """Record the run (when asked) and compare it with the previous run of the history."""
    if history_path is None or (not record and not history_path.is_file()):
        run = unrecorded_run(cards, mesh, source)
        return run, [run], Changes(previous=None)
    with History(history_path) as history:
        if record:
            run = history.run(history.record(cards, mesh=mesh, source=source))
            runs = history.runs(until_run=run)
            previous = history.previous(run)
        else:
            run = unrecorded_run(cards, mesh, source)
            runs = [r for r in history.runs() if r.as_of <= run.as_of]
            previous = runs[-1] if runs else None
            runs.append(run)
        before = history.snapshot(previous.id) if previous else None
    changes = compare(before, snapshot_of(cards, run), cards.config.level_names)
    return run, runs, changes


# --- chart geometry (inline SVG) -------------------------------------------------------------------


def _level_chart(cards: Scorecards) -> dict[str, Any]:
    width, height, top, bottom, left = 360, 190, 24, 36, 12
    levels = cards.config.level_names
    counts = [cards.total.levels.get(name, 0) for name in levels]
    peak = max([*counts, 1])
    slot = (width - 2 * left) / max(len(levels), 1)
    bar_w = min(72.0, slot * 0.6)
    usable = height - top - bottom
    bars = []
    for i, (name, count) in enumerate(zip(levels, counts, strict=True)):
        h = usable * count / peak
        x = left + slot * i + (slot - bar_w) / 2
        bars.append({
            "name": name, "count": count, "colour": level_colour(i),
            "x": round(x, 1), "y": round(top + usable - h, 1), "w": round(bar_w, 1), "h": round(h, 1),
            "cx": round(x + bar_w / 2, 1), "label_y": round(top + usable - h - 6, 1),
        })
    return {"width": width, "height": height, "baseline": top + usable, "bars": bars,
            "name_y": height - bottom + 18}


def _domain_chart(cards: Scorecards) -> dict[str, Any]:
    row_h, label_w, bar_max, width = 30, 150, 300, 620
    rows = []
    for i, d in enumerate(cards.domains):
        w = bar_max * d.mean_score / 100.0
        colour = "#2e7d4f" if d.mean_score >= 90 else ("#c98a16" if d.mean_score >= 70 else "#b4483c")
        segments = []
        x = 0.0
        for j, name in enumerate(cards.config.level_names):
            n = d.levels.get(name, 0)
            if n:
                seg_w = 120.0 * n / max(d.products, 1)
                segments.append({"x": round(label_w + bar_max + 70 + x, 1), "w": round(seg_w, 1),
                                 "colour": level_colour(j), "name": name, "count": n})
                x += seg_w
        rows.append({
            "domain": d.domain, "score": d.mean_score, "products": d.products, "colour": colour,
            "y": i * row_h + 8, "w": round(w, 1), "text_y": i * row_h + 8 + 15,
            "score_x": round(label_w + w + 6, 1), "segments": segments,
        })
    return {"width": width, "height": max(len(rows), 1) * row_h + 12, "label_w": label_w,
            "bar_max": bar_max, "rows": rows, "levels_x": label_w + bar_max + 70}


def _line_chart(title: str, series: list[dict[str, Any]], labels: list[str], ymax: float | None = None,
                unit: str = "") -> dict[str, Any]:
    width, height, left, right, top, bottom = 360, 180, 36, 12, 14, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for s in series for v in s["values"]]
    if ymax is not None:
        peak, step = float(ymax), ymax / 4
    else:
        top_value = max([*values, 1])
        step = max(1, -(-int(top_value) // 4))  # integer ticks, at most 5 of them
        peak = step * -(-int(top_value) // step)
    n = len(labels)

    def xy(i: int, v: float) -> tuple[float, float]:
        x = left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)
        return round(x, 1), round(top + plot_h - plot_h * v / peak, 1)

    lines = []
    for s in series:
        pts = [xy(i, v) for i, v in enumerate(s["values"])]
        lines.append({
            "name": s["name"], "colour": s["colour"],
            "points": " ".join(f"{x},{y}" for x, y in pts),
            "dots": [{"x": x, "y": y, "value": v, "label": labels[i]}
                     for i, ((x, y), v) in enumerate(zip(pts, s["values"], strict=True))],
        })
    grid = [{"y": round(top + plot_h - plot_h * k * step / peak, 1), "label": fmt_number(round(k * step, 1))}
            for k in range(round(peak / step) + 1)]
    every = max(1, -(-n // 4))  # at most about 4 date labels
    picked = [i for i in range(n) if i % every == 0]
    if picked[-1] != n - 1:
        if n > 1 and (n - 1 - picked[-1]) < every / 2:
            picked.pop()
        picked.append(n - 1)
    xlabels = []
    for i in picked:
        anchor = "middle" if n == 1 else ("start" if i == 0 else ("end" if i == n - 1 else "middle"))
        xlabels.append({"x": xy(i, 0)[0], "text": labels[i], "anchor": anchor})
    return {"title": title, "width": width, "height": height, "left": left, "right": width - right,
            "top": top, "bottom": top + plot_h, "lines": lines, "grid": grid, "xlabels": xlabels,
            "label_y": height - 10, "unit": unit, "single": n == 1}


def _trend(cards: Scorecards, runs: list[RunInfo]) -> dict[str, Any]:
    shown = runs[-TREND_RUNS:]
    labels = [r.as_of for r in shown]
    levels = cards.config.level_names
    # levels no longer configured (older runs) are shown after the configured ones
    extra = sorted({name for r in shown for name in r.levels} - set(levels))
    level_series = [
        {"name": name, "colour": level_colour(i) if name in levels else UNSCORED_COLOUR,
         "values": [r.levels.get(name, 0) for r in shown]}
        for i, name in enumerate([*levels, *extra])
    ]
    return {
        "runs": len(runs),
        "recorded": sum(1 for r in runs if r.id),
        "shown": len(shown),
        "charts": [
            _line_chart("Mean score", [{"name": "mean score", "colour": "#2f6db5",
                                        "values": [r.mean_score for r in shown]}], labels, ymax=100),
            _line_chart("Products per level", level_series, labels),
            _line_chart("Open errors", [{"name": "open errors", "colour": "#b4483c",
                                         "values": [r.open_errors for r in shown]}], labels),
        ],
    }


# --- context ---------------------------------------------------------------------------------------


def _finding_view(f: Finding | FindingRow, rules: dict[str, Any]) -> dict[str, Any]:
    severity = str(f.severity)
    path = f.location.path if isinstance(f, Finding) else f.path
    line = f.location.line if isinstance(f, Finding) else f.line
    spec = rules.get(f.rule)
    help_text = (f.help if isinstance(f, Finding) else None) or (spec.help if spec else None)
    where = path or "(mesh)"
    if line:
        where += f":{line}"
    return {
        "rule": f.rule,
        "standard": f.standard,
        "severity": severity,
        "message": f.message,
        "product": f.product,
        "location": where,
        "help": help_text or "",
        "description": spec.description if spec else "",
        "waived": f.waived,
        "waiver": getattr(f, "waiver_reason", None) or "",
        "fingerprint": f.fingerprint,
        # the value the finding is about was not written in the source (FindingRow of history: unknown)
        "provenance": f.provenance.text() if getattr(f, "provenance", None) is not None else "",
    }


def _changes_view(changes: Changes, rules: dict[str, Any], run: RunInfo) -> dict[str, Any]:
    prev = changes.previous
    return {
        "previous": prev.to_dict() if prev else None,
        "score_before": prev.mean_score if prev else None,
        "score_after": run.mean_score,
        "score_delta": fmt_delta(changes.score_delta),
        "new": [_finding_view(f, rules) for f in changes.new_findings],
        "fixed": [_finding_view(f, rules) for f in changes.fixed_findings],
        "up": [c.to_dict() for c in changes.levels_up],
        "down": [c.to_dict() for c in changes.levels_down],
        "moved": [c.to_dict() for c in changes.level_changes if c.direction == "changed"],
        "new_products": list(changes.new_products),
        "removed_products": list(changes.removed_products),
    }


def build_context(cards: Scorecards, run: RunInfo, runs: list[RunInfo], changes: Changes, *,
                  mesh: str, rules: dict[str, Any] | None = None, version: str = "") -> dict[str, Any]:
    """Plain data for the templates: every fact the reports show, and the chart geometry."""
    rules = rules or {}
    level_index = {name: i for i, name in enumerate(cards.config.level_names)}
    products = []
    for c in cards.products:
        issues = sorted(((s, st) for s, st in c.statuses.items() if st != "pass"),
                        key=lambda kv: (STATUS_ORDER.index(kv[1]), kv[0]))
        visible = [f for f in c.findings if listed(f)]
        products.append({
            "id": c.product, "name": c.name or "", "domain": c.domain, "owner": c.owner or "",
            "state": c.state or "", "path": c.path or "", "score": c.score, "level": c.level,
            "level_rank": level_index.get(c.level, -1), "level_colour": level_colour(level_index.get(c.level, 0)),
            "next_level": c.next_level or "", "blockers": list(c.blockers),
            "open_errors": c.open_errors, "warnings": c.warnings, "waived": c.waived, "info": c.infos,
            "statuses": [{"standard": s, "status": st} for s, st in c.statuses.items()],
            "issues": [{"standard": s, "status": st} for s, st in issues],
            "findings": [_finding_view(f, rules) for f in visible],
            "inferred": [{**v.to_dict(), "value": value_text(v.value)} for v in c.inferred],
        })
    levels = []
    for i, lv in enumerate(cards.config.levels):
        levels.append({
            "name": lv.name, "description": lv.description, "standards": list(lv.standards),
            "accept": sorted(lv.accept, key=STATUSES.index), "no_unwaived_errors": lv.no_unwaived_errors,
            "states": list(lv.states),
            "count": cards.total.levels.get(lv.name, 0), "colour": level_colour(i),
        })
    domains = [
        {**d.to_dict(), "levels": [{"name": n, "count": d.levels.get(n, 0)} for n in cards.config.level_names]}
        for d in cards.domains
    ]
    history_rows = [
        {**r.to_dict(), "levels": [{"name": n, "count": r.levels.get(n, 0)} for n in cards.config.level_names]}
        for r in reversed(runs)
    ]
    return {
        "mesh": mesh,
        "as_of": cards.as_of.isoformat(),
        "pack": cards.pack,
        "standards_version": cards.standards_version,
        "govern_version": version,
        "run": run.to_dict(),
        "recorded": run.id > 0,
        "generated_at": run.recorded_at,
        "total": cards.total.to_dict(),
        "levels": levels,
        "level_names": cards.config.level_names,
        "domains": domains,
        "standards": [a.to_dict() for a in cards.aggregates],
        "products": products,
        "products_with_findings": [p for p in products if p["findings"]],
        "products_with_inferred": [p for p in products if p["inferred"]],
        "mesh_findings": [_finding_view(f, rules) for f in cards.mesh_findings if listed(f)],
        "changes": _changes_view(changes, rules, run),
        "history": history_rows,
        "level_chart": _level_chart(cards),
        "domain_chart": _domain_chart(cards),
        "trend": _trend(cards, runs),
        "scoring": cards.config.to_dict(),
        "lineage_map": "",  # the map's HTML (generate_report adds it when the result carries the mesh)
    }


# --- rendering -------------------------------------------------------------------------------------


def _environment(templates_dir: Path, markdown: bool, page: str | None = None) -> Any:
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    if not (templates_dir / (page or ("report.md.j2" if markdown else "index.html.j2"))).is_file():
        raise GovernError("report templates not found", path=str(templates_dir))
    env = SandboxedEnvironment(
        loader=FileSystemLoader(str(templates_dir)),
        autoescape=not markdown,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=md_escape if markdown else None,
    )
    env.filters["num"] = fmt_number
    return env


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def _inline(templates_dir: Path, *names: str) -> str:
    """The text of template files to inline in a <style> or <script> element, joined."""
    texts = []
    for name in names:
        path = templates_dir / name
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise GovernError(f"cannot read the report template: {exc.strerror}", path=str(path)) from None
        if "</" in text:
            raise GovernError(f"{name} must not contain '</'", path=str(path))
        texts.append(text)
    return "\n".join(texts)


def _csp(css: str, script: str) -> str:
    """Only the page's own style and script; no network, no other origin."""
    return (f"default-src 'none'; style-src {_csp_hash(css)}; script-src {_csp_hash(script)}; "
            "img-src data:; base-uri 'none'; form-action 'none'")


def render_html(context: dict[str, Any], templates_dir: Path | None = None) -> str:
    """The self-contained HTML report (``context["lineage_map"]``: the map's HTML, from ``lineagemap.map_html``)."""
    from markupsafe import Markup

    templates_dir = templates_dir or default_templates_dir()
    env = _environment(templates_dir, markdown=False)
    css = _inline(templates_dir, "report.css", "lineagemap.css")
    script = _inline(templates_dir, "sort.js", "lineagemap.js")
    template = env.get_template("index.html.j2")
    values = {**context, "lineage_map": Markup(context.get("lineage_map") or "")}
    return template.render(**values, css=Markup(css), script=Markup(script), csp=_csp(css, script))


def render_lineage_page(lmap: LineageMap, templates_dir: Path | None = None) -> str:
    """The lineage map alone, as a self-contained HTML page (``govern lineage -f html``)."""
    from markupsafe import Markup

    from govern.output.lineagemap import map_html

    templates_dir = templates_dir or default_templates_dir()
    env = _environment(templates_dir, markdown=False, page="lineage.html.j2")
    css = _inline(templates_dir, "report.css", "lineagemap.css")
    script = _inline(templates_dir, "lineagemap.js")
    return env.get_template("lineage.html.j2").render(
        title=lmap.title, lineage_map=Markup(map_html(lmap)), css=Markup(css), script=Markup(script),
        csp=_csp(css, script))


def lineage_map_of(result: Any, cards: Scorecards, title: str = "") -> LineageMap | None:
    """The lineage map of a checked mesh, coloured by ``cards``, each product linked to its scorecard
    in the report; None when the result carries no mesh."""
    from govern.analysis.graph import build_graph
    from govern.output.lineage import select
    from govern.output.lineagemap import build_map

    mesh = getattr(result, "mesh", None)
    if mesh is None:
        return None
    graph = build_graph(mesh, result.edges)
    return build_map(select(graph, getattr(result, "analysis", None)), cards, title=title, href=scorecard_href)


def render_markdown(context: dict[str, Any], templates_dir: Path | None = None) -> str:
    """The same facts as Markdown (every value escaped for Markdown and HTML)."""
    env = _environment(templates_dir or default_templates_dir(), markdown=True)
    return env.get_template("report.md.j2").render(**context)


def scorecards_json(cards: Scorecards, run: RunInfo, runs: list[RunInfo], changes: Changes) -> str:
    """scorecards.json: the scorecards with every finding, the run, the changes and the trend."""
    data = cards.to_dict(with_findings=True)
    data["run"] = run.to_dict() if run.id else None
    data["changes"] = changes.to_dict()
    data["history"] = [r.to_dict() for r in runs if r.id]
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"


def generate_report(result: Any, out_dir: str | Path, *, history_path: str | Path | None = None,
                    record: bool = True, templates_dir: str | Path | None = None,
                    source: str = "report") -> ReportOutcome:
    """Score ``result``, record it in the history (unless ``record`` is false), and write the report files."""
    from govern.version import __version__

    cards = build_scorecards(result)
    mesh = Path(result.root).name
    hpath = Path(history_path) if history_path is not None else None
    run, runs, changes = record_and_compare(cards, hpath, mesh=mesh, source=source, record=record)
    context = build_context(cards, run, runs, changes, mesh=mesh, rules=result.pack.rules,
                            version=__version__)
    lmap = lineage_map_of(result, cards, title=mesh)
    if lmap is not None:
        from govern.output.lineagemap import map_html

        context["lineage_map"] = map_html(lmap)
    tdir = Path(templates_dir) if templates_dir else None
    html = render_html(context, tdir)
    markdown = render_markdown(context, tdir)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        files = []
        for name, text in zip(REPORT_FILES, (html, markdown, scorecards_json(cards, run, runs, changes)),
                              strict=True):
            path = out / name
            tmp = out / f".{name}.tmp"
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
            files.append(path)
    except OSError as exc:
        raise GovernError(f"cannot write the report: {exc.strerror}", path=str(out)) from None
    return ReportOutcome(out, files, cards, run, runs, changes, hpath, record and hpath is not None)
