"""Renderers: turn a Result into text. They only read findings; one module per format."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govern.evaluate.engine import Result

# format name -> module under govern.output.render; each module has render(result, **options) -> str
FORMATS: dict[str, str] = {
    "text": "text",
    "json": "json_",
    "sarif": "sarif",
    "junit": "junit",
    "github": "github",
    "markdown": "markdown",
}


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``1 product``, ``2 products``: a number and its noun in the right number."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def render(result: Result, fmt: str, **options: Any) -> str:
    """Render ``result`` in format ``fmt``."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format '{fmt}' (expected one of {', '.join(sorted(FORMATS))})")
    module = importlib.import_module(f"govern.output.render.{FORMATS[fmt]}")
    return module.render(result, **options)


def provenance_note(finding: Any) -> str:
    """`` (structure inferred from dbt config.materialized 'incremental')`` for a finding about a value the
    source did not write (an imported product's inferred or govern.yaml value), else ''."""
    provenance = getattr(finding, "provenance", None)
    return f" ({provenance.text()})" if provenance is not None else ""


def location_text(location: Any) -> str:
    """``path:line`` (or ``path#pointer``) for humans."""
    text = location.path or "(mesh)"
    if location.line:
        text += f":{location.line}"
    elif location.pointer:
        text += f"#{location.pointer}"
    return text
