"""Did-you-mean: the closest known name for an unknown one (one helper for every message)."""

from __future__ import annotations

from collections.abc import Iterable


def closest(word: str, known: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The known name closest to ``word`` (difflib ratio at least ``cutoff``), or None."""
    import difflib

    names = sorted({k for k in known if isinstance(k, str)})
    if not isinstance(word, str) or not names:
        return None
    match = difflib.get_close_matches(word, names, n=1, cutoff=cutoff)
    if not match:  # a difference of case only ("Description" for "description")
        match = [n for n in names if n.lower() == word.lower()][:1]
    return match[0] if match else None


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` naming the closest known name, or ``""`` when none is close."""
    best = closest(word, known)
    return f" (did you mean '{best}'?)" if best and best != word else ""
