"""govern init: scaffold a governance repository."""

from __future__ import annotations

import click

from govern.cli.common import fail_closed


@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.option("--copy-pack", is_flag=True,
              help="Copy the shipped standards pack into DIRECTORY/standards-pack and use it, instead of "
                   "pinning the shipped pack's version.")
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
@fail_closed
def init(directory, copy_pack, force) -> None:
    """Scaffold govern.yaml, org.yaml, waivers.yaml, .pre-commit-config.yaml and a CI workflow.

    Existing files are kept (unless --force). Exit 0 when done, 2 when it could not write.
    """
    from govern.scaffold import init as scaffold

    done = scaffold(directory, copy_pack=copy_pack, force=force)
    for rel in done.written:
        click.echo(f"wrote {rel}")
    for rel in done.kept:
        click.echo(f"kept  {rel} (exists; --force overwrites)")
    click.echo(f"next: add data products under {directory}, then run 'govern check {directory}'")
