"""The benchmark harness (bench/) works end to end at a small size. No test here asserts a duration."""

from __future__ import annotations

import json
from pathlib import Path

from bench.generate import PLANTS, generate
from bench.runner import main


def test_the_generator_is_deterministic_and_plants_every_kind_of_violation(tmp_path: Path) -> None:
    one = generate(tmp_path / "a", 80, seed=7)
    two = generate(tmp_path / "b", 80, seed=7)
    files = sorted(p.relative_to(one.root) for p in one.root.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(two.root) for p in two.root.rglob("*") if p.is_file())
    for rel in files:
        assert (one.root / rel).read_bytes() == (two.root / rel).read_bytes(), rel
    assert len(list(one.root.glob("*/*/dataproduct.yaml"))) == 80
    assert len(list(one.root.glob("*/*/*.sql"))) == 80
    assert {e["plant"] for e in one.expected} == {p.__name__.removeprefix("plant_").replace("_", "-")
                                                  for p in PLANTS}
    other = generate(tmp_path / "c", 80, seed=8)
    assert other.ids != one.ids or other.expected != one.expected


def test_the_harness_measures_a_small_mesh_and_finds_the_planted_violations(tmp_path: Path) -> None:
    out, table = tmp_path / "results.json", tmp_path / "results.md"
    code = main(["--sizes", "80", "--workdir", str(tmp_path / "work"), "--out", str(out), "--markdown", str(table),
                 "--repeat", "1", "--timeout", "600"])
    result = json.loads(out.read_text())
    size = result["sizes"][0]
    assert code == 0
    assert size["products"] == 80
    findings = size["check"]["findings"]
    assert findings["expected"] >= len(PLANTS) and findings["found"] == findings["expected"], findings
    assert findings["missing"] == [] and findings["unexpected"] == []
    assert size["check"]["exitCode"] == 1 and size["gate"]["exitCode"] == 1  # the planted errors block
    assert size["floor"]["yamlFiles"] == 83 and size["floor"]["sqlFiles"] == 80
    for mode in ("precommitManifest", "precommitSql"):
        assert size[mode]["exitCodes"] in ([0], [1]) and size[mode]["productsChecked"] >= 1, size[mode]
    assert size["cedar"]["requests"] > 80 and size["cedar"]["decisionsPerSecond"] > 0
    assert size["sql"]["identical"] is True and size["sql"]["serial"]["files"] == 80
    assert size["check"]["maxrssMB"] > 0
    assert size["checkWarm"]["sameOutputAsCold"] is True and size["checkEdited"]["exitCode"] == 1
    text = table.read_text()
    assert "| 80 |" in text and "planted violations found" in text
    assert result["machine"]["nproc"] >= 1 and result["machine"]["python"]
