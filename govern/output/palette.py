"""Colours shared by the report's charts and the lineage map (one place, so a level looks the same everywhere)."""

from __future__ import annotations

# colours of the certitude levels, lowest first; more levels reuse the last colours
LEVEL_COLOURS = ("#b4483c", "#c98a16", "#2e7d4f", "#2f6db5", "#7a4fb0")
UNSCORED_COLOUR = "#777777"  # a product (or a level no longer configured) without a level colour


def level_colour(index: int) -> str:
    """The colour of the level at ``index`` (lowest first); a negative index is unscored."""
    if index < 0:
        return UNSCORED_COLOUR
    return LEVEL_COLOURS[min(index, len(LEVEL_COLOURS) - 1)]


def tint(colour: str, share: float) -> str:
    """``colour`` mixed with white: ``share`` of the colour (0: white, 1: the colour), as #rrggbb."""
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(255 - (255 - c) * share):02x}" for c in rgb)
