"""Make invisible and control characters visible in human output.

An id or message that contains a zero-width space, a right-to-left override (U+202E) or a terminal
escape sequence could print identical to another, or rewrite the terminal line it is printed on
("Trojan Source"). Human renderers pass text through :func:`visible`; JSON keeps the data as is.
"""

from __future__ import annotations

import unicodedata


def visible(text: str) -> str:
    """Replace control (Cc, except newline and tab) and format (Cf) characters by ``\\uXXXX`` escapes."""
    if text.isascii() and text.isprintable():
        return text
    out = []
    for ch in text:
        if ch in "\n\t":
            out.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp"):
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)
