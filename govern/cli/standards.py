"""govern standards: list, show, validate, verify, lock and test the standards pack."""

from __future__ import annotations

import sys

import click

from govern.cli.common import SuggestingGroup, fail_closed


def _pack(pack_root: str | None, name: str):
    from pathlib import Path

    from govern.standards.pack import load_pack

    return load_pack(Path(pack_root) if pack_root else None, name)


pack_option = click.option("--pack", "pack_root", type=click.Path(file_okay=False), help="Root of a standards pack.")
name_option = click.option("--name", default="mesh-core", show_default=True, help="Pack name.")


@click.group(cls=SuggestingGroup)
def standards() -> None:
    """Inspect and check the standards pack. Exit 2 when the pack is broken."""


@standards.command("list")
@pack_option
@name_option
@fail_closed
def list_versions(pack_root, name) -> None:
    """List the versions of the pack."""
    from govern.standards.pack import version_key

    pack = _pack(pack_root, name)
    for version in sorted(pack.versions, key=version_key):
        sv = pack.versions[version]
        click.echo(f"{sv.pack} {sv.version:10} {sv.status:9} {len(sv.rules):3} rules  {sv.description}")


@standards.command("show")
@click.argument("version", required=False)
@pack_option
@name_option
@fail_closed
def show(version, pack_root, name) -> None:
    """Show the rules in force in VERSION (default: latest released)."""
    pack = _pack(pack_root, name)
    sv = pack.version(version)
    click.echo(f"{sv.pack} {sv.version} ({sv.status})")
    for sel in sv.rules:
        spec = sel.spec
        eff = f" from {sel.effective.isoformat()}" if sel.effective else ""
        plugin = f" (plugin {spec.plugin.name} {spec.plugin.version})" if spec.plugin else ""
        click.echo(f"  {spec.id:45} {spec.standard:13} {spec.severity!s:8} {sel.mode}{eff}  [{spec.engine}{plugin}]")


@standards.command("validate")
@pack_option
@name_option
@fail_closed
def validate(pack_root, name) -> None:
    """Load every rule and validate the Cedar policies against the Cedar schema."""
    from govern.standards.pack import validate_pack

    pack = _pack(pack_root, name)
    problems = validate_pack(pack)
    for p in problems:
        click.echo(p, err=True)
    if problems:
        sys.exit(2)
    click.echo(f"{pack.name}: {len(pack.rules)} rules and {len(pack.cedar_files)} Cedar files are valid")


@standards.command("verify")
@pack_option
@name_option
@fail_closed
def verify(pack_root, name) -> None:
    """Fail if a released version changed since it was locked."""
    from govern.standards.pack import verify_pack

    pack = _pack(pack_root, name)
    problems = verify_pack(pack)
    for p in problems:
        click.echo(p, err=True)
    if problems:
        sys.exit(2)
    released = sum(1 for v in pack.versions.values() if v.status == "released")
    click.echo(f"{pack.name}: {released} released versions match the lock file")


@standards.command("lock")
@pack_option
@name_option
@fail_closed
def lock(pack_root, name) -> None:
    """Record digests of released versions not yet in the lock file (never rewrites one)."""
    from govern.standards.pack import write_lock

    pack = _pack(pack_root, name)
    for version, digest in write_lock(pack).items():
        click.echo(f"{version} {digest}")


@standards.command("test")
@click.argument("rules", nargs=-1, metavar="[RULE]...")
@pack_option
@name_option
@fail_closed
def test_cases(rules, pack_root, name) -> None:
    """Run the test cases of the pack's rules (rules/cases/*.yaml), plugin rules included.

    Each case runs on a mesh of its own: its failing example must report the rule, its passing example
    must not. Exit 0 when every case holds (a pack without cases says so), 1 when one does not, 2 when
    the pack is broken or RULE names no case.
    """
    from govern.api import run_rule_cases
    from govern.model.suggest import did_you_mean
    from govern.standards.rulecases import load_cases

    pack = _pack(pack_root, name)
    if rules:
        known = load_cases(pack.root)
        for rule in rules:
            if rule not in known:
                click.echo(f"govern: no case for rule '{rule}' in {pack.root / 'rules' / 'cases'}"
                           f"{did_you_mean(rule, known)}", err=True)
                sys.exit(2)
    outcomes = run_rule_cases(pack, rules or None)
    if not outcomes:
        click.echo(f"{pack.name}: no rule cases in {pack.root / 'rules' / 'cases'} (rules/cases/*.yaml)")
        return
    failed = [o for o in outcomes if o.problem]
    for outcome in failed:
        click.echo(f"{outcome.where}: {outcome.case.rule}: {outcome.problem}")
    count = f"{len(outcomes)} rule case{'' if len(outcomes) == 1 else 's'}"
    if failed:
        click.echo(f"{pack.name}: {count}, {len(failed)} {'does' if len(failed) == 1 else 'do'} not hold")
    else:
        click.echo(f"{pack.name}: {count}, {'it holds' if len(outcomes) == 1 else 'all hold'} (each failing example "
                   "reports its rule, each passing example does not)")
    if failed:
        sys.exit(1)


@standards.command("check")
@pack_option
@name_option
@fail_closed
def check_pack(pack_root, name) -> None:
    """validate and verify in one run (the govern-standards pre-commit hook). Exit 2 on any problem."""
    from govern.standards.pack import validate_pack, verify_pack

    pack = _pack(pack_root, name)
    problems = validate_pack(pack) + verify_pack(pack)
    for p in problems:
        click.echo(p, err=True)
    if problems:
        sys.exit(2)
    released = sum(1 for v in pack.versions.values() if v.status == "released")
    click.echo(f"{pack.name}: {len(pack.rules)} rules and {len(pack.cedar_files)} Cedar files are valid; "
               f"{released} released versions match the lock file")
