"""Waivers: time-boxed, approved exceptions. Invalid waivers do not apply and are reported."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from govern.model.findings import (
    INPUT_INVALID,
    MANIFEST_INVALID,
    META_STANDARD,
    RULE_CRASHED,
    WAIVER_INVALID,
    Finding,
    Location,
    Severity,
)
from govern.model.mesh import LoadedWaiver
from govern.model.suggest import did_you_mean

# Findings that mean an input could not be read or a rule could not run: waiving one would let a
# product through unchecked, so a waiver for them never applies (fail closed).
UNWAIVABLE = frozenset({RULE_CRASHED, MANIFEST_INVALID, INPUT_INVALID, "input.outside-root", "auth.evaluation-error",
                        "input.symlink-skipped", "input.not-discovered", "input.misnamed", "input.nested-root"})


def expiry_instant(expires: dt.date) -> dt.datetime:
    """The UTC instant a waiver stops applying.

    A date-only expiry is valid through the end of that day in UTC, so it ends at the next midnight
    UTC; a time with an offset (``2026-06-01T23:00:00-05:00``) is that instant, compared in UTC.
    """
    if isinstance(expires, dt.datetime):
        return expires.astimezone(dt.UTC)
    return dt.datetime.combine(expires + dt.timedelta(days=1), dt.time.min, dt.UTC)


def _last_day(expires: dt.date) -> dt.date:
    """The UTC day on which a waiver applies for the last time."""
    return expires.astimezone(dt.UTC).date() if isinstance(expires, dt.datetime) else expires


def check_waivers(
    waivers: Iterable[LoadedWaiver],
    path: str | None,
    rule_ids: set[str],
    product_ids: set[str],
    today: dt.date,
    max_days: int,
    now: dt.datetime | None = None,
) -> tuple[dict[tuple[str, str], LoadedWaiver], list[Finding]]:
    """Split waivers into those that apply, keyed by (rule, product), and findings for the rest.

    A waiver applies while ``now`` (default: the start of ``today``, UTC) is before its expiry instant
    (see expiry_instant).
    """
    if now is None:
        now = dt.datetime.combine(today, dt.time.min, dt.UTC)
    valid: dict[tuple[str, str], LoadedWaiver] = {}
    problems: list[Finding] = []

    def report(entry: LoadedWaiver, why: str) -> None:
        w = entry.waiver
        problems.append(
            Finding(
                rule=WAIVER_INVALID,
                standard=META_STANDARD,
                severity=Severity.WARNING,
                message=f"waiver #{entry.index + 1} ({w.rule or '?'} on {w.product or '?'}) does not apply: {why}",
                product=None,
                location=Location(path, entry.line),
                engine="waivers",
            )
        )

    for entry in waivers:
        w = entry.waiver
        missing = [f for f in ("rule", "product", "reason", "approved_by", "expires") if not getattr(w, f)]
        unknown = sorted(w.model_extra or {})
        if unknown:
            report(entry, "; ".join(f"unknown field '{name}'{did_you_mean(name, type(w).model_fields)}"
                                    for name in unknown) + " (a waiver may only name rule, product, reason, "
                                                           "approved_by and expires)")
        elif missing:
            report(entry, f"missing {', '.join(missing)}")
        elif w.rule not in rule_ids:
            report(entry, f"unknown rule '{w.rule}'{did_you_mean(w.rule, rule_ids)}")
        elif w.rule in UNWAIVABLE:
            report(entry, f"rule '{w.rule}' cannot be waived (the input could not be read or evaluated)")
        elif w.product not in product_ids:
            report(entry, f"unknown product '{w.product}'{did_you_mean(w.product, product_ids)}")
        elif now >= expiry_instant(w.expires):
            report(entry, f"expired on {w.expires.isoformat()}")
        elif (_last_day(w.expires) - today).days > max_days:
            report(entry, f"expires {w.expires.isoformat()}, more than {max_days} days ahead")
        else:
            valid.setdefault((w.rule, w.product), entry)
    return valid, problems
