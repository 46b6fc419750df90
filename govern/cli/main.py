"""Entry point. Commands load lazily so ``govern check`` imports only what it needs."""

from __future__ import annotations

import importlib
import sys

import click

from govern.cli.common import SuggestingGroup
from govern.version import DISTRIBUTION, __version__

COMMANDS: dict[str, str] = {
    "baseline": "govern.cli.baseline:baseline",
    "check": "govern.cli.check:check",
    "convert": "govern.cli.convert:convert",
    "gate": "govern.cli.gate:gate",
    "impact": "govern.cli.impact:impact",
    "explain": "govern.cli.rules:explain",
    "init": "govern.cli.init:init",
    "lineage": "govern.cli.lineage:lineage",
    "rules": "govern.cli.rules:rules",
    "schema": "govern.cli.schema:schema",
    "standards": "govern.cli.standards:standards",
    "scorecard": "govern.cli.scorecard:scorecard",
    "report": "govern.cli.report:report",
    "history": "govern.cli.history:history",
}


class LazyGroup(SuggestingGroup):
    """Commands are imported when they run (COMMANDS); an unknown one names the closest."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)


@click.group(cls=LazyGroup)
@click.version_option(version=__version__, prog_name="govern",
                      message=f"%(prog)s ({DISTRIBUTION}), version %(version)s")
def cli() -> None:
    """govern: governance-as-code for data mesh.

    Exit codes: 0 ok / allowed, 1 findings at or above the threshold / blocked,
    2 could not run or could not decide (bad config, broken standards, crash).

    Start a mesh with 'govern init'; list the rules with 'govern rules', one rule with
    'govern explain RULE'. Shell completion: eval "$(_GOVERN_COMPLETE=bash_source govern)"
    (zsh_source, fish_source for those shells).
    """


def main() -> None:
    """Console script. Any unexpected crash exits 2, never 0."""
    from govern.cli.common import quick_start

    quick_start(sys.argv[1] if len(sys.argv) > 1 else None)
    try:
        cli.main(standalone_mode=True)
    except SystemExit:
        raise
    except BrokenPipeError:
        from govern.cli.common import stdout_closed

        stdout_closed()
    except BaseException as exc:  # fail closed
        click.echo(f"govern: internal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
