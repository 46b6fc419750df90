"""govern lineage: show the lineage graph of the mesh, or of one product up- and downstream."""

from __future__ import annotations

import sys

import click

from govern.cli.common import Choice, Watched, fail_closed, quiet_option, warn_unused_config

FORMATS = ("text", "json", "dot", "mermaid", "svg", "html")
MAP_FORMATS = ("svg", "html")  # the lineage map: needs a check, for the certitude levels


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--root", type=click.Path(file_okay=False), help="Mesh root (default: found upwards from PATH).")
@click.option("--product", "product", metavar="ID", help="Show the lineage around this product only.")
@click.option("--upstream", "direction", flag_value="upstream", help="Only what the product reads from.")
@click.option("--downstream", "direction", flag_value="downstream", help="Only what reads the product.")
@click.option("--depth", type=click.IntRange(min=1), help="How many hops to follow (default: all).")
@click.option("-f", "--format", "fmt", type=Choice(FORMATS), default="text", show_default=True,
              help="svg: the lineage map (products by domain, coloured by certitude level); "
                   "html: the same map as a page, with its domain views, search and highlighting.")
@click.option("--full", is_flag=True, help="Also show datasets (output ports), jobs and raw tables.")
@click.option("--no-sql", is_flag=True, help="Declared lineage only; do not analyse SQL.")
@click.option("--today", metavar="DATE",
              help="svg, html: score as of this date (default: today, UTC; env GOVERN_TODAY).")
@click.option("--standards-version", "version", metavar="X.Y.Z",
              help="svg, html: standards version for the levels (default: govern.yaml, else latest released).")
@click.option("--pack", "pack_root", type=click.Path(file_okay=False),
              help="svg, html: root of a custom standards pack.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
@quiet_option
@fail_closed
def lineage(paths, root, product, direction, depth, fmt, full, no_sql, today, version, pack_root, output,
            quiet=False) -> None:
    """Print the lineage graph of the mesh under PATH... (default: the current directory): declared
    inputs, reads observed in SQL, and where each came from.

    Links the SQL reads but the manifest does not declare are marked 'undeclared'; declared inputs
    the (fully parsed) SQL never reads are marked 'not read by SQL'.

    -f svg and -f html draw the lineage map: products grouped by domain and coloured by certitude
    level (they run a check for the levels), declared and observed-only links told apart, deprecated,
    retired and tombstoned products marked. Above 200 products the map opens on the domains.

    Exit 0: printed; 2: could not run (bad mesh, unknown --product; for svg and html also a rule that
    could not be evaluated: the map is still written).
    """
    if product is None and (direction or depth):
        raise click.UsageError("--upstream, --downstream and --depth need --product")
    if fmt in MAP_FORMATS:
        if full:
            raise click.UsageError("--full is for text, json, dot and mermaid: the map shows products only")
        if no_sql:
            raise click.UsageError("--no-sql is for text, json, dot and mermaid: the map's levels come from a "
                                   "check that reads the SQL")
        text, undecided = _map(paths, root, product, direction, depth, fmt, today, version, pack_root, quiet,
                               machine=not output)
        _write(text, output)
        if undecided:
            click.echo("govern: some rules could not be evaluated, so levels may be wrong: " + "; ".join(undecided),
                       err=True)
            sys.exit(2)
        return
    from govern.analysis.graph import load_graph
    from govern.output.lineage import select, to_dot, to_json, to_mermaid, to_text

    with Watched(quiet, fmt != "text" and not output) as progress:
        mesh, analysis, graph = load_graph(list(paths), root=root, sql=not no_sql, progress=progress)
    warn_unused_config(mesh.findings, "run govern lineage there, or pass --root {folder}")
    _known(product, mesh)
    sel = select(graph, analysis, product, upstream=direction != "downstream",
                 downstream=direction != "upstream", depth=depth, full=full)
    text = {"text": lambda: to_text(sel), "json": lambda: to_json(sel, analysis),
            "dot": lambda: to_dot(sel), "mermaid": lambda: to_mermaid(sel)}[fmt]()
    _write(text, output)


def _known(product: str | None, mesh) -> None:
    if product is not None and (mesh is None or product not in mesh.by_id):
        from govern.model.errors import ConfigError
        from govern.model.suggest import did_you_mean

        known = mesh.by_id if mesh is not None else {}
        raise ConfigError(f"no product '{product}' in the mesh{did_you_mean(product, known)}", field="--product")


def _map(paths, root, product, direction, depth, fmt, today, version, pack_root, quiet: bool = False,
         machine: bool = True) -> tuple[str, list[str]]:
    """The lineage map (svg or html) of a checked mesh, and why the check could not decide (if it could not)."""
    from pathlib import Path

    from govern.analysis.graph import build_graph
    from govern.cli.common import run_check
    from govern.output.lineage import select
    from govern.output.lineagemap import build_map, to_svg
    from govern.output.report import render_lineage_page
    from govern.output.scorecard import build_scorecards

    result = run_check(paths, root, version, today, pack_root, quiet=quiet, machine=machine)
    _known(product, result.mesh)
    if result.mesh is None:
        raise click.ClickException("no mesh to draw")
    graph = build_graph(result.mesh, result.edges)
    sel = select(graph, result.analysis, product, upstream=direction != "downstream",
                 downstream=direction != "upstream", depth=depth)
    title = Path(result.root).name + (f": around {product}" if product else "")
    lmap = build_map(sel, build_scorecards(result), title=title)
    return (to_svg(lmap) if fmt == "svg" else render_lineage_page(lmap)), list(result.undecided)


def _write(text: str, output: str | None) -> None:
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        click.echo(text, nl=False)
