"""Changed-files mode from the mesh index: evaluate a sub-mesh, never the stale record.

``govern check FILE...`` (what pre-commit runs) asks ``prepare``. It compares the index with the disk
(govern/incremental/stamps.py: a stat of every recorded file and folder, as git compares its index);
every manifest and SQL file that differs, and every file named on the command line whatever its stat,
is read again, and its facts replace the recorded ones (govern/incremental/facts.py). The products to
report follow from the named files and what the rules in force read (govern/incremental/closure.py);
the products to load follow from those. The sub-mesh gets the mesh's directory (every id, the dialects,
the teams' domains), so that mesh-wide questions get the whole mesh's answers.

Whatever the index holds, the findings of a reported product are those of a whole-mesh run: a cache hit
makes the run faster, never different. The index declines (and the whole mesh is loaded) when it cannot
vouch for that: govern.yaml changed, a folder discovery would search appeared, a possible input of another
format changed, a product's SQL is a dbt template, a new dialect, or a rule in force reads the whole mesh.
The console script compares the disk in a forked child while it imports (``start_early``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govern.incremental.closure import Change, affected, needed
from govern.incremental.facts import ProductFacts, Ref, mesh_facts
from govern.incremental.index import (
    LAST,
    Index,
    IndexedFacts,
    Scans,
    debug,
    decline,
    decode_ref,
    enabled,
    index_path,
    load_index,
)
from govern.incremental.stamps import DiskChanges, compare, same_content
from govern.load.paths import is_under, marker_root
from govern.model.findings import Finding
from govern.model.mesh import Directory, Mesh
from govern.model.scope import Reads


@dataclass
class SubMesh:
    """A changed-files run the index prepared: the sub-mesh, what to report, and its SQL analysis."""

    mesh: Mesh
    focus: set[str]
    changed: list[str]
    analysis: Any
    reasons: dict[Ref, str]


def prepare(mesh_files: Mesh, named: Iterable[str], folders: Iterable[str], reads: frozenset[Reads],
            ref_paths: list[Any]) -> SubMesh | None:
    """The sub-mesh for the mesh-relative files ``named`` (and every product under ``folders``), given the
    mesh files already read (``load_mesh_files``), what the rules in force read and the paths they check
    product references at; None when the whole mesh must be loaded instead."""
    from govern.incremental.sealed import Corrupt
    from govern.load.paths import forget_roots

    forget_roots()  # folders are resolved afresh by every run (govern/load/paths.py)
    LAST["reason"] = None
    root = mesh_files.root.resolve()
    index = load_index(root)
    if index is None:
        return decline("no usable index")
    try:
        return _prepare(index, mesh_files, sorted(set(named)), sorted(set(folders)), reads, ref_paths)
    except Corrupt:
        return decline("no usable index")
    finally:
        index.body.close()


def _prepare(index: Index, mesh_files: Mesh, named: list[str], folders: list[str], reads: frozenset[Reads],
             ref_paths: list[Any]) -> SubMesh | None:
    from govern.analysis.prefetch import Recorded
    from govern.load.manifest import MANIFEST_NAMES, load_manifest_file
    from govern.model.errors import InputError

    root = mesh_files.root.resolve()
    if Reads.MESH in reads:
        return decline("a rule in force reads the whole mesh")
    if sorted(p.text for p in ref_paths) != index.ref_paths:
        return decline("the standards check product references at other fields")
    if any(name in ("govern.yaml", "org.yaml", "waivers.yaml") for name in named):
        return decline("a mesh file changed: every product is affected")
    disk = _compared(str(root), index)
    if isinstance(disk, str):
        return decline(disk)
    why = _named_afresh(root, index, named, disk)
    if why:
        return decline(why)
    manifests = sorted({*disk.manifests, *(p for p in disk.added if p.rsplit("/", 1)[-1] in MANIFEST_NAMES)})
    sqls = sorted({*disk.sqls, *(p for p in disk.added if p.endswith(".sql"))})
    base = IndexedFacts(index)
    # every product whose facts may differ: at a changed manifest, or built by a changed SQL file
    fresh_paths = set(manifests)
    for path in sqls:
        fresh_paths.update(ref[0] for ref in base.built_by(path))
    products: dict[str, list[Any]] = {}
    findings: dict[str, list[Finding]] = {}
    for path in sorted(fresh_paths):
        full = root / path
        if not os.path.lexists(full):
            products[path], findings[path] = [], []  # deleted
            continue
        try:
            product, problems = load_manifest_file(full, root)
        except InputError:
            return decline(f"{path} cannot be read")
        products[path] = [product] if product is not None else []
        findings[path] = problems
    fresh = _fresh_facts(index, mesh_files, products, ref_paths)
    if isinstance(fresh, str):
        return decline(fresh)
    now = IndexedFacts(index, fresh)
    changes = [Change(path, after=fresh[path], ids=sorted({f.product for f in findings.get(path, ()) if f.product}))
               for path in named if path in fresh]
    report = affected(now, None, changes, reads, [p for p in named if p.endswith(".sql")])
    if folders:
        for path in index.lookups["path"].all_keys():
            if is_under(path, folders):
                for ref in now.at_path(path):
                    report.setdefault(ref, "under a given directory")
        for path in fresh:
            if is_under(path, folders):
                for ref in now.at_path(path):
                    report.setdefault(ref, "under a given directory")
    for ref in list(report):  # every manifest of a reported id is reported (duplicates), as in a whole run
        for same in now.with_id(ref[1]):
            report.setdefault(same, f"has the id of {ref[0]}")
    closure = needed(now, report, reads)
    mesh = Mesh(root=root, config=mesh_files.config, org=mesh_files.org, org_source=mesh_files.org_source,
                waivers=mesh_files.waivers, waivers_path=mesh_files.waivers_path,
                findings=list(mesh_files.findings))
    loaded = _load(root, index, closure.load, products)
    if loaded is None:
        return None
    mesh.products = loaded
    mesh.index()
    mesh.findings.extend(_load_findings(index, mesh, named, findings, {ref[1] for ref in report}))
    mesh.directory = _directory(index, now, fresh, mesh_files)
    analysis = None
    if closure.analyse:
        from govern.analysis import analyse

        analysis = analyse(mesh, products=sorted({ref[1] for ref in closure.analyse}),
                           prefetch=Recorded(Scans(index)), known_dialects=index.known_dialects,
                           location_keys=_location_keys(index, mesh))
    LAST.update(reason=None, products=len(mesh.products), analysed=len(closure.analyse))
    debug(f"answered: {len(mesh.products)} products loaded, {len(closure.analyse)} with SQL analysed, "
          f"{len(report)} reported")
    return SubMesh(mesh, {ref[1] for ref in report}, named, analysis, report)


def _fresh_facts(index: Index, mesh_files: Mesh, products: dict[str, list[Any]],
                 ref_paths: list[Any]) -> dict[str, list[ProductFacts]] | str:
    """The facts of the products at changed paths, from what their files say now (their SQL analysed with
    the scans the index holds where the text is the same); a reason when the index cannot answer."""
    from govern.analysis import needs_analysis
    from govern.analysis.dbt import is_template
    from govern.analysis.prefetch import Recorded

    loaded = [p for ps in products.values() for p in ps]
    for product in loaded:
        if product.sql or product.origin != "native":
            return f"{product.path} is an input of another format"
        dialect = (product.model.execution.dialect if product.model.execution else None) or mesh_files.config.dialect
        if dialect not in index.dialects:
            return f"{product.path} reads SQL in a dialect no other product uses ({dialect})"
    root = mesh_files.root
    for product in loaded:
        for code in product.model.execution.code if product.model.execution else ():
            path = (root / product.path).parent / code
            try:
                if path.is_file() and is_template(path.read_bytes().decode("utf-8-sig")):
                    return f"{product.path} names a dbt template ({code})"
            except (OSError, UnicodeDecodeError):
                continue  # the analysis reports it
    mini = Mesh(root=root, config=mesh_files.config, products=list(loaded))
    mini.index()
    mini.directory = Directory(frozenset(), frozenset(index.dialects), {}, frozenset())
    analysis = None
    if needs_analysis(mini):
        from govern.analysis import analyse

        analysis = analyse(mini, prefetch=Recorded(Scans(index)), known_dialects=index.known_dialects,
                           location_keys=_location_keys(index, mini))
    facts = {f.ref: f for f in mesh_facts(mini, analysis, ref_paths, index.keys_of_locations())}
    return {path: [facts[(p.path, p.id)] for p in ps] for path, ps in products.items()}


def _location_keys(index: Index, mesh: Mesh) -> dict:
    """The normalised table keys of the loaded products' locations the index knows (sqlglot not imported)."""
    wanted = {(p.location or "").strip() for product in mesh.products for p in product.model.outputPorts}
    out = {}
    for dialect, keys in index.keys_of_locations().items():
        out[dialect] = {loc: (tuple(keys[loc]) if keys[loc] is not None else None) for loc in wanted if loc in keys}
    return out


def _load(root: Path, index: Index, refs: set[Ref], products: dict[str, list[Any]]) -> list[Any] | None:
    """The products of ``refs``: read afresh where their file changed, else from their manifest now."""
    from govern.load.manifest import load_manifest_file

    out = []
    for path in sorted({ref[0] for ref in refs}):
        if path in products:
            out.extend(p for p in products[path] if (path, p.id) in refs)
            continue
        product, _ = load_manifest_file(root / path, root)
        if product is None or (path, product.id) not in refs:
            return decline(f"{path} changed while it was read")
        out.append(product)
    return out


def _load_findings(index: Index, mesh: Mesh, named: list[str], fresh: dict[str, list[Finding]],
                   focus: set[str]) -> list[Finding]:
    """The load findings a whole run would report for the focus: of the loaded products' files, of the
    named files, of files whose findings name a focus product, and of no file (links out of the root)."""
    from govern.model.findings import finding_from_row

    out = [finding_from_row(row) for row in index.head_findings]
    paths = {p.path for p in mesh.products} | set(named) | set(fresh)
    for pid in focus:
        paths.update(index.lookups["findings"].get(pid))
    for path in sorted(paths):
        out.extend(fresh[path] if path in fresh else index.findings_of(path))
    return out


def _directory(index: Index, now: IndexedFacts, fresh: dict[str, list[ProductFacts]], mesh_files: Mesh) -> Directory:
    """The whole mesh's answers to mesh-wide questions, now."""
    before = [f for path in fresh for ref in index.lookups["path"].get(path)
              if (f := index.facts(decode_ref(ref))) is not None]
    after = [f for facts in fresh.values() for f in facts]
    teams = {t: set(d) for t, d in index.team_domains.items()}
    for team in sorted({f.team for f in (*before, *after) if f.team}):
        domains = {f.domain for ref in now.of_team(team) if (f := now.get(ref)) is not None and f.domain}
        if domains:
            teams[team] = domains
        else:
            teams.pop(team, None)
    default = mesh_files.config.dialect
    dialects = {default} | {d for d in index.dialects if d == default or now.with_dialect(d)}
    dialects.update(f.dialect for f in after)
    domains = set(index.domains) | {f.domain for f in after if f.domain}
    return Directory(now.ids(), frozenset(dialects), {t: frozenset(d) for t, d in teams.items()},
                     frozenset(domains))


def _named_afresh(root: Path, index: Index, named: list[str], disk: DiskChanges) -> str | None:
    """Files named on the command line (what pre-commit passes: the changed files) are never trusted by
    their stat: manifests and SQL files are read again, inputs of other formats compared by content."""
    recorded = index.on_disk()
    for rel, stamp in recorded.others.items():
        if rel in named and (stamp is None or not same_content(str(root / rel), stamp)):
            return f"{rel} (a possible input of another format) changed"
    for table, out in ((recorded.manifests, disk.manifests), (recorded.sqls, disk.sqls)):
        known = set(table.paths)
        out.extend(rel for rel in named if rel in known and rel not in out)
    return None


# --- comparing the disk early, in a child process -----------------------------------------------------

_EARLY: dict[str, tuple[int, int]] = {}  # mesh root -> (child pid, read end of its pipe)


def start_early(argv: list[str]) -> None:
    """For ``govern check FILE...`` in a fresh process: compare the index with the disk in a forked child.

    The ``stat`` of every file and folder of the mesh is the largest fixed cost of changed-files mode
    (about 85 ms at 10,000 products). Started before click, pydantic and cedarpy are imported, it runs on
    the other core while this process imports them. ``prepare`` takes the child's answer only for the same
    root and the same index (its MAC); anything else, and it compares itself.
    Called by the console script alone (``govern.cli.entry``): never in a process that runs threads.
    """
    if not argv or argv[0] != "check" or not hasattr(os, "fork") or not enabled():
        return
    if any(a == "--base" or a.startswith("--base=") for a in argv):
        return
    try:
        if len(os.sched_getaffinity(0)) < 2:
            return  # one core: the child would only compete with the imports
    except (AttributeError, OSError):
        return
    files = [a for a in argv[1:] if not a.startswith("-") and os.path.isfile(a)]
    root = marker_root(files[0]) if files else None
    if root is None or root in _EARLY or not os.path.isfile(index_path(Path(root))):
        return
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return
    if pid == 0:  # the child: answer through the pipe, then leave without running any exit handler
        try:
            os.close(read_end)
            answer = _early_answer(root)
            with os.fdopen(write_end, "wb") as fh:
                import json

                fh.write(json.dumps(answer).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    _EARLY[root] = (pid, read_end)


def _early_answer(root: str) -> tuple:
    """(index MAC, the changes) or (index MAC, why the index cannot answer)."""
    index = load_index(Path(root))
    if index is None:
        return ("", "no usable index")
    try:
        disk = compare(root, index.on_disk(), index.started_ns)
    except Exception:  # a damaged entry, a folder that cannot be read: the parent compares again
        return ("", "no usable index")
    finally:
        index.body.close()
    return (index.body.mac.hex(), disk if isinstance(disk, str) else disk.to_data())


def _compared(root: str, index: Index) -> DiskChanges | str:
    """``compare``, or the answer of the child ``start_early`` forked for this root and this index."""
    early = _EARLY.pop(root, None)
    if early is not None:
        import json

        pid, read_end = early
        try:
            with os.fdopen(read_end, "rb") as fh:
                blob = fh.read()
            os.waitpid(pid, 0)
            mac, answer = json.loads(blob)
        except (OSError, ValueError, EOFError, TypeError):
            mac = None
        if mac and mac == index.body.mac.hex():
            debug("the disk was compared by the early child")
            return answer if isinstance(answer, str) else DiskChanges.from_data(answer)
    return compare(root, index.on_disk(), index.started_ns)
