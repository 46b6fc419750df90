"""Standards packs: loading, versions, enforcement modes, the lock file, Cedar validation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from govern.model.errors import StandardsError
from govern.standards.pack import load_pack, validate_pack, verify_pack, write_lock


def test_shipped_pack_loads_validates_and_verifies() -> None:
    pack = load_pack()
    assert validate_pack(pack) == []
    assert verify_pack(pack) == []
    sv = pack.latest_released()
    standards = {r.spec.standard for r in sv.rules}
    for needed in ("namespace", "owner", "lineage", "format", "complexity", "structure",
                   "lifecycle", "tombstoning", "auth", "documentation"):
        assert needed in standards
    for spec in pack.rules.values():
        assert spec.id and spec.standard and spec.message
        assert spec.help, spec.id


def test_every_rule_of_the_shipped_version_has_metadata() -> None:
    pack = load_pack()
    for sel in pack.latest_released().rules:
        spec = sel.spec
        assert spec.description, spec.id
        assert sel.mode in ("enforce", "warn", "audit")


def test_editing_a_released_rule_fails_verify(pack_copy: Path) -> None:
    pack = load_pack(pack_copy)
    assert verify_pack(pack) == []
    path = pack_copy / "rules" / "owner.yaml"
    path.write_text(path.read_text().replace("severity: error", "severity: warning", 1))
    problems = verify_pack(load_pack(pack_copy))
    assert problems and "changed since it was locked" in problems[0]


def test_editing_a_released_cedar_policy_fails_verify(pack_copy: Path) -> None:
    path = pack_copy / "rules" / "cedar" / "read.cedar"
    path.write_text(path.read_text().replace('resource.visibility == "private"', 'resource.visibility == "secret"'))
    assert verify_pack(load_pack(pack_copy))


def test_comments_and_formatting_do_not_change_the_digest(pack_copy: Path) -> None:
    path = pack_copy / "rules" / "owner.yaml"
    path.write_text("# a new comment\n" + path.read_text())
    cedar = pack_copy / "rules" / "cedar" / "read.cedar"
    cedar.write_text("// another comment\n" + cedar.read_text())
    assert verify_pack(load_pack(pack_copy)) == []


def test_a_new_draft_version_needs_no_lock_and_lock_never_rewrites(pack_copy: Path) -> None:
    src = pack_copy / "standards" / "mesh-core" / "1.0.0.yaml"
    text = src.read_text().replace("version: 1.0.0", "version: 1.1.0").replace("status: released", "status: draft")
    (pack_copy / "standards" / "mesh-core" / "1.1.0.yaml").write_text(text)
    pack = load_pack(pack_copy)
    assert verify_pack(pack) == []
    assert pack.latest_released().version == "1.0.0"
    # releasing it: verify asks for the lock, lock records it, the 1.0.0 entry is kept as it was
    released = pack_copy / "standards" / "mesh-core" / "1.1.0.yaml"
    released.write_text(text.replace("status: draft", "status: released"))
    pack = load_pack(pack_copy)
    before = dict(pack.lock)
    assert any("not in the lock file" in p for p in verify_pack(pack))
    lock = write_lock(pack)
    assert lock["1.0.0"] == before["1.0.0"] and "1.1.0" in lock
    assert verify_pack(load_pack(pack_copy)) == []


def test_unknown_rule_in_a_version_is_a_standards_error(pack_copy: Path) -> None:
    path = pack_copy / "standards" / "mesh-core" / "1.0.0.yaml"
    path.write_text(path.read_text().replace("- {id: owner.required, mode: enforce}",
                                             "- {id: owner.requried, mode: enforce}"))
    with pytest.raises(StandardsError) as exc:
        load_pack(pack_copy)
    assert "owner.requried" in str(exc.value) and exc.value.line


def test_cedar_syntax_error_is_a_standards_error(pack_copy: Path) -> None:
    (pack_copy / "rules" / "cedar" / "broken.cedar").write_text('@id("x")\npermit(principal, action, resource) when {')
    with pytest.raises(StandardsError) as exc:
        load_pack(pack_copy)
    assert "broken.cedar" in str(exc.value)


def test_cedar_policy_that_fails_schema_validation(pack_copy: Path) -> None:
    (pack_copy / "rules" / "cedar" / "bad.cedar").write_text(
        '@id("auth.bad")\n@standard("auth")\n@severity("error")\n@message("m")\n@help("h")\n'
        'forbid(principal, action == Action::"read", resource) when { resource.colour == "red" };\n'
    )
    problems = validate_pack(load_pack(pack_copy))
    assert problems and "auth.bad" in problems[0]


def test_forbid_policy_without_metadata_is_rejected(pack_copy: Path) -> None:
    (pack_copy / "rules" / "cedar" / "nometa.cedar").write_text(
        '@id("auth.nometa")\nforbid(principal, action, resource);\n'
    )
    with pytest.raises(StandardsError) as exc:
        load_pack(pack_copy)
    assert "needs @standard" in str(exc.value)


def test_effective_date_turns_enforce_into_warn_before_it() -> None:
    pack = load_pack()
    sel = next(r for r in pack.latest_released().rules if r.effective)
    assert sel.mode_on(sel.effective - dt.timedelta(days=1)) == "warn"
    assert sel.mode_on(sel.effective) == "enforce"


def test_unknown_version_lists_the_known_ones() -> None:
    with pytest.raises(StandardsError) as exc:
        load_pack().version("9.9.9")
    assert "1.0.0" in str(exc.value)
