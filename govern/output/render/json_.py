"""JSON output: the documented, versioned check-result schema (see README)."""

from __future__ import annotations

import json
from typing import Any


def dumps(data: Any) -> str:
    """Deterministic JSON: sorted keys, fixed separators, trailing newline."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"


def render(result: Any, gate: Any = None, **_: Any) -> str:
    data = result.to_dict()
    if gate is not None:
        data["gate"] = gate.to_dict()
    if result.baselined is not None:
        data["baselined"] = len(result.baselined)  # findings hidden by --baseline
    return dumps(data)
