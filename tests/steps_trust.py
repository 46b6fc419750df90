"""Step definitions for tests/features/hostile_input.feature (findings at mesh files, symbolic links)."""

from __future__ import annotations

import os

from meshkit import MeshDir
from pytest_bdd import given, parsers, then

from govern.model.findings import Severity


def _at(run: dict, rule: str, path: str) -> list:
    return [f for f in run["result"].findings if f.rule == rule and f.location.path == path]


@given(parsers.parse('a symbolic link "{relpath}" to a directory outside the mesh with a failing product "{pid}"'))
def given_link_outside(mesh: MeshDir, relpath: str, pid: str) -> None:
    outside = mesh.root.parent / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "dataproduct.yaml").write_text(f"kind: DataProduct\nid: {pid}\nnamespace: nowhere\n", encoding="utf-8")
    link = mesh.root / relpath
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(outside, link, target_is_directory=True)


@then(parsers.re(r'an? (?P<standard>\w+) (?P<severity>error|warning|info) "(?P<rule>[\w.-]+)" is reported '
                 r'at "(?P<path>[^"]+)"( line (?P<line>\d+))?$'))
def then_reported_at(run: dict, standard: str, severity: str, rule: str, path: str, line: str | None) -> None:
    found = _at(run, rule, path)
    assert found, [(f.rule, f.location) for f in run["result"].findings]
    assert any(f.standard == standard and f.severity is Severity.parse(severity) for f in found), found
    if line:
        assert any(f.location.line == int(line) for f in found), [f.location for f in found]


@then(parsers.re(r'the message of "(?P<rule>[\w.-]+)" at "(?P<path>[^"]+)" mentions "(?P<text>.+)"$'))
def then_message_at(run: dict, rule: str, path: str, text: str) -> None:
    assert any(text in f.message for f in _at(run, rule, path)), [f.message for f in _at(run, rule, path)]
