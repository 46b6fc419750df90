"""Finding fingerprints that survive edits elsewhere in a file.

A fingerprint identifies one finding across runs (baselines, SARIF ``partialFingerprints``, "what is
new since last time"). It is a hash of the rule, the product, the file, and the *offending content*:
the finding's message with line and column references blanked out, plus the text of the offending
source line (whitespace-normalised). It never includes a line number, so inserting lines above a
finding keeps its fingerprint; changing the offending value gives a new one.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from govern.model.findings import Finding

FINGERPRINT_VERSION = "v2"
MAX_SOURCE_BYTES = 2 * 1024 * 1024  # larger files (e.g. a dbt manifest.json) are hashed by message only

_POSITION = re.compile(r"\b(lines?|columns?|col)\s+\d+(\s*[-–:]\s*\d+)?", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def normalise_message(message: str) -> str:
    """The message without line/column references such as 'line 12' or 'column 3'."""
    return _POSITION.sub(lambda m: f"{m.group(1)} #", message)


class Fingerprinter:
    """Computes fingerprints for findings of one mesh; reads each offending file at most once."""

    def __init__(self, root: str | Path | None) -> None:
        self.root = Path(root) if root is not None else None
        self._lines: dict[str, list[str] | None] = {}

    def source_line(self, path: str | None, line: int | None) -> str:
        """The whitespace-normalised text of ``line`` in ``path`` (relative to the root), or ''."""
        if not path or not line or line < 1:
            return ""
        lines = self._lines.get(path, ...)
        if lines is ...:
            lines = self._read(path)
            self._lines[path] = lines
        if lines is None or line > len(lines):
            return ""
        return _SPACE.sub(" ", lines[line - 1]).strip()

    def _read(self, path: str) -> list[str] | None:
        candidate = Path(path)
        if not candidate.is_absolute() and self.root is not None:
            candidate = self.root / candidate
        try:
            if not candidate.is_file() or candidate.stat().st_size > MAX_SOURCE_BYTES:
                return None
            return candidate.read_bytes().decode("utf-8", errors="replace").splitlines()
        except OSError:
            return None

    def __call__(self, finding: Finding) -> str:
        loc = finding.location
        parts = [
            FINGERPRINT_VERSION,
            finding.rule,
            finding.product or "",
            loc.path or "",
            loc.pointer or "",
            normalise_message(finding.message),
            self.source_line(loc.path, loc.line),
        ]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]
