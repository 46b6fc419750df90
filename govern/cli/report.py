"""govern report: write index.html, report.md and scorecards.json, and record the run in the history."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from govern.cli.common import (
    executor_option,
    fail_closed,
    mesh_options,
    quiet_option,
    run_check,
    warn_unused_config,
)


def history_option(fn):
    return click.option(
        "--history", "history", type=click.Path(dir_okay=False), metavar="FILE",
        help="History database (default: 'history:' of govern.yaml, else .govern/history.sqlite under the mesh root).",
    )(fn)


def resolve_history(result, history: str | None) -> Path:
    """--history, else govern.yaml's history:, else .govern/history.sqlite under the mesh root."""
    from govern.output.history import default_history_path

    if history:
        return Path(history).resolve()
    configured = result.mesh.config.history if result.mesh is not None else None
    return default_history_path(Path(result.root), configured)


def is_full_mesh(paths: tuple[str, ...], root: str | None) -> bool:
    """True when PATH... covers the whole mesh (no path, or the mesh root itself)."""
    from govern.load.discovery import find_mesh_root

    if not paths:
        return True
    mesh_root = Path(root).resolve() if root else find_mesh_root(Path(paths[0]))
    return any(Path(p).is_dir() and Path(p).resolve() == mesh_root for p in paths)


def ensure_full_mesh(paths: tuple[str, ...], root: str | None, base: str | None, baseline: str | None) -> None:
    """--record keeps the trend of the whole mesh: refuse changed-files mode, baselines and sub-paths."""
    if base is not None or baseline is not None:
        raise click.UsageError("--record records whole-mesh runs; it cannot be combined with --base or --baseline")
    if not is_full_mesh(paths, root):
        raise click.UsageError("--record records whole-mesh runs: give the mesh root as PATH (or no PATH)")


def record_check(result, history: str | None) -> None:
    """Record the scorecards of a check in the history (govern check --record)."""
    from govern.output.history import History
    from govern.output.scorecard import build_scorecards

    cards = build_scorecards(result)
    path = resolve_history(result, history)
    with History(path) as store:
        run_id = store.record(cards, mesh=Path(result.root).name, source="check")
    click.echo(f"recorded run #{run_id} in {path}", err=True)


@click.command()
@mesh_options
@click.option("-o", "--out", "out", required=True, type=click.Path(file_okay=False), metavar="DIR",
              help="Directory to write index.html, report.md and scorecards.json into.")
@history_option
@click.option("--no-record", is_flag=True, help="Read the history for trends and changes, but do not record this run.")
@click.option("--templates", type=click.Path(file_okay=False, exists=True), metavar="DIR",
              help="Use report templates from DIR instead of the shipped ones (reports/templates).")
@executor_option
@quiet_option
@fail_closed
def report(paths, root, version, today, pack_root, out, history, no_record, templates, quiet=False,
           executor=None) -> None:
    """Write the compliance report of the mesh under PATH... and record the run in the history.

    Exit 0 when the report was written (whatever the findings); 2 when it could not be written or a
    rule could not be evaluated (the report then shows the crash as a finding).
    """
    from govern.output.report import fmt_number, generate_report

    full = is_full_mesh(paths, root)
    if not full and not no_record:
        click.echo("govern: PATH is part of the mesh: this report is not recorded in the history", err=True)
    result = run_check(paths, root, version, today, pack_root, quiet=quiet, executor=executor)
    warn_unused_config(result.findings, "run govern report there, or pass --root {folder}")
    outcome = generate_report(result, out, history_path=resolve_history(result, history),
                              record=full and not no_record, templates_dir=templates)
    total = outcome.cards.total
    levels = ", ".join(f"{n} {c}" for n, c in total.levels.items())
    for path in outcome.files:
        click.echo(f"wrote {path}")
    run = f"run #{outcome.run.id}" if outcome.recorded else "not recorded"
    from govern.output.render import count

    click.echo(f"{count(total.products, 'product')}, mean score {fmt_number(total.mean_score)} ({levels}); {run}")
    changes = outcome.changes
    if changes.previous is not None:
        click.echo(
            f"since run #{changes.previous.id} ({changes.previous.as_of}): {len(changes.new_findings)} new, "
            f"{count(len(changes.fixed_findings), 'fixed finding')}; {count(len(changes.levels_up), 'product')} up, "
            f"{len(changes.levels_down)} down a level"
        )
    if result.undecided:
        click.echo("govern: some rules could not be evaluated: " + "; ".join(result.undecided), err=True)
        sys.exit(2)
