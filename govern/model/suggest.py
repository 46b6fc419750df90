"""Did-you-mean: the closest known name for an unknown one (one helper for every message)."""

from __future__ import annotations

from collections.abc import Iterable


def closest(word: str, known: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The known name closest to ``word`` (difflib ratio at least ``cutoff``), or None."""
    import difflib
    names = sorted({k for k in known if isinstance(k, str)})
    if not isinstance(word, str) or not names:
        return None
    # difflib.get_close_matches, but an equally close name that shares a longer prefix wins ('1.0' is
    # '1.0.0', not '1.1.0'), then the first in sorted order: the same answer on every run
    best: tuple[tuple[float, int], str] | None = None
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(word)
    for name in names:
        matcher.set_seq1(name)
        # the cheap upper bounds of the ratio against the best so far: a name that cannot reach it is skipped
        # (one that can only tie may still win on its prefix), so checking many names stays near linear
        floor = cutoff if best is None else max(cutoff, best[0][0])
        if matcher.real_quick_ratio() < floor or matcher.quick_ratio() < floor:
            continue
        ratio = matcher.ratio()
        if ratio < cutoff:
            continue
        key = (ratio, _shared_prefix(word, name))
        if best is None or key > best[0]:
            best = (key, name)
    if best is not None:
        return best[1]
    # a difference of case only ("Description" for "description")
    return next((n for n in names if n.lower() == word.lower()), None)


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` naming the closest known name, or ``""`` when none is close."""
    best = closest(word, known)
    return f" (did you mean '{best}'?)" if best and best != word else ""


def _shared_prefix(a: str, b: str) -> int:
    """How many leading characters ``a`` and ``b`` share."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
