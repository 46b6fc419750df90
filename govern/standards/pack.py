"""The standards pack: rule definitions (YAML and Cedar), versioned standards, and the lock file.

Layout of a pack (the default one ships as package data)::

    rules/<standard>.yaml          rule definitions: YAML rules, and metadata of Python rules; a
                                   ``plugins:`` list names the installed packages that register the
                                   organisation's own Python rules (govern/standards/plugins.py)
    rules/cedar/*.cedar            Cedar policies annotated @id @standard @severity @message @help
    rules/cedar/schema.cedarschema Cedar schema of the entities
    standards/<pack>/<version>.yaml a standard version: the rules in force, with mode and effective date
    standards/<pack>/standards.lock sha256 of each released version's rules (and of each of its rules)

``check`` and ``gate`` verify the version they run against the lock on every run (``verify_in_use``):
a released version whose rules changed since it was locked exits 2 naming the rules that changed.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import inspect
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govern.load.yamlio import load_yaml_mapping
from govern.model.errors import InputError, StandardsError
from govern.model.findings import Severity
from govern.model.scope import ENGINE_READS, EVERYTHING, Reads
from govern.standards.ruledsl import CompiledRule, compile_rule

if TYPE_CHECKING:
    from govern.incremental.packcache import PackCache
    from govern.standards.checks import Plugin
    from govern.standards.plugins import PluginRef

ENGINES = ("yaml", "python", "cedar", "builtin")
MODES = ("enforce", "warn", "audit")
# What a Cedar rule reads: the requests and entities govern/standards/cedar.py builds. A read request holds
# the consumer and the producer of every lineage edge (declared, SQL, runtime) with the producer's
# classification; a deploy request the product itself; entities hold teams and domains from org.yaml, or
# the domains of the products a team owns when there is none.
CEDAR_READS = frozenset({Reads.PRODUCT, Reads.PRODUCERS, Reads.SQL, Reads.SQL_PRODUCERS, Reads.RUNTIME,
                         Reads.ORG, Reads.TEAM})
_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
RULES_FILE_FIELDS = ("rules", "plugins")


def default_pack_root() -> Path:
    """Where the shipped pack lives: inside the installed package, else the source checkout."""
    here = Path(__file__).resolve().parents[1]  # the govern package
    shipped = here / "_pack"
    return shipped if (shipped / "standards").is_dir() else here.parent


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.split("."))


@dataclass
class RuleSpec:
    """One rule with its metadata, whatever its engine."""

    id: str
    standard: str
    severity: Severity
    message: str
    description: str
    help: str
    engine: str
    source: str
    line: int | None = None
    definition: dict[str, Any] = field(default_factory=dict)
    compiled: CompiledRule | None = None
    cedar_json: dict | None = None
    cedar_effect: str | None = None

    @property
    def reads(self) -> frozenset[Reads]:
        """What the rule reads to decide about a product (govern/model/scope.py); ``Reads.MESH`` when it
        does not say (a Python rule without ``reads=``)."""
        if self.engine == "yaml" and self.compiled is not None:
            return self.compiled.reads
        if self.engine == "python":
            from govern.standards.checks import declared

            reads = declared(self.id).reads
            return frozenset({Reads.PRODUCT, *reads}) if reads is not None else EVERYTHING
        if self.engine == "cedar":
            return CEDAR_READS
        return frozenset()  # builtin: emitted while loading, about the file that holds it

    @property
    def plugin(self) -> Plugin | None:
        """The installed plugin whose code this Python rule is (None: govern's own, or not Python)."""
        if self.engine != "python":
            return None
        from govern.standards.checks import plugin_of

        return plugin_of(self.id)

    def digest_material(self) -> Any:
        """What the digest of a released version covers for this rule."""
        material: dict[str, Any] = {"definition": self.definition}
        if self.engine == "cedar":
            material["policy"] = self.cedar_json
        if self.engine == "python":
            source = self.code_source()
            material["code"] = code_digest_text(source) if source is not None else None
        return material

    def code_source(self) -> str | None:
        """The source of the module that holds this Python rule's function (the lock covers its code);
        None when no function is registered for it."""
        from govern.standards.checks import registry

        fn = registry().get(self.id)
        if fn is None:
            return None
        module = inspect.getmodule(fn)
        try:
            return inspect.getsource(module) if module is not None else ""
        except (OSError, TypeError):
            plugin = self.plugin
            owner = f"plugin '{plugin.name}' {plugin.version}" if plugin else "its module"
            raise StandardsError(f"the source of python rule '{self.id}' ({owner}, module "
                                 f"{getattr(module, '__name__', '?')}) cannot be read, and the lock covers a "
                                 "Python rule's code", path=self.source, line=self.line,
                                 expected="the rule's module installed with its .py source") from None


@functools.lru_cache(maxsize=256)
def code_digest_text(source: str) -> str:
    """What the lock covers of a Python rule's module: its syntax tree without imports, docstrings and the
    metadata keywords of ``@register`` (what it reads). Moving a module or re-ordering its imports leaves
    the digest as it was; any change to what the code does changes it."""
    import ast

    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list):
            kept = [n for n in body if not isinstance(n, (ast.Import, ast.ImportFrom))]
            if kept and isinstance(kept[0], ast.Expr) and isinstance(kept[0].value, ast.Constant) \
                    and isinstance(kept[0].value.value, str):
                kept = kept[1:]
            node.body = kept or [ast.Pass()]
        for deco in getattr(node, "decorator_list", ()):
            if isinstance(deco, ast.Call) and "register" in (getattr(deco.func, "id", None),
                                                             getattr(deco.func, "attr", None)):
                deco.keywords = []
    return ast.dump(tree, annotate_fields=False)


@dataclass
class SelectedRule:
    """A rule in force in a standard version."""

    spec: RuleSpec
    mode: str
    effective: dt.date | None = None

    def mode_on(self, today: dt.date) -> str:
        """Before its effective date an enforce rule only warns."""
        if self.mode == "enforce" and self.effective and today < self.effective:
            return "warn"
        return self.mode


@dataclass
class StandardVersion:
    pack: str
    version: str
    status: str
    description: str
    path: str
    rules: list[SelectedRule]
    raw: dict[str, Any]

    def rule_ids(self) -> list[str]:
        return [r.spec.id for r in self.rules]


@dataclass
class Pack:
    """A loaded standards pack."""

    name: str
    root: Path
    rules: dict[str, RuleSpec]
    versions: dict[str, StandardVersion]
    lock: dict[str, str]
    cedar_schema: str
    cedar_files: dict[str, str]
    # per released version: {"version": digest of the version file without its rules, "rules": {id: digest}}
    lock_detail: dict[str, dict[str, Any]] = field(default_factory=dict)
    # ``cedar_validation_key`` of policies and schema that passed validate_pack before (govern/incremental/packcache.py)
    cedar_validated: bytes | None = field(default=None, repr=False, compare=False)
    # the plugins its rules files name (govern/standards/plugins.py), in the order they are named
    plugins: list[PluginRef] = field(default_factory=list)
    # version -> ``digest``, as the pack cache remembers it for exactly these inputs (``_remember_digests``)
    known_digests: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def latest_released(self) -> StandardVersion:
        released = [v for v in self.versions.values() if v.status == "released"]
        if not released:
            raise StandardsError(f"pack '{self.name}' has no released version")
        return max(released, key=lambda v: version_key(v.version))

    def version(self, version: str | None) -> StandardVersion:
        """The named version, or the latest released one."""
        if version is None:
            return self.latest_released()
        if version not in self.versions:
            from govern.model.suggest import did_you_mean

            raise StandardsError(
                f"standards version '{version}' not found in pack '{self.name}'{did_you_mean(version, self.versions)}",
                expected=", ".join(sorted(self.versions, key=version_key)),
            )
        return self.versions[version]

    def digest(self, version: str) -> str:
        """sha256 over the canonical form of the version file and every rule it selects."""
        if version in self.known_digests:
            return self.known_digests[version]
        sv = self.versions[version]
        material = {
            "version": sv.raw,
            "rules": {r.spec.id: r.spec.digest_material() for r in sorted(sv.rules, key=lambda r: r.spec.id)},
        }
        text = json.dumps(material, sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def rule_digests(self, version: str) -> dict[str, Any]:
        """Digests of the parts of a version, so that a changed lock can name what changed: the version
        file without its rule list, and each rule it selects (its entry in the list and its definition)."""
        sv = self.versions[version]
        entries: dict[str, Any] = {}
        for entry in sv.raw.get("rules") or []:
            rid = entry if isinstance(entry, str) else entry.get("id")
            entries[rid] = entry
        rules = {r.spec.id: _sha256({"entry": entries.get(r.spec.id), "rule": r.spec.digest_material()})
                 for r in sorted(sv.rules, key=lambda r: r.spec.id)}
        return {"version": _sha256({k: v for k, v in sv.raw.items() if k != "rules"}), "rules": rules}

    @property
    def lock_path(self) -> Path:
        return self.root / "standards" / self.name / "standards.lock"

    @cached_property
    def cedar_policy_ids(self) -> list[str]:
        return sorted(r.id for r in self.rules.values() if r.engine == "cedar")

    def digest_inputs(self, version: str) -> bytes:
        """Everything ``digest`` of a version is computed from, in its raw form (the Python rules' module
        sources, not their syntax trees), with the code that computes it: the pack cache's key for it."""
        sv = self.versions[version]
        rules = {r.spec.id: {"definition": r.spec.definition, "policy": r.spec.cedar_json,
                             "source": r.spec.code_source() if r.spec.engine == "python" else None}
                 for r in sv.rules}
        digester = "".join(inspect.getsource(f) for f in (Pack.digest, RuleSpec.digest_material, code_digest_text))
        return json.dumps({"version": sv.raw, "rules": rules, "digester": digester}, sort_keys=True, default=str,
                          separators=(",", ":")).encode("utf-8", "surrogatepass")

    def fingerprint(self) -> bytes:
        """A digest of everything in the pack that can change a result: every rule (its metadata, definition,
        Cedar policy, the source of a Python rule's module and its plugin's version), every version file,
        the lock, the Cedar schema and policy files, the plugins named (the reuse of a result keys on it,
        govern/incremental/memo.py)."""
        from govern.model.content import digest

        rules = {}
        for rid, spec in sorted(self.rules.items()):
            plugin = spec.plugin
            rules[rid] = {
                **{k: v for k, v in spec.__dict__.items() if k != "compiled"},
                "code": spec.code_source() if spec.engine == "python" else None,
                "plugin": (plugin.name, plugin.version) if plugin is not None else None,
            }
        material = {
            "name": self.name, "root": str(self.root), "rules": rules,
            "versions": {v: sv.raw for v, sv in sorted(self.versions.items())},
            "lock": self.lock, "detail": self.lock_detail, "schema": self.cedar_schema, "cedar": self.cedar_files,
            "plugins": [(p.name, p.requirement) for p in self.plugins],
        }
        text = json.dumps(material, sort_keys=True, default=str, separators=(",", ":"))
        return digest(text.encode("utf-8", "surrogatepass"))

    def cedar_validation_key(self) -> bytes | None:
        """The pack cache's key for "these policies validate against this schema", None when caches are off."""
        from govern.incremental import packcache

        build = packcache.cedar_build_cached()
        return packcache.cedar_key(self.cedar_schema, self.cedar_files, build) if build else None


def _sha256(material: Any) -> str:
    text = json.dumps(material, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _parse_rule(entry: Any, where: str, line: int | None) -> RuleSpec:
    if not isinstance(entry, dict):
        raise StandardsError("each rule must be a mapping", path=where, line=line)
    for key in ("id", "standard", "severity", "message"):
        if not isinstance(entry.get(key), str) or not entry.get(key):
            raise StandardsError(f"rule needs a '{key}'", path=where, line=line, field=key)
    engine = entry.get("engine", "yaml")
    if engine not in ("yaml", "python", "builtin"):
        raise StandardsError(f"unknown engine '{engine}'", path=where, line=line, field="engine",
                             expected="yaml, python or builtin (Cedar rules live in .cedar files)")
    try:
        severity = Severity.parse(entry["severity"])
    except ValueError as exc:
        raise StandardsError(str(exc), path=where, line=line, field="severity") from None
    spec = RuleSpec(
        id=entry["id"],
        standard=entry["standard"],
        severity=severity,
        message=entry["message"],
        description=entry.get("description", ""),
        help=entry.get("help", ""),
        engine=engine,
        source=where,
        line=line,
        definition={k: v for k, v in entry.items()},
    )
    if engine == "yaml":
        spec.compiled = compile_rule(entry.get("given"), entry.get("when"), entry.get("then"), f"{where}:{line}")
    return spec


def _load_yaml_rules(rules_dir: Path, root: Path, cache: PackCache | None = None,
                     ) -> tuple[dict[str, RuleSpec], list[PluginRef]]:
    """The rules of ``rules/*.yaml`` by id, and the plugins those files name."""
    specs: dict[str, RuleSpec] = {}
    plugins: list[PluginRef] = []
    load = cache.load_yaml_mapping if cache is not None else load_yaml_mapping
    for path in sorted(rules_dir.glob("*.yaml")):
        display = path.relative_to(root).as_posix()
        try:
            data, smap = load(path, display, "a rules file")
        except InputError as exc:
            raise StandardsError(exc.message, path=exc.path, line=exc.line) from None
        for key in data:
            if key not in RULES_FILE_FIELDS:
                from govern.model.suggest import did_you_mean

                raise StandardsError(f"unknown field '{key}'{did_you_mean(str(key), RULES_FILE_FIELDS)}",
                                     path=display, line=smap.line_of((key,)), field=str(key),
                                     expected=", ".join(RULES_FILE_FIELDS))
        if "plugins" in data:
            from govern.standards.plugins import parse_plugins

            plugins.extend(parse_plugins(data["plugins"], display, smap))
        entries = data.get("rules")
        if not isinstance(entries, list):
            raise StandardsError("a rules file needs a top-level 'rules:' list", path=display, line=1)
        for i, entry in enumerate(entries):
            spec = _parse_rule(entry, display, smap.line_of(("rules", i)))
            if spec.id in specs:
                raise StandardsError(f"rule id '{spec.id}' is defined twice", path=display, line=spec.line)
            specs[spec.id] = spec
    return specs, plugins


def _policies_json(text: str) -> str:
    """cedarpy's JSON form of the policies in ``text`` (ValueError on a syntax error)."""
    import cedarpy

    return cedarpy.policies_to_json_str(text)


def _load_cedar(cedar_dir: Path, root: Path, specs: dict[str, RuleSpec],
                cache: PackCache | None = None) -> tuple[str, dict[str, str]]:
    build = ""
    if cache is not None:
        from govern.incremental.packcache import cedar_build

        build = cedar_build()

    def to_json(text: str) -> str:
        """_policies_json, from the pack cache when this cedarpy parsed this text before."""
        return cache.cedar_json(text, _policies_json, build) if cache is not None and build else _policies_json(text)

    schema_path = cedar_dir / "schema.cedarschema"
    schema = schema_path.read_text(encoding="utf-8") if schema_path.is_file() else ""
    files: dict[str, str] = {}
    for path in sorted(cedar_dir.glob("*.cedar")):
        display = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8")
        files[display] = text
        try:
            parsed = json.loads(to_json(text))
        except ValueError as exc:
            from govern.standards.cedar_syntax import syntax_error_line

            raise StandardsError(f"Cedar syntax error: {exc}", path=display, line=syntax_error_line(text)) from None
        starts = [m.start() for m in re.finditer(r"^\s*(permit|forbid)\s*\(", text, re.M)]
        policies = parsed.get("staticPolicies", {})
        for n, key in enumerate(sorted(policies, key=lambda k: int(k.removeprefix("policy")))):
            policy = policies[key]
            ann = policy.get("annotations", {})
            line = text.count("\n", 0, starts[n]) + 1 if n < len(starts) else None
            pid = ann.get("id")
            if not pid:
                raise StandardsError("every Cedar policy needs an @id annotation", path=display, line=line)
            if pid in specs:
                raise StandardsError(f"rule id '{pid}' is defined twice", path=display, line=line)
            effect = policy.get("effect")
            for needed in ("standard", "severity", "message", "help"):
                if needed not in ann:
                    raise StandardsError(f"{effect} policy '{pid}' needs @{needed}", path=display, line=line)
            try:
                severity = Severity.parse(ann.get("severity", "info"))
            except ValueError as exc:
                raise StandardsError(str(exc), path=display, line=line, field="@severity") from None
            specs[pid] = RuleSpec(
                id=pid,
                standard=ann.get("standard", "auth"),
                severity=severity,
                message=ann.get("message", ""),
                description=ann.get("description", ""),
                help=ann.get("help", ""),
                engine="cedar",
                source=display,
                line=line,
                definition=dict(ann),
                cedar_json=policy,
                cedar_effect=effect,
            )
    return schema, files


def _load_version(path: Path, root: Path, pack: str, specs: dict[str, RuleSpec],
                  cache: PackCache | None = None) -> StandardVersion:
    display = path.relative_to(root).as_posix()
    load = cache.load_yaml_mapping if cache is not None else load_yaml_mapping
    try:
        data, smap = load(path, display, "a standard version")
    except InputError as exc:
        raise StandardsError(exc.message, path=exc.path, line=exc.line) from None
    version = str(data.get("version", ""))
    if not _VERSION.match(version) or path.stem != version:
        raise StandardsError(f"version must be semver and match the file name ({path.stem})",
                             path=display, line=smap.line_of(("version",)), field="version")
    status = data.get("status", "draft")
    if status not in ("draft", "released"):
        raise StandardsError("status must be draft or released", path=display,
                             line=smap.line_of(("status",)), field="status")
    selected: list[SelectedRule] = []
    seen: set[str] = set()
    for i, entry in enumerate(data.get("rules") or []):
        line = smap.line_of(("rules", i))
        if isinstance(entry, str):
            entry = {"id": entry}
        if not isinstance(entry, dict) or "id" not in entry:
            raise StandardsError("each rule entry needs an 'id'", path=display, line=line)
        rid = entry["id"]
        if rid not in specs:
            raise StandardsError(f"standard references unknown rule '{rid}'", path=display, line=line,
                                 field=f"rules[{i}].id")
        if rid in seen:
            raise StandardsError(f"rule '{rid}' is listed twice", path=display, line=line)
        seen.add(rid)
        mode = entry.get("mode", "enforce")
        if mode not in MODES:
            raise StandardsError(f"unknown mode '{mode}'", path=display, line=line, field=f"rules[{i}].mode",
                                 expected=", ".join(MODES))
        effective = entry.get("effective")
        if effective is not None and not isinstance(effective, dt.date):
            raise StandardsError("effective must be a date (YYYY-MM-DD)", path=display, line=line,
                                 field=f"rules[{i}].effective")
        selected.append(SelectedRule(specs[rid], mode, effective))
    return StandardVersion(pack, version, status, data.get("description", ""), display, selected, data)


def load_pack(root: Path | None = None, name: str = "mesh-core", confine: Path | None = None) -> Pack:
    """Load and check a standards pack. Any defect is a StandardsError naming file and line.

    ``confine``: the mesh root of a pack that govern.yaml names; every file of the pack must then lie
    inside it (a symbolic link out of the root is refused, naming the file).
    """
    if confine is not None:
        _check_confined(root or default_pack_root(), name, confine)
    root = (root or default_pack_root()).resolve()
    pack_dir = root / "standards" / name
    if not pack_dir.is_dir():
        from govern.model.suggest import did_you_mean

        found = sorted(p.name for p in (root / "standards").iterdir() if p.is_dir()) \
            if (root / "standards").is_dir() else []
        raise StandardsError(f"standards pack '{name}' not found{did_you_mean(name, found)}", path=str(pack_dir),
                             expected=", ".join(found) or None)
    from govern.incremental import packcache

    cache = packcache.PackCache() if packcache.enabled() else None
    specs, plugins = _load_yaml_rules(root / "rules", root, cache)
    schema, cedar_files = _load_cedar(root / "rules" / "cedar", root, specs, cache)
    _check_python_rules(specs, plugins)
    versions = {}
    for path in sorted(pack_dir.glob("*.yaml")):
        sv = _load_version(path, root, name, specs, cache)
        versions[sv.version] = sv
    lock, detail = _read_lock(pack_dir / "standards.lock")
    pack = Pack(name, root, specs, versions, lock, schema, cedar_files, lock_detail=detail, plugins=plugins)
    if cache is not None:
        if cedar_files:
            key = pack.cedar_validation_key()
            pack.cedar_validated = key if key is not None and cache.known(key) else None
        _remember_digests(pack, cache)
        cache.save()
    return pack


def _remember_digests(pack: Pack, cache: PackCache) -> None:
    """The lock digest of each released version, from the pack cache when it was computed before from the
    very same inputs (``Pack.digest_inputs``), else computed now and added to it. Every run verifies the
    version it uses against the lock (``verify_in_use``); this spares it parsing each Python rule's code."""
    from govern.model import content

    for version, sv in pack.versions.items():
        if sv.status != "released":
            continue
        try:
            key = b"l" + content.digest(pack.digest_inputs(version))
            found = cache.take(key)
            if not isinstance(found, str):
                found = pack.digest(version)
                cache.put(key, found)
        except StandardsError:  # a rule's code cannot be read: said by verify_in_use if the run uses it
            continue
        pack.known_digests[version] = found


def _check_confined(root: Path, name: str, confine: Path) -> None:
    """Raise StandardsError for the first file (or folder) of the pack that resolves outside ``confine``."""
    from govern.load.paths import is_inside

    where = [root, root / "rules", root / "rules" / "cedar", root / "standards", root / "standards" / name]
    files = [*(root / "rules").glob("*.yaml"), *(root / "rules" / "cedar").glob("*.cedar"),
             root / "rules" / "cedar" / "schema.cedarschema", *(root / "standards" / name).glob("*.yaml"),
             root / "standards" / name / "standards.lock"]
    for path in (*where, *sorted(files)):
        if (path.exists() or path.is_symlink()) and not is_inside(path, confine):
            try:
                shown = path.relative_to(confine).as_posix()
            except ValueError:
                shown = str(path)
            raise StandardsError("this file of the standards pack named by govern.yaml leaves the mesh root "
                                 "(a symbolic link out of the repository, or a loop); it is not read", path=shown,
                                 expected="the pack's files inside the mesh repository, or an explicit --pack")


def _read_lock(lock_path: Path) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """(version digests, per-rule detail) of a lock file; both empty without one. A lock written before
    per-rule digests existed has no ``detail``: its versions are still verified, as a whole."""
    if not lock_path.is_file():
        return {}, {}
    try:
        data = json.loads(lock_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise StandardsError("lock file is not valid JSON", path=str(lock_path)) from None
    released = data.get("released", {}) if isinstance(data, dict) else None
    detail = data.get("detail", {}) if isinstance(data, dict) else None
    if not isinstance(released, dict) or not all(isinstance(v, str) for v in released.values()):
        raise StandardsError("lock file needs a 'released' mapping of version to digest", path=str(lock_path),
                             field="released")
    if not isinstance(detail, dict) or not all(
        isinstance(d, dict) and isinstance(d.get("rules", {}), dict) for d in detail.values()
    ):
        raise StandardsError("lock file 'detail' must map each version to its rule digests", path=str(lock_path),
                             field="detail")
    return released, detail


def _check_python_rules(specs: dict[str, RuleSpec], plugins: list[PluginRef]) -> None:
    """Every Python rule has a function: one of govern's own checks, or registered by a plugin the pack
    names (those are loaded here, and only when the pack names one)."""
    python = sorted((s for s in specs.values() if s.engine == "python"), key=lambda s: (s.source, s.line or 0))
    if not python and not plugins:
        return
    from govern.standards.checks import plugin_of, registry

    named = {}
    if plugins:
        from govern.standards.plugins import load_plugins

        named = load_plugins(plugins)
    usable = {rid for rid in registry() if (p := plugin_of(rid)) is None or p in named.values()}
    missing = next((s for s in python if s.id not in usable), None)
    if missing is None:
        return
    from govern.model.suggest import did_you_mean

    if named:
        listed = ", ".join(f"'{p.name}' {p.version}" for p in named.values())
        expected = f"a function registered with @register('{missing.id}') by govern's own checks or by a plugin " \
                   f"the pack names ({listed})"
    else:
        expected = f"a function registered with @register('{missing.id}') by govern's own checks, or by a plugin " \
                   "named in a 'plugins:' list of a rules file"
    hint = _unnamed_plugins_hint(plugins)
    raise StandardsError(f"python rule '{missing.id}' has no registered function{did_you_mean(missing.id, usable)}",
                         path=missing.source, line=missing.line, field="id", expected=expected + hint)


def _unnamed_plugins_hint(plugins: list[PluginRef]) -> str:
    """``; installed plugins the pack does not name: x, y`` (the error path only: it reads the metadata)."""
    from govern.standards.plugins import installed_plugins, normalise

    named = {p.key for p in plugins}
    others = [name for name in installed_plugins() if normalise(name) not in named]
    return f"; installed plugins the pack does not name: {', '.join(others)}" if others else ""


def verify_pack(pack: Pack) -> list[str]:
    """Problems with released versions: missing from the lock, or changed since they were locked."""
    problems = []
    for version, sv in sorted(pack.versions.items(), key=lambda kv: version_key(kv[0])):
        if sv.status != "released":
            continue
        recorded = pack.lock.get(version)
        actual = pack.digest(version)
        if recorded is None:
            problems.append(
                f"{sv.path}: released version {version} is not in the lock file (run 'govern standards lock')"
            )
        elif recorded != actual:
            problems.append(f"{sv.path}: {changed_since_locked(pack, version, recorded, actual)}")
    for version in sorted(set(pack.lock) - set(pack.versions)):
        problems.append(f"{pack.lock_path.name}: released version {version} was deleted")
    return problems


def changed_since_locked(pack: Pack, version: str, recorded: str, actual: str) -> str:
    """What changed in a released version since it was locked, naming the rules when the lock can tell."""
    head = (f"released version {version} changed since it was locked "
            f"(lock {recorded[:12]}, now {actual[:12]}); release a new version instead")
    locked = pack.lock_detail.get(version)
    now = pack.rule_digests(version)
    if not locked:
        ids = ", ".join(sorted(now["rules"]))
        return (f"{head}; the lock has no per-rule digests, so the change cannot be attributed to one of its "
                f"{len(now['rules'])} rules: {ids}")
    was: dict[str, str] = locked.get("rules", {})
    changed = sorted(r for r in now["rules"] if r in was and was[r] != now["rules"][r])
    added = sorted(set(now["rules"]) - set(was))
    removed = sorted(set(was) - set(now["rules"]))
    parts = [f"{what} {', '.join(repr(r) for r in ids)}" for what, ids in
             (("rule changed:" if len(changed) == 1 else "rules changed:", changed),
              ("rule added:" if len(added) == 1 else "rules added:", added),
              ("rule removed:" if len(removed) == 1 else "rules removed:", removed)) if ids]
    if locked.get("version") != now["version"]:
        parts.append("the version file's own fields changed (besides its rule list)")
    return f"{head}: {'; '.join(parts) or 'no rule differs from its lock digest (the lock file was edited)'}"


def verify_in_use(pack: Pack, version: str | None) -> None:
    """Raise StandardsError unless the version a run uses (``None``: the latest released) matches the lock.

    A released version must be in the lock and match its digest; a draft version is not locked. This is
    what makes "checked against mesh-core 1.0.0" mean the rules that were released as 1.0.0.
    """
    sv = pack.version(version)
    if sv.status != "released":
        return
    recorded = pack.lock.get(sv.version)
    if recorded is None:
        raise StandardsError(f"released version {sv.version} is not in the lock file; it cannot be verified",
                             path=sv.path, expected=f"an entry in {pack.lock_path.name} "
                             "(run 'govern standards lock' on the pack)")
    actual = pack.digest(sv.version)
    if recorded != actual:
        raise StandardsError(changed_since_locked(pack, sv.version, recorded, actual), path=sv.path)


def write_lock(pack: Pack) -> dict[str, str]:
    """Record digests for released versions not yet locked; never rewrites an existing entry.

    Per-rule digests are added for every released version that matches its recorded digest (a lock
    written before they existed gains them; a changed version does not).
    """
    lock = dict(pack.lock)
    detail = dict(pack.lock_detail)
    for version, sv in pack.versions.items():
        if sv.status != "released":
            continue
        digest = pack.digest(version)
        lock.setdefault(version, digest)
        if lock[version] == digest and version not in detail:
            detail[version] = pack.rule_digests(version)
    ordered = dict(sorted(lock.items(), key=lambda kv: version_key(kv[0])))
    details = dict(sorted(detail.items(), key=lambda kv: version_key(kv[0])))
    text = json.dumps({"released": ordered, "detail": details}, indent=2, sort_keys=False) + "\n"
    pack.lock_path.write_text(text, encoding="utf-8")
    pack.lock = ordered
    pack.lock_detail = details
    return ordered


def validate_pack(pack: Pack) -> list[str]:
    """Validate every Cedar policy file against the Cedar schema (cedarpy.validate_policies)."""
    import cedarpy

    problems = []
    if not pack.cedar_schema:
        return ["rules/cedar/schema.cedarschema is missing"] if pack.cedar_files else []
    for path, text in pack.cedar_files.items():
        result = cedarpy.validate_policies(text, pack.cedar_schema)
        if not result.validation_passed:
            ann = result.id_annotations_by_policy_id or {}
            for err in result.errors:
                pid = ann.get(err.policy_id, err.policy_id)
                spec = pack.rules.get(pid)
                where = f"{path}:{spec.line}" if spec is not None and spec.line else path
                problems.append(f"{where}: policy '{pid}': {err.error}")
            if not result.errors:
                problems.append(f"{path}: Cedar validation failed")
    return problems


def reads_in_force(standard: StandardVersion) -> frozenset[Reads]:
    """Everything the rules in force (and the evaluation itself) read: what changed-files mode follows."""
    out = set(ENGINE_READS)
    for selected in standard.rules:
        out.update(selected.spec.reads)
    return frozenset(out)


def reference_paths(standard: StandardVersion) -> list[Any]:
    """The paths at which rules in force check product references (``referenceExists`` of a product)."""
    paths = {s.spec.compiled.given.text: s.spec.compiled.given for s in standard.rules
             if s.spec.engine == "yaml" and s.spec.compiled is not None and s.spec.compiled.references_products}
    return [paths[text] for text in sorted(paths)]
