"""Options and helpers shared by the commands."""

from __future__ import annotations

import datetime as dt
import functools
import gc
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from govern.model.errors import GovernError

EXIT_UNDECIDED = 2


class Choice(click.Choice):
    """``click.Choice`` whose error names the closest choice: ``'jsn' is not one of ... (did you mean 'json'?)``."""

    def get_invalid_choice_message(self, value: Any, ctx: click.Context | None) -> str:
        from govern.model.suggest import did_you_mean

        names = [str(c) for c in self.choices]
        return f"'{value}' is not one of {', '.join(names)}{did_you_mean(str(value), names)}"

class SuggestingGroup(click.Group):
    """A command group whose unknown-command error names the closest command (``did you mean 'check'?``)."""

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple:
        name = args[0] if args else ""
        if name and not name.startswith("-") and not ctx.resilient_parsing and self.get_command(ctx, name) is None:
            from govern.model.suggest import did_you_mean

            raise click.UsageError(f"No such command '{name}'{did_you_mean(name, self.list_commands(ctx))}.",
                                   ctx=ctx)
        return super().resolve_command(ctx, args)


_GC_HELD = False  # quick_start paused cyclic garbage collection for this process
COMMANDS_THAT_CHECK = ("check", "gate", "report", "scorecard", "baseline")


def quick_start(command: str | None) -> None:
    """Start-up settings of the ``govern`` command's own process (a library user's process keeps its own).

    - pydantic scans the entry points of every installed distribution for plugins when it builds its
      first validator (a few ms); the command uses none.
    - A command that runs a check keeps cyclic garbage collection paused for its whole (short) life.
      Everything it builds (models, findings, the SQL analysis) lives until it exits, so a collection
      only walks a growing heap to free little: at 10,000 products collecting cost 6 of 20 CPU seconds
      of the main process and freed about 150,000 objects (measured peak memory unchanged, ~710 MB).
      SQL worker processes turn collection back on when they start (govern/analysis): parsed SQL trees
      are cyclic garbage.
    """
    global _GC_HELD
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    if command in COMMANDS_THAT_CHECK and gc.isenabled():
        gc.disable()
        _GC_HELD = True


def library_loaded() -> None:
    """Move everything imported so far out of any later collection (``gc.freeze``): forked SQL workers,
    which do collect, then never walk the parent's modules."""
    if _GC_HELD:
        gc.freeze()


def parse_date(value: str | None, option: str) -> dt.date | None:
    """An ISO date given to ``option``, or None; a malformed one is a usage error (exit 2)."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date (YYYY-MM-DD)", param_hint=option) from None


def parse_today(value: str | None) -> dt.date | None:
    return parse_date(value or os.environ.get("GOVERN_TODAY"), "--today")


def mesh_options(fn: Callable) -> Callable:
    """PATH..., --root, --standards-version, --today, --pack."""
    fn = click.option("--today", metavar="DATE",
                      help="Evaluate as of this date (default: today, UTC; env GOVERN_TODAY).")(fn)
    fn = click.option("--pack", "pack_root", type=click.Path(file_okay=False),
                      help="Root of a custom standards pack.")(fn)
    fn = click.option("--standards-version", "version", metavar="X.Y.Z",
                      help="Standards version (default: govern.yaml, else latest released).")(fn)
    fn = click.option("--root", type=click.Path(file_okay=False),
                      help="Mesh root (default: nearest govern.yaml or org.yaml upwards, else the git work tree).")(fn)
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
    from govern.output.render import FORMATS, render

    for spec in formats:
        fmt, target = split_format(spec)
        if fmt not in FORMATS:
            from govern.model.suggest import did_you_mean

            raise click.BadParameter(f"unknown format '{fmt}'{did_you_mean(fmt, FORMATS)} "
                                     f"(expected {', '.join(sorted(FORMATS))})",
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


EXIT_BROKEN_PIPE = 141  # what a shell reports for a process killed by SIGPIPE


def stdout_closed() -> None:
    """The reader of stdout went away (``govern lineage | head``): stop quietly, with the exit status of
    a process killed by SIGPIPE (never 0: under ``set -o pipefail`` a cut-off gate must not pass)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's last flush must not fail again
    except (OSError, ValueError):
        pass
    sys.exit(EXIT_BROKEN_PIPE)


def fail_closed(fn: Callable) -> Callable:
    """Turn GovernError and any crash into a clear message and exit 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except BrokenPipeError:
            stdout_closed()
        except GovernError as exc:
            click.echo(f"govern: {exc}", err=True)
            sys.exit(EXIT_UNDECIDED)
        except Exception as exc:
            click.echo(f"govern: internal error: {type(exc).__name__}: {exc}", err=True)
            sys.exit(EXIT_UNDECIDED)

    return wrapper


def change_options(fn: Callable) -> Callable:
    """--base REF and --baseline FILE (changed-files mode, history rules, baselines; see govern/ci.py)."""
    fn = click.option("--baseline", type=click.Path(dir_okay=False), metavar="FILE",
                      help="Report and gate only findings not recorded in this baseline (govern baseline create).")(fn)
    fn = click.option("--base", metavar="REF",
                      help="Check only what changed since the merge base of REF and HEAD (git), "
                           "plus the history rules (lifecycle, deletion, versions) against it.")(fn)
    return fn


def input_options(fn: Callable) -> Callable:
    """--input-format FMT and --dbt MANIFEST: read other formats (govern/load/importers)."""
    from govern.load.importers import FORMATS

    fn = click.option("--dbt", "dbt_manifests", multiple=True, metavar="MANIFEST",
                      type=click.Path(dir_okay=False, exists=True),
                      help="Import a dbt target/manifest.json (repeatable); checks what is named, in full.")(fn)
    fn = click.option("--input-format", type=Choice(FORMATS),
                      help="Read the files named in PATH... as this format instead of detecting it by "
                           "content; checks what is named, in full.")(fn)
    return fn


def input_formats(paths: tuple[str, ...], input_format: str | None,
                  dbt_manifests: tuple[str, ...] = ()) -> tuple[tuple[str, ...], dict[str, str]]:
    """PATHs plus --dbt manifests, and the forced format of each named file."""
    formats = {p: input_format for p in paths if input_format and Path(p).is_file()}
    formats.update({m: "dbt" for m in dbt_manifests})
    return (*paths, *dbt_manifests), formats


def warn_unused_config(findings: Any, how: str) -> None:
    """On stderr: each govern.yaml / org.yaml below the mesh root (``input.nested-root`` findings, or the
    paths themselves) was not used. ``how`` says how to use it, with ``{folder}`` for its folder.

    check and gate report it as a finding; the commands that print no findings say it here, so a mesh
    in a sub-folder is never read with the settings of the folder above it unnoticed.
    """
    from govern.load.discovery import INPUT_NESTED_ROOT

    paths = [f if isinstance(f, str) else f.location.path for f in findings
             if isinstance(f, str) or (f.rule == INPUT_NESTED_ROOT and f.location.path)]
    for path in sorted(set(paths)):
        folder = path.rsplit("/", 1)[0] if "/" in path else "."
        click.echo(f"govern: warning: {path} is below the mesh root and was not used; if the mesh is in "
                   f"{folder}/, {how.format(folder=folder)}", err=True)


def _executor_value(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    from govern.analysis.executor import executor_from
    from govern.model.errors import ConfigError

    try:
        executor_from(value)  # only parsed here: nothing connects before the run needs it
    except ConfigError as exc:
        raise click.BadParameter(f"{exc.message} (expected {exc.expected})") from None
    return value


def executor_option(fn: Callable | None = None, *, env: bool = True) -> Any:
    """--executor local|dask://HOST:PORT: where SQL is analysed (govern/analysis/executor.py).

    ``env=False`` (the gate): GOVERN_EXECUTOR is not read. The workers of a cluster compute facts a verdict
    rests on, so the gate uses one only when its command line names it (docs/readme-trust.md).
    """
    where = ("env GOVERN_EXECUTOR" if env else
             "GOVERN_EXECUTOR is not read by the gate: a cluster decides only when named here")

    def add(f: Callable) -> Callable:
        return click.option("--executor", metavar="local|dask://HOST:PORT", callback=_executor_value,
                            help="Where SQL is analysed: this machine's processes (local, the default) or the "
                                 "workers of a Dask scheduler (pip install 'govern-mesh[dask]'); "
                                 f"{where}. The findings are the same; a failing cluster exits 2.")(f)

    return add(fn) if fn is not None else add


def quiet_option(fn: Callable) -> Callable:
    """-q/--quiet: no progress line on stderr."""
    return click.option("-q", "--quiet", is_flag=True,
                        help="No progress on stderr (shown only on a terminal, for runs longer than a second).")(fn)


def machine_output(formats: tuple[str, ...] | list[str]) -> bool:
    """True when a format other than text goes to stdout (json, sarif, ...): no progress is drawn then."""
    return any(fmt != "text" and target is None for fmt, target in map(split_format, formats))


class Watched:
    """The progress callback of one run (govern/cli/progress.py), or None when nobody watches; erases its
    line when the run ends (``with Watched(quiet, machine) as progress: ...``)."""

    def __init__(self, quiet: bool, machine: bool) -> None:
        self.reporter: Any = None
        if not quiet and not machine and sys.stderr.isatty():  # decided before importing anything
            from govern.cli.progress import progress_for

            self.reporter = progress_for(quiet, machine)

    def __enter__(self) -> Any:
        return self.reporter

    def __exit__(self, *exc: object) -> None:
        if self.reporter is not None:
            self.reporter.close()


def allow_empty_option(fn: Callable) -> Callable:
    """--allow-empty: a whole-mesh run that finds no product exits 0 instead of 2."""
    return click.option("--allow-empty", is_flag=True,
                        help="Accept a run that finds no product (default: exit 2, nothing was decided).")(fn)


def refuse_paths_outside_root(paths: tuple[str, ...], root: str | None, whole: bool) -> None:
    """A PATH that does not exist or lies outside the mesh root decides nothing: ConfigError (exit 2).

    Whole-mesh PATHs resolve as the loader resolves them; changed files as govern.ci resolves them
    (relative to the working directory, the git work tree or the mesh root).
    """
    from govern.load.paths import is_inside
    from govern.model.errors import ConfigError

    if not paths:
        return
    if whole:
        from govern.load.discovery import find_mesh_root

        for p in paths:
            if not Path(p).exists():
                from govern.load.paths import missing_path_message

                raise ConfigError(missing_path_message(p), path=p)
        resolved = [(p, Path(p)) for p in paths]
        mesh_root = Path(root).resolve() if root else find_mesh_root(Path(paths[0]))
    else:
        from govern.ci import choose_root, resolve_arguments
        from govern.load.paths import marker_root

        try:
            args = resolve_arguments(list(paths))
        except ConfigError as exc:
            if exc.message != "path does not exist" or exc.path is None:
                raise
            from govern.load.paths import missing_path_message

            raise ConfigError(missing_path_message(exc.path), path=exc.path) from None
        resolved = [(str(f), f) for f in (*args.dirs, *args.files)]
        # run from inside a mesh (pre-commit runs at the repository's top), the files are that mesh's
        here = marker_root(Path.cwd())
        mesh_root = Path(root).resolve() if root else Path(here) if here else choose_root(args)
    real_root = mesh_root.resolve()
    for shown, p in resolved:
        # lexically: a link under the root that leads out is the loader's to report (input.symlink-skipped)
        if not Path(os.path.abspath(p)).is_relative_to(real_root) and not is_inside(p, mesh_root):
            raise ConfigError(f"path is not in the mesh root {mesh_root}", path=shown,
                              expected="a path under the mesh root; --root names another root")


def run_check(paths: tuple[str, ...], root: str | None, version: str | None, today: str | None,
              pack_root: str | None, base: str | None = None, baseline: str | None = None,
              formats: dict[str, str] | None = None, allow_empty: bool = False, quiet: bool = False,
              machine: bool = False, executor: str | None = None, reuse: bool = False) -> Any:
    """Run check/gate on PATH...; a run that finds no product and nothing blocking decides nothing.

    Whole-mesh and named-input runs then get an undecided reason (exit 2) unless ``allow_empty``;
    changed-files runs (files, --base) say on stderr that nothing was affected and go on (exit 0).
    Whole-mesh and named-input runs show progress on a terminal unless ``quiet`` or ``machine`` (a
    machine format goes to stdout). ``executor`` is ``--executor`` (None: GOVERN_EXECUTOR, else local).
    ``reuse``: a whole-mesh run may return the last whole-mesh result when nothing changed (``api.check``).
    """
    whole = not formats and base is None and baseline is None and all(Path(p).is_dir() for p in paths)
    refuse_paths_outside_root(paths, root, whole or bool(formats))
    with Watched(quiet, machine) as progress:
        result = _run_check(paths, root, version, today, pack_root, base, baseline, formats, progress, executor,
                            reuse)
    if result.products or any(f.blocking for f in result.findings):
        return result
    if whole or formats:
        if not allow_empty:
            where = " ".join(paths) if paths else result.root
            reason = f"nothing to check under {where}: is this the mesh root?"
            click.echo(f"govern: {reason} (--allow-empty accepts it)", err=True)
            result.undecided.append(reason)
    else:
        click.echo("govern: the changed files affect no product; nothing to check", err=True)
    return result


def _run_check(paths: tuple[str, ...], root: str | None, version: str | None, today: str | None,
               pack_root: str | None, base: str | None, baseline: str | None,
               formats: dict[str, str] | None, progress: Any = None, executor: str | None = None,
               reuse: bool = False) -> Any:
    from govern.api import check

    library_loaded()
    if formats and (base is not None or baseline is not None):
        raise click.UsageError("--dbt and --input-format cannot be combined with --base or --baseline")
    if formats:  # --dbt / --input-format: what is named, in full
        return check(list(paths), root=root, version=version, today=parse_today(today), pack_root=pack_root,
                     formats=formats, progress=progress, executor=executor)
    if base is not None or baseline is not None or any(not Path(p).is_dir() for p in paths):
        from govern.ci import run  # files (changed-files mode), --base, --baseline

        return run(list(paths), root=root, version=version, today=parse_today(today), pack_root=pack_root,
                   base=base, baseline=baseline, executor=executor)
    # changed-files mode (above) answers in a fraction of a second from the mesh index: no progress
    return check(list(paths), root=root, version=version, today=parse_today(today), pack_root=pack_root,
                 progress=progress, executor=executor, reuse=reuse)
