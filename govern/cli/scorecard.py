"""govern scorecard: scores, standard statuses and certitude levels in the terminal."""

from __future__ import annotations

import click

from govern.cli.common import (
    Choice,
    executor_option,
    fail_closed,
    mesh_options,
    quiet_option,
    run_check,
    warn_unused_config,
)

_MARK = {"pass": ".", "warn": "w", "fail": "F", "waived": "~"}


def _text(cards, products, domain: str | None, product: str | None) -> str:
    from govern.output.render import count, location_text, provenance_note
    from govern.output.report import fmt_number
    from govern.output.scorecard import value_text

    lines: list[str] = []
    t = cards.total
    levels = ", ".join(f"{n} {c}" for n, c in t.levels.items())
    if product is None:
        lines.append(
            f"mesh: {count(t.products, 'product')} in {count(t.domains, 'domain')}, mean score "
            f"{fmt_number(t.mean_score)}; {levels}; {count(t.open_errors, 'open error')}, "
            f"{count(t.warnings, 'warning')}, {t.waived} waived "
            f"({cards.pack} {cards.standards_version}, {cards.as_of.isoformat()})"
        )
        domains = [d for d in cards.domains if domain is None or d.domain == domain]
        lines.append("")
        lines.append(f"{'domain':18} {'products':>8} {'score':>6} " + " ".join(f"{n:>13}" for n in t.levels)
                     + f" {'errors':>6}")
        for d in domains:
            lines.append(f"{d.domain:18} {d.products:>8} {fmt_number(d.mean_score):>6} "
                         + " ".join(f"{d.levels.get(n, 0):>13}" for n in t.levels) + f" {d.open_errors:>6}")
        lines.append("")
        abbrev = " ".join(s[:4] for s in cards.standards)
        lines.append(f"{'product':32} {'level':13} {'score':>6} {'err':>4} {'warn':>4}  standards: {abbrev}")
        for c in products:
            marks = " ".join(f"{_MARK[c.statuses[s]]:4}" for s in cards.standards)
            lines.append(f"{c.product:32} {c.level:13} {fmt_number(c.score):>6} {c.open_errors:>4} {c.warnings:>4}"
                         f"  {marks.rstrip()}")
        lines.append("")
        lines.append("standards: . pass, w warn, F fail, ~ waived")
        return "\n".join(lines) + "\n"
    c = products[0]
    lines.append(f"{c.product}: {c.level}, score {fmt_number(c.score)}"
                 + (f" ({c.name})" if c.name else ""))
    meta = [f"domain {c.domain}"] + ([f"owner {c.owner}"] if c.owner else []) + ([c.state] if c.state else [])
    if c.path:
        meta.append(c.path)
    lines.append("  " + ", ".join(meta))
    if c.next_level:
        lines.append(f"  not yet {c.next_level}: " + "; ".join(c.blockers))
    lines.append("  standards:")
    for std, status in c.statuses.items():
        lines.append(f"    {std:14} {status}")
    if c.inferred:
        lines.append("  not written in the source (inferred, or set in govern.yaml):")
        for v in c.inferred:
            lines.append(f"    {v.field}: {value_text(v.value)}  <- {v.source}")
    shown = [f for f in c.findings if str(f.severity) != "info" or f.waived]
    if shown:
        lines.append("  findings:")
        for f in shown:
            mark = " (waived)" if f.waived else ""
            lines.append(f"    {location_text(f.location)}: {f.severity!s:7} [{f.rule}] {f.message}"
                         f"{provenance_note(f)}{mark}")
    return "\n".join(lines) + "\n"


@click.command()
@mesh_options
@click.option("--product", "product", metavar="ID", help="Show one product: statuses, blockers, findings.")
@click.option("--domain", "domain", metavar="D", help="Only the products of domain D.")
@click.option("--format", "fmt", type=Choice(["text", "json"]), default="text", show_default=True)
@executor_option
@quiet_option
@fail_closed
def scorecard(paths, root, version, today, pack_root, product, domain, fmt, quiet=False, executor=None) -> None:
    """Print the scorecards of the mesh under PATH... (default: the current directory): score, status
    per standard and certitude level.

    Exit 0 when scored (whatever the scores), 2 when the mesh could not be scored or the product or
    domain does not exist.
    """
    from govern.output.render.json_ import dumps
    from govern.output.scorecard import build_scorecards, filter_scorecards

    result = run_check(paths, root, version, today, pack_root, quiet=quiet, machine=fmt != "text",
                       executor=executor)
    warn_unused_config(result.findings, "run govern scorecard there, or pass --root {folder}")
    cards = build_scorecards(result)
    from govern.model.suggest import did_you_mean

    if product is not None and cards.product(product) is None:
        hint = did_you_mean(product, result.mesh.by_id) if result.mesh is not None else ""
        raise click.BadParameter(f"no product '{product}' in the mesh{hint}", param_hint="--product")
    if domain is not None and not any(d.domain == domain for d in cards.domains):
        known = ", ".join(d.domain for d in cards.domains) or "none"
        hint = did_you_mean(domain, [d.domain for d in cards.domains])
        raise click.BadParameter(f"no domain '{domain}' in the mesh{hint} (domains: {known})", param_hint="--domain")
    selected = filter_scorecards(cards, domain=domain, product=product)
    if fmt == "json":
        data = cards.to_dict(with_findings=product is not None)
        data["products"] = [c.to_dict(with_findings=product is not None) for c in selected]
        if domain is not None:
            data["domains"] = [d.to_dict() for d in cards.domains if d.domain == domain]
        click.echo(dumps(data), nl=False)
    else:
        click.echo(_text(cards, selected, domain, product), nl=False)
