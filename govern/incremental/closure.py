"""The closure of a change: which products it affects, and which products their findings read.

Every rule declares what it reads beyond the product it reports on (govern/model/scope.py). A change
to product X can change the findings of product T for some rule exactly when X is among what that rule
reads for T, before the change or after it. So the products to report are the changed ones plus, per
kind of read in force, the inverse relation applied to each changed product, with its facts before
and after the change (``affected``). The products to load are then, per kind, the forward relation
applied to each reported product, with the facts of now (``needed``).

Nothing here knows a rule: only the kinds of ``Reads`` and the facts of products
(govern/incremental/facts.py). A new rule that declares what it reads is covered; one that declares
nothing reads ``Reads.MESH``, and then every product is reported and loaded.

Where a relation is hard to state exactly, it is stated wider: loading or reporting more than needed
costs time, never a different finding. Table names are matched by shared tokens (a superset of how
the analysis resolves them), and the lineage graph's cycles are computed on the edges those tokens
allow (a superset of the edges the analysis finds).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from govern.incremental.facts import Facts, ProductFacts, Ref
from govern.model.scope import Reads


@dataclass
class Change:
    """The products of one changed file before and after (either may be empty: added, deleted, broken).
    ``before`` is None when the facts before the change are not known (no base revision)."""

    path: str
    before: list[ProductFacts] | None = None
    after: list[ProductFacts] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)  # ids the file names though it does not load (its findings)


@dataclass
class Closure:
    """What a change needs evaluated: ``report`` (with why), ``load`` and ``analyse`` (both include what
    the reported products' rules read)."""

    report: dict[Ref, str]
    load: set[Ref]
    analyse: set[Ref]
    everything: bool = False


def affected(now: Facts, before: Facts | None, changes: Iterable[Change], reads: frozenset[Reads],
             sql_changed: Iterable[str] = ()) -> dict[Ref, str]:
    """The products (of now) whose findings the changes can alter, each with the first reason found.

    ``before`` answers with the facts as they were (the mesh index), or is None when only the facts of
    now are known; ``sql_changed`` are SQL files whose text changed.
    """
    out: dict[Ref, str] = {}
    changes = list(changes)

    def add(refs: Iterable[Ref], why: str) -> None:
        for ref in refs:
            if now.get(ref) is not None:
                out.setdefault(ref, why)

    for path in sorted(set(sql_changed)):
        add(now.built_by(path), f"{path} changed")
    for change in changes:
        add((f.ref for f in change.after), f"{change.path} changed")
    if Reads.MESH in reads:
        add(_all(now), "a rule in force reads the whole mesh")
        return out
    views = [now] if before is None else [now, before]
    for change in changes:
        if Reads.PRODUCERS in reads or Reads.PRODUCT_IDS in reads:
            for pid in change.ids:  # a manifest that does not load: who reads the id it names
                add(now.referencing(pid), f"{change.path} does not load")
        for facts in (*(change.before or ()), *change.after):
            why = f"{facts.id} ({change.path}) changed"
            for view in views:
                if Reads.PRODUCERS in reads:  # it names the changed product
                    add(view.referencing(facts.id), why)
                if Reads.CONSUMERS in reads:  # the changed product names it, or reads its tables
                    add(_producers(view, facts), why)
                    add(_owners(view, facts.reads), why)
                if Reads.SQL_PRODUCERS in reads:  # its SQL reads a table the changed product owns
                    add(_readers(view, facts.owns), why)
                if Reads.SAME_ID in reads:
                    add(view.with_key(facts.key), why)
                if Reads.SAME_ADDRESS in reads:
                    for token in facts.claims:
                        add(view.claiming(token), why)
                if Reads.TEAM in reads and facts.team:
                    add(view.of_team(facts.team), why)
                if Reads.SQL in reads:  # it shares a SQL file with the changed product (one scan for both)
                    for path in facts.code:
                        add(view.built_by(path), why)
                if Reads.GRAPH in reads:
                    add(cycle_members(view, facts.ref) - {facts.ref}, f"on a lineage cycle with {facts.id}")
                    for ref in _readers(view, facts.owns):  # their edges now resolve differently
                        add(cycle_members(view, ref), f"on a lineage cycle with {facts.id}")
    if Reads.PRODUCT_IDS in reads:
        gone_or_new = _ids_changed(now, changes)
        if gone_or_new:
            ids = now.ids()
            for value in sorted(gone_or_new):
                add(now.referencing(value), f"product id '{value}' appeared or disappeared")
            # a reference to no product says which id is closest: a new id may be the closest now
            for value in sorted(v for v in now.reference_values() if v not in ids):
                add(now.referencing(value), f"names '{value}', which is no product id")
    return out


def needed(now: Facts, report: Iterable[Ref], reads: frozenset[Reads]) -> Closure:
    """The products the reported products' rules read (``load``) and whose SQL they read (``analyse``)."""
    report = {ref: "" for ref in report}
    if Reads.MESH in reads:
        everyone = set(_all(now))
        return Closure(report, everyone, {r for r in everyone if _has_sql(now, r)}, everything=True)
    load: set[Ref] = set(report)
    analyse: set[Ref] = set()
    for ref in report:
        facts = now.get(ref)
        if facts is None:
            continue
        if Reads.SQL in reads:
            analyse.update(_sharing_sql(now, ref))
        if Reads.PRODUCERS in reads:
            load.update(_producers(now, facts))
        if Reads.SQL_PRODUCERS in reads:
            load.update(_owners(now, facts.reads))
        if Reads.CONSUMERS in reads:
            load.update(now.referencing(facts.id))
            load.update(_readers(now, facts.owns))
        if Reads.SAME_ID in reads:
            load.update(now.with_key(facts.key))
        if Reads.SAME_ADDRESS in reads:
            for token in facts.claims:
                load.update(now.claiming(token))
        if Reads.GRAPH in reads:
            members = cycle_members(now, ref)
            load.update(members)
            for member in members:  # their SQL gives the edges between them
                analyse.update(_sharing_sql(now, member))
    load.update(analyse)
    return Closure(report, load, analyse)


def _all(now: Facts) -> list[Ref]:
    return sorted({ref for pid in now.ids() for ref in now.with_id(pid)})


def _has_sql(now: Facts, ref: Ref) -> bool:
    facts = now.get(ref)
    return facts is not None and facts.has_sql


def _producers(view: Facts, facts: ProductFacts) -> set[Ref]:
    """The products ``facts`` names at a product-reference field."""
    return {ref for value in facts.refs for ref in view.with_id(value)}


def _owners(view: Facts, tokens: Iterable[str]) -> set[Ref]:
    """Products owning a table matching one of ``tokens`` (what SQL reading those tables may resolve to)."""
    return {ref for token in tokens for ref in view.owning(token)}


def _readers(view: Facts, tokens: Iterable[str]) -> set[Ref]:
    """Products whose SQL reads or writes a table matching one of ``tokens``."""
    return {ref for token in tokens for ref in view.reading(token)}


def _sharing_sql(now: Facts, ref: Ref) -> set[Ref]:
    """``ref`` and every product sharing one of its SQL files, transitively: one file is scanned once,
    with the lowest lineage floor of the products that name it (govern/analysis/run.py)."""
    out: set[Ref] = set()
    todo = [ref]
    while todo:
        current = todo.pop()
        facts = now.get(current)
        if current in out or facts is None or not facts.has_sql:
            continue
        out.add(current)
        for path in facts.code:
            todo.extend(r for r in now.built_by(path) if r not in out)
    return out


def cycle_members(view: Facts, ref: Ref) -> set[Ref]:
    """The products on a lineage cycle with ``ref`` (its strongly connected component on the widest edges
    the facts allow: declared inputs, and owners of tables its SQL names); empty when it is on none."""
    return view.cycle_members(ref)


def _ids_changed(now: Facts, changes: list[Change]) -> set[str]:
    """Product ids that exist now and did not, or did and do not now (of changes whose before is known)."""
    ids = now.ids()
    out: set[str] = set()
    for change in changes:
        if change.before is None:
            continue
        before = {f.id for f in change.before}
        out.update(pid for pid in before if pid not in ids)
        out.update({f.id for f in change.after} - before)
    return out
