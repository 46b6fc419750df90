"""govern convert: write native manifests from dbt, ODCS, ODPS or OpenLineage inputs."""

from __future__ import annotations

import sys

import click

from govern.cli.common import Choice, fail_closed, input_formats, input_options


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@input_options
@click.option("--to", "target", type=Choice(["native"]), default="native", show_default=True,
              help="Format to write.")
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Directory for the manifests (OUT/<domain>/<name>/dataproduct.yaml).")
@click.option("--root", type=click.Path(file_okay=False), help="Mesh root (default: found from PATH).")
@fail_closed
def convert(paths, input_format, dbt_manifests, target, out_dir, root) -> None:
    """Write a native dataproduct.yaml for each product imported from PATH... (and --dbt).

    Exit 0 when every input was read cleanly, 1 when some input had errors (still converted where
    possible; the problems are listed on stderr), 2 when it could not run.
    """
    from govern.adopt.convert import convert as run
    from govern.load.loader import load_mesh
    from govern.model.findings import Severity

    paths, forced = input_formats(paths, input_format, dbt_manifests)
    mesh = load_mesh(list(paths), root=root, formats=forced)
    problems = sorted((f for f in mesh.findings if f.severity is Severity.ERROR), key=lambda f: f.sort_key())
    for f in problems:
        where = f"{f.location.path}:{f.location.line}" if f.location.line else (
            f"{f.location.path}#{f.location.pointer}" if f.location.pointer else f.location.path)
        click.echo(f"{where}: {f.rule}: {f.message}", err=True)
    done = run(mesh, out_dir)
    for rel in done.manifests:
        click.echo(f"wrote {out_dir}/{rel}")
    click.echo(f"{len(done.manifests)} manifests, {len(done.sql)} SQL files written to {out_dir}"
               + (f"; {len(done.skipped)} native products left as they are" if done.skipped else ""))
    sys.exit(1 if problems else 0)
