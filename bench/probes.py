"""In-process probes, each run in a fresh interpreter by the runner: ``python -m bench.probes KIND MESH``.

- ``floor``: read and parse every YAML file (libyaml ``CSafeLoader``) and every SQL file (``sqlglot.parse``
  in the mesh's dialect), nothing else: the least any checker must spend. Prints seconds per part.
- ``cedar``: build the Cedar PolicySet and Entities of the mesh once, then time ``CedarEvaluator.decide``
  over every ``read`` request (declared and SQL lineage edges) and ``deploy`` request: decisions per second.
- ``sql``: time the SQL analysis stage alone (``govern.analysis.analyse``) with 1 worker and with one per
  core, and check that both give identical results.

Each prints one JSON object on stdout.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def _files(root: Path) -> tuple[list[Path], list[Path]]:
    yamls: list[Path] = []
    sqls: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith((".yaml", ".yml")):
                yamls.append(Path(dirpath) / name)
            elif name.endswith(".sql"):
                sqls.append(Path(dirpath) / name)
    return yamls, sqls


def floor(root: Path) -> dict:
    """Seconds to walk, read and parse every YAML and SQL file of the mesh; nothing else."""
    import yaml

    started = time.perf_counter()
    yamls, sqls = _files(root)
    walked = time.perf_counter()
    dialect = None
    for path in yamls:
        data = yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
        if path.name == "govern.yaml" and isinstance(data, dict):
            dialect = data.get("dialect")
    yaml_done = time.perf_counter()
    import sqlglot

    imported = time.perf_counter()
    errors = 0
    for path in sqls:
        try:
            sqlglot.parse(path.read_text(encoding="utf-8"), read=dialect)
        except sqlglot.errors.SqlglotError:
            errors += 1
    sql_done = time.perf_counter()
    return {
        "walk": round(walked - started, 4),
        "yaml": round(yaml_done - walked, 4),
        "sqlImport": round(imported - yaml_done, 4),
        "sql": round(sql_done - imported, 4),
        "total": round(sql_done - started, 4),
        "yamlFiles": len(yamls),
        "sqlFiles": len(sqls),
        "sqlParseErrors": errors,
        "dialect": dialect,
    }


def cedar(root: Path, repeat: int = 3) -> dict:
    """Cedar decisions per second in one batch (PolicySet and Entities built once, outside the timing)."""
    from govern.api import analyse_sql, pack_for
    from govern.load.loader import load_mesh
    from govern.model.lineage import declared_edges
    from govern.standards.cedar import CedarEvaluator, deploy_requests, read_requests

    mesh = load_mesh([root], root=root)
    pack = pack_for(mesh)
    analysis = analyse_sql(mesh, workers=0)
    edges = declared_edges(mesh.products) + list(analysis.edges if analysis else ())
    specs = [s for s in pack.rules.values() if s.engine == "cedar"]
    started = time.perf_counter()
    requests = read_requests(mesh, edges) + deploy_requests(mesh.products)
    built_requests = time.perf_counter() - started
    started = time.perf_counter()
    evaluator = CedarEvaluator(specs, mesh)
    built = time.perf_counter() - started
    best = None
    denied = 0
    for _ in range(repeat):
        started = time.perf_counter()
        decisions = evaluator.decide(requests)
        elapsed = time.perf_counter() - started
        denied = len(decisions)
        best = elapsed if best is None else min(best, elapsed)
    assert best is not None
    return {
        "requests": len(requests),
        "denied": denied,
        "seconds": round(best, 4),
        "decisionsPerSecond": round(len(requests) / best) if best else None,
        "buildRequestsSeconds": round(built_requests, 4),
        "buildEvaluatorSeconds": round(built, 4),
    }


def sql(root: Path) -> dict:
    """SQL files per second through the analysis stage, 1 worker and all cores; results must match."""
    from govern.analysis import analyse
    from govern.load.loader import load_mesh

    mesh = load_mesh([root], root=root)
    out: dict = {"cores": os.cpu_count()}
    results = {}
    for label, workers in (("serial", 1), ("pool", 0)):
        started = time.perf_counter()
        analysis = analyse(mesh, workers=workers)
        elapsed = time.perf_counter() - started
        files = analysis.stats.get("files", 0)
        out[label] = {"seconds": round(elapsed, 4), "files": files, "workers": analysis.stats.get("workers"),
                      "filesPerSecond": round(files / elapsed, 1) if elapsed else None}
        edges = [(e.consumer, e.producer, e.kind, e.port, e.location.path, e.location.line, e.location.column)
                 for e in analysis.edges]
        results[label] = json.dumps([analysis.to_dict(), edges], sort_keys=True, default=str)
    out["identical"] = results["serial"] == results["pool"]
    return out


PROBES = {"floor": floor, "cedar": cedar, "sql": sql}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in PROBES:
        print(f"usage: python -m bench.probes {{{'|'.join(PROBES)}}} MESH", file=sys.stderr)
        return 2
    print(json.dumps(PROBES[argv[0]](Path(argv[1]).resolve())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
