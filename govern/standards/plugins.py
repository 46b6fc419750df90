"""Plugins: an organisation's Python rules, from installed packages that the pack names.

A rule that YAML and Cedar cannot express is a Python function registered with ``@register`` (as
govern's own checks in govern/standards/checks/ are), in an installed distribution that declares entry
points in the group ``govern.checks``. Each entry point names a module or a package; loading it imports
the module (every module of a package), whose ``@register`` decorators register the rules. The rule's
metadata stays in the pack's ``rules/*.yaml`` (``engine: python``), and the rules file names the plugin:

    plugins:
      - name: acme-govern-checks      # the distribution, as pip knows it
        version: ">=1.2,<2"           # optional: a PEP 440 version specifier

Only the plugins a pack names are loaded, and only when it names one: a pack without ``plugins:`` imports
nothing of this module (the pre-commit path stays as it was). A plugin that is not installed, whose
version does not match, that declares no entry point, fails to import, or registers a rule id govern's
own checks (or another plugin) already register stops the run (StandardsError: exit 2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from govern.model.errors import StandardsError
from govern.standards.checks import Plugin

if TYPE_CHECKING:
    from govern.model.source import SourceMap

GROUP = "govern.checks"
_FIELDS = ("name", "version")
# a distribution name (PEP 508): letters, digits, and . _ - inside
_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")
_LOADED: dict[str, Plugin] = {}  # normalised name -> the plugin, loaded once per process


@dataclass(frozen=True)
class PluginRef:
    """A plugin a pack names: its distribution name, an optional version specifier, and where."""

    name: str
    requirement: str | None
    source: str
    line: int | None
    field: str  # plugins[0]

    @property
    def key(self) -> str:
        return normalise(self.name)

    def __str__(self) -> str:
        return f"{self.name}{self.requirement or ''}"


def normalise(name: str) -> str:
    """A distribution name as the package index compares it (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_plugins(value: Any, where: str, smap: SourceMap) -> list[PluginRef]:
    """The ``plugins:`` list of a rules file: each entry a distribution name, or ``{name, version}``."""
    from govern.model.suggest import did_you_mean

    line = smap.line_of(("plugins",))
    if not isinstance(value, list):
        raise StandardsError("'plugins' must be a list of plugins, each a distribution name or {name, version}",
                             path=where, line=line, field="plugins")
    out = []
    for i, entry in enumerate(value):
        at = smap.line_of(("plugins", i)) or line
        field = f"plugins[{i}]"
        if isinstance(entry, str):
            entry = {"name": entry}
        if not isinstance(entry, dict):
            raise StandardsError("a plugin is a distribution name, or a mapping {name, version}", path=where,
                                 line=at, field=field, expected="name: <distribution>, version: <specifier>")
        for key in entry:
            if key not in _FIELDS:
                raise StandardsError(f"unknown field '{key}'{did_you_mean(str(key), _FIELDS)}", path=where,
                                     line=at, field=f"{field}.{key}", expected=", ".join(_FIELDS))
        name = entry.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise StandardsError(f"'{name}' is not a distribution name" if name is not None
                                 else "a plugin needs a 'name'", path=where, line=at, field=f"{field}.name",
                                 expected="the name pip installs it by, e.g. acme-govern-checks")
        requirement = entry.get("version")
        if requirement is not None:
            requirement = _specifier(requirement, where, at, f"{field}.version")
        out.append(PluginRef(name, requirement, where, at, field))
    return out


def _specifier(value: Any, where: str, line: int | None, field: str) -> str:
    """A PEP 440 version specifier as text (``1.2`` alone means ``==1.2``)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    if not isinstance(value, str):  # YAML reads 1.10 as the number 1.1
        raise StandardsError(f"the version of a plugin is text: write '\"{value}\"' in quotes", path=where, line=line,
                             field=field, expected="a PEP 440 specifier in quotes, such as \">=1.2,<2\"")
    text = value.strip()
    if re.match(r"^\d", text):
        text = f"=={text}"
    try:
        SpecifierSet(text)
    except InvalidSpecifier:
        raise StandardsError(f"'{value}' is not a version specifier", path=where, line=line, field=field,
                             expected="a PEP 440 specifier such as '>=1.2,<2' or '==1.4.0'") from None
    return text


def installed_plugins() -> list[str]:
    """Names of the installed distributions that declare ``govern.checks`` entry points (not imported)."""
    from importlib import metadata

    names = set()
    for ep in metadata.entry_points(group=GROUP):
        dist = getattr(ep, "dist", None)
        if dist is not None and dist.metadata["Name"]:
            names.add(dist.metadata["Name"])
    return sorted(names)


def load_plugins(refs: list[PluginRef]) -> dict[str, Plugin]:
    """Load the plugins ``refs`` name (after govern's own checks, whose rule ids no plugin may take);
    return them by normalised name. StandardsError at the line that names a plugin that cannot be used."""
    from govern.standards.checks import registry

    registry()
    out: dict[str, Plugin] = {}
    for ref in refs:
        plugin = _LOADED.get(ref.key) or _load(ref)
        _check_version(ref, plugin)
        _LOADED[ref.key] = out[ref.key] = plugin
    return out


def _check_version(ref: PluginRef, plugin: Plugin) -> None:
    if ref.requirement is None:
        return
    from packaging.specifiers import SpecifierSet
    from packaging.version import InvalidVersion, Version

    try:
        matches = SpecifierSet(ref.requirement).contains(Version(plugin.version), prereleases=True)
    except InvalidVersion:
        matches = False
    if not matches:
        raise StandardsError(f"plugin '{ref.name}' {plugin.version} is installed, but the pack needs "
                             f"'{ref.name}{ref.requirement}'", path=ref.source, line=ref.line,
                             field=f"{ref.field}.version",
                             expected=f"pip install '{ref.name}{ref.requirement}' where govern runs")


def _load(ref: PluginRef) -> Plugin:
    """Find the distribution, import its ``govern.checks`` entry points, and claim the rules they register."""
    import sys
    from importlib import metadata

    from govern.model.suggest import did_you_mean

    try:
        dist = metadata.distribution(ref.name)
    except metadata.PackageNotFoundError:
        known = installed_plugins()
        raise StandardsError(f"plugin '{ref.name}' is not installed{did_you_mean(ref.name, known)}",
                             path=ref.source, line=ref.line, field=f"{ref.field}.name",
                             expected=f"'{ref}' installed in the environment govern runs in ({sys.prefix}); "
                                      f"govern plugins installed there: {', '.join(known) or 'none'}") from None
    plugin = Plugin(dist.metadata["Name"] or ref.name, dist.version)
    entry_points = sorted((ep for ep in dist.entry_points if ep.group == GROUP), key=lambda ep: ep.name)
    if not entry_points:
        raise StandardsError(f"'{plugin.name}' {plugin.version} is installed but is not a govern plugin: it "
                             f"declares no entry point in the group '{GROUP}'", path=ref.source, line=ref.line,
                             field=f"{ref.field}.name",
                             expected=f'[project.entry-points."{GROUP}"] naming its rule modules in its pyproject.toml')
    modules = [_import(ref, plugin, ep) for ep in entry_points]
    from govern.standards.checks import claim

    claim(plugin, modules)
    return plugin


def _import(ref: PluginRef, plugin: Plugin, ep: Any) -> str:
    """Import the module an entry point names (every module of a package, in name order); its name."""
    import importlib
    import pkgutil

    from govern.standards import checks

    shown = f"entry point '{ep.name} = {ep.value}' of plugin '{plugin.name}' {plugin.version}"
    if ep.attr:
        raise StandardsError(f"{shown} names an object; it must name a module or package (whose modules "
                             "register their rules with @register)", path=ref.source, line=ref.line, field=ref.field)
    before = set(checks.registry())
    try:
        module = importlib.import_module(ep.module)
        if hasattr(module, "__path__"):
            for info in sorted(pkgutil.walk_packages(module.__path__, f"{module.__name__}."), key=lambda m: m.name):
                importlib.import_module(info.name)
    except checks.RuleRegisteredTwice as exc:
        checks.unregister(set(checks.registry()) - before)
        first = exc.first
        other = checks.plugin_of(exc.rule_id)
        owner = ("govern's own checks register" if checks.is_shipped(first) else
                 f"plugin '{other.name}' registers" if other is not None else
                 f"{getattr(first, '__module__', 'another module')} registers")
        raise StandardsError(f"plugin '{plugin.name}' {plugin.version} registers rule '{exc.rule_id}', which "
                             f"{owner} already", path=ref.source, line=ref.line, field=ref.field,
                             expected="a rule id of the plugin's own, defined in the pack's rules/*.yaml") from None
    except Exception as exc:
        checks.unregister(set(checks.registry()) - before)
        raise StandardsError(f"{shown} failed to import: {type(exc).__name__}: {exc}", path=ref.source,
                             line=ref.line, field=ref.field) from None
    return ep.module

