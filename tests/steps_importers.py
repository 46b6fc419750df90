"""Steps for tests/features/importers.feature: meshes made of dbt, ODCS, ODPS and OpenLineage inputs.

ODCS and ODPS documents start from a base that passes every rule (like meshkit.base_product) and take
an overlay; OpenLineage events are built at test time with the openlineage-python client classes.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from meshkit import DOMAIN_TEAMS, MeshDir, merge
from pytest_bdd import given, parsers, then

from govern.load.yamlio import parse_yaml

FIXTURES = Path(__file__).parent / "fixtures"
WAREHOUSE = "postgres://warehouse.example.com:5432"
PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python"
EVENTS = "lineage/events.ndjson"


def base_odcs(pid: str) -> dict[str, Any]:
    """An ODCS v3.1 contract that, imported on its own, passes every rule of mesh-core."""
    domain, _, name = pid.partition(".")
    return {
        "apiVersion": "v3.1.0",
        "kind": "DataContract",
        "id": pid,
        "name": name,
        "version": "1.0.0",
        "status": "active",
        "domain": domain,
        "description": {"purpose": f"The {name} data of the {domain} domain"},
        "team": {"name": DOMAIN_TEAMS[domain], "members": [{"username": "ana@example.com", "role": "owner"}]},
        "servers": [{"server": "warehouse", "type": "postgres", "environment": "prod",
                     "host": "db.example.com", "port": 5432, "database": "analytics", "schema": f"{domain}_prod"}],
        "schema": [{
            "name": name, "physicalName": name, "physicalType": "table",
            "customProperties": [{"property": "classification", "value": "internal"}],
            "properties": [{"name": "id", "logicalType": "string", "primaryKey": True}],
        }],
        "customProperties": [
            {"property": "format", "value": "structured"},
            {"property": "complexity", "value": "simple"},
            {"property": "structure", "value": "append"},
            {"property": "job", "value": f"airflow:{domain}/{name}_daily"},
        ],
    }


def base_odps(pid: str) -> dict[str, Any]:
    """An ODPS v1.0 data product that, imported on its own, passes every rule of mesh-core."""
    domain, _, name = pid.partition(".")
    return {
        "apiVersion": "v1.0.0",
        "kind": "DataProduct",
        "id": pid,
        "name": name,
        "version": "1.0.0",
        "status": "active",
        "domain": domain,
        "description": {"purpose": f"The {name} data product of the {domain} domain"},
        "team": {"name": DOMAIN_TEAMS[domain], "members": [{"username": "ana@example.com", "role": "owner"}]},
        "outputPorts": [{
            "name": name, "version": "1.0.0", "type": "table",
            "customProperties": [
                {"property": "location", "value": f"analytics.{domain}_prod.{name}"},
                {"property": "classification", "value": "internal"},
            ],
        }],
        "customProperties": [
            {"property": "namespace", "value": "prod"},
            {"property": "format", "value": "structured"},
            {"property": "complexity", "value": "simple"},
            {"property": "structure", "value": "append"},
            {"property": "job", "value": f"airflow:{domain}/{name}_daily"},
        ],
    }


@pytest.fixture
def events() -> list[Any]:
    """OpenLineage events of the scenario (client objects), written to lineage/events.ndjson."""
    return []


def _write_events(mesh: MeshDir, events: list[Any]) -> None:
    from openlineage.client.serde import Serde

    mesh.write(EVENTS, "".join(Serde.to_json(e) + "\n" for e in events))


def _time(events: list[Any]) -> str:
    return f"2026-05-01T{len(events):02d}:00:00Z"


def _dataset(name: str, cls: Any, **facets: Any) -> Any:
    namespace, _, rest = name.partition("://")
    if rest:  # s3://bucket/path → namespace s3://bucket, name path
        bucket, _, path = rest.partition("/")
        return cls(namespace=f"{namespace}://{bucket}", name=path, facets=facets or None)
    return cls(namespace=WAREHOUSE, name=name, facets=facets or None)


def _owner_facet(owner: str | None) -> dict:
    from openlineage.client.facet_v2 import ownership_job

    if not owner:
        return {}
    return {"ownership": ownership_job.OwnershipJobFacet(owners=[ownership_job.Owner(name=owner)])}


def _run(mesh: MeshDir, events: list[Any], job: str, reads: str, writes: str, owner: str | None = None) -> None:
    from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState

    namespace, _, name = job.partition(":")
    events.append(RunEvent(
        eventType=RunState.COMPLETE, eventTime=_time(events), producer=PRODUCER,
        run=Run(runId=f"0193a7e0-0000-7000-8000-{len(events):012d}"),
        job=Job(namespace=namespace, name=name, facets=_owner_facet(owner) or None),
        inputs=[_dataset(r.strip(), InputDataset) for r in reads.split(",") if r.strip()],
        outputs=[_dataset(w.strip(), OutputDataset) for w in writes.split(",") if w.strip()],
    ))
    _write_events(mesh, events)


def _static(mesh: MeshDir, events: list[Any], name: str, **facets: Any) -> None:
    from openlineage.client.event_v2 import DatasetEvent, StaticDataset

    events.append(DatasetEvent(eventTime=_time(events), producer=PRODUCER,
                               dataset=_dataset(name, StaticDataset, **facets)))
    _write_events(mesh, events)


@given(parsers.parse('the dbt project of the test fixtures'))
def given_dbt_project(mesh: MeshDir) -> None:
    src = FIXTURES / "dbt_project"
    for rel in ("govern.yaml", "org.yaml", "dbt_project.yml", "target/manifest.json"):
        (mesh.root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src / rel, mesh.root / rel)
    shutil.copytree(src / "models", mesh.root / "models")


@given(parsers.parse('the govern.yaml'))
def given_govern_yaml(mesh: MeshDir, docstring: str) -> None:
    mesh.write("govern.yaml", docstring + "\n")


def _odcs(mesh: MeshDir, pid: str, relpath: str | None, overlay: dict | None) -> None:
    domain, _, name = pid.partition(".")
    mesh.write_yaml(relpath or f"contracts/{domain}_{name}.odcs.yaml", merge(base_odcs(pid), overlay or {}))


def _odps(mesh: MeshDir, pid: str, relpath: str | None, overlay: dict | None) -> None:
    domain, _, name = pid.partition(".")
    mesh.write_yaml(relpath or f"products/{domain}_{name}.odps.yaml", merge(base_odps(pid), overlay or {}))


@given(parsers.re(r'an ODCS contract "(?P<pid>[\w.]+)"'))
def given_odcs(mesh: MeshDir, pid: str) -> None:
    _odcs(mesh, pid, None, None)


@given(parsers.re(r'an ODCS contract "(?P<pid>[\w.]+)" with'))
def given_odcs_with(mesh: MeshDir, pid: str, docstring: str) -> None:
    _odcs(mesh, pid, None, yaml.safe_load(docstring))


@given(parsers.re(r'an ODCS contract "(?P<pid>[\w.]+)" at "(?P<relpath>[^"]+)" with'))
def given_odcs_at(mesh: MeshDir, pid: str, relpath: str, docstring: str) -> None:
    _odcs(mesh, pid, relpath, yaml.safe_load(docstring))


@given(parsers.re(r'an ODPS product "(?P<pid>[\w.]+)"'))
def given_odps(mesh: MeshDir, pid: str) -> None:
    _odps(mesh, pid, None, None)


@given(parsers.re(r'an ODPS product "(?P<pid>[\w.]+)" with'))
def given_odps_with(mesh: MeshDir, pid: str, docstring: str) -> None:
    _odps(mesh, pid, None, yaml.safe_load(docstring))


@given(parsers.re(r'a run of job "(?P<job>[^"]+)"(?: owned by "(?P<owner>[^"]+)")? that reads "(?P<reads>[^"]*)" '
                  r'and writes "(?P<writes>[^"]+)"'))
def given_run(mesh: MeshDir, events: list, job: str, owner: str | None, reads: str, writes: str) -> None:
    _run(mesh, events, job, reads, writes, owner)


@given(parsers.re(r'the dataset "(?P<name>[^"]+)" was (?P<change>dropped|truncated)'))
def given_dropped(mesh: MeshDir, events: list, name: str, change: str) -> None:
    from openlineage.client.facet_v2 import lifecycle_state_change_dataset as lsc

    state = lsc.LifecycleStateChange.DROP if change == "dropped" else lsc.LifecycleStateChange.TRUNCATE
    _static(mesh, events, name, lifecycleStateChange=lsc.LifecycleStateChangeDatasetFacet(lifecycleStateChange=state))


@given(parsers.re(r'the dataset "(?P<name>[^"]+)" is also known as "(?P<alias>[^"]+)"'))
def given_symlink(mesh: MeshDir, events: list, name: str, alias: str) -> None:
    from openlineage.client.facet_v2 import symlinks_dataset

    target = _dataset(alias, dict)
    _static(mesh, events, name, symlinks=symlinks_dataset.SymlinksDatasetFacet(identifiers=[
        symlinks_dataset.Identifier(namespace=target["namespace"], name=target["name"], type="TABLE")]))


@given(parsers.re(r'the dataset "(?P<name>[^"]+)" is owned by "(?P<owner>[^"]+)" in its events'))
def given_dataset_owner(mesh: MeshDir, events: list, name: str, owner: str) -> None:
    from openlineage.client.facet_v2 import ownership_dataset

    _static(mesh, events, name, ownership=ownership_dataset.OwnershipDatasetFacet(
        owners=[ownership_dataset.Owner(name=owner)]))


@given(parsers.parse('the file "{relpath}" holds the text'))
def given_raw_file(mesh: MeshDir, relpath: str, docstring: str) -> None:
    mesh.write(relpath, docstring + "\n")


def _found(run: dict, rule: str, pid: str) -> list:
    found = [f for f in run["result"].findings if f.rule == rule and f.product == pid]
    assert found, f"expected {rule} on {pid}; got {sorted({(f.rule, f.product) for f in run['result'].findings})}"
    return found


def _field_path(dotted: str) -> tuple:
    out: list = []
    for part in dotted.replace("]", "").split("."):
        name, *indexes = part.split("[")
        if name:
            out.append(name)
        out.extend(int(i) for i in indexes)
    return tuple(out)


@then(parsers.re(r'the "(?P<rule>[\w.-]+)" finding for "(?P<pid>[\w.]+)" points at line (?P<line>\d+) '
                 r'of "(?P<path>[^"]+)"'))
def then_points_at_line(run: dict, rule: str, pid: str, line: str, path: str) -> None:
    found = _found(run, rule, pid)
    assert any(f.location.path == path and f.location.line == int(line) for f in found), \
        [(f.location, f.message) for f in found]


@then(parsers.re(r'the "(?P<rule>[\w.-]+)" finding for "(?P<pid>[\w.]+)" points at the line of '
                 r'"(?P<field>[^"]+)" in "(?P<path>[^"]+)"'))
def then_points_at_field(run: dict, mesh: MeshDir, rule: str, pid: str, field: str, path: str) -> None:
    _, smap = parse_yaml((mesh.root / path).read_text(encoding="utf-8"), path)
    line = smap.lines.get(_field_path(field))
    assert line is not None, f"{field} is not written in {path}"
    found = _found(run, rule, pid)
    assert any(f.location.path == path and f.location.line == line for f in found), \
        (line, [(f.location, f.message) for f in found])


@then(parsers.re(r'the "(?P<rule>[\w.-]+)" finding for "(?P<pid>[\w.]+)" points at "(?P<pointer>/[^"]*)" '
                 r'in "(?P<path>[^"]+)"'))
def then_points_at_pointer(run: dict, rule: str, pid: str, pointer: str, path: str) -> None:
    found = _found(run, rule, pid)
    assert any(f.location.path == path and f.location.pointer == pointer for f in found), \
        [(f.location, f.message) for f in found]


@then(parsers.re(r'the product "(?P<pid>[\w.]+)" was imported from (?P<origin>dbt|odcs|odps|openlineage)'))
def then_origin(run: dict, pid: str, origin: str) -> None:
    mesh = run["result"].mesh
    assert mesh is not None and pid in mesh.by_id, sorted(mesh.by_id) if mesh else None
    assert mesh.by_id[pid].origin == origin, mesh.by_id[pid].origin


@then(parsers.re(r'no (?P<standard>\w+) finding is reported for "(?P<pid>[\w.]+)" except "(?P<rule>[\w.-]+)"'))
def then_no_standard_except(run: dict, standard: str, pid: str, rule: str) -> None:
    found = [f for f in run["result"].findings if f.standard == standard and f.product == pid and f.rule != rule]
    assert not found, [(f.rule, f.message) for f in found]


@then(parsers.re(r'the output port "(?P<port>[^"]+)" of "(?P<pid>[\w.]+)" has the columns "(?P<columns>[^"]*)"'))
def then_port_columns(run: dict, port: str, pid: str, columns: str) -> None:
    product = run["result"].mesh.by_id[pid]
    found = next(p for p in product.model.outputPorts if p.name == port)
    assert [c.name for c in found.columns] == [c.strip() for c in columns.split(",") if c.strip()], found.columns
