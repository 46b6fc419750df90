"""govern lineage: show the lineage graph of the mesh, or of one product up- and downstream."""

from __future__ import annotations

import click

from govern.cli.common import Choice, Watched, fail_closed, quiet_option, warn_unused_config

FORMATS = ("text", "json", "dot", "mermaid")


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--root", type=click.Path(file_okay=False), help="Mesh root (default: found upwards from PATH).")
@click.option("--product", "product", metavar="ID", help="Show the lineage around this product only.")
@click.option("--upstream", "direction", flag_value="upstream", help="Only what the product reads from.")
@click.option("--downstream", "direction", flag_value="downstream", help="Only what reads the product.")
@click.option("--depth", type=click.IntRange(min=1), help="How many hops to follow (default: all).")
@click.option("-f", "--format", "fmt", type=Choice(FORMATS), default="text", show_default=True)
@click.option("--full", is_flag=True, help="Also show datasets (output ports), jobs and raw tables.")
@click.option("--no-sql", is_flag=True, help="Declared lineage only; do not analyse SQL.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
@quiet_option
@fail_closed
def lineage(paths, root, product, direction, depth, fmt, full, no_sql, output, quiet=False) -> None:
    """Print the lineage graph of the mesh under PATH... (default: the current directory): declared
    inputs, reads observed in SQL, and where each came from.

    Links the SQL reads but the manifest does not declare are marked 'undeclared'; declared inputs
    the (fully parsed) SQL never reads are marked 'not read by SQL'.

    Exit 0: printed; 2: could not run (bad mesh, unknown --product).
    """
    from govern.analysis.graph import load_graph
    from govern.model.errors import ConfigError
    from govern.output.lineage import select, to_dot, to_json, to_mermaid, to_text

    with Watched(quiet, fmt != "text" and not output) as progress:
        mesh, analysis, graph = load_graph(list(paths), root=root, sql=not no_sql, progress=progress)
    warn_unused_config(mesh.findings, "run govern lineage there, or pass --root {folder}")
    if product is not None and product not in mesh.by_id:
        from govern.model.suggest import did_you_mean

        raise ConfigError(f"no product '{product}' in the mesh{did_you_mean(product, mesh.by_id)}", field="--product")
    if product is None and (direction or depth):
        raise click.UsageError("--upstream, --downstream and --depth need --product")
    sel = select(graph, analysis, product, upstream=direction != "downstream",
                 downstream=direction != "upstream", depth=depth, full=full)
    text = {"text": lambda: to_text(sel), "json": lambda: to_json(sel, analysis),
            "dot": lambda: to_dot(sel), "mermaid": lambda: to_mermaid(sel)}[fmt]()
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        click.echo(text, nl=False)
