"""govern gate: the deployment decision."""

from __future__ import annotations

import sys

import click

from govern.cli.common import (
    allow_empty_option,
    change_options,
    emit_outputs,
    fail_closed,
    format_option,
    input_formats,
    input_options,
    mesh_options,
    run_check,
)


@click.command()
@mesh_options
@change_options
@input_options
@format_option()
@allow_empty_option
@fail_closed
def gate(paths, root, version, today, pack_root, base, baseline, input_format, dbt_manifests, formats,
         allow_empty=False) -> None:
    """Decide whether the products under PATH... may be deployed.

    PATH may be directories or changed files (changed-files mode, as for check); with --base REF only
    what changed since REF is decided, and the history rules (lifecycle, deletion, versions) apply.

    Blocked when any unwaived error of an enforce rule exists. Exit 0 allowed, 1 blocked,
    2 could not decide (fails closed).
    """
    from govern.gate import decide

    paths, forced = input_formats(paths, input_format, dbt_manifests)
    result = run_check(paths, root, version, today, pack_root, base=base, baseline=baseline, formats=forced,
                       allow_empty=allow_empty)
    decision = decide(result)
    emit_outputs(result, formats, gate=decision)
    sys.exit(decision.exit_code)
