"""Progress on a terminal: one line on stderr, rewritten in place, for runs that take a while.

The library reports progress through a plain callback (govern/model/progress.py); this is the CLI's
callback. It stays silent for the first ``GOVERN_PROGRESS_AFTER`` seconds (default 1), so quick runs
(pre-commit, a small mesh) never show it, redraws at most every 0.1 s, and erases its line when the
run ends, before the result is printed. ``progress_for`` decides whether there is one at all.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

DEFAULT_AFTER = 1.0  # seconds before the first line
INTERVAL = 0.1  # seconds between redraws
_WHAT = {"load": ("loading", "manifests"), "sql": ("analysing SQL:", "files"), "rules": ("evaluating", "rules")}
_ERASE = "\r\033[K"


class TerminalProgress:
    """``progress(stage, done, total)`` drawn as ``govern: loading 1,200/10,000 manifests`` on a terminal."""

    def __init__(self, stream: TextIO, after: float = DEFAULT_AFTER) -> None:
        self.stream = stream
        self.started = time.monotonic()
        self.after = after
        self.drawn = 0.0  # when the line was last drawn (0: never)
        self.stage: str | None = None  # the stage drawn last (a new stage is drawn at once)

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.started < self.after:
            return
        if now - self.drawn < INTERVAL and stage == self.stage:
            return
        verb, unit = _WHAT.get(stage, (stage, "items"))
        self.stream.write(f"{_ERASE}govern: {verb} {done:,}/{total:,} {unit}")
        self.stream.flush()
        self.drawn, self.stage = now, stage

    def close(self) -> None:
        """Erase the line (if one was drawn): the result follows on a clean terminal."""
        if self.drawn:
            self.stream.write(_ERASE)
            self.stream.flush()
            self.drawn = 0.0


def _after() -> float:
    raw = os.environ.get("GOVERN_PROGRESS_AFTER", "").strip()
    try:
        return max(0.0, float(raw)) if raw else DEFAULT_AFTER
    except ValueError:
        return DEFAULT_AFTER


def progress_for(quiet: bool, machine_output: bool) -> TerminalProgress | None:
    """A progress line when a person watches: stderr and stdout are terminals, not ``--quiet``, and no
    machine format (json, sarif, ...) goes to stdout. None otherwise: nothing is drawn."""
    if quiet or machine_output or os.environ.get("TERM") == "dumb":
        return None
    if not (sys.stderr.isatty() and sys.stdout.isatty()):
        return None
    return TerminalProgress(sys.stderr, _after())
