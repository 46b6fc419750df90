"""Step definitions for tests/features/scorecard.feature (scores, statuses, certitude levels)."""

from __future__ import annotations

import pytest
import yaml
from meshkit import MeshDir
from pytest_bdd import given, parsers, then, when

import govern
from govern.model.errors import StandardsError
from govern.output.scorecard import Scorecards, build_scorecards, parse_scoring


def _cards(run: dict) -> Scorecards:
    return run["cards"]


def _card(run: dict, pid: str):
    card = _cards(run).product(pid)
    assert card is not None, f"no scorecard for {pid}: {[c.product for c in _cards(run).products]}"
    return card


@given("the scoring configuration")
def given_scoring(run: dict, docstring: str) -> None:
    run["scoring_text"] = docstring


@when("the scorecards are computed")
def when_scored(mesh: MeshDir, run: dict) -> None:
    config = None
    if "scoring_text" in run:
        config = parse_scoring(yaml.safe_load(run["scoring_text"]), "scenario")
    run["result"] = govern.check([mesh.root], root=mesh.root, today=run["today"])
    run["cards"] = build_scorecards(run["result"], config=config)


@then(parsers.re(r'"(?P<pid>[^"]+)" scores (?P<score>[\d.]+)'))
def then_score(run: dict, pid: str, score: str) -> None:
    card = _card(run, pid)
    assert card.score == float(score), (card.score, [(f.rule, str(f.severity)) for f in card.findings])


@then(parsers.re(r'the level of "(?P<pid>[^"]+)" is "(?P<level>[\w-]+)"'))
def then_level(run: dict, pid: str, level: str) -> None:
    card = _card(run, pid)
    assert card.level == level, (card.level, card.blockers)


@then(parsers.re(r'the (?P<standard>\w+) status of "(?P<pid>[^"]+)" is "(?P<status>pass|warn|fail|waived)"'))
def then_status(run: dict, standard: str, pid: str, status: str) -> None:
    card = _card(run, pid)
    assert card.statuses[standard] == status, card.statuses


@then(parsers.re(r'"(?P<pid>[^"]+)" is not "(?P<level>[\w-]+)" because "(?P<reason>[^"]+)"'))
def then_blocked(run: dict, pid: str, level: str, reason: str) -> None:
    card = _card(run, pid)
    assert card.next_level == level, (card.level, card.next_level)
    assert reason in card.blockers, card.blockers


@then(parsers.re(r'"(?P<rule>[\w.-]+)" is reported (?P<n>\d+) times for "(?P<pid>[^"]+)"'))
def then_times(run: dict, rule: str, n: str, pid: str) -> None:
    found = [f for f in run["result"].findings if f.rule == rule and f.product == pid]
    assert len(found) == int(n), [f.message for f in found]


@then(parsers.re(r'the domain "(?P<domain>[^"]+)" has (?P<n>\d+) products with mean score (?P<score>[\d.]+)'))
def then_domain_mean(run: dict, domain: str, n: str, score: str) -> None:
    d = next(d for d in _cards(run).domains if d.domain == domain)
    assert (d.products, d.mean_score) == (int(n), float(score)), d


@then(parsers.re(r'the domain "(?P<domain>[^"]+)" has (?P<a>\d+) "(?P<la>[\w-]+)" '
                 r'and (?P<b>\d+) "(?P<lb>[\w-]+)" products'))
def then_domain_levels(run: dict, domain: str, a: str, la: str, b: str, lb: str) -> None:
    d = next(d for d in _cards(run).domains if d.domain == domain)
    assert (d.levels[la], d.levels[lb]) == (int(a), int(b)), d.levels


@then(parsers.re(r'the domain "(?P<domain>[^"]+)" has (?P<n>\d+) open errors'))
def then_domain_errors(run: dict, domain: str, n: str) -> None:
    d = next(d for d in _cards(run).domains if d.domain == domain)
    assert d.open_errors == int(n), d


@then(parsers.re(r"the mesh has (?P<n>\d+) products with mean score (?P<score>[\d.]+)"))
def then_mesh_mean(run: dict, n: str, score: str) -> None:
    total = _cards(run).total
    assert (total.products, total.mean_score) == (int(n), float(score)), total


@then(parsers.re(r'the mesh has (?P<a>\d+) "(?P<la>[\w-]+)", (?P<b>\d+) "(?P<lb>[\w-]+)" '
                 r'and (?P<c>\d+) "(?P<lc>[\w-]+)" products'))
def then_mesh_levels(run: dict, a: str, la: str, b: str, lb: str, c: str, lc: str) -> None:
    levels = _cards(run).total.levels
    assert list(levels) == [la, lb, lc], levels
    assert (levels[la], levels[lb], levels[lc]) == (int(a), int(b), int(c)), levels


@then(parsers.re(r"the (?P<standard>\w+) standard (?P<verb>fails|warns|passes) for (?P<n>\d+) of (?P<m>\d+) products"))
def then_standard_aggregate(run: dict, standard: str, verb: str, n: str, m: str) -> None:
    agg = next(a for a in _cards(run).aggregates if a.standard == standard)
    status = {"fails": "fail", "warns": "warn", "passes": "pass"}[verb]
    assert (agg.counts[status], agg.products) == (int(n), int(m)), agg


@then(parsers.re(r'the scoring configuration is rejected because "(?P<text>[^"]+)"'))
def then_rejected(run: dict, text: str) -> None:
    with pytest.raises(StandardsError) as info:
        parse_scoring(yaml.safe_load(run["scoring_text"]), "scenario")
    assert text in str(info.value), str(info.value)
