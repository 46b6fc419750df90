"""OpenLineage events (JSON, a JSON array, or NDJSON of RunEvent / JobEvent / DatasetEvent) → observed lineage.

Events are what actually ran. They are matched against the mesh by dataset: a dataset whose name (or a
``symlinks`` alias) is the location of a product's output port *is* that port.

- A job that writes a product's port is that product's execution at runtime: every dataset it reads
  that is another product's port is a **runtime lineage edge** (``Edge(kind="runtime")``) located at the
  event (file, NDJSON line, JSON pointer). The lineage rules treat it like an edge observed in SQL, so
  a runtime read that no manifest declares is an undeclared dependency, a runtime read of a retired
  product is ``tombstoning.consume-retired``, and each one is a Cedar read request.
- A job whose outputs no declared product owns becomes a product of its own (origin ``openlineage``;
  govern.yaml ``importers.openlineage.unownedJobs: ignore`` turns that off): id ``<domain>.<job>``
  (domain from the owning team in org.yaml, else the job namespace), owner from ``ownership`` facets,
  inputs from the datasets it reads, ports from the datasets it writes (columns from ``schema``).
- ``lifecycleStateChange`` DROP / TRUNCATE that is not followed by a CREATE / OVERWRITE or a new write of
  the dataset is kept as a dropped dataset; ``lineage.dataset-dropped`` reports the products that still
  serve or consume it. ``ownership`` facets on a product's dataset are kept as observed owners
  (``owner.observed-mismatch``).

Every event is validated against the OpenLineage 2-0-2 spec and the facet schemas govern reads; an
invalid event is an ``input.invalid`` finding at its line and pointer and is not used.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govern.load.importers.common import (
    Mapper,
    as_dict,
    as_list,
    as_text,
    invalid,
    json_pointer,
    normalise_location,
    parse_json,
    slug,
    team_domain,
    team_id,
)
from govern.load.importers.context import ImportContext
from govern.load.importers.validate import OPENLINEAGE_FACETS, Problem, group, issues, jsonable, where
from govern.model.errors import InputError
from govern.model.findings import Location, Severity
from govern.model.lineage import Edge, ObservedColumn

MAX_EVENTS_BYTES = 256 * 1024 * 1024
CLEARS = {"CREATE", "OVERWRITE"}
REMOVES = {"DROP", "TRUNCATE"}


def looks_like(head: str) -> bool:
    """Content detection: an OpenLineage event (or a list / NDJSON of them); an event that lacks its
    eventTime still is one (validation says what it lacks)."""
    if '"eventTime"' in head:
        return '"job"' in head or '"dataset"' in head or '"eventType"' in head or "openlineage.io/spec" in head
    return '"eventType"' in head and '"job"' in head and ('"run"' in head or '"inputs"' in head or '"outputs"' in head)


@dataclass
class DatasetDrop:
    """A DROP / TRUNCATE seen in events and not undone later."""

    dataset: str
    change: str
    at: str
    location: Location
    producer: str | None = None  # the product whose output port the dataset is
    port: str | None = None
    readers: list[tuple[str, Location]] = field(default_factory=list)  # products whose jobs read it


@dataclass
class ObservedOwner:
    """Owners named by an ``ownership`` facet on a product's dataset or on the job that writes it."""

    product: str
    owners: list[str]
    dataset: str
    location: Location


@dataclass
class RuntimeLineage:
    """What the events of one mesh showed; the engine reads ``edges``, rules read the rest."""

    files: list[str] = field(default_factory=list)
    events: int = 0
    jobs: int = 0
    datasets: int = 0
    edges: list[Any] = field(default_factory=list)
    drops: list[DatasetDrop] = field(default_factory=list)
    owners: list[ObservedOwner] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)  # datasets read or written that no product owns
    columns: list[ObservedColumn] = field(default_factory=list)  # columnLineage facets, as SQL column lineage
    # (product, port) → data quality observed on it (dataQualityAssertions / dataQualityMetrics facets)
    quality: dict[tuple[str, str], list[dict]] = field(default_factory=dict)
    parents: dict[str, str] = field(default_factory=dict)  # job → its parent job (the parent run facet)


@dataclass
class _Event:
    data: dict
    path: str
    line: int | None
    prefix: str  # JSON pointer of the event inside its file ("" for NDJSON lines and single objects)
    order: int

    @property
    def time(self) -> str:
        return as_text(self.data.get("eventTime")) or ""

    @property
    def sort_time(self) -> str:
        """The event time in UTC as sortable text (events from zones other than Z compare correctly)."""
        parsed = _parse_time(self.time)
        if parsed is None or parsed.tzinfo is None:
            return self.time
        import datetime as dt

        return parsed.astimezone(dt.UTC).isoformat()

    def loc(self, *parts: Any) -> Location:
        return Location(self.path, self.line, None, self.prefix + json_pointer(parts))


DatasetKey = tuple[str, str]


@dataclass
class _Job:
    namespace: str
    name: str
    events: list[_Event] = field(default_factory=list)
    reads: dict[DatasetKey, Location] = field(default_factory=dict)
    writes: dict[DatasetKey, Location] = field(default_factory=dict)


def _split_events(raw: str, display: str, ctx: ImportContext) -> list[tuple[Any, int | None, str]]:
    """(event, line, pointer prefix) for each event of a JSON, JSON-array or NDJSON text."""
    stripped = raw.lstrip("\ufeff \t\r\n")
    lines = raw.splitlines()
    ndjson = display.lower().endswith((".ndjson", ".jsonl")) or (
        stripped.startswith("{") and sum(1 for ln in lines if ln.strip()) > 1
        and all(ln.strip().startswith("{") for ln in lines if ln.strip()))
    if ndjson:
        out = []
        for n, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            try:
                out.append((parse_json(text, display, line_offset=n - 1), n, ""))
            except InputError as exc:
                ctx.findings.append(invalid(exc.message, display, exc.line))
        return out
    try:
        doc = parse_json(raw, display)
    except InputError as exc:
        ctx.findings.append(invalid(exc.message, display, exc.line))
        return []
    if isinstance(doc, list):
        return [(item, None, f"/{i}") for i, item in enumerate(doc)]
    return [(doc, None, "")]


SPEC_ONLY = ("producer", "schemaURL")  # required by the spec, read by no rule: missing is a warning (and run.runId)
FACET_SPEC_ONLY = ("_producer", "_schemaURL")
_PLACEHOLDER = "https://govern.invalid/missing"
_FACET_KEYS = ("facets", "inputFacets", "outputFacets")


@dataclass
class _Gaps:
    """Fields the spec requires and govern does not read, missing from a file's events: counted, said once."""

    events: int = 0
    first_event: Location | None = None
    fields: set[str] = field(default_factory=set)
    facets: int = 0
    first_facet: tuple[str, Location] | None = None

    def add(self, other: _Gaps) -> None:
        self.events += other.events
        self.fields |= other.fields
        self.first_event = self.first_event or other.first_event
        self.facets += other.facets
        self.first_facet = self.first_facet or other.first_facet

    def findings(self, display: str) -> list:
        out = []
        if self.events:
            listed = [f"'{f}'" for f in sorted(self.fields)]
            names = ", ".join(listed[:-1]) + f" or {listed[-1]}" if len(listed) > 1 else listed[0]
            where = self.first_event
            out.append(invalid(
                f"OpenLineage: {self.events} event{'s' if self.events != 1 else ''} without {names}, which the "
                "spec requires (producer: the URI of the code that emitted the event, schemaURL: the spec "
                "version it follows, run.runId: the run it reports); govern reads the events anyway", display,
                where.line if where else None, pointer=where.pointer if where else None, severity=Severity.WARNING))
        if self.facets and self.first_facet is not None:
            label, where = self.first_facet
            out.append(invalid(
                f"OpenLineage: {self.facets} facet{'s' if self.facets != 1 else ''} without '_producer' or "
                f"'_schemaURL', which the spec requires of every facet (who wrote it, which facet schema it "
                f"follows), the first the {label}; govern reads the facets anyway", display, where.line,
                pointer=where.pointer, severity=Severity.WARNING))
        return out


def _event_kind(data: dict) -> str:
    """The event definition a document follows: a run (run or eventType), a dataset, or a job event."""
    if "run" in data or "eventType" in data:
        return "RunEvent"
    if "dataset" in data and "job" not in data:
        return "DatasetEvent"
    return "JobEvent" if "job" in data else "RunEvent"


def _facet_places(data: dict) -> list[tuple[str, tuple, dict]]:
    """(kind, path, facets) of every facet set of an event."""
    out: list[tuple[str, tuple, dict]] = []
    for kind in ("run", "job"):
        facets = as_dict(data.get(kind)).get("facets")
        if isinstance(facets, dict):
            out.append((kind, (kind, "facets"), facets))
    for side in ("inputs", "outputs"):
        for i, ds in enumerate(as_list(data.get(side))):
            for key in _FACET_KEYS:
                facets = as_dict(ds).get(key)
                if isinstance(facets, dict):
                    out.append(("dataset", (side, i, key), facets))
    facets = as_dict(data.get("dataset")).get("facets")
    if isinstance(facets, dict):
        out.append(("dataset", ("dataset", "facets"), facets))
    return out


def _patched(event: _Event, found: _Gaps) -> dict:
    """A copy of the event with the spec-only fields it lacks filled in (counted in ``found``), so that
    validation reports only what govern cannot read."""
    import copy

    gaps = found
    data = copy.deepcopy(event.data)
    missing = [f for f in SPEC_ONLY if f not in data]
    run = data.get("run")
    if isinstance(run, dict) and "runId" not in run:
        missing.append("run.runId")
        run["runId"] = "00000000-0000-0000-0000-000000000000"
    if missing:
        gaps.events += 1
        gaps.fields.update(missing)
        gaps.first_event = gaps.first_event or event.loc()
        for name in missing:
            if "." not in name:
                data[name] = _PLACEHOLDER
    for kind, path, facets in _facet_places(data):
        for name, facet in facets.items():
            if isinstance(facet, dict) and any(f not in facet for f in FACET_SPEC_ONLY):
                gaps.facets += 1
                if gaps.first_facet is None:
                    gaps.first_facet = (f"{kind} facet '{name}'", event.loc(*path, name))
                for f in FACET_SPEC_ONLY:
                    facet.setdefault(f, _PLACEHOLDER)
    return data


def _valid(event: _Event, ctx: ImportContext, gaps: _Gaps) -> bool:
    """Validate an event and the facets govern reads; report what makes it unusable at its pointer.

    What only the spec needs (``producer``, ``schemaURL``, a facet's ``_producer`` / ``_schemaURL``) is
    counted in ``gaps`` and said once per file; the event is still read.
    """
    mine = _Gaps()
    data = _patched(event, mine)
    kind = _event_kind(data)
    facet_paths = {path: fkind for fkind, path, _ in _facet_places(data)}
    own: list = []
    in_facets: dict[tuple, list] = {}
    for issue in issues(data, kind):
        # a facet breaking its base schema is a problem of that facet (not used), not of the event
        at = next((issue.path[:len(fp) + 1] for fp in facet_paths
                   if issue.path[:len(fp)] == fp and len(issue.path) > len(fp)), None)
        if at is None:
            own.append(issue)
        else:
            in_facets.setdefault(at, []).append(issue)
    for at, found_here in sorted(in_facets.items(), key=lambda kv: json_pointer(kv[0])):
        target = _at(event.data, at)
        if isinstance(target, dict):
            target["_govern_invalid"] = True
        for p in group(found_here)[:1]:
            ctx.findings.append(invalid(f"OpenLineage {facet_paths[at[:-1]]} facet '{at[-1]}': "
                                        f"{where(p.path[len(at):])}{p.message}; the facet is not used",
                                        event.path, event.line,
                                        pointer=event.prefix + json_pointer(p.path), severity=Severity.WARNING))
    found = group(own)
    time = as_text(data.get("eventTime"))
    if time is not None and _parse_time(time) is None:
        found.append(Problem(("eventTime",), f"'{time[:60]}' is not a date and time (ISO 8601)"))
    if found:
        for p in found[:5]:
            ctx.findings.append(invalid(f"OpenLineage {kind}: {where(p.path)}{p.message}; the event is not used",
                                        event.path, event.line, pointer=event.prefix + json_pointer(p.path)))
        return False
    gaps.add(mine)  # what only the spec needs is said of the events govern reads
    for fkind, facets, base in _facet_sets(event.data):
        for name, facet in facets.items():
            schema = OPENLINEAGE_FACETS.get((fkind, name))
            if schema is None or not isinstance(facet, dict) or facet.get("_govern_invalid"):
                continue
            filled = {**facet, **{f: facet.get(f, _PLACEHOLDER) for f in FACET_SPEC_ONLY}}
            for p in group(issues({name: jsonable(filled)}, schema))[:3]:
                ctx.findings.append(invalid(f"OpenLineage {fkind} facet '{name}': {where(p.path[1:])}{p.message}; "
                                            "the facet is not used", event.path, event.line,
                                            pointer=event.prefix + json_pointer((*base, *p.path)),
                                            severity=Severity.WARNING))
                facet["_govern_invalid"] = True
    return True


def _at(data: Any, path: tuple) -> Any:
    for part in path:
        if isinstance(part, int):
            data = data[part] if isinstance(data, list) and 0 <= part < len(data) else None
        else:
            data = data.get(part) if isinstance(data, dict) else None
    return data


def _parse_time(text: str) -> Any:
    import datetime as dt

    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _facet_sets(data: dict) -> list[tuple[str, dict, tuple]]:
    return [(kind, facets, path) for kind, path, facets in _facet_places(data) if facets]


def _facet(ds: dict, name: str) -> dict:
    """A facet of a dataset, job or run (dataset facets also from inputFacets / outputFacets)."""
    for key in _FACET_KEYS:
        facet = as_dict(as_dict(ds.get(key)).get(name))
        if facet:
            return {} if facet.get("_govern_invalid") else facet
    return {}


def _key(ds: dict) -> DatasetKey:
    return (as_text(ds.get("namespace")) or "", as_text(ds.get("name")) or "")


def _display(key: DatasetKey) -> str:
    return key[1] if not key[0] else f"{key[0]}/{key[1]}" if "://" in key[0] else f"{key[0]}:{key[1]}"


class _Resolver:
    """Dataset → (product, port) by output-port location, through ``symlinks`` aliases."""

    def __init__(self, ctx: ImportContext, events: list[_Event]) -> None:
        self.index = ctx.port_index()
        self.aliases: dict[DatasetKey, set[DatasetKey]] = {}
        for event in events:
            for ds in _datasets(event.data):
                key = _key(ds)
                for ident in as_list(_facet(ds, "symlinks").get("identifiers")):
                    ident = as_dict(ident)
                    other = (as_text(ident.get("namespace")) or "", as_text(ident.get("name")) or "")
                    if other[1]:
                        self.aliases.setdefault(key, set()).add(other)
                        self.aliases.setdefault(other, set()).add(key)

    def names(self, key: DatasetKey) -> list[DatasetKey]:
        return [key, *sorted(self.aliases.get(key, ()))]

    def resolve(self, key: DatasetKey) -> tuple[str, str] | None:
        for ns, name in self.names(key):
            for candidate in (name, f"{ns.rstrip('/')}/{name.lstrip('/')}" if ns else name):
                hit = self.index.get(normalise_location(candidate))
                if hit is not None:
                    return hit
        return None

    def canonical(self, key: DatasetKey) -> DatasetKey:
        return min(self.names(key))


def _datasets(data: dict) -> list[dict]:
    out = [as_dict(d) for side in ("inputs", "outputs") for d in as_list(data.get(side))]
    if isinstance(data.get("dataset"), dict):
        out.append(data["dataset"])
    return out


def _owners(facet: dict) -> list[str]:
    return [name for o in as_list(facet.get("owners")) if (name := as_text(as_dict(o).get("name")))]


def read_events(files: list[tuple[Path, str]], ctx: ImportContext) -> list[_Event]:
    events: list[_Event] = []
    for path, display in files:
        gaps = _Gaps()
        try:
            size = path.stat().st_size
            if size > MAX_EVENTS_BYTES:
                ctx.findings.append(invalid(f"file is larger than {MAX_EVENTS_BYTES} bytes ({size})", display))
                continue
            raw = path.read_bytes().decode("utf-8-sig")
        except OSError as exc:
            ctx.findings.append(invalid(f"cannot read file: {exc.strerror}", display))
            continue
        except UnicodeDecodeError as exc:
            ctx.findings.append(invalid(f"not valid UTF-8 (byte {exc.start})", display))
            continue
        mark = len(ctx.findings)
        for data, line, prefix in _split_events(raw, display, ctx):
            if not isinstance(data, dict):
                ctx.findings.append(invalid("an OpenLineage event must be a JSON object", display, line,
                                            pointer=prefix))
                continue
            event = _Event(data, display, line, prefix, len(events))
            if _valid(event, ctx, gaps):
                events.append(event)
        ctx.findings[mark:] = _once_per_file(ctx.findings[mark:])
        ctx.findings.extend(gaps.findings(display))
    events.sort(key=lambda e: (e.sort_time, e.order))
    return events


def _once_per_file(findings: list) -> list:
    """One finding per problem of a file: events that break the same way (a test template's
    placeholder time in every event) are one finding at the first of them, with their count."""
    firsts: dict[tuple, list] = {}
    for f in findings:
        firsts.setdefault((f.rule, f.severity, f.message), []).append(f)
    out = []
    for same in firsts.values():
        first = same[0]
        if len(same) > 1:
            first.message += f" ({len(same)} events of this file, the first here)"
        out.append(first)
    return out


def load_all(files: list[tuple[Path, str]], ctx: ImportContext) -> None:
    """Read every event file, match events against the mesh and record the runtime lineage on it."""
    events = read_events(files, ctx)
    runtime = RuntimeLineage(files=[d for _, d in files], events=len(events))
    resolver = _Resolver(ctx, events)
    jobs: dict[tuple[str, str], _Job] = {}
    seen_datasets: set[DatasetKey] = set()
    for event in events:
        job = as_dict(event.data.get("job"))
        if job:
            key = (as_text(job.get("namespace")) or "", as_text(job.get("name")) or "")
            entry = jobs.setdefault(key, _Job(*key))
            entry.events.append(event)
            for side, target in (("inputs", entry.reads), ("outputs", entry.writes)):
                for i, ds in enumerate(as_list(event.data.get(side))):
                    target[_key(as_dict(ds))] = event.loc(side, i)
        seen_datasets.update(_key(ds) for ds in _datasets(event.data))
    runtime.jobs, runtime.datasets = len(jobs), len(seen_datasets)
    runtime.unresolved = sorted({_display(k) for k in seen_datasets if resolver.resolve(k) is None})

    owned_by: dict[tuple[str, str], list[str]] = {}
    shadow: dict[tuple[str, str], str] = {}
    for jkey, job in sorted(jobs.items()):
        owned_by[jkey] = sorted({hit[0] for k in job.writes if (hit := resolver.resolve(k)) is not None})
        if not owned_by[jkey] and job.writes and ctx.options.openlineage.unownedJobs == "product":
            shadow[jkey] = _job_product_id(job, ctx)
            for dkey in job.writes:  # later jobs reading these datasets read this product
                resolver.index.setdefault(normalise_location(dkey[1]), (shadow[jkey], _port_name(dkey[1])))
    runtime.quality = _observed_quality(events, resolver)
    runtime.parents = _parents(jobs)
    readers_of: dict[DatasetKey, list[tuple[str, Location]]] = {}
    for jkey, job in sorted(jobs.items()):
        owned = owned_by[jkey]
        consumers = owned
        if jkey in shadow:
            product = _job_product(job, resolver, ctx, shadow[jkey], runtime)
            consumers = [product] if product else []
        for consumer in consumers:
            for dkey, loc in sorted(job.reads.items()):
                readers_of.setdefault(resolver.canonical(dkey), []).append((consumer, loc))
                hit = resolver.resolve(dkey)
                if hit is None or hit[0] == consumer or not owned:
                    continue  # a product made from a job declares its reads as inputs already
                runtime.edges.append(Edge(consumer=consumer, producer=hit[0], kind="runtime", port=hit[1],
                                          location=loc))
    _drops(events, resolver, readers_of, runtime)
    _observed_owners(events, jobs, resolver, runtime)
    runtime.columns = _column_lineage(events, resolver)
    runtime.edges.sort(key=lambda e: (e.consumer, e.producer, e.location.path or "", e.location.line or 0,
                                      e.location.pointer or ""))
    ctx.mesh.runtime = runtime
    ctx.mesh.observed_edges.extend(runtime.edges)


def _column_lineage(events: list[_Event], resolver: _Resolver) -> list[ObservedColumn]:
    """Output columns and the input columns they came from (``columnLineage`` on outputs), for the
    products whose ports the datasets are; the latest event says it for a column."""
    latest: dict[tuple[str, str, str], ObservedColumn] = {}
    for event in events:
        for k, ds in enumerate(as_list(event.data.get("outputs"))):
            ds = as_dict(ds)
            target = resolver.resolve(_key(ds))
            lineage = _facet(ds, "columnLineage")
            if target is None or not lineage:
                continue
            key = next((kk for kk in _FACET_KEYS if "columnLineage" in as_dict(ds.get(kk))), "facets")
            for column, spec in sorted(as_dict(lineage.get("fields")).items()):
                sources = []
                for source in as_list(as_dict(spec).get("inputFields")):
                    source = as_dict(source)
                    dkey = (as_text(source.get("namespace")) or "", as_text(source.get("name")) or "")
                    hit = resolver.resolve(dkey)
                    field_name = as_text(source.get("field"))
                    if hit is not None and field_name:
                        sources.append((hit[0], hit[1], field_name, _display(dkey)))
                if sources:
                    latest[(target[0], target[1], column)] = ObservedColumn(
                        target[0], target[1], column,
                        event.loc("outputs", k, key, "columnLineage", "fields", column),
                        tuple(sorted(set(sources))))
    return [latest[k] for k in sorted(latest)]


def _observed_quality(events: list[_Event], resolver: _Resolver) -> dict[tuple[str, str], list[dict]]:
    """Data quality the events report on a product's dataset: each assertion (its latest result) and
    metric, as quality checks of the port."""
    found: dict[tuple[str, str], dict[tuple, dict]] = {}
    for event in events:
        for ds in _datasets(event.data):
            hit = resolver.resolve(_key(ds))
            if hit is None:
                continue
            checks = found.setdefault(hit, {})
            for item in as_list(_facet(ds, "dataQualityAssertions").get("assertions")):
                item = as_dict(item)
                assertion = as_text(item.get("assertion"))
                if not assertion:
                    continue
                check = {"type": "openlineage", "metric": assertion, "name": as_text(item.get("name")),
                         "column": as_text(item.get("column")), "severity": as_text(item.get("severity")),
                         "description": as_text(item.get("description"))}
                if isinstance(item.get("success"), bool):
                    check["success"] = item["success"]
                checks[("assertion", assertion, check["column"], check["name"])] = \
                    {k: v for k, v in check.items() if v is not None}
            metrics = _facet(ds, "dataQualityMetrics")
            if metrics:
                details = {k: metrics[k] for k in ("rowCount", "bytes", "fileCount") if metrics.get(k) is not None}
                if details:
                    checks[("metrics", None, None, None)] = {"type": "openlineage", "metric": "datasetMetrics",
                                                             "details": details}
                for column, values in sorted(as_dict(metrics.get("columnMetrics")).items()):
                    values = {k: v for k, v in as_dict(values).items() if isinstance(v, int | float | dict)}
                    if values:
                        checks[("metrics", column, None, None)] = {"type": "openlineage", "metric": "columnMetrics",
                                                                   "column": column, "details": values}
    return {k: [v[key] for key in sorted(v, key=lambda t: tuple(str(x) for x in t))] for k, v in sorted(found.items())}


def _parents(jobs: dict[tuple[str, str], _Job]) -> dict[str, str]:
    """Each job's parent job, from the ``parent`` run facet of its latest event that has one."""
    out: dict[str, str] = {}
    for (ns, name), job in sorted(jobs.items()):
        for event in reversed(job.events):
            parent = as_dict(_facet(as_dict(event.data.get("run")), "parent").get("job"))
            if as_text(parent.get("name")):
                out[f"{ns}/{name}"] = f"{as_text(parent.get('namespace')) or ''}/{parent['name']}"
                break
    return out


def _drops(events: list[_Event], resolver: _Resolver, readers_of: dict, runtime: RuntimeLineage) -> None:
    pending: dict[DatasetKey, DatasetDrop | None] = {}
    for event in events:
        outputs = {_key(as_dict(d)) for d in as_list(event.data.get("outputs"))}
        places = [(side, i, as_dict(d)) for side in ("inputs", "outputs")
                  for i, d in enumerate(as_list(event.data.get(side)))]
        if isinstance(event.data.get("dataset"), dict):
            places.append(("dataset", None, event.data["dataset"]))
        for side, i, ds in places:
            key = resolver.canonical(_key(ds))
            change = (as_text(_facet(ds, "lifecycleStateChange").get("lifecycleStateChange")) or "").upper()
            where = (side,) if i is None else (side, i)
            if change in REMOVES:
                hit = resolver.resolve(_key(ds))
                pending[key] = DatasetDrop(
                    dataset=_display(_key(ds)), change=change, at=event.time,
                    location=event.loc(*where, "facets", "lifecycleStateChange"),
                    producer=hit[0] if hit else None, port=hit[1] if hit else None)
            elif change in CLEARS or (side == "outputs" and _key(ds) in outputs and event.data.get("run")
                                      and (as_text(event.data.get("eventType")) or "") == "COMPLETE"):
                pending[key] = None
    for key, drop in sorted(pending.items()):
        if drop is None:
            continue
        drop.readers = sorted(set(readers_of.get(key, [])), key=lambda r: (r[0], r[1].path or "", r[1].line or 0))
        runtime.drops.append(drop)


def _observed_owners(events: list[_Event], jobs: dict, resolver: _Resolver, runtime: RuntimeLineage) -> None:
    latest: dict[tuple[str, str], ObservedOwner] = {}
    for event in events:
        for side, i, ds in [(s, i, as_dict(d)) for s in ("inputs", "outputs")
                            for i, d in enumerate(as_list(event.data.get(s)))] + (
                [("dataset", None, event.data["dataset"])] if isinstance(event.data.get("dataset"), dict) else []):
            owners = _owners(_facet(ds, "ownership"))
            hit = resolver.resolve(_key(ds))
            if owners and hit is not None:
                where = (side,) if i is None else (side, i)
                latest[(hit[0], _display(_key(ds)))] = ObservedOwner(
                    hit[0], owners, _display(_key(ds)), event.loc(*where, "facets", "ownership"))
        job = as_dict(event.data.get("job"))
        owners = _owners(_facet(job, "ownership"))
        if owners:
            for ds in as_list(event.data.get("outputs")):
                hit = resolver.resolve(_key(as_dict(ds)))
                if hit is not None:
                    latest[(hit[0], "job:" + (as_text(job.get("name")) or ""))] = ObservedOwner(
                        hit[0], owners, f"job {as_text(job.get('namespace'))}:{as_text(job.get('name'))}",
                        event.loc("job", "facets", "ownership"))
    runtime.owners = [latest[k] for k in sorted(latest)]


def _job_owners(job: _Job, ctx: ImportContext) -> tuple[str | None, str | None, tuple, _Event | None]:
    """(team, person, where in the event, event) from the ownership facets of a job's latest event."""
    event = next((e for e in reversed(job.events) if as_list(e.data.get("outputs"))), None)
    if event is None:
        return None, None, (), None
    data = event.data
    owners = _owners(_facet(as_dict(data.get("job")), "ownership"))
    owner_where: tuple = ("job", "facets", "ownership")
    if not owners:
        for i, ds in enumerate(as_list(data.get("outputs"))):
            owners = _owners(_facet(as_dict(ds), "ownership"))
            if owners:
                owner_where = ("outputs", i, "facets", "ownership")
                break
    group = person = None
    for owner in owners:
        kind, _, value = owner.partition(":")
        if not value:
            kind, value = ("user", owner) if "@" in owner else ("team", owner)
        if kind.lower() in ("team", "group") and group is None:
            group = team_id(value, ctx.org)
        elif kind.lower() in ("user", "person", "email") and person is None:
            person = value
    return group, person, owner_where, event


def _job_product_id(job: _Job, ctx: ImportContext) -> str:
    group = _job_owners(job, ctx)[0]
    return f"{slug(team_domain(group, ctx.org) or job.namespace)}.{slug(job.name)}"


def _port_name(dataset_name: str) -> str:
    return dataset_name.rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[-1]


def _job_product(job: _Job, resolver: _Resolver, ctx: ImportContext, pid: str,
                 runtime: RuntimeLineage) -> str | None:
    """A product for a job whose outputs no declared product owns, located at its latest event."""
    group, person, owner_where, event = _job_owners(job, ctx)
    if event is None:
        return None
    data = event.data
    m = Mapper(event.path, base=event.prefix, line=event.line)
    domain = team_domain(group, ctx.org) or job.namespace
    m.put(("id",), pid, ("job", "name"))
    m.put(("name",), job.name, ("job", "name"))
    doc = _facet(as_dict(data.get("job")), "documentation")
    m.put(("description",), as_text(doc.get("description")), ("job", "facets", "documentation", "description"))
    m.put(("domain",), domain, ("job", "facets", "ownership") if team_domain(group, ctx.org) else ("job", "namespace"))
    m.put(("owner", "group"), group, owner_where)
    m.put(("owner", "person"), person, owner_where)
    m.put(("execution", "job"), f"openlineage:{job.namespace}/{job.name}", ("job",))
    m.inferred[("execution", "job")] = "OpenLineage job namespace and name"
    parent = runtime.parents.get(f"{job.namespace}/{job.name}")
    if parent:
        m.put(("execution", "parent"), f"openlineage:{parent}", ("run", "facets", "parent", "job"))
    code = as_text(_facet(as_dict(data.get("job")), "sourceCodeLocation").get("path"))
    if code and _inside_root(ctx, code):
        rel = posixpath.relpath(code.lstrip("/"), posixpath.dirname(event.path) or ".")
        m.put(("execution", "code"), [rel], ("job", "facets", "sourceCodeLocation", "path"))
    sql = _facet(as_dict(data.get("job")), "sql")
    if as_text(sql.get("query")):
        m.put(("execution", "query"), as_text(sql["query"]), ("job", "facets", "sql", "query"))
        m.put(("execution", "dialect"), as_text(sql.get("dialect")), ("job", "facets", "sql", "dialect"))
    ran = [e for e in job.events if (as_text(e.data.get("eventType")) or "") in ("START", "RUNNING", "COMPLETE")]
    if ran:
        m.infer(("lifecycle", "state"), "active", ("eventType",),
                f"OpenLineage: the job ran ({as_text(ran[-1].data.get('eventType'))} at {ran[-1].time})")
    i = 0
    seen: set[tuple[str, str]] = set()
    for k, ds in enumerate(as_list(data.get("inputs"))):
        hit = resolver.resolve(_key(as_dict(ds)))
        if hit is None or hit[0] == pid or hit in seen:
            continue
        seen.add(hit)
        m.put(("inputs", i, "product"), hit[0], ("inputs", k))
        m.put(("inputs", i, "port"), hit[1], ("inputs", k))
        i += 1
    for k, ds in enumerate(as_list(data.get("outputs"))):
        ds = as_dict(ds)
        name = as_text(ds.get("name")) or f"output_{k}"
        port = ("outputPorts", k)
        m.put((*port, "name"), _port_name(name), ("outputs", k, "name"))
        m.put((*port, "type"), "table", ("outputs", k))
        m.put((*port, "location"), name, ("outputs", k, "name"))
        fields = as_list(_facet(ds, "schema").get("fields"))
        for c, fld in enumerate(fields):
            fld = as_dict(fld)
            where = ("outputs", k, "facets", "schema", "fields", c)
            m.put((*port, "columns", c, "name"), as_text(fld.get("name")) or f"field_{c}", (*where, "name"))
            m.put((*port, "columns", c, "type"), as_text(fld.get("type")), (*where, "type"))
            m.put((*port, "columns", c, "description"), as_text(fld.get("description")), (*where, "description"))
        for q, check in enumerate(runtime.quality.get((pid, _port_name(name)), [])):
            m.put((*port, "quality", q), check, ("outputs", k))
        m.at(port, ("outputs", k))
    _infer_shape(m, [as_dict(ds) for ds in as_list(data.get("outputs"))])
    m.finish(ctx, "openlineage")
    product = ctx.add(m.product("openlineage"))
    if product is not None:
        product.source_name = f"job `{job.namespace}/{job.name}` ({event.path})"
    return product.id if product else None


def _inside_root(ctx: ImportContext, rel: str) -> bool:
    """``rel`` (a path of the repository, as sourceCodeLocation gives it) is a regular file inside the mesh root."""
    from govern.load.paths import is_inside

    path = ctx.mesh.root / rel.lstrip("/")
    try:
        return path.is_file() and not path.is_symlink() and is_inside(path, ctx.mesh.root)
    except OSError:
        return False


_NESTED_TYPE = re.compile(r"\b(struct|array|map|record|list|object|json|variant)\b|<|\[\]", re.I)


def _infer_shape(m: Mapper, outputs: list[dict]) -> None:
    """format and complexity from the ``schema`` facets of the outputs: typed fields are structured
    data; a nested field (or a nested type) makes it complex."""
    fields = [as_dict(f) for ds in outputs for f in as_list(_facet(ds, "schema").get("fields"))]
    if not outputs or not fields or any(not as_list(_facet(ds, "schema").get("fields")) for ds in outputs):
        return
    if not all(as_text(f.get("type")) for f in fields):
        return
    m.infer(("format",), "structured", ("outputs",), "OpenLineage schema facets with typed fields")
    nested = next((as_text(f.get("type")) for f in fields
                   if as_list(f.get("fields")) or _NESTED_TYPE.search(as_text(f.get("type")) or "")), None)
    m.infer(("complexity",), "complex" if nested else "simple", ("outputs",),
            f"OpenLineage field type '{nested}'" if nested else "OpenLineage field types (all flat)")
