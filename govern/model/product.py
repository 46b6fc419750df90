"""The internal model every input format maps into. Rules only ever see these objects.

Fields that carry a global standard (namespace, format, lifecycle state, ...) are plain strings here:
a wrong value is a finding of that standard, not a parse failure. The JSON Schema still lists the
allowed values, so editors can complete them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from govern.model.findings import GOVERN_YAML, INFERRED, Provenance
from govern.model.source import FieldPath, SourceMap, field_path_text

NAMESPACES = ("prod", "preprod", "test")
FORMATS = ("structured", "unstructured")
COMPLEXITIES = ("simple", "complex")
STRUCTURES = ("lot", "set", "append")
LIFECYCLE_STATES = ("init", "active", "deprecated", "retired", "tombstoned")
CLASSIFICATIONS = ("public", "internal", "confidential", "restricted")
CLASSIFICATION_RANK = {name: rank for rank, name in enumerate(CLASSIFICATIONS)}  # least to most sensitive
VISIBILITIES = ("mesh", "domain", "private")
PORT_TYPES = ("table", "view", "file", "stream", "api")


# Default factories are Python functions, not ``list``/``dict``: pydantic reads the signature of every
# default factory when it builds a model, and a builtin's is parsed from its text signature with the
# tokenizer (about 4 ms of every start for these models). The defaults and the JSON Schema are the same.
def _new_list() -> list:
    return []


def _new_dict() -> dict:
    return {}


def _enum(values: tuple[str, ...], description: str) -> Any:
    return Field(default=None, description=description, json_schema_extra={"enum": list(values)})


def _number_as_text(value: Any) -> Any:
    # YAML reads 1.0 as a float; keep the text so versioning.semver can report it.
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


class _Strict(BaseModel):
    # Unknown fields are kept (and reported as warnings), never silently dropped.
    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=False)


class QualityCheck(_Strict):
    """A data quality expectation or test the source declares (ODCS ``quality``, a dbt data test, an
    OpenLineage assertion); thresholds and other details are kept as the source wrote them."""

    name: str | None = None
    type: str | None = Field(default=None, description="library, sql, text, custom, dbt, ...")
    metric: str | None = Field(default=None, description="What is measured: nullValues, not_null, unique, ...")
    dimension: str | None = None
    description: str | None = None
    column: str | None = Field(default=None, description="The column checked, when declared on the port")
    query: str | None = None
    severity: str | None = None
    success: bool | None = Field(default=None, description="The last observed result (OpenLineage)")
    details: dict[str, Any] = Field(default_factory=_new_dict,
                                    description="Thresholds and options as the source wrote them (mustBe, ...)")


class Constraint(_Strict):
    """A database constraint the source declares (dbt ``constraints``)."""

    type: str = Field(description="not_null, unique, primary_key, foreign_key, check, custom")
    name: str | None = None
    expression: str | None = None
    to: str | None = Field(default=None, description="The referenced relation of a foreign key")
    toColumns: list[str] = Field(default_factory=_new_list)


class Relationship(_Strict):
    """A relationship between columns (ODCS ``relationships``): ``from`` refers to ``to``."""

    type: str | None = Field(default=None, description="foreignKey, ...")
    from_: Any = Field(default=None, alias="from", description="Column(s) of this port, e.g. orders.customer_id")
    to: Any = Field(default=None, description="Column(s) referred to, e.g. customers.id")


class ContractRef(_Strict):
    """A data contract a port implements or reads (ODCS id, ODPS ``contractId`` / ``inputContracts``)."""

    id: str | None = None
    version: str | None = None
    enforced: bool | None = Field(default=None, description="The contract is checked when the data is built "
                                                           "(dbt contract.enforced)")

    _version_text = field_validator("version", mode="before")(_number_as_text)


class SemanticModel(_Strict):
    """A dbt semantic model defined on the port's relation: its entities, dimensions and measures."""

    name: str
    description: str | None = None
    entities: list[str] = Field(default_factory=_new_list)
    dimensions: list[str] = Field(default_factory=_new_list)
    measures: list[str] = Field(default_factory=_new_list)


class Metric(_Strict):
    """A metric computed from the port (dbt metrics through their semantic models)."""

    name: str
    type: str | None = None
    label: str | None = None
    description: str | None = None


class Column(_Strict):
    name: str
    type: str | None = None
    description: str | None = None
    pii: bool = False
    classification: str | None = _enum(CLASSIFICATIONS, "Column-level classification, if finer than the port")
    primaryKey: bool = Field(default=False, description="Part of the primary key")
    required: bool = Field(default=False, description="Never null")
    unique: bool = Field(default=False, description="No two rows share a value")
    constraints: list[Constraint] = Field(default_factory=_new_list)
    quality: list[QualityCheck] = Field(default_factory=_new_list)


class OutputPort(_Strict):
    name: str
    type: str | None = _enum(PORT_TYPES, "Kind of output")
    location: str | None = Field(default=None, description="Physical address SQL uses, e.g. db.schema.table")
    classification: str | None = _enum(CLASSIFICATIONS, "Data classification of the port")
    description: str | None = None
    version: str | None = Field(default=None, description="Version of the port (ODPS): ports of one name and "
                                                          "two versions are two ports")
    columns: list[Column] = Field(default_factory=_new_list)
    contract: ContractRef | None = Field(default=None, description="The data contract the port implements")
    inputContracts: list[ContractRef] = Field(default_factory=_new_list,
                                              description="Contracts the port's data is derived from (ODPS)")
    constraints: list[Constraint] = Field(default_factory=_new_list)
    quality: list[QualityCheck] = Field(default_factory=_new_list)
    relationships: list[Relationship] = Field(default_factory=_new_list)
    semanticModels: list[SemanticModel] = Field(default_factory=_new_list)
    metrics: list[Metric] = Field(default_factory=_new_list)

    _version_text = field_validator("version", mode="before")(_number_as_text)


class SlaProperty(_Strict):
    """A service-level property (ODCS ``slaProperties``): latency, frequency, retention, ..."""

    property: str
    value: Any = None
    unit: str | None = None
    element: str | None = None
    driver: str | None = None
    description: str | None = None


class SupportChannel(_Strict):
    """Where consumers get help (ODCS / ODPS ``support``)."""

    channel: str | None = None
    url: str | None = None
    tool: str | None = None
    scope: str | None = None
    description: str | None = None


class AccessRole(_Strict):
    """An access role of the source (ODCS ``roles``): who approves read or write access."""

    role: str
    access: str | None = None
    description: str | None = None
    firstLevelApprovers: str | None = None
    secondLevelApprovers: str | None = None


class InputRef(_Strict):
    product: str = Field(description="Id of the upstream data product")
    port: str | None = Field(default=None, description="Output port of the upstream product")
    contract: ContractRef | None = Field(default=None, description="The data contract read (ODPS input port)")


class Owner(_Strict):
    group: str | None = Field(default=None, description="Team id (must exist in org.yaml when present)")
    person: str | None = Field(default=None, description="E-mail address of the owning person")


class LifecycleEvent(_Strict):
    state: str = _enum(LIFECYCLE_STATES, "State entered")
    at: dt.date


class Lifecycle(_Strict):
    state: str | None = _enum(LIFECYCLE_STATES, "Current lifecycle state")
    events: list[LifecycleEvent] = Field(default_factory=_new_list, description="Oldest first")
    sunset: dt.date | None = Field(default=None, description="Required when deprecated")
    replacedBy: str | None = Field(default=None, description="Successor product id")
    reason: str | None = None


class Tombstone(_Strict):
    at: dt.date | None = None
    reason: str | None = None


class Execution(_Strict):
    job: str | None = Field(default=None, description="Execution lineage: scheduler:job id")
    code: list[str] = Field(default_factory=_new_list, description="SQL files, relative to the manifest")
    dialect: str | None = Field(default=None, description="sqlglot dialect name")
    parent: str | None = Field(default=None, description="The job that runs this one (an orchestrator's DAG run; "
                                                         "OpenLineage parent run facet)")
    query: str | None = Field(default=None, description="The SQL the job ran as reported at run time (OpenLineage "
                                                        "sql job facet); kept, not analysed")


class Access(_Strict):
    visibility: str | None = _enum(VISIBILITIES, "Who may discover and read the product")
    readers: list[str] = Field(default_factory=_new_list, description="Teams granted read on restricted/private data")


class DataProduct(_Strict):
    """A data product manifest (``dataproduct.yaml``)."""

    kind: str = Field(description="Always DataProduct", json_schema_extra={"const": "DataProduct"})
    id: str = Field(description="<domain>.<name>, lowercase [a-z0-9_] segments")
    name: str | None = None
    description: str | None = None
    domain: str | None = None
    version: str | None = Field(default=None, description="Semantic version")
    namespace: str | None = _enum(NAMESPACES, "Deployment namespace")
    owner: Owner | None = None
    format: str | None = _enum(FORMATS, "Data format standard")
    complexity: str | None = _enum(COMPLEXITIES, "Complexity standard")
    structure: str | None = _enum(STRUCTURES, "Structure standard")
    lifecycle: Lifecycle | None = None
    tombstone: Tombstone | None = None
    inputs: list[InputRef] = Field(default_factory=_new_list)
    execution: Execution | None = None
    outputPorts: list[OutputPort] = Field(default_factory=_new_list)
    access: Access | None = None
    tags: list[str] = Field(default_factory=_new_list)
    sla: list[SlaProperty] = Field(default_factory=_new_list, description="Service levels (ODCS slaProperties)")
    support: list[SupportChannel] = Field(default_factory=_new_list)
    roles: list[AccessRole] = Field(default_factory=_new_list, description="Access roles and their approvers")

    _version_text = field_validator("version", mode="before")(_number_as_text)


class Team(_Strict):
    id: str
    domain: str | None = None
    name: str | None = None
    members: list[str] = Field(default_factory=_new_list)


class Org(_Strict):
    """``org.yaml``: the teams of the organisation, the principal directory for Cedar."""

    teams: list[Team] = Field(default_factory=_new_list)
    domains: list[str] = Field(default_factory=_new_list)


class Waiver(_Strict):
    rule: str | None = None
    product: str | None = None
    reason: str | None = None
    approved_by: str | None = None
    expires: dt.date | dt.datetime | None = Field(
        default=None, description="Last day (UTC) the waiver applies, or an instant with an offset")

    @field_validator("expires", mode="before")
    @classmethod
    def _expiry_instant(cls, value: Any) -> Any:
        """A date stays a date; a time must carry an offset (``Z``, ``+02:00``) so it names one instant."""
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value) if len(value) <= 10 else dt.datetime.fromisoformat(value)
            except ValueError:
                raise ValueError(f"'{value}' is not a date (YYYY-MM-DD) or a time with an offset "
                                 "(YYYY-MM-DDTHH:MM:SS+HH:MM)") from None
        if isinstance(value, dt.datetime) and value.utcoffset() is None:
            raise ValueError(f"time '{value.isoformat()}' has no offset: add Z or +HH:MM so it names one instant")
        return value


class WaiverFile(_Strict):
    waivers: list[Waiver] = Field(default_factory=_new_list)


class StandardsRef(_Strict):
    pack: str = "mesh-core"
    version: str | None = Field(default=None, description="Version in force; latest released if absent")
    path: str | None = Field(default=None, description="Directory of a custom pack, relative to the mesh root")


class SqlConfig(_Strict):
    allowTables: list[str] = Field(default_factory=_new_list, description="Raw sources SQL may read (glob patterns)")
    maxNodes: int = 50_000
    timeoutSeconds: float = 5.0


class GovernConfig(_Strict):
    """``govern.yaml`` at the mesh root."""

    standards: StandardsRef = Field(default_factory=StandardsRef)
    dialect: str | None = None
    sql: SqlConfig = Field(default_factory=SqlConfig)
    history: str | None = None
    waiverMaxDays: int = 180
    exclude: list[str] = Field(default_factory=_new_list, description="Glob patterns of paths not to scan")
    importers: dict[str, Any] = Field(
        default_factory=_new_dict,
        description="Options of the dbt / ODCS / ODPS / OpenLineage importers (govern/load/importers/config.py)",
    )


def value_at(data: Any, fpath: FieldPath) -> Any:
    """The value at a field path of plain manifest data, or None."""
    for part in fpath:
        if isinstance(part, int):
            data = data[part] if isinstance(data, list) and -len(data) <= part < len(data) else None
        else:
            data = data.get(part) if isinstance(data, dict) else None
        if data is None:
            return None
    return data


CONFIG_SOURCE = GOVERN_YAML + " "  # how Product.inferred names a value govern.yaml set ("govern.yaml importers...")


def provenance_in(inferred: dict[tuple, str], fpath: FieldPath) -> Provenance | None:
    """The provenance of the value at ``fpath`` in an imported product's ``inferred`` map: of the field
    itself or of the nearest ancestor set as a whole (``execution`` from a govern.yaml default), else
    None (written in the source, or a whole-product finding)."""
    path = tuple(fpath)
    while inferred and path:
        because = inferred.get(path)
        if because is not None:
            kind = GOVERN_YAML if because.startswith(CONFIG_SOURCE) else INFERRED
            return Provenance(field_path_text(path), because, kind)
        path = path[:-1]
    return None


@dataclass(frozen=True)
class SqlSource:
    """SQL that builds a product: a file of the mesh, or text an importer carried (e.g. dbt compiled_code)."""

    path: str  # relative to the mesh root; where findings point
    text: str | None = None  # None: read the file at ``path``
    dialect: str | None = None
    line_offset: int = 0  # added to line numbers when the text is embedded in another file


@dataclass
class Product:
    """A data product as the engine sees it: the model, where it came from, and its plain data."""

    model: DataProduct
    source: SourceMap
    data: dict[str, Any] = field(default_factory=dict)
    origin: str = "native"
    sql: list[SqlSource] = field(default_factory=list)  # set by importers; native: from execution.code
    # field path → where an importer inferred the value from ("dbt config.materialized 'table'"), for
    # values the source format does not state but implies, or the govern.yaml key that set it
    # ("govern.yaml importers.defaults"): findings, scorecards and govern convert show them
    inferred: dict[tuple, str] = field(default_factory=dict)
    # why the SQL of execution.code is not analysed (an importer's reason, e.g. a macro that cannot be
    # rendered offline); None: analysed
    sql_skipped: str | None = None
    # the thing in the source format to fix, in its own terms (dbt: "model `orders` in models/x.yml");
    # findings on the product then say the fix in those terms (govern/load/importers/hints.py)
    source_name: str | None = None
    # top-level manifest fields holding a value that failed validation (a date 2025-02-31, a wrong type):
    # each is reported as manifest.invalid at its line, left out of ``model`` (the rest of the field is kept
    # where it is valid), and a rule that reads one of them does not run on this product
    # (govern/evaluate/engine.py); every other rule does
    invalid: frozenset[str] = frozenset()
    # rule → rule: a finding of the first is a consequence of a finding of the second on this product
    # (an importer built the id from a domain the source lacks), so only the second is reported
    consequences: dict[str, str] = field(default_factory=dict)
    # rule → the fix in the source's terms, when the importer knows better than its format's table
    # (the environment name a namespace mapping lacks)
    fixes: dict[str, str] = field(default_factory=dict)

    @cached_property
    def id(self) -> str:
        return self.model.id

    def provenance_of(self, fpath: FieldPath) -> Provenance | None:
        """Where the value at ``fpath`` came from when the source did not write it, else None."""
        return provenance_in(self.inferred, fpath)

    def inferred_values(self) -> list[tuple[Provenance, Any]]:
        """Every value the source did not write (inferred, or set in govern.yaml), with where it came
        from, ordered by field: what scorecards and govern convert list."""
        out = []
        for fpath, because in self.inferred.items():
            provenance = provenance_in({fpath: because}, fpath)
            if provenance is not None:
                out.append((provenance, value_at(self.data, fpath)))
        return sorted(out, key=lambda pv: pv[0].field)

    @property
    def path(self) -> str:
        return self.source.path

    @property
    def state(self) -> str | None:
        return self.model.lifecycle.state if self.model.lifecycle else None

    @property
    def owner_team(self) -> str | None:
        return self.model.owner.group if self.model.owner else None

