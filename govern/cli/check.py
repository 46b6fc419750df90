"""govern check: report findings."""

from __future__ import annotations

import sys

import click

from govern.cli.common import (
    Choice,
    allow_empty_option,
    change_options,
    emit_outputs,
    executor_option,
    fail_closed,
    format_option,
    input_formats,
    input_options,
    machine_output,
    mesh_options,
    quiet_option,
    run_check,
)

THRESHOLDS = {"error": 2, "warning": 1, "never": 99}


@click.command()
@mesh_options
@change_options
@input_options
@format_option()
@allow_empty_option
@click.option("--fail-on", type=Choice(sorted(THRESHOLDS)), default="error", show_default=True,
              help="Exit 1 when an unwaived finding at or above this severity exists.")
@executor_option
@quiet_option
@click.option("-v", "--verbose", is_flag=True, help="Also show info findings.")
@click.option("--record", is_flag=True, help="Also record the scorecards and findings in the history database.")
@click.option("--history", type=click.Path(dir_okay=False), metavar="FILE",
              help="History database for --record (default: govern.yaml 'history:', else .govern/history.sqlite).")
@fail_closed
def check(paths, root, version, today, pack_root, base, baseline, input_format, dbt_manifests, formats, fail_on,
          verbose, record=False, history=None, allow_empty=False, quiet=False, executor=None) -> None:
    """Check the mesh under PATH... (default: the current directory) against the standards in force.

    PATH may be directories (check every product under them) or files, as pre-commit passes them
    (changed-files mode: the whole mesh is loaded, only the products the files affect are reported).
    --base REF checks what changed since REF, plus the history rules.

    Exit 0: nothing at or above --fail-on; 1: findings at or above it; 2: could not run.
    """
    if record:
        from govern.cli.report import ensure_full_mesh, record_check

        ensure_full_mesh(paths, root, base, baseline)
    paths, forced = input_formats(paths, input_format, dbt_manifests)
    result = run_check(paths, root, version, today, pack_root, base=base, baseline=baseline, formats=forced,
                       allow_empty=allow_empty, quiet=quiet, machine=machine_output(formats), executor=executor,
                       reuse=not record)
    emit_outputs(result, formats, verbose=verbose)
    if record:
        record_check(result, history)
    threshold = THRESHOLDS[fail_on]
    failing = any(not f.waived and int(f.severity) >= threshold for f in result.findings)
    if result.undecided:
        sys.exit(2)
    sys.exit(1 if failing else 0)
