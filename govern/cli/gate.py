"""govern gate: the deployment decision."""

from __future__ import annotations

import contextlib
import sys

import click

from govern.cli.common import (
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


@click.command()
@mesh_options
@change_options
@input_options
@format_option()
@click.option("--trust-cache", is_flag=True,
              help="Use the mesh index and pack cache of this machine (off by default: only where no earlier job, "
                   "pull request or restored CI cache can write .govern-cache/ or ~/.cache/govern).")
@allow_empty_option
@executor_option(env=False)
@quiet_option
@fail_closed
def gate(paths, root, version, today, pack_root, base, baseline, input_format, dbt_manifests, formats,
         trust_cache=False, allow_empty=False, quiet=False, executor=None) -> None:
    """Decide whether the products under PATH... may be deployed.

    PATH may be directories or changed files (changed-files mode, as for check); with --base REF only
    what changed since REF is decided, and the history rules (lifecycle, deletion, versions) apply.

    Blocked when any unwaived error of an enforce rule exists. Exit 0 allowed, 1 blocked,
    2 could not decide (fails closed). The gate reads no cache unless --trust-cache is given: its
    verdict comes from the files alone.
    """
    from govern.evaluate.gate import decide
    from govern.incremental.sealed import caches_off

    paths, forced = input_formats(paths, input_format, dbt_manifests)
    with contextlib.nullcontext() if trust_cache else caches_off():
        result = run_check(paths, root, version, today, pack_root, base=base, baseline=baseline, formats=forced,
                           allow_empty=allow_empty, quiet=quiet, machine=machine_output(formats),
                           executor=executor or "local")  # GOVERN_EXECUTOR is not read: see executor_option
    decision = decide(result)
    emit_outputs(result, formats, gate=decision)
    sys.exit(decision.exit_code)
