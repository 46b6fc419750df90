"""``analyse(mesh)``: read, render and scan every product's SQL, then map what it reads to products.

Stages: collect sources (``execution.code`` relative to the manifest, or ``Product.sql`` set by an
importer) → render dbt Jinja → scan each distinct (file, dialect, text) once, in this process or a
process pool (``scan_sql`` is pure, results are identical) → resolve tables against the catalog of
output-port locations → observed ``Edge``s (kind ``sql``) and per-product facts.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govern.analysis.catalog import Catalog, PortInfo, build_catalog, port_info, rank_of, unique_products
from govern.analysis.facts import (
    UNREADABLE,
    Analysis,
    ColumnLineage,
    ColumnSource,
    ProductSql,
    SqlIssue,
    TableRead,
)
from govern.analysis.sqlscan import (
    MAX_BYTES,
    PARSE_ERROR,
    TIME_LIMIT_PHRASE,
    TOO_COMPLEX,
    FileScan,
    Limits,
    scan_sql,
)
from govern.analysis.tablenames import TableKey
from govern.model.findings import Location
from govern.model.lineage import Edge

if TYPE_CHECKING:
    from govern.analysis.executor import Executor
    from govern.model.mesh import Mesh
    from govern.model.product import Product
    from govern.model.progress import Progress


def has_sql(product: Product) -> bool:
    """True when the product names SQL (files in execution.code, or SQL an importer carried)."""
    execution = product.model.execution
    if product.sql_skipped and not product.sql:  # the importer said why (an info finding)
        return False
    return bool(product.sql) or bool(execution and execution.code)


@dataclass
class _Source:
    product: str
    path: str
    dialect: str | None
    text: str = ""
    line_map: list[int] | None = None  # rendered line -> template line (dbt models)
    line_offset: int = 0
    scan: FileScan | None = None


@dataclass
class _Job:
    text: str
    dialect: str | None
    limits: Limits
    floor: int | None
    sources: list[_Source] = field(default_factory=list)


def _manifest_location(product: Product, *fpath: Any) -> Location:
    return Location(product.path, product.source.line_of(tuple(fpath)))


def _read_file(mesh: Mesh, product: Product, relpath: str, base: Path, where: Location,
               facts: ProductSql) -> tuple[str, str] | None:
    """(display path, text) of a SQL file inside the mesh root, or None with an issue recorded."""
    from govern.load.paths import real_root, resolve_inside
    from govern.model.errors import InputError

    root = real_root(mesh.root)
    try:
        full = resolve_inside(root, base, relpath)  # remembered from loading the manifest (check_code_paths)
    except InputError as exc:
        facts.issues.append(SqlIssue(product.id, UNREADABLE, f"SQL {exc.message}; it is not read", where))
        return None
    display = full.relative_to(root).as_posix()  # resolved inside the root
    try:
        with open(full, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > MAX_BYTES:  # never read a huge file into memory
                facts.issues.append(SqlIssue(product.id, TOO_COMPLEX, f"the file is larger than {MAX_BYTES:,} bytes",
                                             Location(display, 1)))
                return None
            data = fh.read()
    except FileNotFoundError:
        facts.issues.append(SqlIssue(product.id, UNREADABLE, f"SQL file '{display}' does not exist", where))
        return None
    except IsADirectoryError:  # resolve_inside refuses what is not a regular file, unless it is missing
        facts.issues.append(SqlIssue(product.id, UNREADABLE, f"SQL file '{display}' does not exist", where))
        return None
    except OSError as exc:
        facts.issues.append(SqlIssue(product.id, UNREADABLE, f"cannot read '{display}': {exc.strerror}", where))
        return None
    try:
        return display, data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        facts.issues.append(SqlIssue(product.id, UNREADABLE,
                                     f"'{display}' is not UTF-8 text (byte {exc.start})", where))
        return None


def _known_dialect(name: str | None, cache: dict[str | None, bool]) -> bool:
    if name not in cache:
        from sqlglot.dialects.dialect import Dialect

        try:
            Dialect.get_or_raise(name)
            cache[name] = True
        except ValueError:
            cache[name] = False
    return cache[name]


def _sources(mesh: Mesh, product: Product, facts: ProductSql, dialects: dict[str | None, bool]) -> list[_Source]:
    """The SQL of one product, read from disk (native) or as an importer carried it."""
    execution = product.model.execution
    default = (execution.dialect if execution else None) or mesh.config.dialect
    out: list[_Source] = []
    if product.sql:
        for sql in product.sql:
            dialect = sql.dialect or default
            where = Location(sql.path, sql.line_offset + 1 if sql.text is not None else None)
            if not _known_dialect(dialect, dialects):
                message = f"sqlglot knows no dialect named '{dialect}'"
                facts.issues.append(SqlIssue(product.id, PARSE_ERROR, message, where))
                continue
            if sql.text is not None:
                out.append(_Source(product.id, sql.path, dialect, sql.text, line_offset=sql.line_offset))
                continue
            read = _read_file(mesh, product, sql.path, mesh.root, where, facts)
            if read:
                out.append(_Source(product.id, read[0], dialect, read[1]))
        return out
    assert execution is not None
    if not _known_dialect(default, dialects):
        where = (_manifest_location(product, "execution", "dialect") if execution.dialect
                 else Location("govern.yaml", None))
        facts.issues.append(SqlIssue(product.id, PARSE_ERROR, f"sqlglot knows no dialect named '{default}'", where))
        return out
    base = (mesh.root / product.path).parent
    for i, relpath in enumerate(execution.code):
        where = _manifest_location(product, "execution", "code", i)
        read = _read_file(mesh, product, relpath, base, where, facts)
        if read:
            out.append(_Source(product.id, read[0], default, read[1]))
    return out


class _RefIndex:
    """dbt ``ref()`` targets: a product id, the name part of an id, or a port name; unique matches only."""

    def __init__(self, products: list[Product]) -> None:
        self.by_id = {p.id: p for p in products}
        self.by_name: dict[str, list[Product]] = {}
        self.by_port: dict[str, list[tuple[Product, Any]]] = {}
        for p in products:
            self.by_name.setdefault(p.id.rsplit(".", 1)[-1], []).append(p)
            for port in p.model.outputPorts:
                self.by_port.setdefault(port.name, []).append((p, port))

    @staticmethod
    def location(product: Product, port_name: str | None = None) -> str | None:
        for port in product.model.outputPorts:
            if port.location and (port_name is None or port.name == port_name):
                return port.location
        return None

    def resolve(self, name: str, extra: str | None) -> str | None:
        if extra is not None:
            if name in self.by_id:  # ref('<product id>', '<port>')
                return self.location(self.by_id[name], extra)
            name = extra  # ref('<package>', '<model>')
        if name in self.by_id:
            return self.location(self.by_id[name])
        named = self.by_name.get(name, [])
        if len(named) == 1:
            return self.location(named[0])
        ports = self.by_port.get(name, [])
        if len(ports) == 1 and ports[0][1].location:
            return ports[0][1].location
        return None


def _render(source: _Source, product: Product, refs: _RefIndex, limits: Limits, facts: ProductSql) -> bool:
    from govern.analysis.dbt import DbtContext, RenderError, is_template, render
    from govern.analysis.sqlscan import Timeout, deadline

    if not is_template(source.text):
        return True
    this = refs.location(product) or product.id
    try:
        with deadline(limits.timeout):
            source.text, source.line_map = render(source.text, DbtContext(refs.resolve, this))
        return True
    except RenderError as exc:
        line = exc.line + source.line_offset if exc.line else None
        facts.issues.append(SqlIssue(product.id, PARSE_ERROR, f"dbt template: {exc.message}",
                                     Location(source.path, line)))
    except Timeout:
        facts.issues.append(SqlIssue(product.id, TOO_COMPLEX,
                                     f"rendering the template {TIME_LIMIT_PHRASE} {limits.timeout:g} s",
                                     Location(source.path, source.line_offset + 1)))
    return False


def lineage_floor(product: Product) -> int | None:
    """The lowest classification rank among the product's outputs (None: nothing classified)."""
    ranks = []
    for port in product.model.outputPorts:
        ranks.append(rank_of(port.classification))
        ranks.extend(rank_of(c.classification) for c in port.columns if c.classification)
    known = [r for r in ranks if r is not None]
    return min(known) if known else None


# --- scanning, in process or on an executor ---------------------------------------------------------


def _scan_job(catalogs: dict[str | None, Catalog], args: tuple[str, str | None, Limits, int | None]) -> FileScan:
    text, dialect, limits, floor = args
    try:
        return scan_sql(text, dialect, limits, catalogs.get(dialect), floor)
    except Exception as exc:  # never lose a file silently: an internal failure is a parse error
        scan = FileScan()
        from govern.analysis.sqlscan import Problem

        scan.problems.append(Problem(PARSE_ERROR, f"could not analyse: {type(exc).__name__}: {exc}", 1, 1))
        return scan


def _scan_jobs(catalogs: dict[str | None, Catalog], chunk: list[tuple[str, str | None, Limits, int | None]],
               ) -> list[FileScan]:
    """A task of an executor: scan a chunk of jobs (the catalogs are sent to each worker once)."""
    return [_scan_job(catalogs, args) for args in chunk]


def _run_jobs(jobs: list[_Job], catalogs: dict[str | None, Catalog], executor: Executor,
              done: Callable[[], None] = lambda: None) -> list[FileScan]:
    """Scan the jobs, in this process or on ``executor``; results in the order of the jobs; ``done()``
    after each scan. ``ExecutorError`` when the executor fails (no job is left unscanned)."""
    args = [(j.text, j.dialect, j.limits, j.floor) for j in jobs]
    if not args:
        return []
    if executor.inline(len(args)):
        from govern.analysis.sqlscan import collecting

        with collecting():
            out = []
            for a in args:
                out.append(_scan_job(catalogs, a))
                done()
            return out
    size = max(1, len(args) // (executor.workers() * 8))
    chunks = [(args[i:i + size],) for i in range(0, len(args), size)]
    batch = executor.start(_scan_jobs, catalogs, chunks)
    try:
        out = []
        for i in range(len(chunks)):
            scans = batch.result(i)
            if len(scans) != len(chunks[i][0]):  # never a partial analysis
                from govern.analysis.executor import ExecutorError

                raise ExecutorError(f"the executor {executor.name} returned {len(scans)} scans for "
                                    f"{len(chunks[i][0])} SQL files")
            for scan in scans:
                out.append(scan)
                done()
        return out
    except BaseException:
        batch.abandon()
        raise
    finally:
        batch.close()


# --- resolution ----------------------------------------------------------------------------------


def _line(source: _Source, line: int | None) -> int | None:
    if line is None:
        return None
    if source.line_map and 0 < line <= len(source.line_map):
        line = source.line_map[line - 1]
    return line + source.line_offset


def _target_port(product: Product, target: PortInfo | None, path: str) -> str | None:
    """The output port a statement lands in: the port it writes, else the only / same-named / first port."""
    ports = product.model.outputPorts
    if target is not None:
        return target.port if target.product == product.id else None
    if not ports:
        return None
    if len(ports) == 1:
        return ports[0].name
    stem = Path(path).stem
    return next((p.name for p in ports if p.name == stem), ports[0].name)


def _resolve(product: Product, source: _Source, catalog: Catalog, facts: ProductSql) -> None:
    scan = source.scan
    assert scan is not None
    for problem in scan.problems:
        facts.issues.append(SqlIssue(product.id, problem.kind, problem.message,
                                     Location(source.path, _line(source, problem.line), problem.column)))
    for gap in scan.lineage_gaps:
        facts.lineage_gaps.append(f"{source.path} {gap}")
    for refs, out in ((scan.reads, facts.reads), (scan.writes, facts.writes)):
        for ref in refs:
            infos = catalog.resolve(ref.key)
            owners = sorted({i.product for i in infos})
            unique = infos[0] if len(owners) == 1 else None
            out.append(TableRead(product.id, ref.text, ref.key,
                                 Location(source.path, _line(source, ref.line), ref.column),
                                 unique.product if unique else None, unique.port if unique else None,
                                 tuple(owners)))
    facts.stars.extend(Location(source.path, _line(source, s.line), s.column) for s in scan.stars)
    for flow in scan.flows:
        target_infos = catalog.resolve(flow.target) if flow.target else []
        target = next((i for i in target_infos if i.product == product.id), None)
        if flow.target and target is None:
            continue  # an intermediate (staging) table; later statements carry its lineage on
        port = _target_port(product, target, source.path)
        if port is None:
            continue
        sources = []
        for key, column in flow.sources:
            infos = catalog.resolve(key)
            if len({i.product for i in infos}) == 1:
                declared = infos[0].column(column)
                sources.append(ColumnSource(infos[0].product, infos[0].port, declared.name if declared else column,
                                            ".".join(key)))
        own = next((p for p in product.model.outputPorts if p.name == port), None)
        out_column = next((c.name for c in own.columns if c.name.casefold() == flow.column.casefold()),
                          flow.column) if own else flow.column
        facts.columns.append(ColumnLineage(product.id, port, out_column,
                                           Location(source.path, _line(source, flow.line), flow.col),
                                           tuple(sorted(set(sources), key=lambda s: (s.product, s.port, s.column)))))


def _edges(facts: ProductSql) -> list[Edge]:
    first: dict[tuple[str, str | None, str | None], TableRead] = {}
    for read in facts.reads:
        if read.producer is None or read.producer == facts.product:
            continue
        key = (read.producer, read.port, read.location.path)
        if key not in first:
            first[key] = read
    return [
        Edge(consumer=facts.product, producer=r.producer, kind="sql", port=r.port, location=r.location)
        for r in sorted(first.values(), key=lambda r: (r.location.path or "", r.location.line or 0,
                                                        r.location.column or 0, r.producer or ""))
        if r.producer is not None
    ]


def _keep(analysis: Analysis, jobs: list[_Job], scans: list[FileScan], catalogs: dict[str | None, Catalog]) -> None:
    """Record each scan a later run may take (no column lineage in it), by its content key."""
    from govern.analysis.prefetch import reusable, scan_key
    from govern.analysis.sqlscan import scan_to_data

    for job, scan in zip(jobs, scans, strict=True):
        if reusable(scan, job.floor, catalogs.get(job.dialect)):
            analysis.scans[scan_key(job.text, job.dialect, job.limits)] = scan_to_data(scan)


def observed_columns(mesh: Mesh) -> list:
    """Column lineage observed at run time (OpenLineage columnLineage facets), if events were read."""
    return list(getattr(getattr(mesh, "runtime", None), "columns", None) or [])


def _observed_columns(mesh: Mesh, analysis: Analysis, wanted: set[str] | None) -> None:
    """Column lineage observed at run time joins the products' column lineage (same rules, same facts)."""
    for col in observed_columns(mesh):
        if wanted is not None and col.product not in wanted:
            continue
        facts = analysis.products.setdefault(col.product, ProductSql(col.product))
        facts.columns.append(ColumnLineage(col.product, col.port, col.column, col.location,
                                           tuple(ColumnSource(*source) for source in col.sources)))


def analyse(mesh: Mesh, *, products: Iterable[str] | None = None, workers: int | None = None,
            executor: Executor | None = None, prefetch: Any = None, known_dialects: Iterable[str | None] = (),
            location_keys: dict[str | None, dict[str, TableKey | None]] | None = None,
            keep_scans: bool = False, progress: Progress | None = None) -> Analysis:
    """Analyse the SQL of the mesh's products (all, or only ``products``) and return observed lineage.

    ``executor``: where the scans run (govern/analysis/executor.py); without one, ``workers`` processes
    of this machine (default 1; 0 means one per CPU). Results do not depend on either; an executor that
    fails raises ``ExecutorError`` (never a partial analysis).
    ``prefetch``: scans made earlier, started before the manifests were loaded or kept by the mesh index
    (govern/analysis/prefetch.py); a job takes one only when it is exactly what scanning it now would give.
    ``known_dialects`` and ``location_keys`` (per dialect: port location -> normalised table key) are
    answers an earlier run already had; with them and recorded scans, sqlglot is not even imported.
    ``keep_scans``: put the reusable scans into ``Analysis.scans`` (the mesh index stores them).
    ``progress``: called as ``progress("sql", done, total)`` per SQL file (govern/model/progress.py).
    Never raises for bad SQL: every problem is a ``SqlIssue`` of the product.
    """
    import time

    started = time.perf_counter()
    config = mesh.config.sql
    limits = Limits(max_nodes=config.maxNodes, timeout=config.timeoutSeconds)
    everyone = unique_products(mesh.products)
    wanted = set(products) if products is not None else None
    chosen = [p for p in everyone if has_sql(p) and (wanted is None or p.id in wanted)]
    analysis = Analysis()
    for product in everyone:
        for port in product.model.outputPorts:
            analysis.ports.setdefault((product.id, port.name), port_info(product, port))
    refs = _RefIndex(everyone)
    dialects: dict[str | None, bool] = dict.fromkeys(known_dialects, True)
    jobs: dict[tuple[str, str | None, str], _Job] = {}
    per_product: list[tuple[Product, ProductSql, list[_Source]]] = []
    for product in chosen:
        facts = ProductSql(product.id)
        sources = _sources(mesh, product, facts, dialects)
        facts.dialect = sources[0].dialect if sources else None
        facts.files = sorted({s.path for s in sources})
        rendered = [s for s in sources if _render(s, product, refs, limits, facts)]
        floor = lineage_floor(product)
        for source in rendered:
            job = jobs.setdefault((source.path, source.dialect, source.text),
                                  _Job(source.text, source.dialect, limits, floor))
            if floor is not None and (job.floor is None or floor < job.floor):
                job.floor = floor
            job.sources.append(source)
        per_product.append((product, facts, rendered))
    keys = location_keys or {}
    catalogs = {d: build_catalog(everyone, d, keys.get(d)) for d in sorted({j.dialect for j in jobs.values()}, key=str)}
    job_list = list(jobs.values())
    if executor is None:
        from govern.analysis.executor import LocalExecutor

        executor = LocalExecutor((os.cpu_count() or 1) if workers == 0 else (workers or 1))
    taken: list[FileScan | None] = [None] * len(job_list)
    total, shown = len(job_list), 0

    def report(done: int) -> None:  # progress("sql", ...): counts only go up, and end at the total
        nonlocal shown
        if progress is not None and min(done, total) > shown:
            shown = min(done, total)
            progress("sql", shown, total)

    if progress is not None:
        progress("sql", 0, total)  # before waiting for the scans started while the manifests loaded
        collect = getattr(prefetch, "results", None)
        if callable(collect):
            waited = 0

            def scanned(files: int) -> None:
                nonlocal waited
                waited += files
                report(waited)

            collect(scanned)
    if prefetch is not None:
        for i, job in enumerate(job_list):
            taken[i] = prefetch.take(job.sources[0].path, job.dialect, job.limits, job.text, job.floor,
                                     catalogs.get(job.dialect))
    todo = [i for i, scan in enumerate(taken) if scan is None]
    finished = total - len(todo)
    report(finished)

    def one_done() -> None:
        nonlocal finished
        finished += 1
        report(finished)

    for i, scan in zip(todo, _run_jobs([job_list[i] for i in todo], catalogs, executor, one_done), strict=True):
        taken[i] = scan
    report(total)
    scanned = [scan for scan in taken if scan is not None]
    for job, scan in zip(job_list, scanned, strict=True):
        for source in job.sources:
            source.scan = scan
    if keep_scans:
        _keep(analysis, job_list, scanned, catalogs)
    for product, facts, rendered in per_product:
        for source in rendered:
            _resolve(product, source, catalogs[source.dialect], facts)
        facts.reads.sort(key=lambda r: (r.location.path or "", r.location.line or 0, r.location.column or 0))
        facts.writes.sort(key=lambda r: (r.location.path or "", r.location.line or 0, r.location.column or 0))
        analysis.products[product.id] = facts
        analysis.edges.extend(_edges(facts))
    _observed_columns(mesh, analysis, wanted)
    analysis.stats = {
        "products": len(chosen),
        "files": len(job_list),
        "statements": sum(s.statements for s in scanned),
        "tokens": sum(s.tokens for s in scanned),
        "scanSeconds": round(sum(s.seconds for s in scanned), 4),
        "seconds": round(time.perf_counter() - started, 4),
        "executor": executor.name,
        "workers": executor.workers() if executor.local_files or todo else None,  # a cluster's, if it was asked
        "prefetched": len(job_list) - len(todo),
    }
    return analysis
