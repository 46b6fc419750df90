"""govern baseline: accept the findings of today so that check and gate report only new ones."""

from __future__ import annotations

import sys

import click

from govern.cli.common import EXIT_UNDECIDED, SuggestingGroup, fail_closed, mesh_options, quiet_option, run_check


@click.group(cls=SuggestingGroup)
def baseline() -> None:
    """Record current findings; then 'check/gate --baseline FILE' report and gate only new ones."""


@baseline.command("create")
@mesh_options
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), metavar="FILE",
              help="Where to write the baseline (JSON; commit it next to govern.yaml).")
@quiet_option
@fail_closed
def create(paths, root, version, today, pack_root, output, quiet=False) -> None:
    """Check the mesh under PATH... and write the fingerprints of its unwaived findings to FILE.

    Fingerprints hash the rule, product, file and offending content, not line numbers, so edits
    elsewhere in a file keep a finding known. Exit 0 written; 2 could not run (nothing is written
    when a rule crashed: a partial baseline would hide findings it never saw).
    """
    from govern.evaluate.baseline import write

    result = run_check(paths, root, version, today, pack_root, quiet=quiet)
    if result.undecided:
        for reason in result.undecided:
            click.echo(f"govern: {reason}", err=True)
        click.echo("govern: baseline not written", err=True)
        sys.exit(EXIT_UNDECIDED)
    document = write(result, output)
    from govern.output.render import count

    click.echo(f"baseline: {count(document['total'], 'finding')} ({count(len(document['findings']), 'fingerprint')}) "
               f"of {count(len(result.products), 'product')} written to {output}")
