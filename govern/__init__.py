"""govern: governance-as-code for data mesh.

Library use::

    import govern
    result = govern.check(["examples/mesh"])
    decision = govern.decide(result)

Imports are lazy so that a pre-commit run pays only for what it uses.
"""

from __future__ import annotations

# no ``import typing`` here: the console script imports this package before govern.cli.entry installs
# its signal handlers, and that import is the longest step of the window (tests/trust/test_decisions.py)
TYPE_CHECKING = False

from govern.version import DISTRIBUTION, __version__  # noqa: E402  (after the note above, on purpose)

_EXPORTS = {
    "check": "govern.api",
    "evaluate": "govern.evaluate.engine",
    "load_mesh": "govern.load.loader",
    "load_pack": "govern.standards.pack",
    "decide": "govern.evaluate.gate",
    "Finding": "govern.model.findings",
    "Severity": "govern.model.findings",
    "GovernError": "govern.model.errors",
}

if TYPE_CHECKING:  # pragma: no cover
    from typing import Any

    from govern.api import check
    from govern.evaluate.engine import evaluate
    from govern.evaluate.gate import decide
    from govern.load.loader import load_mesh
    from govern.model.errors import GovernError
    from govern.model.findings import Finding, Severity
    from govern.standards.pack import load_pack


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'govern' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = sorted(_EXPORTS)
