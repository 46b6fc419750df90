"""Findings: plain structured results of evaluation. Renderers only read them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from enum import IntEnum
from typing import Any


class Severity(IntEnum):
    INFO = 0
    WARNING = 1
    ERROR = 2

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.upper()]
        except KeyError:
            raise ValueError(f"unknown severity '{text}' (expected error, warning or info)") from None

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Location:
    """Where a finding points: a file relative to the mesh root, a 1-based line, and for JSON a pointer."""

    path: str | None = None
    line: int | None = None
    column: int | None = None
    pointer: str | None = None


# Provenance.kind: the value was inferred from what the source implies, or set by govern.yaml
# (``importers`` defaults and overrides)
INFERRED = "inferred"
GOVERN_YAML = "govern.yaml"


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where the value a finding is about came from, when the source did not write it (an imported
    product's ``Product.inferred``): ``field`` as the manifest names it (``outputPorts[0].classification``),
    ``source`` in the source's own terms (``dbt config.materialized 'incremental'``, ``govern.yaml
    importers.domains.sales.defaults``), ``kind`` INFERRED or GOVERN_YAML."""

    field: str
    source: str
    kind: str = INFERRED

    def text(self) -> str:
        """``structure inferred from dbt config.materialized 'incremental'`` / ``structure set in govern.yaml ...``."""
        return f"{self.field} {'set in' if self.kind == GOVERN_YAML else 'inferred from'} {self.source}"


@dataclass(slots=True)
class Finding:
    """One result of one rule on one product (or on a mesh-level file)."""

    rule: str
    standard: str
    severity: Severity
    message: str
    product: str | None = None
    location: Location = field(default_factory=Location)
    engine: str = "yaml"
    mode: str = "enforce"
    waived: bool = False
    waiver_reason: str | None = None
    help: str | None = None
    fingerprint: str | None = None
    # where the value the finding is about came from, when the source did not write it (None: written)
    provenance: Provenance | None = None

    @property
    def blocking(self) -> bool:
        """True when this finding blocks a deployment."""
        return self.severity is Severity.ERROR and self.mode == "enforce" and not self.waived

    def sort_key(self) -> tuple:
        loc = self.location
        return (
            loc.path or "",
            loc.line or 0,
            loc.column or 0,
            self.product or "",
            self.rule,
            self.message,
        )

    def to_dict(self) -> dict:
        data = asdict(self)
        data["severity"] = str(self.severity)
        data["location"] = {k: v for k, v in data["location"].items() if v is not None}
        return data


# Meta rules the engine itself emits; they are part of every standards version.
META_STANDARD = "config"
MANIFEST_INVALID = "manifest.invalid"
MANIFEST_UNKNOWN_FIELD = "manifest.unknown-field"
INPUT_INVALID = "input.invalid"
WAIVER_INVALID = "waiver.invalid"
RULE_CRASHED = "rule.crashed"

STANDARDS = (
    "namespace",
    "owner",
    "lineage",
    "format",
    "complexity",
    "structure",
    "lifecycle",
    "tombstoning",
    "auth",
    "documentation",
    "versioning",
    "sql",
    "quality",
    META_STANDARD,
)


def finding_row(f: Finding) -> tuple:
    """A finding as plain data (every field a renderer reads), for the caches (govern/incremental)."""
    loc = f.location
    prov = (f.provenance.field, f.provenance.source, f.provenance.kind) if f.provenance is not None else None
    return (f.rule, f.standard, int(f.severity), f.message, f.product, loc.path, loc.line, loc.column, loc.pointer,
            f.engine, f.mode, f.waived, f.waiver_reason, f.help, f.fingerprint, prov)


def finding_from_row(row: Iterable[Any]) -> Finding:
    """The finding ``finding_row`` made ``row`` of."""
    (rule, standard, severity, message, product, path, line, column, pointer, engine, mode, waived, waiver_reason,
     help_, fingerprint, prov) = row
    return Finding(rule, standard, Severity(severity), message, product, Location(path, line, column, pointer),
                   engine=engine, mode=mode, waived=waived, waiver_reason=waiver_reason, help=help_,
                   fingerprint=fingerprint, provenance=Provenance(*prov) if prov is not None else None)
