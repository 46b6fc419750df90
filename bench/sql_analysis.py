"""Measure the SQL analysis stage against sqlglot's parse floor.

    .venv/bin/python bench/sql_analysis.py [N ...]

1. The 99 TPC-DS queries: ``sqlglot.parse`` alone, parse + ``traverse_scope``, and ``scan_sql``
   (best of 5 each).
2. For each N (default 500): a synthetic mesh of N products, each with one TPC-H / TPC-DS query in
   a SQL file, analysed with ``analyse(mesh, workers=1)`` and ``workers=2``, against the floor of
   reading and parsing the same files with ``sqlglot.parse``.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "bench" / "sql"
sys.path.insert(0, str(REPO / "tests"))


def queries() -> list[str]:
    text = (CORPUS / "tpc-ds-queries.sql").read_text() + (CORPUS / "tpc-h-queries.sql").read_text()
    return [q.strip() for q in re.split(r"^-- TPC-(?:DS|H) \d+\s*$", text, flags=re.M) if q.strip()]


def best(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def scan_vs_parse() -> None:
    import sqlglot
    from sqlglot.optimizer.scope import traverse_scope

    from govern.analysis.sqlscan import scan_sql

    tpcds = queries()[:99]
    parse = best(lambda: [sqlglot.parse(q) for q in tpcds])
    scoped = best(lambda: [list(traverse_scope(e)) for q in tpcds for e in sqlglot.parse(q)])
    scan = best(lambda: [scan_sql(q) for q in tpcds])
    print(f"TPC-DS x99: parse {parse:.3f} s, parse+scope {scoped:.3f} s ({scoped / parse:.2f}), "
          f"scan_sql {scan:.3f} s ({scan / parse:.2f})")


def mesh_vs_floor(n: int) -> None:
    import sqlglot
    from meshkit import MeshDir

    from govern.analysis import analyse
    from govern.load.loader import load_mesh

    corpus = queries()
    root = Path(tempfile.mkdtemp()) / "mesh"
    mesh = MeshDir(root)
    mesh.org()
    for i in range(n):
        mesh.product(f"sales.p{i:05d}", {"execution": {"code": ["q.sql"], "dialect": "duckdb"}})
        mesh.write(f"sales/p{i:05d}/q.sql", corpus[i % len(corpus)] + "\n")
    loaded = load_mesh([root], root=root)
    files = [root / f"sales/p{i:05d}/q.sql" for i in range(n)]
    started = time.perf_counter()
    for path in files:
        sqlglot.parse(path.read_text(), read="duckdb")
    floor = time.perf_counter() - started
    for workers in (1, 2):
        started = time.perf_counter()
        analysis = analyse(loaded, workers=workers)
        took = time.perf_counter() - started
        print(f"N={n} workers={workers}: analyse {took:.2f} s, read+parse floor {floor:.2f} s, "
              f"ratio {took / floor:.2f}, {n / took:.0f} files/s, {analysis.stats['statements']} statements")


if __name__ == "__main__":
    scan_vs_parse()
    for arg in sys.argv[1:] or ["500"]:
        mesh_vs_floor(int(arg))
