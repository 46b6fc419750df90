"""Render dbt-style Jinja SQL (``{{ ref('x') }}``, ``{{ source('a', 'b') }}``) so it can be analysed.

Rendering uses jinja2's ``SandboxedEnvironment`` with only a handful of dbt functions (ref, source,
config, var, env_var, is_incremental, this) and strict undefined names: anything else is a clear
error, never arbitrary code. Lines are kept: each source line is tagged with an invisible marker
before rendering, so findings point at the line of the template, even after ``{% if %}`` blocks
drop lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_TAGS = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_MARK = "\u2063"
_MARKER = re.compile(_MARK + r"(\d+)" + _MARK)
_JINJA = re.compile(r"\{\{|\{%|\{#")


def is_template(text: str) -> bool:
    """True when the text holds Jinja syntax."""
    return _JINJA.search(text) is not None


class RenderError(Exception):
    """A template that cannot be rendered, with the template line."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class DbtContext:
    """What ``ref`` / ``source`` / ``this`` render to. ``resolve_ref`` returns a table name or None."""

    resolve_ref: Callable[[str, str | None], str | None]
    this: str = "this"


def _with_markers(text: str) -> str:
    """Put a line marker at the start of every line that does not start inside a Jinja tag."""
    spans = [(m.start(), m.end()) for m in _TAGS.finditer(text)]
    out = []
    pos = 0
    line = 1
    span_index = 0
    for raw in text.splitlines(keepends=True):
        while span_index < len(spans) and spans[span_index][1] <= pos:
            span_index += 1
        inside = span_index < len(spans) and spans[span_index][0] < pos < spans[span_index][1]
        out.append(raw if inside else f"{_MARK}{line}{_MARK}{raw}")
        pos += len(raw)
        line += 1
    return "".join(out)


def _strip_markers(rendered: str) -> tuple[str, list[int]]:
    """Remove the markers; return the text and, per rendered line, its template line."""
    lines = []
    mapping = []
    previous = 0
    for raw in rendered.split("\n"):
        found = _MARKER.search(raw)
        current = int(found.group(1)) if found else previous + 1
        mapping.append(current)
        previous = current
        lines.append(_MARKER.sub("", raw))
    return "\n".join(lines), mapping


def _template_line(exc: BaseException) -> int | None:
    lineno = getattr(exc, "lineno", None)
    if isinstance(lineno, int):
        return lineno
    tb = exc.__traceback__
    found = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            found = tb.tb_lineno
        tb = tb.tb_next
    return found


MAX_REPEAT = 10_000  # the largest operand of * on a string or list, and of ** as exponent


def _sandbox_class() -> type:
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import SandboxedEnvironment

    class Sandbox(SandboxedEnvironment):
        """The sandbox, also refusing ``'x' * 10**9`` and huge powers (memory, not only time)."""

        intercepted_binops = frozenset({"*", "**"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            sized = (str, bytes, list, tuple)
            if operator == "*" and (
                (isinstance(left, sized) and isinstance(right, int) and right > MAX_REPEAT)
                or (isinstance(right, sized) and isinstance(left, int) and left > MAX_REPEAT)
            ):
                raise SecurityError(f"repeating a sequence more than {MAX_REPEAT} times is not allowed")
            if operator == "**" and isinstance(right, int | float) and abs(right) > 1_000:
                raise SecurityError("exponents above 1000 are not allowed")
            return super().call_binop(context, operator, left, right)

    return Sandbox


def _sandbox(**options: Any) -> Any:
    return _sandbox_class()(**options)


def render(text: str, context: DbtContext) -> tuple[str, list[int]]:
    """Render a dbt model. Returns the SQL and a map from rendered line (index + 1) to template line."""
    import jinja2

    def ref(*args: Any, **kwargs: Any) -> str:
        names = [a for a in args if isinstance(a, str)]
        if not names or len(names) > 2:
            raise RenderError(f"ref() takes a model name, got {args!r}", None)
        name, extra = (names[0], None) if len(names) == 1 else (names[0], names[1])
        resolved = context.resolve_ref(name, extra)
        return resolved if resolved is not None else (extra if len(names) == 2 and extra else name)

    def source(source_name: str, table_name: str) -> str:
        return f"{source_name}.{table_name}"

    def var(name: str, default: Any = None) -> Any:
        if default is None:
            raise RenderError(f"var('{name}') has no default and govern sets no dbt vars", None)
        return default

    def env_var(name: str, default: Any = "") -> Any:
        return default

    env = _sandbox(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    env.globals.clear()
    names = {
        "ref": ref,
        "source": source,
        "config": lambda *a, **k: "",
        "var": var,
        "env_var": env_var,
        "is_incremental": lambda: False,
        "this": context.this,
    }
    # The sandboxed environment above blocks attribute access to internals; only these names exist.
    try:
        template = env.from_string(_with_markers(text))
        rendered = template.render(**names)
    except RenderError as exc:
        raise RenderError(exc.message, exc.line or _template_line(exc)) from None
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(f"template syntax error: {exc.message}", exc.lineno) from None
    except jinja2.TemplateError as exc:
        raise RenderError(f"template error: {exc}", _template_line(exc)) from None
    except Exception as exc:  # anything a template can raise is a finding, never a crash
        raise RenderError(f"template error: {type(exc).__name__}: {exc}", _template_line(exc)) from None
    return _strip_markers(rendered)
