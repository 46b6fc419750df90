"""Baselines: accept today's findings so that only new ones are reported and gate.

``govern baseline create PATH -o FILE`` records the fingerprint of every unwaived finding (rule,
product, file and a hash of the offending content, never line numbers; see govern/evaluate/fingerprint.py)
with a count. ``--baseline FILE`` on check and gate then hides as many findings of each fingerprint
as the baseline recorded; everything else is new and is reported and gated as usual.

Waived findings are never baselined (their waiver expires, the baseline would not), and a crashed
rule is never hidden (the gate fails closed).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govern.model.errors import ConfigError
from govern.model.findings import RULE_CRASHED, Finding

if TYPE_CHECKING:
    from govern.evaluate.engine import Result

BASELINE_SCHEMA = "https://govern.dev/schemas/baseline/v1"
BASELINE_VERSION = 1


def eligible(finding: Finding) -> bool:
    """Findings a baseline may record and hide."""
    return not finding.waived and finding.rule != RULE_CRASHED and bool(finding.fingerprint)


def create(result: Result) -> dict[str, Any]:
    """The baseline document for the findings of ``result`` (deterministic)."""
    counts: Counter[str] = Counter()
    first: dict[str, Finding] = {}
    for f in result.findings:
        if eligible(f):
            counts[f.fingerprint] += 1
            first.setdefault(f.fingerprint, f)
    entries = [
        {
            "fingerprint": fp,
            "count": counts[fp],
            "rule": f.rule,
            "product": f.product,
            "path": f.location.path,
            "message": f.message,
        }
        for fp, f in first.items()
    ]
    entries.sort(key=lambda e: (e["path"] or "", e["product"] or "", e["rule"], e["fingerprint"]))
    return {
        "$schema": BASELINE_SCHEMA,
        "version": BASELINE_VERSION,
        "created": result.today.isoformat(),
        "standards": f"{result.standard.pack} {result.standard.version}",
        "total": sum(counts.values()),
        "findings": entries,
    }


def write(result: Result, path: str | Path) -> dict[str, Any]:
    """Write the baseline of ``result`` to ``path`` and return it."""
    document = create(result)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return document


@dataclass
class Baseline:
    """Accepted fingerprints with how many findings of each are accepted."""

    path: str
    counts: dict[str, int] = field(default_factory=dict)


def load(path: str | Path) -> Baseline:
    """Read a baseline file; any problem is a ConfigError (exit 2: a gate without its baseline cannot decide)."""
    shown = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read baseline: {exc.strerror}", path=shown) from None
    return parse(text, shown)


def parse(text: str, shown: str) -> Baseline:
    """A baseline from its JSON text (``shown`` names it in errors)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"baseline is not valid JSON: {exc}", path=shown) from None
    if not isinstance(data, dict) or data.get("version") != BASELINE_VERSION:
        raise ConfigError("not a govern baseline", path=shown, field="version",
                          expected=f"version {BASELINE_VERSION} (create one with 'govern baseline create')")
    entries = data.get("findings")
    if not isinstance(entries, list):
        raise ConfigError("baseline needs a 'findings' list", path=shown, field="findings")
    counts: dict[str, int] = {}
    for i, entry in enumerate(entries):
        fp = entry.get("fingerprint") if isinstance(entry, dict) else None
        count = entry.get("count", 1) if isinstance(entry, dict) else None
        if not isinstance(fp, str) or not fp or not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise ConfigError("each entry needs a fingerprint and a positive count", path=shown,
                              field=f"findings[{i}]")
        counts[fp] = counts.get(fp, 0) + count
    return Baseline(shown, counts)


def apply(result: Result, baseline: Baseline) -> Result:
    """Hide the findings the baseline accepts (in place); the hidden ones go to ``result.baselined``."""
    remaining = dict(baseline.counts)
    kept: list[Finding] = []
    hidden: list[Finding] = []
    for f in result.findings:
        if eligible(f) and remaining.get(f.fingerprint, 0) > 0:
            remaining[f.fingerprint] -= 1
            hidden.append(f)
        else:
            kept.append(f)
    result.findings = kept
    result.baselined = hidden
    return result


def at_base(baseline: Baseline, path: str | Path, ref: str) -> Baseline:
    """What ``baseline`` may hide in a change since git revision ``ref``: at most what the same file accepted
    at the base. A pull request can shrink its baseline, never grow it (an entry it adds would hide the very
    findings it introduces). A baseline outside the git work tree is the operator's and is used as it is.
    """
    from govern.load.git import find_work_tree, read_blobs, resolve_base

    file = Path(path).resolve()
    top = find_work_tree(file.parent)
    if top is None:
        return baseline
    rel = file.relative_to(top).as_posix()
    blob = read_blobs(top, resolve_base(top, ref), [rel]).get(rel)
    before = parse(blob.decode("utf-8", "replace"), f"{rel} at {ref}").counts if blob is not None else {}
    return Baseline(baseline.path, {fp: min(n, before[fp]) for fp, n in baseline.counts.items() if fp in before})
