"""Find the line of a Cedar syntax error (cedarpy reports the token, not where it is)."""

from __future__ import annotations


def _policy_ends(text: str) -> list[int]:
    """Offsets of the ``;`` that end policies, skipping string literals and ``//`` comments."""
    ends: list[int] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif text.startswith("//", i):
            nl = text.find("\n", i)
            i = n if nl < 0 else nl
        elif ch == ";":
            ends.append(i)
        i += 1
    return ends


def _first_code_line(text: str, start: int) -> int:
    """1-based line of the first character after ``start`` that is not blank or a comment."""
    line = text.count("\n", 0, start) + 1
    for row in text[start:].splitlines(keepends=False):
        if row.strip() and not row.strip().startswith("//"):
            return line
        line += 1
    return text.count("\n", 0, start) + 1


def syntax_error_line(text: str) -> int | None:
    """Line where the first policy that does not parse starts; None if the text parses."""
    import cedarpy

    start = 0
    for end in [*_policy_ends(text), len(text) - 1]:
        try:
            cedarpy.policies_to_json_str(text[: end + 1])
        except ValueError:
            return _first_code_line(text, start)
        start = end + 1
    return None
