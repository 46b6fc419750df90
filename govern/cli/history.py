"""govern history: the trend of recorded runs (mesh, or one domain)."""

from __future__ import annotations

from pathlib import Path

import click

from govern.cli.common import Choice, fail_closed, parse_date


@click.command()
@click.argument("path", required=False, type=click.Path(exists=True))
@click.option("--root", type=click.Path(file_okay=False), help="Mesh root (default: found from PATH).")
@click.option("--history", "history", type=click.Path(dir_okay=False), metavar="FILE",
              help="History database (default: 'history:' of govern.yaml, else .govern/history.sqlite).")
@click.option("--domain", "domain", metavar="D", help="The trend of one domain.")
@click.option("--since", "since", metavar="DATE", help="Only runs evaluated on or after DATE (YYYY-MM-DD).")
@click.option("--format", "fmt", type=Choice(["text", "json"]), default="text", show_default=True)
@fail_closed
def history(path, root, history, domain, since, fmt) -> None:
    """Print the trend of the runs recorded for the mesh at PATH (default: the current directory).

    Runs are recorded by 'govern report' and 'govern check --record'. Exit 0, or 2 when the history
    cannot be read or --domain names a domain no recorded run scored.
    """
    from govern.load.discovery import find_mesh_root
    from govern.load.loader import load_config
    from govern.output.history import History, HistoryError, default_history_path
    from govern.output.render.json_ import dumps
    from govern.output.report import fmt_delta, fmt_number

    since_date = parse_date(since, "--since")
    if history:
        db = Path(history).resolve()
    else:
        from govern.cli.common import warn_unused_config
        from govern.load.discovery import nested_markers

        mesh_root = Path(root).resolve() if root else find_mesh_root(Path(path) if path else Path.cwd())
        config = load_config(mesh_root)
        warn_unused_config(nested_markers(mesh_root, config.exclude), "run 'govern history {folder}'")
        db = default_history_path(mesh_root, config.history)
    try:
        store = History(db, create=False)
    except HistoryError as exc:
        if not db.exists():
            if fmt == "json":
                click.echo(dumps({"history": str(db), "runs": []}), nl=False)
            else:
                click.echo(f"no runs recorded yet in {db} (run 'govern report' or 'govern check --record')")
            return
        raise exc
    with store:
        if domain is None:
            runs = store.runs(since_date)
            if fmt == "json":
                click.echo(dumps({"history": str(db), "runs": [r.to_dict() for r in runs]}), nl=False)
                return
            names = _level_names([r.levels for r in runs])
            click.echo(f"{'run':>5} {'date':10} {'standards':16} {'products':>8} {'score':>6} {'change':>6} "
                       + " ".join(f"{n:>13}" for n in names) + f" {'errors':>6} {'warnings':>8}")
            previous = None
            for r in runs:
                delta = fmt_delta(r.mean_score - previous) if previous is not None else ""
                click.echo(f"{'#' + str(r.id):>5} {r.as_of:10} {r.standards_pack + ' ' + r.standards_version:16} "
                           f"{r.products:>8} {fmt_number(r.mean_score):>6} {delta:>6} "
                           + " ".join(f"{r.levels.get(n, 0):>13}" for n in names)
                           + f" {r.open_errors:>6} {r.warnings:>8}")
                previous = r.mean_score
            if not runs:
                click.echo("no runs recorded" + (f" since {since_date.isoformat()}" if since_date else ""))
            return
        known = store.domains()
        if known and domain not in known:
            from govern.model.errors import ConfigError
            from govern.model.suggest import did_you_mean

            raise ConfigError(f"no domain '{domain}' in the recorded runs{did_you_mean(domain, known)}",
                              field="--domain", expected=", ".join(known))
        rows = store.domain_trend(domain, since_date)
        if fmt == "json":
            click.echo(dumps({"history": str(db), "domain": domain, "runs": [
                {"run": r["run"].id, "asOf": r["run"].as_of, "products": r["products"], "meanScore": r["meanScore"],
                 "openErrors": r["openErrors"], "warnings": r["warnings"], "levels": r["levels"]} for r in rows
            ]}), nl=False)
            return
        names = _level_names([r["run"].levels for r in rows])
        click.echo(f"domain {domain}")
        click.echo(f"{'run':>5} {'date':10} {'products':>8} {'score':>6} {'change':>6} "
                   + " ".join(f"{n:>13}" for n in names) + f" {'errors':>6} {'warnings':>8}")
        previous = None
        for r in rows:
            delta = fmt_delta(r["meanScore"] - previous) if previous is not None else ""
            click.echo(f"{'#' + str(r['run'].id):>5} {r['run'].as_of:10} {r['products']:>8} "
                       f"{fmt_number(r['meanScore']):>6} {delta:>6} "
                       + " ".join(f"{r['levels'].get(n, 0):>13}" for n in names)
                       + f" {r['openErrors']:>6} {r['warnings']:>8}")
            previous = r["meanScore"]
        if not rows:
            suffix = f" since {since_date.isoformat()}" if since_date else ""
            click.echo(f"no runs recorded for domain '{domain}'{suffix}")


def _level_names(levels: list[dict[str, int]]) -> list[str]:
    """Level names in the order the latest runs recorded them (the scoring configuration's order)."""
    names: list[str] = []
    for entry in reversed(levels):
        names.extend(n for n in entry if n not in names)
    return names
