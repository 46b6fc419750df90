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

__version__ = "0.1.0"
# The distribution name on the package index (``pip install govern-mesh``): ``govern`` there is an
# unrelated project. The import name and the command stay ``govern``.
DISTRIBUTION = "govern-mesh"

_EXPORTS = {
    "check": "govern.api",
    "evaluate": "govern.engine",
    "load_mesh": "govern.loader",
    "load_pack": "govern.standards",
    "decide": "govern.gate",
    "Finding": "govern.findings",
    "Severity": "govern.findings",
    "GovernError": "govern.errors",
}

if TYPE_CHECKING:  # pragma: no cover
    from typing import Any

    from govern.api import check
    from govern.engine import evaluate
    from govern.errors import GovernError
    from govern.findings import Finding, Severity
    from govern.gate import decide
    from govern.loader import load_mesh
    from govern.standards import load_pack


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'govern' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = sorted(_EXPORTS)
