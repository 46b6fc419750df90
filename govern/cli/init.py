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
              help="What the team already has: a dbt project (or its target/manifest.json), a folder of ODCS "
                   "contracts / ODPS products, or an OpenLineage events file. Scaffolds in its folder: teams "
                   "from its owners, what the format cannot say declared once in govern.yaml; then lists what "
                   "is left to fix, in the source's terms.")
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
    from govern.adopt.init_from import init_from

    done = init_from(source)
    for rel in done.written:
        click.echo(f"wrote {rel}")
    for rel in done.kept:
        click.echo(f"kept  {rel} (exists)")
    inputs = ", ".join(f"{n} {describe(fmt)} file{'s' if n != 1 else ''}" for fmt, n in done.formats.items())
    click.echo(f"read {inputs}")
    owners = "dbt groups" if done.manifest is not None else "owners"
    click.echo(f"{len(done.teams)} team{'s' if len(done.teams) != 1 else ''} from {owners}: "
               f"{', '.join(t['id'] for t in done.teams) or 'none'}")
    for env, namespace in done.namespaces.items():
        click.echo(f"environment {env} -> {namespace or 'not recognised: map it in govern.yaml importers.namespaces'}")
    for domain, defaults in done.domain_defaults.items():
        said = ", ".join(f"{k}: {v}" for k, v in defaults.items())
        whose = f"{describe(domain[1:])} products of no domain" if domain.startswith("@") else f"domain {domain}"
        click.echo(f"declared for {whose} (review in govern.yaml): {said}")
    click.echo(f"{done.passing} of {done.checked} product{'s' if done.checked != 1 else ''} pass")
    if not done.left:
        click.echo("nothing left to fix")
        return
    click.echo(f"left to fix ({len(done.left)}):")
    for line in done.left:
        click.echo(f"  {line}")


def describe(fmt: str) -> str:
    from govern.load.importers import describe as name

    return name(fmt)
