"""Python rule functions, for what the YAML rule language cannot express.

One concern per module; each registers its function under the rule id with ``@register``. The rule's
metadata (standard, severity, message, help) lives in ``rules/*.yaml`` with ``engine: python``.
A function receives a ``RuleContext`` and yields ``Hit`` objects; the engine turns them into findings.

An organisation's rules register the same way from an installed package, a plugin, that a pack names
(govern/standards/plugins.py): ``plugin_of`` tells which plugin registered a rule.
"""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from govern.model.findings import Location
from govern.model.scope import Reads, parse_reads
from govern.model.source import FieldPath

if TYPE_CHECKING:
    from govern.model.lineage import Edge
    from govern.model.mesh import Mesh
    from govern.model.product import Product


@dataclass
class Hit:
    """One violation found by a Python rule."""

    product: str | None
    path: FieldPath = ()
    params: dict[str, Any] = field(default_factory=dict)
    location: Location | None = None  # overrides the manifest location (e.g. a SQL file and line)


@dataclass
class RuleContext:
    """What a Python rule may read: the whole mesh, the products to report on, the date, lineage edges."""

    mesh: Mesh
    targets: list[Product]
    today: dt.date
    edges: list[Edge]
    analysis: Any = None  # facts from the analysis stage (SQL, runtime lineage); None when not run
    base: Any = None  # govern.load.gitbase.BaseSnapshot: the mesh at a git base revision (--base); None otherwise

    @cached_property
    def target_ids(self) -> frozenset[str]:
        return frozenset(p.id for p in self.targets)

    @cached_property
    def edges_by_consumer(self) -> dict[str, list[Edge]]:
        out: dict[str, list[Edge]] = {}
        for edge in self.edges:
            out.setdefault(edge.consumer, []).append(edge)
        return out

    def targets_at_base(self) -> Iterable[tuple[Product, Product]]:
        """(product now, product at --base) for each target that existed at the base revision."""
        if self.base is None:
            return
        for product in self.targets:
            old = self.base.by_id.get(product.id)
            if old is not None:
                yield product, old

    def target_edges(self) -> Iterable[Edge]:
        """Lineage edges whose consumer is a product being reported on."""
        for product in self.targets:
            yield from self.edges_by_consumer.get(product.id, ())


RuleFunction = Callable[[RuleContext], Iterable[Hit]]


@dataclass(frozen=True)
class Declared:
    """What a Python rule declares at ``@register``: what it reads beyond the product it reports on
    (govern/model/scope.py; None: the whole mesh), and which fields of a product it reads (None: any)."""

    reads: frozenset[Reads] | None = None
    fields: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Plugin:
    """An installed distribution whose ``govern.checks`` entry points registered rules."""

    name: str
    version: str


class RuleRegisteredTwice(RuntimeError):
    """A rule id registered by two different functions (two modules, or a plugin and govern's own checks)."""

    def __init__(self, rule_id: str, first: RuleFunction) -> None:
        super().__init__(f"rule '{rule_id}' registered twice")
        self.rule_id = rule_id
        self.first = first


_REGISTRY: dict[str, RuleFunction] = {}
_DECLARED: dict[str, Declared] = {}
_PLUGIN: dict[str, Plugin] = {}  # rule id -> the plugin whose modules registered it
_LOADED = False


def register(rule_id: str, *, reads: Iterable[Reads] | None = None,
             fields: Iterable[str] | None = None) -> Callable[[RuleFunction], RuleFunction]:
    """Register a rule function under its rule id, with what it reads (``reads``: kinds of
    ``govern.model.scope.Reads``; ``fields``: top-level manifest fields such as ``"inputs"``)."""

    def wrap(fn: RuleFunction) -> RuleFunction:
        if rule_id in _REGISTRY and _REGISTRY[rule_id] is not fn:
            raise RuleRegisteredTwice(rule_id, _REGISTRY[rule_id])
        where = f"@register('{rule_id}')"
        if isinstance(fields, str):  # fields="tags" would read as the fields t, a, g, s
            raise ValueError(f"{where}: 'fields' must be a list of top-level manifest fields, such as ('{fields}',)")
        # a text is no list: parse_reads refuses it, rather than reading its letters
        declared_reads = parse_reads(reads if isinstance(reads, str) else tuple(reads), where) \
            if reads is not None else None
        _REGISTRY[rule_id] = fn
        _DECLARED[rule_id] = Declared(declared_reads, tuple(fields) if fields is not None else None)
        return fn

    return wrap


def declared(rule_id: str) -> Declared:
    """What the Python rule ``rule_id`` declared at ``@register`` (nothing declared: the whole mesh)."""
    registry()
    return _DECLARED.get(rule_id, Declared())


def registry() -> dict[str, RuleFunction]:
    """All registered rule functions (imports every module of this package once)."""
    global _LOADED
    if not _LOADED:
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
            importlib.import_module(f"{__name__}.{info.name}")
        _LOADED = True
    return _REGISTRY


def plugin_of(rule_id: str) -> Plugin | None:
    """The plugin that registered the rule ``rule_id``; None for govern's own checks (and for functions
    registered by the running program)."""
    return _PLUGIN.get(rule_id)


def is_shipped(fn: RuleFunction) -> bool:
    """Whether ``fn`` is one of govern's own checks (a module of this package)."""
    return getattr(fn, "__module__", "").startswith(f"{__name__}.")


def claim(plugin: Plugin, modules: Iterable[str]) -> list[str]:
    """Attribute to ``plugin`` every registered rule whose function lives in one of ``modules`` (or below
    one); return their ids, sorted."""
    prefixes = tuple(modules)
    out = []
    for rule_id, fn in _REGISTRY.items():
        module = getattr(fn, "__module__", "") or ""
        if any(module == m or module.startswith(f"{m}.") for m in prefixes):
            _PLUGIN.setdefault(rule_id, plugin)
            out.append(rule_id)
    return sorted(out)


def unregister(rule_ids: Iterable[str]) -> None:
    """Forget rules a plugin registered before it failed to load (it is not used)."""
    for rule_id in rule_ids:
        _REGISTRY.pop(rule_id, None)
        _DECLARED.pop(rule_id, None)
        _PLUGIN.pop(rule_id, None)
