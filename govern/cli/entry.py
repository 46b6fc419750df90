"""The ``govern`` console script (and ``python -m govern``)."""

from __future__ import annotations


def main() -> None:
    """Run the CLI of ``govern.cli.main``.

    For ``govern check FILE...`` (what pre-commit runs) the mesh index is first compared with the disk
    in a forked child (``govern.meshindex.start_early``), on the other core while click, pydantic and
    cedarpy are imported here.
    """
    import sys

    from govern.meshindex import start_early

    start_early(sys.argv[1:])
    from govern.cli.main import main as run

    run()
