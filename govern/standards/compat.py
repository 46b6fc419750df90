"""Compatibility of a product between two revisions: semantic version bumps and output-port changes.

Used by the history rules (``versioning.*``) that compare a product at a git base with the working tree.
Breaking changes to output ports: a port removed (or renamed), a column removed (or renamed), a column
type changed, a port's location or type changed. Additive changes: a port added, a column added.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?$"
)

BUMPS = ("down", "none", "patch", "minor", "major")


@dataclass(frozen=True)
class SemVer:
    """A parsed semantic version; build metadata is ignored, pre-releases sort before the release."""

    major: int
    minor: int
    patch: int
    pre: tuple = ()

    @classmethod
    def parse(cls, text: Any) -> SemVer | None:
        """The version, or None when ``text`` is not MAJOR.MINOR.PATCH[-pre][+build]."""
        if not isinstance(text, str):
            return None
        m = _SEMVER.match(text.strip())
        if not m:
            return None
        pre: tuple = ()
        if m.group(4):
            # Per semver: numeric identifiers sort numerically and before alphanumeric ones.
            pre = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in m.group(4).split("."))
        return cls(int(m.group(1)), int(m.group(2)), int(m.group(3)), pre)

    def key(self) -> tuple:
        # A release (no pre-release) sorts after every pre-release of the same version.
        return (self.major, self.minor, self.patch, 0 if self.pre else 1, self.pre)


def bump(old: SemVer, new: SemVer) -> str:
    """How ``new`` moved from ``old``: down, none, patch, minor or major.

    Before 1.0.0 every number moves up one role, as in Cargo: the minor number is the major one
    (0.3.0 → 0.4.0 may break) and the patch number the minor one (0.3.0 → 0.3.1 may add). A
    pre-release of a higher version counts as that bump (1.4.0 → 2.0.0-rc.1 is major).
    """
    if new.key() < old.key():
        return "down"
    if new.key() == old.key():
        return "none"
    if old.major == 0 and new.major == 0:
        if new.minor != old.minor:
            return "major"
        return "minor" if new.patch != old.patch else "patch"
    if new.major != old.major:
        return "major"
    if new.minor != old.minor:
        return "minor"
    return "patch"


def at_least(kind: str, needed: str) -> bool:
    """True when a bump of ``kind`` satisfies a change that needs ``needed``."""
    return BUMPS.index(kind) >= BUMPS.index(needed)


@dataclass
class PortChanges:
    """What changed in the output ports, in words, with the field path of the new manifest to point at."""

    breaking: list[str] = field(default_factory=list)
    additive: list[str] = field(default_factory=list)


def _norm(value: Any) -> str:
    return " ".join(str(value).split()).lower() if value is not None else ""


def _by_name(items: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or []:
        name = getattr(item, "name", None)
        if isinstance(name, str):
            out.setdefault(name, item)
    return out


def diff_ports(old_ports: Any, new_ports: Any) -> PortChanges:
    """Compare two lists of OutputPort models by port name and column name (case-sensitive names)."""
    changes = PortChanges()
    old, new = _by_name(old_ports), _by_name(new_ports)
    for name in sorted(old):
        if name not in new:
            changes.breaking.append(f"port '{name}' removed")
            continue
        before, after = old[name], new[name]
        if _norm(before.location) != _norm(after.location) and before.location is not None:
            changes.breaking.append(
                f"port '{name}' location changed from {before.location} to {after.location or '(none)'}"
            )
        if before.type and after.type and _norm(before.type) != _norm(after.type):
            changes.breaking.append(f"port '{name}' type changed from {before.type} to {after.type}")
        old_cols, new_cols = _by_name(before.columns), _by_name(after.columns)
        for col in sorted(old_cols):
            if col not in new_cols:
                changes.breaking.append(f"column '{name}.{col}' removed or renamed")
                continue
            t_old, t_new = old_cols[col].type, new_cols[col].type
            if t_old and t_new and _norm(t_old) != _norm(t_new):
                changes.breaking.append(f"column '{name}.{col}' type changed from {t_old} to {t_new}")
        for col in sorted(set(new_cols) - set(old_cols)):
            changes.additive.append(f"column '{name}.{col}' added")
    for name in sorted(set(new) - set(old)):
        changes.additive.append(f"port '{name}' added")
    return changes


def summarise(items: list[str], limit: int = 4) -> str:
    """'a; b; c' with at most ``limit`` items and a count of the rest."""
    shown = "; ".join(items[:limit])
    if len(items) > limit:
        shown += f"; and {len(items) - limit} more"
    return shown
