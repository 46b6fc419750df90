"""One root error type with structured details (file, line, field, expected)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class GovernError(Exception):
    """Root of every error govern raises. Carries where and what, not only a string."""

    message: str
    path: str | None = None
    line: int | None = None
    column: int | None = None
    field: str | None = None
    expected: str | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        where = self.path or ""
        if self.line:
            where += f":{self.line}"
            if self.column:
                where += f":{self.column}"
        parts = [self.message]
        if self.field:
            parts.insert(0, f"field '{self.field}':")
        if self.expected:
            parts.append(f"(expected {self.expected})")
        text = " ".join(parts)
        return f"{where}: {text}" if where else text


class InputError(GovernError):
    """A file given to govern cannot be read or does not have the expected shape."""


class StandardsError(GovernError):
    """The standards pack (rules, Cedar policies, versions, lock) is broken: no decision is possible."""


class ConfigError(GovernError):
    """govern.yaml or a command-line option is invalid: no decision is possible."""
