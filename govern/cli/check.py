"""govern check: report findings."""

from __future__ import annotations

import sys

import click

from govern.cli.common import emit_outputs, fail_closed, format_option, mesh_options, run_check

THRESHOLDS = {"error": 2, "warning": 1, "never": 99}


@click.command()
@mesh_options
@format_option()
@click.option("--fail-on", type=click.Choice(sorted(THRESHOLDS)), default="error", show_default=True,
              help="Exit 1 when an unwaived finding at or above this severity exists.")
@click.option("-v", "--verbose", is_flag=True, help="Also show info findings.")
@fail_closed
def check(paths, root, version, today, pack_root, formats, fail_on, verbose) -> None:
    """Check the mesh under PATH... against the standards in force.

    Exit 0: nothing at or above --fail-on; 1: findings at or above it; 2: could not run.
    """
    result = run_check(paths, root, version, today, pack_root)
    emit_outputs(result, formats, verbose=verbose)
    threshold = THRESHOLDS[fail_on]
    failing = any(not f.waived and int(f.severity) >= threshold for f in result.findings)
    if result.undecided:
        sys.exit(2)
    sys.exit(1 if failing else 0)
