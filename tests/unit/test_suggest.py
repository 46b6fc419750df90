"""Did-you-mean (govern/model/suggest.py): the closest known name, the same on every run."""

from __future__ import annotations

import difflib

from hypothesis import given, settings
from hypothesis import strategies as st

from govern.model.suggest import _shared_prefix, closest, did_you_mean


def every_ratio(word: str, known: list[str], cutoff: float = 0.6) -> str | None:
    """The answer by computing the full ratio against every name (what ``closest`` must equal)."""
    names = sorted(set(known))
    scored = [((difflib.SequenceMatcher(None, name, word).ratio(), _shared_prefix(word, name)), name)
              for name in names]
    best = None
    for key, name in scored:
        if key[0] >= cutoff and (best is None or key > best[0]):
            best = (key, name)
    if best is not None:
        return best[1]
    return next((n for n in names if n.lower() == word.lower()), None)


NAME = st.text(alphabet="abcde._0123", min_size=1, max_size=14)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(word=NAME, known=st.lists(NAME, max_size=40))
def test_the_closest_name_is_the_one_every_ratio_gives(word: str, known: list[str]) -> None:
    assert closest(word, known) == every_ratio(word, known)


def test_an_equally_close_name_with_a_longer_shared_prefix_wins() -> None:
    assert closest("1.0", ["1.1.0", "1.0.0"]) == "1.0.0"
    assert did_you_mean("descripton", ["description", "domain"]) == " (did you mean 'description'?)"
    assert did_you_mean("description", ["description"]) == ""
    assert closest("Description", ["description"]) == "description"
    assert closest("zzz", ["description"]) is None
    assert closest("abc", ["abcdefg"]) == "abcdefg"  # a ratio of exactly the cutoff (6/10) is close enough
