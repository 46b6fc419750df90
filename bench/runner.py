"""The benchmark runner: generate meshes of N products and measure govern on them.

For each size: the parse floor, full ``govern check`` (wall time, peak memory, and the planted
findings; again with nothing changed, which must print the same bytes; and after one manifest edit),
``gate``, ``report``, pre-commit mode with one changed manifest and with one changed SQL file (cold
processes, after a full run has filled the mesh index cache), Cedar decisions per second, and SQL files
per second. Results go to a JSON file and a Markdown table.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.generate import TODAY, generate
from bench.measure import Run, machine, run

GENERATOR_VERSION = 1
# The targets of the second performance round (issue 15), against the parse floor of the sqlglot that ran
# (compiled when sqlglotc is installed).
TARGETS = {
    "fullCheckFloorRatio": 1.3,  # cold full check, at 5,000 and 10,000 products
    "warmCheckFloorRatio": 0.5,  # the same check again, caches warm
    "scalingExponent": 1.05,
    "precommitManifestSeconds": {10_000: 0.2, 50_000: 0.3},
    "cedarDecisionsPerSecond": 50_000,
    "peakMemoryMB": 1024,  # the whole process tree of a full check at the largest size (50,000)
}


def govern_argv(*args: str) -> list[str]:
    """``govern ARGS`` with the interpreter running this runner (its venv's govern)."""
    return [sys.executable, "-m", "govern", *args]


def ensure_mesh(workdir: Path, n: int, seed: int, log: Callable[[str], None]) -> Path:
    """The mesh of ``n`` products under ``workdir`` (generated unless an identical one is there)."""
    root = workdir / f"mesh-{n}-{seed}"
    stamp = root / ".bench" / "stamp.json"
    want = {"n": n, "seed": seed, "generator": GENERATOR_VERSION}
    if stamp.is_file() and json.loads(stamp.read_text()) == want:
        shutil.rmtree(root / ".govern-cache", ignore_errors=True)
        shutil.rmtree(root / ".govern", ignore_errors=True)
        return root
    shutil.rmtree(root, ignore_errors=True)
    log(f"  generating {n} products ...")
    generate(root, n, seed)
    stamp.write_text(json.dumps(want))
    time.sleep(1.2)  # the mesh index trusts only files older than the run that indexes them (MARGIN_NS)
    return root


def check_expected(result_json: str, root: Path) -> dict[str, Any]:
    """Compare a ``check --format json`` result with the findings the generator planted."""
    data = json.loads(result_json)
    expected = json.loads((root / ".bench" / "expected.json").read_text())["expected"]
    want = {(e["rule"], e["product"], e["waived"]) for e in expected}
    got = {(f["rule"], f["product"], f["waived"]) for f in data["findings"] if f["severity"] != "info"}
    return {
        "expected": len(want),
        "found": len(want & got),
        "missing": sorted(map(list, want - got)),
        "unexpected": sorted(map(list, got - want))[:20],
        "unexpectedCount": len(got - want),
        "summary": data.get("summary"),
    }


def probe(kind: str, root: Path, timeout: float | None) -> tuple[dict, Run]:
    r = run([sys.executable, "-m", "bench.probes", kind, str(root)], timeout=timeout)
    if r.exit_code != 0:
        raise RuntimeError(f"probe {kind} failed ({r.exit_code}): {r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1]), r


def _edit(path: Path, original: bytes, k: int) -> None:
    """A real content change that keeps the file valid: a trailing comment that differs each time."""
    marker = f"\n-- bench edit {k}\n" if path.suffix == ".sql" else f"\n# bench edit {k}\n"
    path.write_bytes(original + marker.encode())


def precommit(root: Path, rel: str, repeat: int, timeout: float | None) -> dict[str, Any]:
    """``govern check FILE`` in fresh processes after real edits of FILE; median and all wall times."""
    path = root / rel
    original = path.read_bytes()
    runs: list[Run] = []
    try:
        for k in range(repeat):
            _edit(path, original, k)
            runs.append(run(govern_argv("check", str(path), "--today", TODAY.isoformat(), "-f", "json"),
                            cwd=root, timeout=timeout))
    finally:
        path.write_bytes(original)
    last = runs[-1]
    products = None
    with contextlib.suppress(ValueError, KeyError):
        products = json.loads(last.stdout)["summary"]["products"]
    return {
        "file": rel,
        "wall": round(statistics.median(r.wall for r in runs), 4),
        "walls": [round(r.wall, 4) for r in runs],
        "exitCodes": sorted({r.exit_code for r in runs}),
        "maxrssMB": round(max(r.maxrss_mb for r in runs), 1),
        "productsChecked": products,
        "stderr": last.stderr[-500:] if last.exit_code == 2 else "",
    }


def measure_size(n: int, seed: int, workdir: Path, repeat: int, timeout: float | None,
                 log: Callable[[str], None]) -> dict[str, Any]:
    """Every measurement for one mesh size."""
    root = ensure_mesh(workdir, n, seed, log)
    sample = json.loads((root / ".bench" / "expected.json").read_text())["sample"]
    out: dict[str, Any] = {"products": n, "seed": seed, "mesh": str(root)}
    today = TODAY.isoformat()

    log("  floor (read + parse every YAML and SQL file) ...")
    out["floor"], _ = probe("floor", root, timeout)
    floor_total = out["floor"]["walk"] + out["floor"]["yaml"] + out["floor"]["sql"]

    log("  govern check (full, cold cache) ...")
    r = run(govern_argv("check", str(root), "--today", today, "-f", "json"), timeout=timeout)
    out["check"] = {**r.to_dict(), "floorRatio": round(r.wall / floor_total, 3) if floor_total else None}
    out["check"]["findings"] = check_expected(r.stdout, root) if r.exit_code in (0, 1) else {"error": r.stderr[-2000:]}

    cold_output = r.stdout
    log("  govern check (full, warm cache) ...")
    r = run(govern_argv("check", str(root), "--today", today, "-f", "json"), timeout=timeout)
    out["checkWarm"] = {**r.to_dict(), "floorRatio": round(r.wall / floor_total, 3) if floor_total else None,
                        "sameOutputAsCold": r.stdout == cold_output}

    log("  govern check (full, after one manifest edit) ...")
    edited = root / sample["manifest"]
    original = edited.read_bytes()
    _edit(edited, original, 0)
    try:
        r = run(govern_argv("check", str(root), "--today", today, "-f", "json"), timeout=timeout)
    finally:
        edited.write_bytes(original)
    out["checkEdited"] = {**r.to_dict(), "floorRatio": round(r.wall / floor_total, 3) if floor_total else None}

    log("  govern gate ...")
    r = run(govern_argv("gate", str(root), "--today", today, "-f", "json"), timeout=timeout)
    out["gate"] = r.to_dict()

    log("  govern report ...")
    r = run(govern_argv("report", "--help"), timeout=timeout)
    if r.exit_code == 0:
        report_dir = workdir / f"report-{n}"
        shutil.rmtree(report_dir, ignore_errors=True)
        r = run(govern_argv("report", str(root), "--today", today, "-o", str(report_dir), "--no-record"),
                timeout=timeout)
        out["report"] = r.to_dict()
        if r.exit_code != 0:
            out["report"]["stderr"] = r.stderr[-1000:]
    else:
        out["report"] = None

    log("  pre-commit: one changed manifest ...")
    out["precommitManifest"] = precommit(root, sample["manifest"], repeat, timeout)
    log("  pre-commit: one changed SQL file ...")
    out["precommitSql"] = precommit(root, sample["sql"], repeat, timeout)

    log("  Cedar decisions per second ...")
    out["cedar"], _ = probe("cedar", root, timeout)
    log("  SQL files per second ...")
    out["sql"], _ = probe("sql", root, timeout)
    return out


def exponent(points: list[tuple[int, float]]) -> float | None:
    """Scaling exponent k of t ~ N^k between the smallest and the largest N."""
    points = sorted(p for p in points if p[1] and p[1] > 0)
    if len(points) < 2 or points[0][0] == points[-1][0]:
        return None
    (n1, t1), (n2, t2) = points[0], points[-1]
    return round(math.log(t2 / t1) / math.log(n2 / n1), 3)


def summarise(sizes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "checkExponent": exponent([(s["products"], s["check"]["wall"]) for s in sizes]),
        "checkWarmExponent": exponent([(s["products"], s["checkWarm"]["wall"]) for s in sizes]),
        "floorExponent": exponent([(s["products"], s["floor"]["total"]) for s in sizes]),
        "precommitManifestExponent": exponent([(s["products"], s["precommitManifest"]["wall"]) for s in sizes]),
    }


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        value = f"{value:.3f}" if value < 10 else f"{value:.1f}"
    return f"{value}{unit}"


def markdown(result: dict[str, Any]) -> str:
    """A short Markdown table of the results, each figure next to its target."""
    m = result["machine"]
    lines = [
        f"Measured {result['date']} on {m['nproc']} cores ({m['cpu']}), {m['memoryGiB']} GiB, Python {m['python']}, "
        f"sqlglot {m['versions'].get('sqlglot')}{' + sqlglotc' if m['versions'].get('sqlglotc') else ''}, "
        f"cedarpy {m['versions'].get('cedarpy')}; load average at start {m['loadAverage']}.",
        "",
        "| products | floor (s) | check cold (s) | ratio | check again (s) | ratio | after one edit (s) "
        "| peak MB (largest / all, PSS) | gate (s) "
        "| report (s) | pre-commit manifest (s) | pre-commit SQL (s) | Cedar decisions/s "
        "| SQL files/s (1 / all cores) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in result["sizes"]:
        c, w = s["check"], s["checkWarm"]
        sql = s["sql"]
        lines.append(
            f"| {s['products']:,} | {_fmt(s['floor']['total'])} | {_fmt(c['wall'])} | {_fmt(c['floorRatio'])} "
            f"| {_fmt(w['wall'])} | {_fmt(w['floorRatio'])} "
            f"| {_fmt(s['checkEdited']['wall'] if 'checkEdited' in s else None)} "
            f"| {_fmt(c['maxrssMB'])} / {_fmt(c['treeRssMB'])} "
            f"| {_fmt(s['gate']['wall'])} | {_fmt(s['report']['wall'] if s['report'] else None)} "
            f"| {_fmt(s['precommitManifest']['wall'])} | {_fmt(s['precommitSql']['wall'])} "
            f"| {s['cedar']['decisionsPerSecond']:,} "
            f"| {_fmt(sql['serial']['filesPerSecond'])} / {_fmt(sql['pool']['filesPerSecond'])} |"
        )
    summary = result["summary"]
    lines += [
        "",
        f"Scaling exponent of full check (cold) from {result['sizes'][0]['products']:,} to "
        f"{result['sizes'][-1]['products']:,} products: {_fmt(summary['checkExponent'])} "
        f"(warm: {_fmt(summary['checkWarmExponent'])}; the floor itself: {_fmt(summary['floorExponent'])}).",
        "",
        "| target | wanted | measured | met |",
        "|---|---:|---:|:---:|",
    ]
    largest = result["sizes"][-1]
    ten_k = next((s for s in result["sizes"] if s["products"] == 10_000), largest)
    at = f"{ten_k['products']:,}"
    checks: list[tuple[str, str, Any, bool | None]] = []
    for s in result["sizes"]:
        if s["products"] in (5_000, 10_000) or s is ten_k:
            ratio = s["check"]["floorRatio"]
            checks.append((f"full check / parse floor (cold, {s['products']:,} products)",
                           f"<= {TARGETS['fullCheckFloorRatio']}", ratio,
                           ratio is not None and ratio <= TARGETS["fullCheckFloorRatio"]))
    warm = ten_k["checkWarm"]["floorRatio"]
    checks += [
        (f"check again / parse floor (warm, {at} products)", f"<= {TARGETS['warmCheckFloorRatio']}", warm,
         warm is not None and warm <= TARGETS["warmCheckFloorRatio"]),
        ("scaling exponent of full check", f"<= {TARGETS['scalingExponent']}", summary["checkExponent"],
         None if summary["checkExponent"] is None else summary["checkExponent"] <= TARGETS["scalingExponent"]),
    ]
    for s in result["sizes"]:
        limit = TARGETS["precommitManifestSeconds"].get(s["products"])
        if limit is not None:
            got = s["precommitManifest"]["wall"]
            checks.append((f"pre-commit, one changed manifest, cold process ({s['products']:,})", f"<= {limit} s",
                           got, got <= limit))
    checks += [
        (f"Cedar decisions per second (batch, {at})", f">= {TARGETS['cedarDecisionsPerSecond']:,}",
         ten_k["cedar"]["decisionsPerSecond"],
         ten_k["cedar"]["decisionsPerSecond"] >= TARGETS["cedarDecisionsPerSecond"]),
        (f"peak memory of full check ({largest['products']:,}, all processes, PSS)",
         f"<= {TARGETS['peakMemoryMB']} MB", largest["check"]["treeRssMB"],
         largest["check"]["treeRssMB"] <= TARGETS["peakMemoryMB"]),
        ("check again: output identical to the cold check (all sizes)", "yes",
         all(s["checkWarm"].get("sameOutputAsCold", False) for s in result["sizes"]),
         all(s["checkWarm"].get("sameOutputAsCold", False) for s in result["sizes"])),
        ("SQL analysis: pool results identical to one process", "yes", ten_k["sql"]["identical"],
         ten_k["sql"]["identical"]),
        ("planted violations found (all sizes)", "all",
         ", ".join(f"{s['check']['findings'].get('found')}/{s['check']['findings'].get('expected')}"
                   for s in result["sizes"]),
         all(not s["check"]["findings"].get("missing") and not s["check"]["findings"].get("error")
             for s in result["sizes"])),
    ]
    for name, wanted, got, ok in checks:
        met = "n/a (one size)" if ok is None else "yes" if ok else "**no**"
        lines.append(f"| {name} | {wanted} | {_fmt(got)} | {met} |")
    return "\n".join(lines) + "\n"


def compile_govern() -> None:
    """Byte-compile the govern package, as ``pip install`` does: a process started with
    PYTHONDONTWRITEBYTECODE=1 (or from an editable install) would otherwise compile govern's modules on
    every run, which no installed govern does."""
    import compileall

    import govern

    compileall.compile_dir(str(Path(govern.__file__).parent), quiet=1)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000",
                        help="comma-separated mesh sizes (products); default 1000,10000,50000")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", default=None, help="where meshes are generated (default: $TMPDIR/govern-bench)")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results.json"))
    parser.add_argument("--markdown", default=str(Path(__file__).resolve().parent / "results.md"))
    parser.add_argument("--repeat", type=int, default=3, help="pre-commit runs per mode (median reported)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds any one command may take")
    parser.add_argument("--keep", action="store_true", help="keep the generated meshes")
    args = parser.parse_args(argv)

    sizes = sorted({int(s.replace("_", "").replace("k", "000")) for s in args.sizes.split(",") if s.strip()})
    workdir = Path(args.workdir or Path(os.environ.get("TMPDIR", "/tmp")) / "govern-bench").resolve()
    workdir.mkdir(parents=True, exist_ok=True)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    compile_govern()
    result: dict[str, Any] = {"date": dt.date.today().isoformat(), "machine": machine(), "targets": TARGETS,
                              "sizes": []}
    for n in sizes:
        log(f"{n:,} products")
        result["sizes"].append(measure_size(n, args.seed, workdir, args.repeat, args.timeout, log))
        if not args.keep:
            shutil.rmtree(workdir / f"mesh-{n}-{args.seed}", ignore_errors=True)
            shutil.rmtree(workdir / f"report-{n}", ignore_errors=True)
    result["summary"] = summarise(result["sizes"])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    table = markdown(result)
    Path(args.markdown).write_text(table, encoding="utf-8")
    print(table)
    missing = [s["products"] for s in result["sizes"] if s["check"]["findings"].get("missing")
               or s["check"]["findings"].get("error")]
    if missing:
        log(f"planted violations not found at sizes {missing}")
        return 1
    return 0
