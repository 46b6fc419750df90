"""Options and helpers shared by the commands."""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from govern.errors import GovernError

EXIT_UNDECIDED = 2


def parse_today(value: str | None) -> dt.date | None:
    value = value or os.environ.get("GOVERN_TODAY")
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date (YYYY-MM-DD)", param_hint="--today") from None


def mesh_options(fn: Callable) -> Callable:
    """PATH..., --root, --standards-version, --today, --pack."""
    fn = click.option("--today", metavar="DATE", help="Evaluate as of this date (default: today, UTC; env GOVERN_TODAY).")(fn)
    fn = click.option("--pack", "pack_root", type=click.Path(file_okay=False), help="Root of a custom standards pack.")(fn)
    fn = click.option("--standards-version", "version", metavar="X.Y.Z", help="Standards version (default: govern.yaml, else latest released).")(fn)
    fn = click.option("--root", type=click.Path(file_okay=False), help="Mesh root (default: nearest govern.yaml or org.yaml upwards, else the git work tree).")(fn)
    fn = click.argument("paths", nargs=-1, type=click.Path())(fn)
    return fn


def format_option(default: str = "text") -> Callable:
    return click.option(
        "-f", "--format", "formats", multiple=True, default=(default,), metavar="FMT[=FILE]",
        help="Output format, repeatable; FMT=FILE writes to a file (e.g. -f text -f sarif=out.sarif).",
    )


def split_format(spec: str) -> tuple[str, str | None]:
    fmt, _, target = spec.partition("=")
    return fmt.strip(), (target or None)


def emit_outputs(result: Any, formats: tuple[str, ...], **options: Any) -> None:
    """Render every requested format; stdout or files. Unknown formats are a usage error."""
    from govern.render import FORMATS, render

    for spec in formats:
        fmt, target = split_format(spec)
        if fmt not in FORMATS:
            raise click.BadParameter(f"unknown format '{fmt}' (expected {', '.join(sorted(FORMATS))})",
                                     param_hint="--format")
    for spec in formats:
        fmt, target = split_format(spec)
        colour = fmt == "text" and target is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        text = render(result, fmt, colour=colour, **options)
        if target is None:
            click.echo(text, nl=False)
        else:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            Path(target).write_text(text, encoding="utf-8")


def fail_closed(fn: Callable) -> Callable:
    """Turn GovernError and any crash into a clear message and exit 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except GovernError as exc:
            click.echo(f"govern: {exc}", err=True)
            sys.exit(EXIT_UNDECIDED)
        except Exception as exc:
            click.echo(f"govern: internal error: {type(exc).__name__}: {exc}", err=True)
            sys.exit(EXIT_UNDECIDED)

    return wrapper


def run_check(paths: tuple[str, ...], root: str | None, version: str | None, today: str | None,
              pack_root: str | None) -> Any:
    from govern.api import check

    return check(list(paths), root=root, version=version, today=parse_today(today), pack_root=pack_root)
