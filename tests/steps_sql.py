"""Step definitions for tests/features/lineage_sql.feature: findings located in SQL files."""

from __future__ import annotations

from pytest_bdd import parsers, then


def _found(run: dict, rule: str, pid: str) -> list:
    return [f for f in run["result"].findings if f.rule == rule and f.product == pid]


@then(parsers.re(r'"(?P<rule>[\w.-]+)" is reported for "(?P<pid>[^"]+)" at "(?P<path>[^"]+)" line (?P<line>\d+)'
                 r'(?: column (?P<column>\d+))?$'))
def then_at_file_line(run: dict, rule: str, pid: str, path: str, line: str, column: str | None) -> None:
    found = _found(run, rule, pid)
    wanted = [f for f in found if f.location.path == path and f.location.line == int(line)]
    assert wanted, [(f.location, f.message) for f in found]
    if column is not None:
        assert any(f.location.column == int(column) for f in wanted), [f.location for f in wanted]


@then(parsers.re(r'no (?P<standard>lineage|sql) finding is reported for any product'))
def then_none_at_all(run: dict, standard: str) -> None:
    found = [f for f in run["result"].findings if f.standard == standard]
    assert not found, [(f.rule, f.product, f.message) for f in found]
