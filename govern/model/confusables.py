"""A small confusables skeleton for product ids: ids that look the same must collide.

NFKC folds compatibility forms (fullwidth ``ｓ``, ligatures, mathematical letters) and casefold
folds case, but neither maps the Cyrillic ``а`` (U+0430) or the Greek ``ο`` (U+03BF) to the Latin
letter they are drawn like. This module adds the common Cyrillic and Greek look-alikes of Latin
letters (after folding, so uppercase look-alikes such as ``В``/``Н``/``К`` are covered through their
lowercase forms) and drops invisible characters (zero-width space, joiners, soft hyphen, BOM).

It is deliberately small and conservative (a subset of Unicode TR39 confusables for the scripts
most often mixed with Latin); ``namespace.id-format`` separately rejects every non-ASCII id.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

# Cyrillic and Greek letters drawn like a Latin letter (lowercase, or the lowercase of an uppercase
# look-alike: Cyrillic В -> в stands for B).
_LOOKALIKES = {
    # Cyrillic
    "а": "a", "в": "b", "г": "r", "д": "d", "е": "e", "ё": "e", "з": "3", "к": "k", "м": "m",
    "н": "h", "о": "o", "п": "n", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ь": "b",
    "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w",
    "ү": "y", "ѵ": "v", "ꙇ": "i",
    # Greek
    "α": "a", "β": "b", "γ": "y", "ε": "e", "ζ": "z", "η": "n", "ι": "i", "κ": "k", "μ": "u",
    "ν": "v", "ο": "o", "ρ": "p", "σ": "o", "τ": "t", "υ": "u", "χ": "x", "ϲ": "c", "ϳ": "j",
    "ω": "w",
    # Latin letters drawn like other Latin letters
    "ı": "i", "ȷ": "j", "ɑ": "a", "ɡ": "g", "ſ": "s", "ꞵ": "b",
}

# Invisible characters that make two ids print identically.
_INVISIBLE = {
    "\u00ad", "\u034f", "\u061c", "\u115f", "\u1160", "\u17b4", "\u17b5", "\u180e",
    "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
    "\u2060", "\u2061", "\u2062", "\u2063", "\u2064", "\ufeff",
}


def skeleton(text: str) -> str:
    """Fold ``text`` so that ids a reader cannot tell apart compare equal."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    out = []
    for ch in folded:
        if ch in _INVISIBLE:
            continue
        out.append(_LOOKALIKES.get(ch, ch))
    return unicodedata.normalize("NFKC", "".join(out))


def lookalike_of(name: str, known: Iterable[str]) -> str | None:
    """The first (sorted) of ``known`` that ``name`` is not but looks like, else None."""
    key = skeleton(name)
    return next((k for k in sorted(known) if k != name and skeleton(k) == key), None)


def lookalike_groups(names: Iterable[str]) -> list[list[str]]:
    """Groups of two or more distinct names that look alike (same skeleton), in first-seen order."""
    groups: dict[str, list[str]] = {}
    for name in names:
        group = groups.setdefault(skeleton(name), [])
        if name not in group:
            group.append(name)
    return [g for g in groups.values() if len(g) > 1]


def id_key(product_id: str) -> str:
    """Fold case, Unicode compatibility forms and Cyrillic/Greek look-alikes, so look-alike ids collide."""
    return skeleton(product_id)
