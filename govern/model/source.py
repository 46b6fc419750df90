"""Where a value was written: field paths and the line map of one input file."""

from __future__ import annotations

from dataclasses import dataclass, field

FieldPath = tuple[str | int, ...]


def field_path_text(fpath: FieldPath) -> str:
    """A field path as a manifest names it: ``("outputPorts", 0, "classification")`` →
    ``outputPorts[0].classification``."""
    out = ""
    for part in fpath:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass
class SourceMap:
    """Maps a field path such as ``("outputPorts", 0, "name")`` to the line where it is written."""

    path: str
    lines: dict[FieldPath, int] = field(default_factory=dict)
    pointer_style: bool = False

    def line_of(self, fpath: FieldPath) -> int | None:
        """Line of the nearest written ancestor of ``fpath`` (1-based), or None."""
        p = tuple(fpath)
        while True:
            line = self.lines.get(p)
            if line is not None:
                return line
            if not p:
                return None
            p = p[:-1]

    # Imported JSON inputs (dbt manifest.json, OpenLineage events) locate fields by JSON pointer;
    # ``pointers`` maps internal field paths to RFC 6901 pointers into the original file.
    pointers: dict[FieldPath, str] = field(default_factory=dict)

    def pointer_of(self, fpath: FieldPath) -> str | None:
        """JSON pointer of the nearest ancestor of ``fpath`` that has one, or None (YAML inputs)."""
        if not self.pointers:
            return None
        p = tuple(fpath)
        while True:
            pointer = self.pointers.get(p)
            if pointer is not None or not p:
                return pointer
            p = p[:-1]
