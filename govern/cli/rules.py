"""govern rules / govern explain RULE: the rules of the pack in force, and one rule in full."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from govern.cli.common import EXIT_UNDECIDED, Choice, fail_closed

path_argument = click.argument("path", default=".", type=click.Path())
pack_option = click.option("--pack", "pack_root", type=click.Path(file_okay=False),
                           help="Root of a standards pack (default: the one govern.yaml names, else the shipped one).")
version_option = click.option("--standards-version", "version", metavar="X.Y.Z",
                              help="Standards version (default: govern.yaml, else latest released).")


def _in_force(path: str, pack_root: str | None, version: str | None, how: str) -> tuple[Any, Any]:
    """The pack and the standards version in force for the mesh at PATH (its govern.yaml); a govern.yaml
    below that mesh root is not used, and a warning says so (``how``: how to use it instead)."""
    from govern.api import pack_for
    from govern.cli.common import warn_unused_config
    from govern.load.discovery import find_mesh_root, nested_markers
    from govern.load.loader import load_config
    from govern.model.mesh import Mesh

    root = find_mesh_root(Path(path))
    config = load_config(root)
    warn_unused_config(nested_markers(root, config.exclude), how)
    pack = pack_for(Mesh(root=root, config=config), pack_root)
    return pack, pack.version(version or config.standards.version)


def _row(sel: Any) -> dict[str, Any]:
    spec = sel.spec
    plugin = spec.plugin
    return {"id": spec.id, "standard": spec.standard, "severity": str(spec.severity), "mode": sel.mode,
            "effective": sel.effective.isoformat() if sel.effective else None, "engine": spec.engine,
            "plugin": {"name": plugin.name, "version": plugin.version} if plugin else None,
            "reads": sorted(r.value for r in spec.reads)}


def _engine(spec: Any) -> str:
    """``python``, or ``python (plugin acme-govern-checks 1.2.0)`` for a rule a plugin registers."""
    plugin = spec.plugin
    return f"{spec.engine} (plugin {plugin.name} {plugin.version})" if plugin else spec.engine


@click.command("rules")
@path_argument
@click.option("--standard", "standards", multiple=True, metavar="NAME",
              help="Only the rules of this standard (repeatable).")
@click.option("-f", "--format", "fmt", type=Choice(["text", "json"]), default="text", show_default=True)
@pack_option
@version_option
@fail_closed
def rules(path, standards, fmt, pack_root, version) -> None:
    """List the rules in force for the mesh at PATH (default: the current directory).

    Each rule with its id, standard, severity, mode in the version in force and engine.

    Exit 0, or 2 when the pack cannot be read or --standard names no standard of the pack.
    """
    from govern.model.suggest import did_you_mean

    _, sv = _in_force(path, pack_root, version, "run 'govern rules {folder}'")
    known = sorted({sel.spec.standard for sel in sv.rules})
    for name in standards:
        if name not in known:
            click.echo(f"govern: unknown standard '{name}'{did_you_mean(name, known)} "
                       f"(expected one of {', '.join(known)})", err=True)
            raise SystemExit(EXIT_UNDECIDED)
    rows = [_row(sel) for sel in sv.rules if not standards or sel.spec.standard in standards]
    if fmt == "json":
        click.echo(json.dumps({"pack": sv.pack, "version": sv.version, "rules": rows}, indent=2, sort_keys=True))
        return
    click.echo(f"{sv.pack} {sv.version} ({sv.status}): {len(rows)} rule{'' if len(rows) == 1 else 's'}")
    for row in rows:
        mode = row["mode"] + (f" from {row['effective']}" if row["effective"] else "")
        engine = row["engine"] + (f" (plugin {row['plugin']['name']} {row['plugin']['version']})"
                                  if row["plugin"] else "")
        click.echo(f"  {row['id']:45} {row['standard']:13} {row['severity']:8} {mode:10} {engine}")


def _purpose(pack_root: Path, source: str) -> str:
    """The header comment of the rules file a rule is defined in (what its standard is for)."""
    try:
        lines = (pack_root / source).read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    out = []
    for line in lines:
        stripped = line.strip()
        if not stripped.startswith(("#", "//")):
            break
        out.append(stripped.lstrip("#/").strip())
    return " ".join(out)


def _example(overlay: dict[str, Any]) -> str:
    import yaml

    text = yaml.safe_dump(overlay, sort_keys=False, default_flow_style=False, allow_unicode=True).rstrip()
    return "\n".join(f"      {line}" for line in text.splitlines())


@click.command("explain")
@click.argument("rule")
@click.option("--path", default=".", type=click.Path(), show_default=True,
              help="The mesh whose govern.yaml names the pack and version in force.")
@pack_option
@version_option
@fail_closed
def explain(rule, path, pack_root, version) -> None:
    """Explain RULE: what it asks and why, severity and mode, the fix, a passing and a failing example.

    The examples are the rule's test cases in the pack (rules/cases/*.yaml), which the test suite runs.
    Exit 0, or 2 for an unknown RULE (with the closest rule id).
    """
    from govern.model.suggest import did_you_mean
    from govern.standards.rulecases import load_cases

    pack, sv = _in_force(path, pack_root, version, f"run 'govern explain {rule} --path {{folder}}'")
    spec = pack.rules.get(rule)
    if spec is None:
        click.echo(f"govern: unknown rule '{rule}'{did_you_mean(rule, pack.rules)} "
                   f"(govern rules lists the rules in force)", err=True)
        raise SystemExit(EXIT_UNDECIDED)
    selected = next((sel for sel in sv.rules if sel.spec.id == rule), None)
    if selected is None:
        from govern.standards.pack import version_key

        elsewhere = sorted((v for v, other in pack.versions.items() if rule in other.rule_ids()), key=version_key)
        mode = f"not in force in {sv.pack} {sv.version}" + (f"; in {', '.join(elsewhere)}" if elsewhere else "")
    else:
        mode = selected.mode + (f" from {selected.effective.isoformat()}" if selected.effective else "")
        mode += f" in {sv.pack} {sv.version}"
    click.echo(f"{spec.id}  [{spec.standard}, {spec.severity}, {mode}, engine {_engine(spec)}]")
    click.echo(f"  what:  {spec.description or spec.message}")
    purpose = _purpose(pack.root, spec.source)
    if purpose:
        click.echo(f"  why:   {purpose}")
    click.echo(f"  says:  {spec.message}")
    if spec.help:
        click.echo(f"  fix:   {spec.help}")
    click.echo(f"  where: {spec.source}" + (f":{spec.line}" if spec.line else ""))
    if spec.engine == "python":
        from govern.standards.checks import registry

        fn = registry().get(spec.id)
        click.echo(f"  code:  {getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', '?')}"
                   + (f" (plugin {spec.plugin.name} {spec.plugin.version})" if spec.plugin else ""))
    click.echo(f"  reads: {', '.join(sorted(r.value for r in spec.reads)) or 'the file it is about'}")
    case = load_cases(pack.root).get(rule)
    if case is None:
        click.echo("  examples: none in the pack (add a case to rules/cases/*.yaml)")
        return
    pinned = f"; with {sv.pack} {case.version} pinned" if case.version else ""
    click.echo(f"  examples ({case.source}:{case.line}{pinned}; overlays of a product {case.product} that passes "
               f"every rule):")
    if case.others:
        click.echo(f"    with {', '.join(sorted(case.others))} in the mesh")
    for name, text in sorted(case.files.items()):
        click.echo(f"    with {name}: {text.strip()}")
    click.echo("    passes:")
    click.echo(_example(case.passing))
    click.echo("    fails:")
    click.echo(_example(case.failing))
