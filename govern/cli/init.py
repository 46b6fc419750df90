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
@click.option("--no-example", is_flag=True, help="Do not write the example product (platform/example).")
@click.option("--from", "source", type=click.Path(exists=True),
              help="A dbt project (or its target/manifest.json): scaffold in the project, teams from its "
                   "groups, then list what is left to fix, in dbt terms.")
@fail_closed
def init(directory, copy_pack, force, no_example, source) -> None:
    """Scaffold a governance repository in DIRECTORY (default: the current one).

    Writes govern.yaml (the standards version pinned), org.yaml, waivers.yaml, an example product
    that passes every rule (platform/example/dataproduct.yaml), the JSON Schemas of these files
    (schemas/; each file names its schema in a yaml-language-server line, for completion in editors),
    .pre-commit-config.yaml and a GitHub workflow that install the same govern-mesh version, and a
    .gitignore for govern's cache (.govern-cache/) and history (.govern/).

    Existing files are kept (unless --force; a .gitignore gets the missing lines). Exit 0 when done,
    2 when it could not write.
    """
    if source is not None:
        _init_from(source)
        return
    from govern.adopt.scaffold import EXAMPLE_DIR
    from govern.adopt.scaffold import init as scaffold

    done = scaffold(directory, copy_pack=copy_pack, force=force, example=not no_example)
    for rel in done.written:
        click.echo(f"wrote {rel}")
    for rel in done.updated:
        click.echo(f"added govern's cache and history to {rel}")
    for rel in done.kept:
        click.echo(f"kept  {rel} (exists; --force overwrites)")
    where = "" if directory == "." else f" {directory}"
    if no_example:
        click.echo(f"next: add data products, then run 'govern check{where}'")
    else:
        click.echo(f"next: 'govern check{where}' passes on the example product ({EXAMPLE_DIR}/dataproduct.yaml); "
                   "copy it for your own products, then delete it")


def _init_from(source: str) -> None:
    from govern.adopt.dbt_init import init_from_dbt

    done = init_from_dbt(source)
    for rel in done.written:
        click.echo(f"wrote {rel}")
    for rel in done.kept:
        click.echo(f"kept  {rel} (exists)")
    click.echo(f"{len(done.teams)} teams from dbt groups: {', '.join(t['id'] for t in done.teams) or 'none'}")
    if not done.left:
        click.echo(f"nothing left to fix: 'govern check --dbt {done.project}/target/manifest.json' passes")
        return
    click.echo(f"left to fix ({len(done.left)}):")
    for line in done.left:
        click.echo(f"  {line}")
