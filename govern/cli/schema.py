"""govern schema: print the JSON Schema of the native manifest."""

from __future__ import annotations

import click


@click.command()
def schema() -> None:
    """Print the JSON Schema of dataproduct.yaml."""
    from govern.model.product import manifest_json_schema
    from govern.output.render.json_ import dumps

    click.echo(dumps(manifest_json_schema()), nl=False)
