"""govern schema: print the JSON Schema of a file govern reads (manifest, govern.yaml, org.yaml, waivers.yaml)."""

from __future__ import annotations

import click

from govern.cli.common import Choice

KINDS = ("manifest", "config", "org", "waivers")


@click.command()
@click.option("--for", "kind", type=Choice(KINDS), default="manifest", show_default=True,
              help="manifest: dataproduct.yaml; config: govern.yaml; org: org.yaml; waivers: waivers.yaml.")
def schema(kind: str) -> None:
    """Print the JSON Schema (draft 2020-12) of dataproduct.yaml, govern.yaml, org.yaml or waivers.yaml.

    Editors complete and check a file against it when its first line names it
    (yaml-language-server: VS Code's YAML extension, Neovim, JetBrains, Helix):

    \b
      # yaml-language-server: $schema=schemas/dataproduct.schema.json

    'govern init' writes the four schemas into schemas/ and this line into the files it scaffolds;
    after upgrading govern, refresh them: govern schema --for manifest > schemas/dataproduct.schema.json
    """
    from govern.load.schemas import json_schema
    from govern.output.render.json_ import dumps

    click.echo(dumps(json_schema(kind)), nl=False)
