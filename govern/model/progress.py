"""Progress of a run, as plain callbacks: the library calls them, a front end shows them (the CLI:
govern/cli/progress.py). Nothing here prints, and a run without a callback pays nothing."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: ``done`` of ``total`` items of ``stage`` are finished."""

LOAD = "load"  # manifests read and validated
SQL = "sql"  # SQL files analysed (scanned, or taken from a scan made earlier)
RULES = "rules"  # rules evaluated (the Cedar policies count when their batch is decided)
