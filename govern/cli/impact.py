"""govern impact: everything that transitively depends on a product, with owners and lifecycle state."""

from __future__ import annotations

import click

from govern.cli.common import Choice, Watched, fail_closed, quiet_option, warn_unused_config


@click.command()
@click.argument("args", nargs=-1, metavar="[PATH] ID")
@click.option("--root", type=click.Path(file_okay=False), help="Mesh root (default: found upwards from PATH).")
@click.option("--depth", type=click.IntRange(min=1), help="How many hops to follow (default: all).")
@click.option("-f", "--format", "fmt", type=Choice(("text", "json")), default="text", show_default=True)
@click.option("--no-sql", is_flag=True, help="Declared lineage only; do not analyse SQL.")
@quiet_option
@fail_closed
def impact(args, root, depth, fmt, no_sql, quiet=False) -> None:
    """List the products that depend on ID (declared, or reading it in SQL), their owners and states.

    PATH is the mesh (default: the current directory).

    Run it before deprecating or tombstoning ID: these are the owners to notify.

    Exit 0: printed (also when nothing depends on ID); 2: could not run (bad mesh, unknown ID).
    """
    from govern.analysis.graph import load_graph
    from govern.model.errors import ConfigError
    from govern.output.lineage import impact as compute
    from govern.output.lineage import impact_json, impact_text

    if len(args) not in (1, 2):
        raise click.UsageError("expected [PATH] ID: the product id, after the mesh path if it is not .")
    path, product_id = (".", args[0]) if len(args) == 1 else args
    with Watched(quiet, fmt != "text") as progress:
        mesh, _, graph = load_graph([path], root=root, sql=not no_sql, progress=progress)
    warn_unused_config(mesh.findings, "run govern impact there, or pass --root {folder}")
    if product_id not in mesh.by_id:
        from govern.model.suggest import did_you_mean

        raise ConfigError(f"no product '{product_id}' in the mesh{did_you_mean(product_id, mesh.by_id)}", field="ID")
    result = compute(graph, product_id, depth=depth)
    click.echo(impact_json(result) if fmt == "json" else impact_text(result), nl=False)
