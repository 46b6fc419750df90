"""Every broken input of tests/corpus/bad_inputs/ through the real CLI (tests/corpus/expected.yaml).

For each case: the exit codes of `govern check` and `govern gate` are the expected ones; the finding
(or, when no decision is possible, the one-line error) names the file, the line and the field; no
traceback is printed; and the good products next to the broken input are still checked: their own
findings are still reported.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from trustkit import BAD, DEFAULT_AT, base_mesh, copy_pack, generate, govern, load_cases

CASES = load_cases()


def _matches(f: dict[str, Any], exp: dict[str, Any]) -> bool:
    loc = f.get("location", {})
    return (
        f["rule"] == exp["rule"]
        and loc.get("path") == exp["path"]
        and ("line" not in exp or loc.get("line") == exp["line"])
        and ("product" not in exp or f.get("product") == exp["product"])
        and exp["message"] in f["message"]
        and ("field" not in exp or exp["field"] in f["message"])
        and ("severity" not in exp or f["severity"] == exp["severity"])
    )


def _setup(case: dict[str, Any], tmp_path: Path) -> tuple[Path, list[str]]:
    mesh = base_mesh(tmp_path / "mesh")
    for src, dest in (case.get("put") or {}).items():
        target = mesh.root / (dest or DEFAULT_AT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(BAD / src, target)
    if case.get("generate"):
        generate(case["generate"], mesh)
    args = [str(mesh.root), *(a.replace("{root}", str(mesh.root)) for a in case.get("args", []))]
    if case.get("pack"):
        pack = copy_pack(tmp_path / "pack")
        for src, dest in case["pack"].items():
            shutil.copyfile(BAD / src, pack / dest)
        args += ["--pack", str(pack)]
    return mesh.root, args


def test_the_corpus_is_complete_and_consistent() -> None:
    """Every committed bad input is used by a case, every case has a unique id and a kind."""
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    used = {src for c in CASES for src in {**(c.get("put") or {}), **(c.get("pack") or {})}}
    committed = {p.relative_to(BAD).as_posix() for p in BAD.rglob("*") if p.is_file()}
    assert committed - used == set(), "bad inputs without a case in expected.yaml"
    assert {u for u in used if not u.startswith("../")} - committed == set(), "cases naming missing files"
    for case in CASES:
        assert case.get("kind") and case.get("exit") in (0, 1, 2) and case.get("gate") in (0, 1, 2), case
        assert case.get("expect") or case.get("stderr"), f"{case['id']} checks nothing"


def test_the_trust_section_states_the_real_counts() -> None:
    """The counts by kind in docs/readme-trust.md are those of expected.yaml."""
    repo = Path(__file__).resolve().parents[2]
    docs = [repo / "README.md", repo / "docs" / "readme-trust.md"]  # the section may be merged into README
    doc = next(t for t in (d.read_text(encoding="utf-8") for d in docs if d.exists()) if "<!-- corpus-counts -->" in t)
    rows = doc.split("<!-- corpus-counts -->", 1)[1].strip().splitlines()[2:]
    stated = {}
    for row in rows:
        if not row.startswith("|"):
            break
        cells = [c.strip().strip("*") for c in row.strip("|").split("|")]
        stated[cells[0]] = int(cells[-1])
    total = stated.pop("total")
    assert stated == dict(Counter(c["kind"] for c in CASES))
    assert total == len(CASES)
    assert f"**A corpus of {len(CASES)} broken inputs**" in doc


def test_the_base_mesh_passes_on_its_own(tmp_path: Path) -> None:
    """The control: without a broken input, check and gate both exit 0, so every exit code below is
    caused by the broken input."""
    mesh = base_mesh(tmp_path / "mesh")
    check = govern("check", str(mesh.root), text_out=tmp_path / "out.txt")
    assert check.exit_code == 0, check.stdout + check.stderr
    waived = [f for f in check.findings if f["rule"] == "owner.person-email"]
    assert waived and all(f["waived"] for f in waived)
    assert any(f["rule"] == "auth.reader-exists" and f["product"] == "crm.customers" for f in check.findings)
    assert govern("gate", str(mesh.root)).exit_code == 0


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input(case: dict[str, Any], tmp_path: Path) -> None:
    _root, args = _setup(case, tmp_path)

    check = govern("check", *args, text_out=tmp_path / "out.txt")
    everything = check.stdout + check.stderr + check.text
    assert "Traceback" not in everything
    assert check.exit_code == case["exit"], everything[-3000:]

    for fragment in case.get("stderr", []):
        assert fragment in check.stderr, (fragment, check.stderr)
    if case.get("stderr"):
        assert check.stderr.startswith("govern: ") and check.stderr.count("\n") == 1, check.stderr

    for exp in case.get("expect", []):
        assert any(_matches(f, exp) for f in check.findings), (exp, [
            (f["rule"], f["location"], f["product"], f["message"]) for f in check.findings
            if f["location"].get("path") == exp["path"]])
        # The human output names the same file and line.
        where = exp["path"] + (f":{exp['line']}" if "line" in exp else "")
        assert where in check.text, check.text[-2000:]

    if check.findings or case["exit"] != 2:
        # The good products next to the broken input are still checked.
        person = [f for f in check.findings if f["rule"] == "owner.person-email" and f["product"] == "crm.customers"]
        assert person, "crm.customers was not checked"
        expected_names = {e.get("product") for e in case.get("expect", [])}
        if "sales.orders" not in expected_names:
            noisy = [f for f in check.findings if f["product"] == "sales.orders" and f["severity"] != "info"]
            assert not noisy, noisy
        if case.get("unwaived"):
            assert not any(f["waived"] for f in person), "a broken waiver waived a finding"
        else:
            assert all(f["waived"] for f in person), "the valid waiver of the base mesh stopped applying"

    gate = govern("gate", *args)
    assert "Traceback" not in gate.stdout + gate.stderr
    assert gate.exit_code == case["gate"], gate.stdout[-2000:] + gate.stderr
