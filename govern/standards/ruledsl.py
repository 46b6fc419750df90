"""The declarative YAML rule language.

A YAML rule has a selector (``given``), optional conditions (``when``) and one check (``then``) drawn
from a fixed set of functions. Nothing in a rule is ever evaluated as code.

    given: outputPorts[*].classification     # dotted path; [*] iterates a list
    when:                                     # all must hold (paths from the product root)
      - {path: lifecycle.state, equals: deprecated}
    then: {function: enum, values: [public, internal, confidential, restricted]}

Paths use the manifest's own field names. A missing value is only a violation for ``required``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from govern.model.errors import StandardsError
from govern.model.scope import Reads
from govern.model.source import FieldPath

_MISSING = object()
_STEP = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(\[\*\])?$")


@dataclass(frozen=True)
class PathExpr:
    """A compiled selector: a list of (key, iterate) steps."""

    text: str
    steps: tuple[tuple[str, bool], ...]

    def select(self, data: Any) -> Iterable[tuple[FieldPath, Any]]:
        """(field path, value) for every match; value is _MISSING where the last key is absent."""
        if self.prefixes is None:
            return _select(data, self.steps, ())
        # no list step (most rules): a plain walk, as _select would do it, without generators
        node = data
        keys = self.prefixes
        for i, key in enumerate(self.keys):
            if not isinstance(node, dict):
                return ((keys[i], _MISSING),)
            node = node.get(key, _MISSING)
            if node is _MISSING or node is None:
                return ((keys[-1], _MISSING),)
        return ((keys[-1], node),)

    @cached_property
    def keys(self) -> tuple[str, ...]:
        return tuple(k for k, _ in self.steps)

    @cached_property
    def prefixes(self) -> tuple[FieldPath, ...] | None:
        """The field path before each step and the whole path, for paths without a list step."""
        if any(iterate for _, iterate in self.steps):
            return None
        return tuple(self.keys[:i] for i in range(len(self.keys) + 1))


def _select(node: Any, steps: tuple[tuple[str, bool], ...], fpath: FieldPath) -> Iterator[tuple[FieldPath, Any]]:
    if not steps:
        yield fpath, node
        return
    (key, iterate), rest = steps[0], steps[1:]
    if not isinstance(node, dict):
        yield fpath, _MISSING
        return
    value = node.get(key, _MISSING)
    here = (*fpath, key)
    if iterate:
        if isinstance(value, list):
            for i, item in enumerate(value):
                yield from _select(item, rest, (*here, i))
        return
    if value is _MISSING or value is None:
        # Report the full path of the missing field when it has no list step left.
        if rest and not any(it for _, it in rest):
            here = (*here, *(k for k, _ in rest))
        yield here, _MISSING
        return
    yield from _select(value, rest, here)


def compile_path(text: str, where: str) -> PathExpr:
    """Compile ``a.b[*].c``; raise StandardsError on a malformed path."""
    if not isinstance(text, str) or not text:
        raise StandardsError("a path must be a non-empty string", path=where, field="given")
    steps = []
    for part in text.split("."):
        m = _STEP.match(part)
        if not m:
            raise StandardsError(f"malformed path segment '{part}' in '{text}'", path=where, field="given")
        steps.append((m.group(1), bool(m.group(2))))
    return PathExpr(text, tuple(steps))


def _present(value: Any) -> bool:
    return value is not _MISSING and value is not None and value != "" and value != [] and value != {}


@dataclass
class EvalContext:
    """What a check function may look at besides the value: the product's data and mesh facts."""

    data: dict
    today: dt.date
    product_ids: frozenset[str]
    team_ids: frozenset[str] | None  # None when there is no org.yaml


Check = Callable[[Any, dict, EvalContext], dict | None]
"""A check returns None when the value passes, or a dict of message parameters when it fails."""


def _get(data: dict, path: str) -> Any:
    node: Any = data
    for key in path.split("."):
        if not isinstance(node, dict):
            return _MISSING
        node = node.get(key, _MISSING)
        if node is _MISSING:
            return _MISSING
    return node


def _check_required(value: Any, args: dict, ctx: EvalContext) -> dict | None:
    return None if _present(value) else {}


def _check_absent(value: Any, args: dict, ctx: EvalContext) -> dict | None:
    return {} if _present(value) else None


def _check_enum(value: Any, args: dict, ctx: EvalContext) -> dict | None:
    if not _present(value):
        return None
    allowed = args["values"]
    return None if value in allowed else {"allowed": ", ".join(map(str, allowed))}


def _check_pattern(value: Any, args: dict, ctx: EvalContext) -> dict | None:
    if not _present(value):
        return None
    if not isinstance(value, str):
        return {"pattern": args["match"]}
    return None if args["_regex"].fullmatch(value) else {"pattern": args["match"]}


def _check_equals(value: Any, args: dict, ctx: EvalContext) -> dict | None:
    if not _present(value):
        return None
    if "field" in args:
        expected = _get(ctx.data, args["field"])
        if "separator" in args and isinstance(expected, str):
            parts = expected.split(args["separator"])
            index = args.get("index", 0)
            expected = parts[index] if -len(parts) <= index < len(parts) else _MISSING
        if expected is _MISSING:
            return None
    else:
        expected = args["value"]
    if "separator" in args and isinstance(value, str) and isinstance(expected, str) and value.isascii():
        # An id segment is lowercase [a-z0-9_] (namespace.id-format), so a name such as the domain
        # 'my-domain-team' can only appear in an id as its slug 'my_domain_team': compare both sides
        # in that form (the exact comparison could never hold for such a name). ASCII only: a look-alike
        # letter would slug to '_' and must not be waved through.
        from govern.load.importers.common import slug

        return None if slug(value) == slug(expected) else {"expected": expected}
    return None if value == expected else {"expected": expected}


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _compare_dates(value: Any, args: dict, ctx: EvalContext, ok: Callable[[dt.date, dt.date], bool]) -> dict | None:
    mine = _as_date(value)
    if mine is None:
        return None
    other = ctx.today if args.get("today") else _as_date(_get(ctx.data, args.get("field", "")))
    if other is None:
        return None
    return None if ok(mine, other) else {"other": other.isoformat()}


def _check_date_after(value: Any, args: dict, ctx: EvalContext) -> dict | None:
    return _compare_dates(value, args, ctx, lambda a, b: a > b)


def _check_date_before(value: Any, args: dict, ctx: EvalContext) -> dict | None:
    return _compare_dates(value, args, ctx, lambda a, b: a < b)


def _check_ascending(value: Any, args: dict, ctx: EvalContext) -> dict | None:
    if not isinstance(value, list):
        return None
    key = args["key"]
    keys = [_as_date(item.get(key)) if isinstance(item, dict) else None for item in value]
    known = [k for k in keys if k is not None]
    for i in range(1, len(known)):
        if known[i] < known[i - 1]:
            return {"position": i}
    return None


def _closest_param(name: str | None) -> dict:
    """Message parameters of a failed reference: ``closest`` (the engine adds "did you mean")."""
    return {"closest": name} if name else {}


def _check_reference(value: Any, args: dict, ctx: EvalContext) -> dict | None:
    if not _present(value):
        return None
    from govern.model.suggest import closest

    target = args["target"]
    if target == "product":
        return None if value in ctx.product_ids else _closest_param(closest(str(value), ctx.product_ids))
    if target == "team":
        if ctx.team_ids is None:
            return None
        if value in ctx.team_ids:
            return None
        from govern.model.confusables import lookalike_of

        similar = lookalike_of(value, ctx.team_ids) if isinstance(value, str) else None
        return {"lookalike": similar} if similar else _closest_param(closest(str(value), ctx.team_ids))
    raise StandardsError(f"unknown reference target '{target}'")


def _check_require_any(value: Any, args: dict, ctx: EvalContext) -> dict | None:
    fields = args["fields"]
    if isinstance(value, dict) and any(_present(value.get(f, _MISSING)) for f in fields):
        return None
    return {"fields": " or ".join(fields)}


def _check_require_all(value: Any, args: dict, ctx: EvalContext) -> dict | None:
    fields = args["fields"]
    node = value if isinstance(value, dict) else {}
    missing = [f for f in fields if not _present(node.get(f, _MISSING))]
    return {"missing": ", ".join(missing)} if missing else None


def _check_length(value: Any, args: dict, ctx: EvalContext) -> dict | None:
    if not _present(value) or not hasattr(value, "__len__"):
        return None
    n = len(value)
    if "min" in args and n < args["min"]:
        return {"length": n}
    if "max" in args and n > args["max"]:
        return {"length": n}
    return None


_SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)


def _check_semver(value: Any, args: dict, ctx: EvalContext) -> dict | None:
    if not _present(value):
        return None
    return None if isinstance(value, str) and _SEMVER.fullmatch(value) else {}


FUNCTIONS: dict[str, tuple[Check, tuple[str, ...]]] = {
    # name: (function, required arguments)
    "required": (_check_required, ()),
    "absent": (_check_absent, ()),
    "enum": (_check_enum, ("values",)),
    "pattern": (_check_pattern, ("match",)),
    "equals": (_check_equals, ()),
    "dateAfter": (_check_date_after, ()),
    "dateBefore": (_check_date_before, ()),
    "ascending": (_check_ascending, ("key",)),
    "referenceExists": (_check_reference, ("target",)),
    "requireAny": (_check_require_any, ("fields",)),
    "requireAll": (_check_require_all, ("fields",)),
    "length": (_check_length, ()),
    "semver": (_check_semver, ()),
}

_CONDITION_OPS = ("equals", "notEquals", "in", "notIn", "present", "absent")


@dataclass(frozen=True)
class Condition:
    path: str
    op: str
    operand: Any

    def holds(self, data: dict) -> bool:
        value = _get(data, self.path)
        if self.op == "present":
            return _present(value) == bool(self.operand)
        if self.op == "absent":
            return (not _present(value)) == bool(self.operand)
        if self.op == "equals":
            return value == self.operand
        if self.op == "notEquals":
            return value != self.operand
        if self.op == "in":
            return value in self.operand
        return value not in self.operand  # notIn


@dataclass(frozen=True)
class CompiledRule:
    """A YAML rule ready to run: selector, conditions, check function and its arguments."""

    given: PathExpr
    when: tuple[Condition, ...]
    function: Check
    args: dict
    name: str = ""  # the function's name in the rule language

    @property
    def reads(self) -> frozenset[Reads]:
        """What the rule reads besides the product's own fields (govern/model/scope.py)."""
        out = {Reads.PRODUCT}
        if self.name == "referenceExists":
            out.add(Reads.PRODUCT_IDS if self.args.get("target") == "product" else Reads.ORG)
        return frozenset(out)

    @property
    def references_products(self) -> bool:
        """True when the rule checks that the values at ``given`` are product ids."""
        return self.name == "referenceExists" and self.args.get("target") == "product"

    @property
    def fields(self) -> frozenset[str]:
        """The top-level manifest fields the rule reads: its selector's, its conditions' and a compared field's
        (a product whose value in one of them is invalid is not evaluated by this rule)."""
        out = {self.given.steps[0][0], *(cond.path.split(".")[0] for cond in self.when)}
        if isinstance(self.args.get("field"), str):
            out.add(self.args["field"].split(".")[0])
        return frozenset(out)

    def run(self, ctx: EvalContext) -> Iterator[tuple[FieldPath, Any, dict]]:
        """Yield (field path, value, message parameters) for each violation in ``ctx.data``."""
        data = ctx.data
        for cond in self.when:
            if not cond.holds(data):
                return
        for fpath, value in self.given.select(data):
            params = self.function(value, self.args, ctx)
            if params is not None:
                shown = "" if value is _MISSING or value is None else value
                yield fpath, shown, params


def compile_rule(given: Any, when: Any, then: Any, where: str) -> CompiledRule:
    """Compile the given/when/then of one YAML rule; a malformed rule is a StandardsError."""
    path = compile_path(given, where)
    conditions = []
    for cond in when or []:
        if not isinstance(cond, dict) or "path" not in cond:
            raise StandardsError("each 'when' condition needs a 'path'", path=where, field="when")
        ops = [op for op in _CONDITION_OPS if op in cond]
        if len(ops) != 1:
            raise StandardsError(
                f"a 'when' condition needs exactly one of {', '.join(_CONDITION_OPS)}", path=where, field="when"
            )
        conditions.append(Condition(cond["path"], ops[0], cond[ops[0]]))
    if not isinstance(then, dict) or "function" not in then:
        raise StandardsError("'then' needs a 'function'", path=where, field="then")
    name = then["function"]
    if name not in FUNCTIONS:
        raise StandardsError(
            f"unknown function '{name}'", path=where, field="then.function", expected=", ".join(sorted(FUNCTIONS))
        )
    function, required = FUNCTIONS[name]
    args = {k: v for k, v in then.items() if k != "function"}
    for arg in required:
        if arg not in args:
            raise StandardsError(f"function '{name}' needs argument '{arg}'", path=where, field="then")
    if name == "pattern":
        try:
            args["_regex"] = re.compile(args["match"])
        except re.error as exc:
            raise StandardsError(f"invalid regular expression: {exc}", path=where, field="then.match") from None
    return CompiledRule(path, tuple(conditions), function, args, name)


_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def format_message(template: str, params: dict) -> str:
    """Fill ``{name}`` placeholders; unknown names stay as written. No attribute access, no eval."""

    def sub(m: re.Match) -> str:
        key = m.group(1)
        if key not in params:
            return m.group(0)
        value = params[key]
        return value.isoformat() if isinstance(value, dt.date) else str(value)

    return _PLACEHOLDER.sub(sub, template)
