"""dbt ``manifest.json`` (schema v10–v12) → products.

- Each model (not ephemeral, access level selected in govern.yaml) becomes a product with one output
  port, its relation. A versioned model gives one product per version (``<name>_v<version>``).
- Each source (``sources:`` entry) becomes a product with one port per table, unless the table's
  relation is already an output port of a product of the mesh: then reads resolve to that product.
- Each exposure becomes a consumer product (inputs, no ports).
- owner: ``meta.owner`` / ``meta.team`` (an e-mail is the person, anything else the team), else the
  model's group (the team) and the group owner's e-mail (the person).
- access public / protected / private → visibility mesh / domain / private.
- deprecation_date → deprecated with that sunset; an older version than ``latest_version`` is deprecated
  and replaced by the latest; a newer one is ``init`` (prerelease).
- columns (with ``meta.pii`` / ``meta.contains_pii``) → port columns; ``depends_on.nodes`` → inputs
  (through ephemeral and unselected models); ``compiled_code`` (or the raw code with ``ref`` /
  ``source`` rendered by a sandboxed jinja2) → ``Product.sql`` for the SQL analysis.
- Fields dbt has no place for (namespace, format, complexity, structure, version, classification,
  lifecycle, tombstone, readers) are read from ``meta`` under those names, else govern.yaml defaults.

Locations are JSON pointers into manifest.json (``/nodes/model.shop.orders/config/meta/namespace``).
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import Any

from govern.load.importers.common import (
    Mapper,
    as_date,
    as_dict,
    as_list,
    as_text,
    invalid,
    is_email,
    json_pointer,
    normalise_location,
    slug,
    team_domain,
    team_id,
    truthy,
)
from govern.load.importers.context import ImportContext
from govern.model.findings import Severity
from govern.model.product import SqlSource, value_at

SUPPORTED_SCHEMAS = (10, 11, 12)
ACCESS_TO_VISIBILITY = {"public": "mesh", "protected": "domain", "private": "private"}
MATERIALIZED_TO_TYPE = {
    "table": "table",
    "incremental": "table",
    "snapshot": "table",
    "seed": "table",
    "view": "view",
    "materialized_view": "view",
    "dynamic_table": "table",
}
# dbt adapter → sqlglot dialect
ADAPTER_DIALECTS = {
    "postgres": "postgres",
    "redshift": "redshift",
    "snowflake": "snowflake",
    "bigquery": "bigquery",
    "duckdb": "duckdb",
    "databricks": "databricks",
    "spark": "spark",
    "trino": "trino",
    "athena": "athena",
    "sqlserver": "tsql",
    "fabric": "tsql",
    "synapse": "tsql",
    "clickhouse": "clickhouse",
    "oracle": "oracle",
    "mysql": "mysql",
    "teradata": "teradata",
}
_SCHEMA_VERSION = re.compile(r"/manifest/v(\d+)\.json$")
META_FIELDS = ("namespace", "format", "complexity", "structure", "version")
# materialization → structure (docs/readme-importers.md): a table or view is rebuilt whole on each run
# (a set); an incremental model adds rows to what it holds, a snapshot adds row versions (append).
MATERIALIZED_TO_STRUCTURE = {
    "table": "set",
    "view": "set",
    "materialized_view": "set",
    "dynamic_table": "set",
    "seed": "set",
    "incremental": "append",
    "snapshot": "append",
}
# column types that make a relation complex (nested or semi-structured values)
_COMPLEX_TYPE = re.compile(r"\b(struct|array|map|json|jsonb|variant|object|record|super|list|union)\b|\[\]", re.I)
_UNDEFINED = re.compile(r"'([A-Za-z_][A-Za-z0-9_]*)' is undefined")


def looks_like(head: str) -> bool:
    """Content detection: the start of a dbt manifest.json."""
    return '"dbt_schema_version"' in head and "schemas.getdbt.com/dbt/manifest" in head


class _Manifest:
    """The parts of a manifest the mapping reads, with the id chosen for each node."""

    def __init__(self, doc: dict, display: str, ctx: ImportContext, project_dir: str) -> None:
        self.doc = doc
        self.display = display
        self.ctx = ctx
        self.opts = ctx.options.dbt
        self.project_dir = project_dir
        self.nodes: dict[str, dict] = as_dict(doc.get("nodes"))
        self.sources: dict[str, dict] = as_dict(doc.get("sources"))
        self.exposures: dict[str, dict] = as_dict(doc.get("exposures"))
        self.groups: dict[str, dict] = {}
        for uid, group in as_dict(doc.get("groups")).items():
            if isinstance(group, dict) and as_text(group.get("name")):
                self.groups[group["name"]] = {**group, "_uid": uid}
        metadata = as_dict(doc.get("metadata"))
        # manifests before v3 do not name the project: the package most of the models belong to
        packages = sorted(as_text(n.get("package_name")) or "" for n in self.nodes.values()
                          if isinstance(n, dict) and n.get("resource_type") == "model")
        self.project = as_text(metadata.get("project_name")) or (
            max(sorted(set(packages)), key=packages.count) if packages else "dbt")
        adapter = as_text(metadata.get("adapter_type")) or ""
        self.dialect = ADAPTER_DIALECTS.get(adapter, adapter or None)
        self.ids: dict[str, str] = {}  # node / source uid → product id
        self.ports: dict[str, tuple[str, str | None]] = {}  # uid → (product id, port)
        self.source_pids: set[str] = set()  # products made from dbt sources
        self.versions: dict[tuple[str, tuple], str] = {}  # (model name, version) → uid
        for uid, node in sorted(self.nodes.items()):
            if isinstance(node, dict) and node.get("version") is not None and isinstance(node.get("name"), str):
                self.versions.setdefault((node["name"], _vkey(node["version"])), uid)
        self.known = ctx.port_index()
        # data tests by the node they test (attached_node, else their only model / source dependency)
        self.tests: dict[str, list[tuple[str, dict]]] = {}
        for tid, test in sorted(self.nodes.items()):
            if not isinstance(test, dict) or test.get("resource_type") != "test" or not _enabled(test):
                continue
            deps = [d for d in as_list(as_dict(test.get("depends_on")).get("nodes")) if isinstance(d, str)]
            target = as_text(test.get("attached_node")) or (deps[0] if len(deps) == 1 else None)
            if target:
                self.tests.setdefault(target, []).append((tid, test))
        self.semantic = [(sid, sm) for sid, sm in sorted(as_dict(doc.get("semantic_models")).items())
                         if isinstance(sm, dict)]
        self.metrics = [(mid, metric) for mid, metric in sorted(as_dict(doc.get("metrics")).items())
                        if isinstance(metric, dict)]
        self.project_version = _project_version(ctx.mesh.root, project_dir)
        self.project_version_because = "dbt_project.yml version"
        self.project_teams: set[str] = set()  # owner teams of the project's models: 'protected' readers

    # -- selection -------------------------------------------------------------------------------
    def is_product_model(self, node: dict) -> bool:
        """A model (not ephemeral, of a selected access level) or a seed: both are relations others read."""
        if node.get("resource_type") not in ("model", "seed") or not _enabled(node):
            return False
        if _config(node).get("materialized") == "ephemeral":
            return False
        return _access(node) in self.opts.access

    def group_team(self, group: str) -> str:
        """The org.yaml team of a dbt group: by name, else by the group owner's name; else the group name."""
        tid = team_id(group, self.ctx.org)
        known = self.ctx.org is not None and any(t.id == tid for t in self.ctx.org.teams)
        owner_name = as_text(as_dict(self.groups.get(group, {}).get("owner")).get("name"))
        if not known and owner_name:
            by_owner = team_id(owner_name, self.ctx.org)
            if self.ctx.org is not None and any(t.id == by_owner for t in self.ctx.org.teams):
                return by_owner or tid or group
        return tid or group

    # -- domain and owner ------------------------------------------------------------------------
    def domain_of(self, node: dict, base: str) -> tuple[str | None, str | None]:
        """(domain, pointer of where it came from), trying the configured sources in turn."""
        meta, meta_base = _meta(node, base)
        for source in self.opts.domain:
            if source == "meta" and as_text(meta.get(self.opts.domainKey)):
                return as_text(meta[self.opts.domainKey]), f"{meta_base}/{self.opts.domainKey}"
            if source == "group":
                group = as_text(node.get("group")) or as_text(_config(node).get("group"))
                team = group or as_text(meta.get("team")) or (
                    as_text(meta.get("owner")) if not is_email(as_text(meta.get("owner"))) else None)
                if team:
                    tid = self.group_team(team)
                    where = f"{base}/group" if group else f"{meta_base}/{'team' if meta.get('team') else 'owner'}"
                    return team_domain(tid, self.ctx.org) or team, where
            if source == "folder":
                folder = _folder(node)
                if folder:
                    return folder, f"{base}/original_file_path"
            if source == "project":
                if self.opts.projectDomain:
                    return self.opts.projectDomain, None
                return self.project, "/metadata/project_name"
        return None, None

    def owner_of(self, m: Mapper, node: dict, base: str) -> None:
        meta, meta_base = _meta(node, base)
        group_name = as_text(node.get("group")) or as_text(_config(node).get("group"))
        group = self.groups.get(group_name or "")
        meta_owner = as_text(meta.get("owner"))
        meta_team = as_text(meta.get("team"))
        if meta_team:
            m.put(("owner", "group"), self.group_team(meta_team), f"{meta_base}/team")
        elif meta_owner and "@" not in meta_owner:
            m.put(("owner", "group"), self.group_team(meta_owner), f"{meta_base}/owner")
        elif group_name:
            m.put(("owner", "group"), self.group_team(group_name), f"{base}/group")
        if meta_owner and "@" in meta_owner:
            m.put(("owner", "person"), meta_owner, f"{meta_base}/owner")
        elif group is not None and as_text(as_dict(group.get("owner")).get("email")):
            m.put(("owner", "person"), group["owner"]["email"],
                  f"/groups/{_escape(group['_uid'])}/owner/email")
        if "owner" in m.data:
            m.at(("owner",), m.smap.pointers.get(("owner", "group")) or m.smap.pointers.get(("owner", "person")))

    # -- common fields from meta -----------------------------------------------------------------
    def meta_fields(self, m: Mapper, node: dict, base: str) -> None:
        meta, meta_base = _meta(node, base)
        for key in META_FIELDS:
            m.put((key,), as_text(meta.get(key)), f"{meta_base}/{key}")
        lifecycle = as_dict(meta.get("lifecycle"))
        for key in ("state", "replacedBy", "reason"):
            m.put(("lifecycle", key), as_text(lifecycle.get(key)), f"{meta_base}/lifecycle/{key}")
        if lifecycle.get("sunset") is not None:
            m.put(("lifecycle", "sunset"), as_date(lifecycle["sunset"]), f"{meta_base}/lifecycle/sunset")
        for i, event in enumerate(as_list(lifecycle.get("events"))):
            event = as_dict(event)
            m.put(("lifecycle", "events", i), {"state": event.get("state"), "at": as_date(event.get("at"))},
                  f"{meta_base}/lifecycle/events/{i}")
        if "lifecycle" in m.data:
            m.at(("lifecycle",), f"{meta_base}/lifecycle")
        tombstone = as_dict(meta.get("tombstone"))
        if tombstone:
            m.put(("tombstone",), {"at": as_date(tombstone.get("at")), "reason": as_text(tombstone.get("reason"))},
                  f"{meta_base}/tombstone")
        readers = [r for r in as_list(meta.get("readers")) if as_text(r)]
        if readers:
            m.put(("access", "readers"), readers, f"{meta_base}/readers")
        code = [c for c in (meta.get("code") if isinstance(meta.get("code"), list) else [meta.get("code")])
                if as_text(c)]
        if code:  # relative to the dbt project, as dbt paths are; the manifest is in target/
            m.put(("execution", "code"), [posixpath.relpath(_join(self.project_dir, c),
                                                            posixpath.dirname(self.display) or ".") for c in code],
                  f"{meta_base}/code")
        for key in ("job",):
            m.put(("execution", key), as_text(meta.get(key)), f"{meta_base}/{key}")

    # -- ids -------------------------------------------------------------------------------------
    def assign_ids(self) -> None:
        for uid, node in sorted(self.nodes.items()):
            if not isinstance(node, dict) or not self.is_product_model(node):
                continue
            domain, _ = self.domain_of(node, _base("nodes", uid))
            name = as_text(node.get("name")) or uid.rsplit(".", 1)[-1]
            version = node.get("version")
            local = slug(name) + (f"_v{slug(str(version))}" if version is not None else "")
            pid = f"{slug(domain)}.{local}" if domain else local
            self.ids[uid] = pid
            self.ports[uid] = (pid, _port_name(node))
            team = self.team_of(node)
            if team:
                self.project_teams.add(team)
        if self.opts.sources:
            for uid, src in sorted(self.sources.items()):
                if not isinstance(src, dict) or not _enabled(src):
                    continue
                relation = as_text(src.get("relation_name"))
                hit = self.known.get(normalise_location(relation)) if relation else None
                if hit is not None:  # the table is a port of a product already in the mesh
                    self.ports[uid] = (hit[0], hit[1])
                    continue
                pid = self.source_product_id(src, uid)
                self.source_pids.add(pid)
                self.ports[uid] = (pid, as_text(src.get("name")))

    def team_of(self, node: dict) -> str | None:
        """The owner team a node maps to (as owner_of sets it), or None."""
        meta, _ = _meta(node, "")
        if as_text(meta.get("team")):
            return self.group_team(meta["team"])
        owner = as_text(meta.get("owner"))
        if owner and "@" not in owner:
            return self.group_team(owner)
        group = as_text(node.get("group")) or as_text(_config(node).get("group"))
        return self.group_team(group) if group else None

    def source_product_id(self, src: dict, uid: str) -> str:
        domain, _ = self.domain_of(src, _base("sources", uid))
        name = slug(as_text(src.get("source_name")) or "source")
        return f"{slug(domain)}.{name}" if domain else name

    # -- inputs ----------------------------------------------------------------------------------
    def upstream(self, uid: str, seen: set[str]) -> list[tuple[str, str | None]]:
        """Products a node reads: itself if it is a product or source, else through it (ephemeral ...)."""
        if uid in self.ports:
            return [self.ports[uid]]
        if uid in seen:
            return []
        seen.add(uid)
        node = self.nodes.get(uid)
        if not isinstance(node, dict):
            return []
        out = []
        for dep in as_list(as_dict(node.get("depends_on")).get("nodes")):
            if isinstance(dep, str):
                out.extend(self.upstream(dep, seen))
        return out

    def inputs(self, m: Mapper, node: dict, base: str, own: str) -> None:
        seen_pairs: set[tuple[str, str | None]] = set()
        i = 0
        for j, dep in enumerate(as_list(as_dict(node.get("depends_on")).get("nodes"))):
            if not isinstance(dep, str):
                continue
            for pid, port in self.upstream(dep, set()):
                if pid == own or (pid, port) in seen_pairs:
                    continue
                seen_pairs.add((pid, port))
                src = f"{base}/depends_on/nodes/{j}"
                m.put(("inputs", i, "product"), pid, src)
                m.put(("inputs", i, "port"), port, src)
                m.at(("inputs", i), src)
                i += 1

    # -- columns ---------------------------------------------------------------------------------
    def columns(self, m: Mapper, node: dict, base: str, port: tuple) -> None:
        for k, (cname, col) in enumerate(as_dict(node.get("columns")).items()):
            col = as_dict(col)
            cbase = f"{base}/columns/{_escape(cname)}"
            cmeta = {**as_dict(col.get("meta")), **as_dict(as_dict(col.get("config")).get("meta"))}
            tags = [str(t).lower() for t in as_list(col.get("tags"))]
            pii = truthy(cmeta.get("pii")) or truthy(cmeta.get("contains_pii")) or "pii" in tags
            m.put((*port, "columns", k, "name"), as_text(col.get("name")) or cname, f"{cbase}/name")
            m.put((*port, "columns", k, "type"), as_text(col.get("data_type")), f"{cbase}/data_type")
            m.put((*port, "columns", k, "description"), as_text(col.get("description")), f"{cbase}/description")
            if pii:
                key = "pii" if "pii" in cmeta else "contains_pii" if "contains_pii" in cmeta else None
                m.put((*port, "columns", k, "pii"), True, f"{cbase}/meta/{key}" if key else f"{cbase}/tags")
            m.put((*port, "columns", k, "classification"), as_text(cmeta.get("classification")),
                  f"{cbase}/meta/classification")
            constraints = _constraints(col.get("constraints"))
            if constraints:
                m.put((*port, "columns", k, "constraints"), constraints, f"{cbase}/constraints")
                kinds = {c["type"] for c in constraints}
                for kind, flag in (("not_null", "required"), ("unique", "unique"), ("primary_key", "primaryKey")):
                    if kind in kinds:
                        m.put((*port, "columns", k, flag), True, f"{cbase}/constraints")
            tests = self.tests_of(as_text(node.get("unique_id")) or "", cname)
            if tests:
                m.put((*port, "columns", k, "quality"), [t for t, _ in tests], tests[0][1])
            m.at((*port, "columns", k), cbase)

    # -- products --------------------------------------------------------------------------------
    def model(self, uid: str, node: dict) -> None:
        base = _base("nodes", uid)
        pid = self.ids[uid]
        m = Mapper(self.display, base=base)
        meta, meta_base = _meta(node, base)
        name = as_text(node.get("name")) or uid
        version = node.get("version")
        m.put(("id",), pid, f"{base}/name")
        m.put(("name",), f"{name} v{version}" if version is not None else name, f"{base}/name")
        m.put(("description",), as_text(node.get("description")), f"{base}/description")
        domain, where = self.domain_of(node, base)
        m.put(("domain",), domain, where)
        self.owner_of(m, node, base)
        self.meta_fields(m, node, base)
        self.lifecycle(m, node, base)
        self.inputs(m, node, base, pid)
        if not as_dict(m.data.get("execution")).get("job"):
            job = f"dbt:{self.project}/{name}" + (f".v{version}" if version is not None else "")
            m.put(("execution", "job"), job, f"{base}/unique_id")
        ofp = as_text(node.get("original_file_path")) if node.get("resource_type") == "model" else None
        if ofp and not as_dict(m.data.get("execution")).get("code"):  # relative to the manifest, as natively
            code = posixpath.relpath(_join(self.project_dir, ofp), posixpath.dirname(self.display) or ".")
            m.put(("execution", "code"), [code], f"{base}/original_file_path")
        m.put(("execution", "dialect"), self.dialect, "/metadata/adapter_type")
        port = ("outputPorts", 0)
        materialized = as_text(_config(node).get("materialized")) or "view"
        if node.get("resource_type") == "seed":
            materialized = "seed"
        m.put((*port, "name"), _port_name(node), f"{base}/alias")
        m.put((*port, "type"), MATERIALIZED_TO_TYPE.get(materialized, materialized), f"{base}/config/materialized")
        relation = as_text(node.get("relation_name"))
        m.put((*port, "location"), normalise_location(relation) if relation else None, f"{base}/relation_name")
        m.put((*port, "classification"), as_text(meta.get("classification")), f"{meta_base}/classification")
        self.columns(m, node, base, port)
        self.port_extras(m, uid, node, base, port)
        m.at(port, f"{base}/relation_name")
        self.access(m, node, base)
        tags = [t for t in as_list(node.get("tags")) if isinstance(t, str)]
        m.put(("tags",), tags or None, f"{base}/tags")
        self.infer(m, node, base, materialized)
        m.finish(self.ctx, "dbt")
        sql, macro = self.sql(uid, node)
        product = self.ctx.add(m.product("dbt", sql))
        if product is not None:
            product.source_name = _source_name(node, self.project)
        if product is None or node.get("resource_type") == "seed" or as_text(node.get("compiled_code")) or sql:
            return
        if macro is not None:
            product.sql_skipped = f"macro {macro}"
            self.ctx.findings.append(invalid(
                f"model {name} calls macro '{macro}', which govern cannot render without dbt; its SQL is not "
                "analysed and its lineage comes from depends_on (run 'dbt compile' to analyse compiled_code)",
                self.display, pointer=f"{base}/raw_code", product=pid, severity=Severity.INFO))
        else:
            product.sql_skipped = "no SQL in the manifest"
            self.ctx.findings.append(invalid(
                f"model {name} has neither compiled_code nor raw SQL; its SQL is not analysed",
                self.display, pointer=base, product=pid, severity=Severity.WARNING))

    def port_extras(self, m: Mapper, uid: str, node: dict, base: str, port: tuple) -> None:
        """What the project says about the relation besides its columns: the enforced contract, model
        constraints, data tests on the whole model, semantic models and the metrics built on them."""
        contract = as_dict(node.get("contract")) or as_dict(_config(node).get("contract"))
        if contract.get("enforced") is True:
            where = f"{base}/contract/enforced" if as_dict(node.get("contract")) else f"{base}/config/contract/enforced"
            m.put((*port, "contract"), {"enforced": True}, where)
        constraints = _constraints(node.get("constraints"))
        if constraints:
            m.put((*port, "constraints"), constraints, f"{base}/constraints")
        tests = self.tests_of(uid, None)
        if tests:
            m.put((*port, "quality"), [t for t, _ in tests], tests[0][1])
        models = [sm for sm in self.semantic if uid in as_list(as_dict(sm[1].get("depends_on")).get("nodes"))]
        for i, (sid, sm) in enumerate(models):
            entry: dict[str, Any] = {"name": as_text(sm.get("name")) or sid,
                                     "description": as_text(sm.get("description"))}
            for key in ("entities", "dimensions", "measures"):
                entry[key] = [x["name"] for x in as_list(sm.get(key)) if as_text(as_dict(x).get("name"))]
            m.put((*port, "semanticModels", i), {k: v for k, v in entry.items() if v not in (None, [])},
                  f"/semantic_models/{_escape(sid)}")
        metrics = [(mid, metric) for mid, metric in self.metrics if uid in self.metric_models(mid, set())]
        for i, (mid, metric) in enumerate(metrics):
            entry = {"name": as_text(metric.get("name")) or mid, "type": as_text(metric.get("type")),
                     "label": as_text(metric.get("label")), "description": as_text(metric.get("description"))}
            m.put((*port, "metrics", i), {k: v for k, v in entry.items() if v is not None},
                  f"/metrics/{_escape(mid)}")

    def metric_models(self, mid: str, seen: set[str]) -> set[str]:
        """The models a metric is computed from: through its semantic models and the metrics it uses."""
        if mid in seen:
            return set()
        seen.add(mid)
        out: set[str] = set()
        metric = as_dict(as_dict(self.doc.get("metrics")).get(mid))
        for dep in as_list(as_dict(metric.get("depends_on")).get("nodes")):
            if not isinstance(dep, str):
                continue
            if dep.startswith("semantic_model."):
                sm = as_dict(as_dict(self.doc.get("semantic_models")).get(dep))
                out.update(d for d in as_list(as_dict(sm.get("depends_on")).get("nodes")) if isinstance(d, str))
            elif dep.startswith("metric."):
                out |= self.metric_models(dep, seen)
        return out

    def tests_of(self, uid: str, column: str | None) -> list[tuple[dict, str]]:
        """The data tests attached to a node (``column``: to that column; None: to the whole node), as
        quality checks with the pointer of each test node."""
        out = []
        for tid, test in self.tests.get(uid, []):
            if as_text(test.get("column_name")) != column:
                continue
            meta = as_dict(test.get("test_metadata"))
            kwargs = {k: v for k, v in as_dict(meta.get("kwargs")).items() if k not in ("model", "column_name")}
            check = {"type": "dbt", "name": as_text(test.get("name")) or tid,
                     "metric": as_text(meta.get("name")) or "singular",
                     "severity": (as_text(_config(test).get("severity")) or "").lower() or None,
                     "description": as_text(test.get("description"))}
            if kwargs:
                check["details"] = {k: v if isinstance(v, str | int | float | bool | list | dict) else str(v)
                                    for k, v in kwargs.items()}
            out.append(({k: v for k, v in check.items() if v is not None}, _base("nodes", tid)))
        return out

    def access(self, m: Mapper, node: dict, base: str) -> None:
        """dbt access in the auth standard: private = its group, protected = its project, public = anyone.

        private → visibility private (the group's team owns it); protected → visibility domain plus the
        teams owning the project's other models as readers (any model of the project may ref it);
        public → mesh. Seeds have no access: any model of the project may ref them (protected).
        """
        access = _access(node)
        where = f"{base}/access" if node.get("access") is not None else f"{base}/resource_type"
        m.put(("access", "visibility"), ACCESS_TO_VISIBILITY.get(access, access), where)
        if access == "protected":
            own = as_dict(m.data.get("owner")).get("group")
            written = as_list(as_dict(m.data.get("access")).get("readers"))
            readers = sorted({*written, *(t for t in self.project_teams if t != own)})
            if readers:
                m.put(("access", "readers"), readers, where)
                if not written:
                    m.inferred[("access", "readers")] = "dbt access 'protected' (the teams of the project's models)"

    def infer(self, m: Mapper, node: dict, base: str, materialized: str) -> None:
        """What the manifest implies for fields dbt has no name for (each with where it came from)."""
        mat_ptr = f"{base}/config/materialized"
        structure = MATERIALIZED_TO_STRUCTURE.get(materialized)
        m.infer(("structure",), structure, mat_ptr, "dbt seed" if materialized == "seed"
                else f"dbt config.materialized '{materialized}'")
        if as_text(node.get("relation_name")):
            m.infer(("format",), "structured", f"{base}/relation_name",
                    "dbt relation_name (a warehouse table or view)")
        _infer_complexity(m, [as_dict(c).get("data_type") for c in as_dict(node.get("columns")).values()],
                          f"{base}/columns")
        version = node.get("version")
        if version is not None and re.fullmatch(r"\d+", str(version)):
            m.infer(("version",), f"{version}.0.0", f"{base}/version", f"dbt version {version}")
        elif self.project_version:
            m.infer(("version",), self.project_version, "/metadata/project_name", self.project_version_because)
        name = as_text(node.get("name")) or ""
        job_from = f"dbt project '{self.project}' and {node.get('resource_type') or 'node'} '{name}'"
        for key, because, where in ((("execution", "job"), job_from, f"{base}/unique_id"),
                                    (("execution", "code"), "dbt original_file_path", f"{base}/original_file_path")):
            if m.smap.pointers.get(key) == where:  # not from meta
                m.inferred.setdefault(key, because)
        group = as_text(node.get("group")) or as_text(_config(node).get("group"))
        if group and m.smap.pointers.get(("owner", "group")) == f"{base}/group":
            m.inferred.setdefault(("owner", "group"), f"dbt group '{group}'")
        if group and (m.smap.pointers.get(("owner", "person")) or "").startswith("/groups/"):
            m.inferred.setdefault(("owner", "person"), f"dbt groups.{group}.owner.email")
        _, where = self.domain_of(node, base)
        because = {"/group": f"dbt group '{group}' (its org.yaml team's domain)",
                   "/original_file_path": "the folder under models/ (importers.dbt.domain: folder)",
                   "/metadata/project_name": f"dbt project '{self.project}'",
                   "/owner": "dbt meta.owner (its org.yaml team's domain)",
                   "/team": "dbt meta.team (its org.yaml team's domain)"}
        if value_at(m.data, ("domain",)) and not (where or "").endswith(f"/{self.opts.domainKey}"):
            found = next((v for k, v in because.items() if (where or "").endswith(k)), None)
            m.inferred.setdefault(("domain",), found or "govern.yaml importers.dbt.projectDomain")

    def lifecycle(self, m: Mapper, node: dict, base: str) -> None:
        if as_text(as_dict(m.data.get("lifecycle")).get("state")):
            return  # meta.lifecycle.state was given explicitly
        version, latest = node.get("version"), node.get("latest_version")
        deprecation = node.get("deprecation_date")
        state, where = "active", f"{base}/resource_type"
        if version is not None and latest is not None and _vkey(version) < _vkey(latest):
            state, where = "deprecated", f"{base}/latest_version"
            name = as_text(node.get("name")) or ""
            newer = self.versions.get((name, _vkey(latest)))
            if newer in self.ids and not as_dict(m.data.get("lifecycle")).get("replacedBy"):
                m.put(("lifecycle", "replacedBy"), self.ids[newer], f"{base}/latest_version")
        elif version is not None and latest is not None and _vkey(version) > _vkey(latest):
            state, where = "init", f"{base}/latest_version"
        if deprecation:
            state, where = "deprecated", f"{base}/deprecation_date"
            if not as_dict(m.data.get("lifecycle")).get("sunset"):
                m.put(("lifecycle", "sunset"), as_date(deprecation), f"{base}/deprecation_date")
        m.put(("lifecycle", "state"), state, where)
        m.at(("lifecycle",), where)
        if where.endswith("/resource_type"):  # dbt has no state: a node of the manifest is built, so active
            m.inferred[("lifecycle", "state")] = f"dbt {node.get('resource_type') or 'node'} in the manifest"
        elif where.endswith("/latest_version"):
            m.inferred[("lifecycle", "state")] = f"dbt latest_version {latest} (this is version {version})"

    def source_products(self) -> None:
        by_product: dict[str, list[tuple[str, dict]]] = {}
        for uid, src in sorted(self.sources.items()):
            pid, _ = self.ports.get(uid, (None, None))
            if pid is not None and pid in self.source_pids:
                by_product.setdefault(pid, []).append((uid, src))
        for pid, tables in sorted(by_product.items()):
            uid0, src0 = tables[0]
            base = _base("sources", uid0)
            m = Mapper(self.display, base=base)
            source_name = as_text(src0.get("source_name")) or pid
            m.put(("id",), pid, f"{base}/source_name")
            m.put(("name",), source_name, f"{base}/source_name")
            m.put(("description",), as_text(src0.get("source_description")), f"{base}/source_description")
            domain, where = self.domain_of(src0, base)
            m.put(("domain",), domain, where)
            self.owner_of(m, src0, base)
            self.meta_fields(m, src0, base)
            m.put(("lifecycle", "state"), "active", f"{base}/resource_type")
            m.inferred[("lifecycle", "state")] = "dbt source in the manifest"
            loader = as_text(src0.get("loader"))
            if loader and not as_dict(m.data.get("execution")).get("job"):
                m.put(("execution", "job"), f"{loader}:{source_name}", f"{base}/loader")
            for k, (uid, src) in enumerate(tables):
                tbase = _base("sources", uid)
                tmeta, tmeta_base = _meta(src, tbase)
                port = ("outputPorts", k)
                m.put((*port, "name"), as_text(src.get("name")), f"{tbase}/name")
                m.put((*port, "type"), "table", f"{tbase}/resource_type")
                relation = as_text(src.get("relation_name"))
                m.put((*port, "location"), normalise_location(relation) if relation else None, f"{tbase}/relation_name")
                m.put((*port, "description"), as_text(src.get("description")), f"{tbase}/description")
                m.put((*port, "classification"), as_text(tmeta.get("classification")), f"{tmeta_base}/classification")
                self.columns(m, src, tbase, port)
                tests = self.tests_of(uid, None)
                if tests:
                    m.put((*port, "quality"), [t for t, _ in tests], tests[0][1])
                m.at(port, tbase)
            if any(as_text(s.get("relation_name")) for _, s in tables):
                m.infer(("format",), "structured", f"{base}/relation_name",
                        "dbt source relation_name (a warehouse table)")
            _infer_complexity(m, [as_dict(c).get("data_type") for _, src in tables
                                  for c in as_dict(src.get("columns")).values()], f"{base}/columns")
            if self.project_version:
                m.infer(("version",), self.project_version, "/metadata/project_name", self.project_version_because)
            m.finish(self.ctx, "dbt")
            product = self.ctx.add(m.product("dbt"))
            if product is not None:
                product.source_name = f"source `{source_name}` in {as_text(src0.get('original_file_path'))}"

    def exposure(self, uid: str, exp: dict) -> None:
        base = _base("exposures", uid)
        m = Mapper(self.display, base=base)
        name = as_text(exp.get("name")) or uid.rsplit(".", 1)[-1]
        domain, where = self.domain_of(exp, base)
        pid = f"{slug(domain)}.{slug(name)}" if domain else slug(name)
        m.put(("id",), pid, f"{base}/name")
        m.put(("name",), as_text(exp.get("label")) or name, f"{base}/label" if exp.get("label") else f"{base}/name")
        m.put(("description",), as_text(exp.get("description")), f"{base}/description")
        m.put(("domain",), domain, where)
        meta, meta_base = _meta(exp, base)
        owner = as_dict(exp.get("owner"))
        if as_text(meta.get("team")):
            m.put(("owner", "group"), team_id(meta["team"], self.ctx.org), f"{meta_base}/team")
        m.put(("owner", "person"), as_text(owner.get("email")), f"{base}/owner/email")
        if "owner" in m.data:
            m.at(("owner",), f"{base}/owner")
        self.meta_fields(m, exp, base)
        if not as_dict(m.data.get("lifecycle")).get("state"):
            m.put(("lifecycle", "state"), "active", f"{base}/resource_type")
            m.inferred[("lifecycle", "state")] = "dbt exposure in the manifest"
        self.inputs(m, exp, base, pid)
        kind = as_text(exp.get("type")) or "exposure"
        if not as_dict(m.data.get("execution")).get("job"):
            m.put(("execution", "job"), f"{kind}:{as_text(exp.get('url')) or name}",
                  f"{base}/url" if exp.get("url") else f"{base}/type")
            m.inferred[("execution", "job")] = "dbt exposure type and url"
        if as_text(exp.get("maturity")):
            m.put(("access", "visibility"), "mesh", f"{base}/maturity")
            m.inferred[("access", "visibility")] = f"dbt exposure maturity '{as_text(exp.get('maturity'))}'"
        m.finish(self.ctx, "dbt")
        product = self.ctx.add(m.product("dbt"))
        if product is not None:
            product.source_name = _source_name(exp, self.project)

    # -- SQL -------------------------------------------------------------------------------------
    def relation_of(self, uid: str) -> str:
        node = self.nodes.get(uid) or self.sources.get(uid) or {}
        relation = as_text(node.get("relation_name"))
        if relation:
            return relation
        return ".".join(p for p in (as_text(node.get("database")), as_text(node.get("schema")),
                                     as_text(node.get("alias")) or as_text(node.get("name"))) if p)

    def sql(self, uid: str, node: dict) -> tuple[list[SqlSource], str | None]:
        """The SQL to analyse, and the macro that stopped rendering the raw code (if one did)."""
        compiled = as_text(node.get("compiled_code")) or as_text(node.get("compiled_sql"))  # v6 and older: *_sql
        ofp = as_text(node.get("original_file_path")) or ""
        root = self.ctx.mesh.root
        model_file = _join(self.project_dir, ofp)
        if compiled:
            compiled_path = as_text(node.get("compiled_path"))
            candidate = _join(self.project_dir, compiled_path) if compiled_path else None
            path = candidate if candidate and (root / candidate).is_file() else model_file
            return [SqlSource(path=path, text=compiled, dialect=self.dialect)], None
        raw = as_text(node.get("raw_code")) or as_text(node.get("raw_sql"))
        if not raw or (node.get("language") or "sql") != "sql":
            return [], None
        text, macro = render_raw(raw, node, self)
        return ([SqlSource(path=model_file, text=text, dialect=self.dialect)] if text is not None else []), macro


def render_raw(raw: str, node: dict, manifest: _Manifest) -> tuple[str | None, str | None]:
    """Render a model's raw SQL: ``ref``/``source``/``this`` become relations, ``config`` nothing.

    A sandboxed jinja2 environment with only these names; anything else renders empty. Returns
    (SQL, None), or (None, the macro's name) when the template calls a macro govern does not have
    (a project or package macro: only dbt can render it), or (None, None) when it does not render.
    """
    from jinja2 import ChainableUndefined, TemplateError, UndefinedError
    from jinja2.sandbox import SandboxedEnvironment

    deps = [d for d in as_list(as_dict(node.get("depends_on")).get("nodes")) if isinstance(d, str)]

    def ref(*args: Any, **kwargs: Any) -> str:
        name = args[-1] if args else kwargs.get("name", "")
        version = kwargs.get("v", kwargs.get("version"))
        for dep in deps:
            target = manifest.nodes.get(dep) or {}
            if target.get("name") == name and (version is None or str(target.get("version")) == str(version)):
                return manifest.relation_of(dep)
        return str(name)

    def source(source_name: str, table: str) -> str:
        for dep in deps:
            target = manifest.sources.get(dep) or {}
            if target.get("source_name") == source_name and target.get("name") == table:
                return manifest.relation_of(dep)
        return f"{source_name}.{table}"

    env = SandboxedEnvironment(undefined=ChainableUndefined, keep_trailing_newline=True)
    names = {
        "ref": ref,
        "source": source,
        "config": lambda *a, **k: "",
        "is_incremental": lambda: False,
        "var": lambda name, default=None: default if default is not None else "",
        "env_var": lambda name, default="": default,
        "this": manifest.relation_of(as_text(node.get("unique_id")) or ""),
    }
    try:
        return env.from_string(raw).render(**names), None
    except UndefinedError as exc:
        found = _UNDEFINED.search(str(exc))
        return None, _macro_name(found.group(1), node) if found else None
    except (TemplateError, TypeError, ValueError):
        return None, None


def _source_name(node: dict, project: str | None = None) -> str:
    """``model `orders` in models/marts/_marts.yml``: the node and the YAML file that describes it; a
    node of an installed package is configured from the project's dbt_project.yml."""
    kind = as_text(node.get("resource_type")) or "model"
    patch = as_text(node.get("patch_path"))
    where = patch.split("://", 1)[-1] if patch else as_text(node.get("original_file_path"))
    name = as_text(node.get("name")) or "?"
    package = as_text(node.get("package_name"))
    if project and package and package != project:
        plural = {"model": "models", "seed": "seeds", "source": "sources"}.get(kind, f"{kind}s")
        return (f"{kind} `{name}` of package `{package}` (configured under `{plural}: {package}:` in the "
                "project's dbt_project.yml, e.g. `+meta`)")
    if not patch and kind in ("model", "seed", "snapshot"):  # described in no YAML file yet
        plural = {"model": "models", "seed": "seeds", "snapshot": "snapshots"}[kind]
        return (f"{kind} `{name}` ({where}; describe it in a {plural}/*.yml properties file, or under "
                f"`{plural}:` in dbt_project.yml)")
    return f"{kind} `{name}` in {where}" if where else f"{kind} `{name}`"


def _constraints(value: Any) -> list[dict]:
    """dbt constraints as govern constraints: type, name, expression, the referenced relation and columns."""
    out = []
    for item in as_list(value):
        item = as_dict(item)
        kind = as_text(item.get("type"))
        if not kind:
            continue
        entry: dict[str, Any] = {"type": kind}
        for key, target in (("name", "name"), ("expression", "expression"), ("to", "to")):
            if as_text(item.get(key)):
                entry[target] = as_text(item[key])
        columns = [c for c in as_list(item.get("to_columns")) if as_text(c)]
        if columns:
            entry["toColumns"] = columns
        out.append(entry)
    return out


def _infer_complexity(m: Mapper, types: list, pointer: str) -> None:
    """complexity from declared column types: complex if one is nested (struct, array, json ...)."""
    texts = [as_text(t) for t in types]
    if not texts or not all(texts):
        return  # no columns, or one without data_type: nothing to infer from
    nested = next((t for t in texts if t and _COMPLEX_TYPE.search(t)), None)
    m.infer(("complexity",), "complex" if nested else "simple", pointer,
            f"dbt columns data_type '{nested}'" if nested else "dbt columns data_type (all flat)")


def _macro_name(name: str, node: dict) -> str:
    """``cents_to_dollars`` → ``macro.shop.cents_to_dollars`` when depends_on.macros names it."""
    for uid in as_list(as_dict(node.get("depends_on")).get("macros")):
        if isinstance(uid, str) and uid.rsplit(".", 1)[-1] == name:
            return uid
    return name


def _access(node: dict) -> str:
    """A node's dbt access (models default to protected; seeds have none and behave as protected)."""
    return as_text(node.get("access")) or as_text(_config(node).get("access")) or "protected"


def _project_version(root: Path, project_dir: str) -> str | None:
    """``version`` of the project's dbt_project.yml, when it is a semantic version (else None).

    Only a regular file inside the mesh root is read: a value from outside the reviewed repository
    never fills a field a rule checks.
    """
    from govern.load.paths import is_inside
    from govern.load.yamlio import read_yaml_file
    from govern.model.errors import GovernError

    path = root / project_dir / "dbt_project.yml" if project_dir else root / "dbt_project.yml"
    try:
        if path.is_symlink() or not path.is_file() or not is_inside(path, root):
            return None
        data = read_yaml_file(path, "dbt_project.yml")[0]
    except (GovernError, OSError):  # a broken dbt_project.yml is for dbt to report; govern does not infer
        return None
    version = as_text(data.get("version")) if isinstance(data, dict) else None
    if version and re.fullmatch(r"\d+(\.\d+){0,2}", version):  # '0.1' is 0.1.0 (dbt allows short versions)
        return ".".join([*version.split("."), "0", "0"][:3])
    return None


def _base(section: str, uid: str) -> str:
    return json_pointer((section, uid))


def _escape(part: str) -> str:
    return json_pointer((part,))[1:]


def _config(node: dict) -> dict:
    return as_dict(node.get("config"))


def _enabled(node: dict) -> bool:
    return _config(node).get("enabled", True) is not False


def _meta(node: dict, base: str) -> tuple[dict, str]:
    """The node's meta and its pointer: ``config.meta`` (v11+) when present, else ``meta``."""
    config_meta = _config(node).get("meta")
    if isinstance(config_meta, dict) and config_meta:
        return config_meta, f"{base}/config/meta"
    return as_dict(node.get("meta")), f"{base}/meta"


def _folder(node: dict) -> str | None:
    """The first folder under the model path (``sales/orders.sql`` → ``sales``)."""
    path = as_text(node.get("path")) or ""
    ofp = as_text(node.get("original_file_path")) or ""
    # exposures and sources are declared in models/<folder>/x.yml; models live at <folder>/x.sql
    yml = node.get("resource_type") in ("exposure", "source")
    parts = Path(ofp).parts[1:-1] if yml else Path(path).parts[:-1]
    return parts[0] if parts else None


def _port_name(node: dict) -> str:
    return as_text(node.get("alias")) or as_text(node.get("name")) or "output"


def _vkey(v: Any) -> tuple:
    text = str(v)
    return (0, float(text), "") if re.fullmatch(r"\d+(\.\d+)?", text) else (1, 0.0, text)


def _join(prefix: str, rel: str) -> str:
    return f"{prefix}/{rel}" if prefix and prefix != "." else rel


def load(path: Path, display: str, ctx: ImportContext, doc: Any | None = None) -> None:
    """Import one manifest.json into ``ctx`` (products and findings)."""
    from govern.load.importers.common import read_json
    from govern.load.manifest import input_error_finding
    from govern.model.errors import InputError

    try:
        doc = read_json(path, display) if doc is None else doc
    except InputError as exc:
        ctx.findings.append(input_error_finding(exc))
        return
    if not isinstance(doc, dict) or not isinstance(doc.get("metadata"), dict):
        ctx.findings.append(invalid("not a dbt manifest: no 'metadata' object", display, pointer=""))
        return
    schema = as_text(doc["metadata"].get("dbt_schema_version")) or ""
    found = _SCHEMA_VERSION.search(schema)
    number = int(found.group(1)) if found else None
    if number not in SUPPORTED_SCHEMAS:
        ctx.findings.append(invalid(
            f"dbt manifest schema {schema or '(none)'} is not supported (expected v10, v11 or v12); "
            "importing what can be read", display, pointer="/metadata/dbt_schema_version",
            severity=Severity.WARNING))
    manifest = _Manifest(doc, display, ctx, project_dir=_project_dir(path, ctx.mesh.root))
    manifest.assign_ids()
    for uid, node in sorted(manifest.nodes.items()):
        if uid in manifest.ids:
            manifest.model(uid, node)
    if manifest.opts.sources:
        manifest.source_products()
    if manifest.opts.exposures:
        for uid, exp in sorted(manifest.exposures.items()):
            if isinstance(exp, dict) and _enabled(exp):
                manifest.exposure(uid, exp)


def _project_dir(manifest: Path, root: Path) -> str:
    """The dbt project directory relative to the mesh root (the parent of ``target/``)."""
    from govern.load.manifest import relative_to_root

    parent = manifest.resolve().parent
    project = parent.parent if parent.name == "target" or (parent.parent / "dbt_project.yml").is_file() else parent
    rel = relative_to_root(project, root)
    return "" if rel == "." else rel
