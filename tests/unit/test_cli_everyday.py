"""Everyday use through the real CLI (issue 17): rules, explain, did-you-mean, locations, plurals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml
from meshkit import BASE_ORG, MeshDir

from govern.standards.pack import default_pack_root, load_pack
from govern.standards.rulecases import load_cases

GOVERN = Path(sys.executable).parent / "govern"
TODAY = "2026-06-01"


def govern(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(GOVERN), *args], capture_output=True, text=True, cwd=cwd)


def clean_mesh(root: Path) -> MeshDir:
    mesh = MeshDir(root)
    mesh.org(BASE_ORG)
    mesh.product("sales.orders")
    return mesh


# ---------------------------------------------------------------- govern rules / explain

def test_rules_lists_every_rule_in_force(tmp_path: Path) -> None:
    proc = govern("rules", cwd=clean_mesh(tmp_path).root)
    assert proc.returncode == 0, proc.stderr
    version = load_pack().latest_released()
    lines = proc.stdout.splitlines()
    assert lines[0] == f"mesh-core {version.version} (released): {len(version.rules)} rules"
    assert [line.split()[0] for line in lines[1:]] == version.rule_ids()
    assert "auth.prod-deploy-team" in proc.stdout and "enforce from 2026-01-01 cedar" in " ".join(proc.stdout.split())


def test_rules_filters_by_standard_in_json(tmp_path: Path) -> None:
    proc = govern("rules", str(clean_mesh(tmp_path).root), "--standard", "owner", "-f", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert [r["id"] for r in data["rules"]] == ["owner.required", "owner.person-email", "owner.group-exists",
                                                "owner.observed-mismatch"]
    assert data["rules"][0] == {"id": "owner.required", "standard": "owner", "severity": "error",
                                "mode": "enforce", "effective": None, "engine": "yaml", "plugin": None,
                                "reads": ["product"]}
    assert data["rules"][-1]["reads"] == ["product", "runtime"]  # owner.observed-mismatch: OpenLineage facets


def test_rules_unknown_standard_is_exit_2_with_did_you_mean(tmp_path: Path) -> None:
    proc = govern("rules", str(clean_mesh(tmp_path).root), "--standard", "ownr")
    assert proc.returncode == 2
    assert "unknown standard 'ownr' (did you mean 'owner'?)" in proc.stderr


def test_rules_follow_the_version_pinned_in_govern_yaml(tmp_path: Path) -> None:
    mesh = clean_mesh(tmp_path)
    mesh.write("govern.yaml", "standards:\n  pack: mesh-core\n  version: 9.9.9\n")
    proc = govern("rules", cwd=mesh.root)
    assert proc.returncode == 2
    assert "9.9.9" in proc.stderr


def test_explain_prints_the_rule_and_its_tested_examples(tmp_path: Path) -> None:
    proc = govern("explain", "owner.person-email", "--path", str(clean_mesh(tmp_path).root))
    assert proc.returncode == 0, proc.stderr
    spec = load_pack().rules["owner.person-email"]
    case = load_cases(default_pack_root())["owner.person-email"]
    out = proc.stdout
    assert out.splitlines()[0] == "owner.person-email  [owner, error, enforce in mesh-core 1.0.0, engine yaml]"
    assert f"what:  {spec.description}" in out and f"fix:   {spec.help}" in out
    assert "why:   Standard: owner." in out
    passes, fails = out.split("    passes:\n")[1].split("    fails:\n")
    assert yaml.safe_load(passes) == case.passing and yaml.safe_load(fails) == case.failing


def test_explain_unknown_rule_is_exit_2_with_did_you_mean(tmp_path: Path) -> None:
    proc = govern("explain", "owner.person-emial", "--path", str(clean_mesh(tmp_path).root))
    assert proc.returncode == 2
    assert "unknown rule 'owner.person-emial' (did you mean 'owner.person-email'?)" in proc.stderr
    assert proc.stdout == ""


# ---------------------------------------------------------------- did you mean

def _typo_mesh(root: Path) -> MeshDir:
    mesh = clean_mesh(root)
    mesh.product("crm.customers")
    mesh.product("finance.revenue", {"descripton": "Revenue", "zzqqxx": 1, "inputs": [{"product": "crm.customer"}],
                                     "owner": {"group": "finance-analytic"}, "access": {"readers": ["crm-cor"]}})
    mesh.write("waivers.yaml", "waivers:\n  - rule: owner.person-emai\n    product: sales.orders\n"
                               "    reason: migrating\n    approved_by: gov@example.com\n    expires: 2026-07-01\n")
    return mesh


def _line(out: str, fragment: str) -> str:
    found = [line.strip() for line in out.splitlines() if fragment in line]
    assert len(found) == 1, (fragment, out)
    return found[0]


def test_unknown_names_in_a_mesh_get_the_closest_known_name(tmp_path: Path) -> None:
    proc = govern("check", str(_typo_mesh(tmp_path).root), "--today", TODAY)
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout
    assert _line(out, "'descripton'").endswith(
        "warning [manifest.unknown-field] unknown field 'descripton' is not part of the model "
        "(did you mean 'description'?)")
    assert _line(out, "'zzqqxx'").endswith("unknown field 'zzqqxx' is not part of the model")  # nothing close
    assert _line(out, "[lineage.input-exists]").endswith(
        "input 'crm.customer' is not a product of the mesh (did you mean 'crm.customers'?)")
    assert _line(out, "[owner.group-exists]").endswith(
        "owner.group 'finance-analytic' is not a team in org.yaml (did you mean 'finance-analytics'?)")
    assert _line(out, "[auth.reader-exists]").endswith("'crm-cor' is not a team in org.yaml (did you mean 'crm-core'?)")
    assert _line(out, "[waiver.invalid]").endswith(
        "unknown rule 'owner.person-emai' (did you mean 'owner.person-email'?)")


def test_an_unknown_govern_yaml_key_stops_the_run(tmp_path: Path) -> None:
    mesh = clean_mesh(tmp_path)
    mesh.write("govern.yaml", "standard:\n  pack: mesh-core\n  version: 1.0.0\n")
    for command in ("check", "gate"):
        proc = govern(command, str(mesh.root), "--today", TODAY)
        assert proc.returncode == 2, (command, proc.stdout, proc.stderr)
        assert proc.stderr.strip() == ("govern: govern.yaml:1: unknown field 'standard' is not part of the model "
                                       "(did you mean 'standards'?); govern.yaml accepts no unknown keys")
    # changed-files mode after a whole-mesh run left a mesh index: the new govern.yaml is read, not the index
    mesh.write("govern.yaml", "standards:\n  pack: mesh-core\n  version: 1.0.0\n")
    assert govern("check", str(mesh.root), "--today", TODAY).returncode == 0
    assert govern("check", str(mesh.root / "sales/orders/dataproduct.yaml"), "--today", TODAY).returncode == 0
    mesh.write("govern.yaml", "standards:\n  pack: mesh-core\n  verison: 1.0.0\n")
    proc = govern("check", str(mesh.root / "sales/orders/dataproduct.yaml"), "--today", TODAY)
    assert proc.returncode == 2
    assert "govern.yaml:3: unknown field 'standards.verison'" in proc.stderr and "(did you mean 'version'?)" in proc.stderr


def test_unknown_cli_values_get_the_closest_value(tmp_path: Path) -> None:
    root = str(clean_mesh(tmp_path).root)
    cases = {
        ("chek", root): "No such command 'chek' (did you mean 'check'?).",
        ("check", root, "-f", "jsn"): "unknown format 'jsn' (did you mean 'json'?)",
        ("check", root, "--fail-on", "warnin"): "'warnin' is not one of error, never, warning (did you mean 'warning'?)",
        ("check", root, "--input-format", "dbd"): "(did you mean 'dbt'?)",
        ("lineage", root, "-f", "mermiad"): "(did you mean 'mermaid'?)",
        ("lineage", root, "--product", "sales.order"): "no product 'sales.order' in the mesh (did you mean 'sales.orders'?)",
        ("impact", root, "sales.ordrs"): "no product 'sales.ordrs' in the mesh (did you mean 'sales.orders'?)",
        ("scorecard", root, "--product", "sales.ordes"): "(did you mean 'sales.orders'?)",
        ("scorecard", root, "--domain", "sale"): "no domain 'sale' in the mesh (did you mean 'sales'?)",
    }
    for args, message in cases.items():
        proc = govern(*args)
        assert proc.returncode == 2, args
        assert message in proc.stderr, (args, proc.stderr)


def test_every_name_given_on_the_command_line_gets_the_closest_known_name(tmp_path: Path) -> None:
    mesh = clean_mesh(tmp_path)
    root = str(mesh.root)
    assert govern("check", root, "--record", "--today", TODAY).returncode == 0  # a run for govern history
    cases = {
        ("check", root, "--standards-version", "1.0"):
            "standards version '1.0' not found in pack 'mesh-core' (did you mean '1.0.0'?) (expected 1.0.0, 1.1.0)",
        ("gate", root, "--standards-version", "1.1"): "(did you mean '1.1.0'?)",
        ("rules", root, "--standards-version", "1.0.1"): "(did you mean '1.0.0'?)",
        ("standards", "show", "1.1"): "(did you mean '1.1.0'?)",
        ("standards", "list", "--name", "mesh-cor"): "standards pack 'mesh-cor' not found (did you mean 'mesh-core'?)",
        ("standards", "lst"): "No such command 'lst' (did you mean 'list'?).",
        ("baseline", "creat"): "No such command 'creat' (did you mean 'create'?).",
        ("history", root, "--domain", "sale"):
            "no domain 'sale' in the recorded runs (did you mean 'sales'?) (expected sales)",
        ("schema", "--for", "waiver"): "'waiver' is not one of manifest, config, org, waivers (did you mean 'waivers'?)",
        ("check", f"{root}/sale"): f"path does not exist (did you mean '{root}/sales'?)",
        ("gate", f"{root}/sales/orders/dataproduct.yml"):
            f"path does not exist (did you mean '{root}/sales/orders/dataproduct.yaml'?)",
        ("lineage", f"{root}/sale"): f"path does not exist (did you mean '{root}/sales'?)",
    }
    for args, message in cases.items():
        proc = govern(*args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert message in proc.stderr, (args, proc.stderr)
    assert govern("history", root, "--domain", "sales").returncode == 0
    # a waiver naming a product that is not there says which one is
    mesh.write("waivers.yaml", "waivers:\n  - rule: owner.person-email\n    product: sales.order\n"
                               "    reason: migrating\n    approved_by: gov@example.com\n    expires: 2026-07-01\n")
    out = govern("check", root, "--today", TODAY).stdout
    assert "unknown product 'sales.order' (did you mean 'sales.orders'?)" in out
    # and a pack or version govern.yaml names
    mesh.write("govern.yaml", 'standards:\n  pack: mesh-core\n  version: "1.1"\n')
    assert "govern.yaml:3: field 'standards.version': standards version '1.1' not found in pack 'mesh-core' " \
           "(did you mean '1.1.0'?)" in govern("check", root, "--today", TODAY).stderr
    mesh.write("govern.yaml", "standards:\n  pack: mesh-cor\n")
    assert "standards pack 'mesh-cor' not found (did you mean 'mesh-core'?)" in govern("gate", root).stderr


# ---------------------------------------------------------------- path:line:column

def test_text_output_gives_the_column_when_it_is_known(tmp_path: Path) -> None:
    mesh = clean_mesh(tmp_path)
    mesh.product("finance.revenue", {"namespace": "qa"})
    mesh.write("crm/customers/dataproduct.yaml", "kind: DataProduct\nid: crm.customers\nowner: {group: [\n")
    proc = govern("check", str(mesh.root), "--today", TODAY)
    assert proc.returncode == 1, proc.stderr
    syntax = _line(proc.stdout, "YAML syntax error")
    assert syntax.startswith("crm/customers/dataproduct.yaml:4:1: error   [manifest.invalid] YAML syntax error")
    # the same position as the JSON output's location, which every format shares
    data = json.loads(govern("check", str(mesh.root), "--today", TODAY, "-f", "json").stdout)
    location = next(f["location"] for f in data["findings"] if f["rule"] == "manifest.invalid")
    assert (location["line"], location["column"]) == (4, 1)
    # without a column: path:line, as before
    assert _line(proc.stdout, "[namespace.enum]").startswith("finance/revenue/dataproduct.yaml:7: error   [namespace.enum]")


# ---------------------------------------------------------------- small things

def test_counts_are_in_the_right_number(tmp_path: Path) -> None:
    mesh = clean_mesh(tmp_path)
    one = govern("gate", str(mesh.root), "--today", TODAY)
    assert one.returncode == 0
    assert "1 product checked against mesh-core 1.0.0: 0 errors, 0 warnings, 0 info, 0 waived; 1 product passes" \
        in one.stdout
    mesh.product("sales.orders", {"namespace": "qa", "owner": {"person": "not an e-mail"}, "descripton": "x"})
    blocked = govern("gate", str(mesh.root), "--today", TODAY)
    assert blocked.returncode == 1
    assert "1 product checked against mesh-core 1.0.0: 2 errors, 1 warning, 0 info, 0 waived; 0 products pass" \
        in blocked.stdout
    assert "gate: BLOCKED (1 product)\n  sales.orders: 2 blocking findings\n" in blocked.stdout
    mesh.product("sales.orders", {"namespace": "qa"})
    assert "  sales.orders: 1 blocking finding\n" in govern("gate", str(mesh.root), "--today", TODAY).stdout


def test_impact_lineage_and_scorecard_default_to_the_current_directory(tmp_path: Path) -> None:
    mesh = clean_mesh(tmp_path)
    mesh.product("finance.revenue", {"inputs": [{"product": "sales.orders"}]})
    impact = govern("impact", "sales.orders", cwd=mesh.root)
    assert impact.returncode == 0, impact.stderr
    assert impact.stdout.startswith("Impact of sales.orders (prod, active): 1 product depends on it\n")
    assert govern("impact", ".", "sales.orders", cwd=mesh.root).stdout == impact.stdout
    assert govern("impact", str(mesh.root), "sales.orders").stdout == impact.stdout
    lineage = govern("lineage", cwd=mesh.root)
    assert lineage.returncode == 0, lineage.stderr
    assert "2 products, 1 lineage link (1 declared, 0 seen in SQL, 0 undeclared); cycles: none" in lineage.stdout
    scorecard = govern("scorecard", "--today", TODAY, cwd=mesh.root)
    assert scorecard.returncode == 0, scorecard.stderr
    assert scorecard.stdout.startswith("mesh: 2 products in 2 domains")
    usage = govern("impact", cwd=mesh.root)
    assert usage.returncode == 2 and "expected [PATH] ID" in usage.stderr
    for command in ("impact", "lineage", "scorecard", "check"):
        assert "(default: the current directory)" in " ".join(govern(command, "--help").stdout.split()), command


def test_the_hook_pattern_has_one_source_and_covers_every_input_format(tmp_path: Path) -> None:
    import re

    from govern.adopt.scaffold import HOOK_FILES

    repo = Path(__file__).resolve().parents[2]
    published = yaml.safe_load((repo / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert next(h for h in published if h["id"] == "govern-check")["files"] == HOOK_FILES
    assert govern("init", str(tmp_path / "gov")).returncode == 0
    written = yaml.safe_load((tmp_path / "gov" / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert written["repos"][0]["hooks"][0]["files"] == HOOK_FILES
    assert f"files: {HOOK_FILES}\n" in (repo / "docs" / "readme-ci.md").read_text(encoding="utf-8")
    pattern = re.compile(HOOK_FILES)
    inputs = ["sales/orders/dataproduct.yaml", "dataproduct.yml", "org.yaml", "waivers.yaml", "govern.yaml",
              "sales/orders/orders.sql", "contracts/ledger.odcs.yaml", "contracts/ledger.odcs.yml",
              "products/revenue.odps.yaml", "products/revenue.odps.json", "lineage/events.ndjson",
              "lineage/events.jsonl", "dbt/target/manifest.json"]
    assert [name for name in inputs if not pattern.search(name)] == []
    others = ["README.md", "sales/orders/notes.yaml", "org.yaml.bak", ".github/workflows/govern.yml", "package.json"]
    assert [name for name in others if pattern.search(name)] == []


def test_shell_completion_completes_commands_and_values() -> None:

    def complete(words: str, cword: int) -> list[str]:
        env = {**os.environ, "COMP_WORDS": words, "COMP_CWORD": str(cword), "_GOVERN_COMPLETE": "bash_complete"}
        proc = subprocess.run([str(GOVERN)], capture_output=True, text=True, env=env)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.split()

    assert complete("govern ex", 1) == ["plain,explain"]
    assert complete("govern check --fail-on w", 3) == ["plain,warning"]
    script = subprocess.run([str(GOVERN)], capture_output=True, text=True,
                            env={**os.environ, "_GOVERN_COMPLETE": "bash_source"}).stdout
    assert "_govern_completion()" in script
    doc = (Path(__file__).resolve().parents[2] / "docs" / "readme-ci.md").read_text(encoding="utf-8")
    assert "_GOVERN_COMPLETE=bash_source govern" in doc
    help_text = " ".join(govern("--help").stdout.split())
    assert 'eval "$(_GOVERN_COMPLETE=bash_source govern)"' in help_text
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert 'eval "$(_GOVERN_COMPLETE=bash_source govern)"' in readme


# ---------------------------------------------------------------- govern init that a team can commit

def test_check_passes_right_after_init_on_an_empty_folder_and_git_ignores_what_govern_writes(tmp_path: Path) -> None:
    repo = tmp_path / "governance"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    init = govern("init", cwd=repo)
    assert init.returncode == 0, init.stderr
    assert "wrote platform/example/dataproduct.yaml" in init.stdout and "wrote .gitignore" in init.stdout
    for path in repo.rglob("*"):  # files younger than a second are not indexed (govern/incremental/meshindex.py)
        if ".git" not in path.parts:
            os.utime(path, (time.time() - 60, time.time() - 60))
    check = govern("check", "--record", cwd=repo)  # writes the mesh index and the history
    assert check.returncode == 0, check.stdout + check.stderr
    assert "1 product checked" in check.stdout and "1 product passes" in check.stdout
    assert govern("gate", cwd=repo).returncode == 0
    assert (repo / ".govern-cache").is_dir() and (repo / ".govern" / "history.sqlite").is_file()
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=repo, capture_output=True,
                            text=True, check=True).stdout
    untracked = sorted(line[3:] for line in status.splitlines())
    assert not [p for p in untracked if p.startswith((".govern-cache", ".govern/"))], untracked
    assert ".gitignore" in untracked and "platform/example/dataproduct.yaml" in untracked


def test_init_adds_its_lines_to_an_existing_gitignore_once(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("node_modules/\n.govern/", encoding="utf-8")
    first = govern("init", str(tmp_path), "--no-example")
    assert "added govern's cache and history to .gitignore" in first.stdout
    text = (tmp_path / ".gitignore").read_text(encoding="utf-8")
    assert text.startswith("node_modules/\n.govern/\n") and text.splitlines().count(".govern-cache/") == 1
    again = govern("init", str(tmp_path), "--no-example")
    assert "kept  .gitignore" in again.stdout
    assert (tmp_path / ".gitignore").read_text(encoding="utf-8") == text


def test_ci_and_pre_commit_install_the_version_the_readme_names(tmp_path: Path) -> None:
    from govern.adopt.scaffold import install_line
    from govern.version import DISTRIBUTION, __version__

    line = f'pip install "{DISTRIBUTION}=={__version__}"'
    assert install_line() == line
    assert govern("init", str(tmp_path)).returncode == 0
    workflow = yaml.safe_load((tmp_path / ".github/workflows/govern.yml").read_text(encoding="utf-8"))
    assert {"run": line} in workflow["jobs"]["gate"]["steps"]
    precommit = (tmp_path / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    assert f"#   {line} pre-commit && pre-commit install\n" in precommit
    repo = Path(__file__).resolve().parents[2]
    doc = (repo / "docs" / "readme-everyday.md").read_text(encoding="utf-8")
    assert f"`{line.replace(__version__, '<version>')}`" in doc


# ---------------------------------------------------------------- small things, continued

def test_a_mesh_in_a_sub_folder_is_never_read_with_the_settings_above_it_unnoticed(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    mesh = MeshDir(tmp_path / "mesh")
    mesh.org(BASE_ORG)
    mesh.write("govern.yaml", "standards:\n  pack: mesh-core\n  version: 1.1.0\n")
    mesh.product("sales.orders")
    mesh.product("finance.revenue", {"inputs": [{"product": "sales.orders"}]})
    warning = "govern: warning: mesh/govern.yaml is below the mesh root and was not used; if the mesh is in mesh/, "
    hints = {
        ("rules",): "run 'govern rules mesh'",
        ("explain", "owner.required"): "run 'govern explain owner.required --path mesh'",
        ("lineage",): "run govern lineage there, or pass --root mesh",
        ("impact", "sales.orders"): "run govern impact there, or pass --root mesh",
        ("scorecard", "--today", TODAY): "run govern scorecard there, or pass --root mesh",
        ("history",): "run 'govern history mesh'",
    }
    for args, hint in hints.items():
        proc = govern(*args, cwd=tmp_path)
        assert proc.returncode == 0, (args, proc.stderr)
        assert proc.stderr.splitlines() == [warning + hint], (args, proc.stderr)
    # check and gate report it as a finding (input.nested-root), and block
    check = govern("check", "--today", TODAY, cwd=tmp_path)
    assert check.returncode == 1 and "mesh/govern.yaml: error   [input.nested-root]" in check.stdout
    # from the mesh itself, or pointed at it, nothing to warn about: 1.1.0 is in force
    inside = govern("rules", cwd=mesh.root)
    assert inside.stderr == "" and inside.stdout.startswith("mesh-core 1.1.0 (draft)")
    assert govern("rules", "mesh", cwd=tmp_path).stdout == inside.stdout
    assert govern("lineage", "--root", "mesh", cwd=tmp_path).stderr == ""


def test_the_fix_of_an_odps_product_is_written_in_odps_terms() -> None:
    repo = Path(__file__).resolve().parents[2]
    proc = govern("check", str(repo / "tests/fixtures/bitol_mesh"), "--today", TODAY, "-f", "json")
    findings = {(f["product"], f["rule"]): f for f in json.loads(proc.stdout)["findings"]}
    where = "data product `revenue` (products/finance_revenue.odps.yaml)"
    assert findings[("finance.revenue", "format.required")]["help"] == (
        f"Add customProperties `{{property: format, value: structured}}` to {where}, or declare it once for "
        "domain finance in govern.yaml (`importers.domains.finance.defaults.format`).")
    assert findings[("finance.revenue", "lifecycle.deprecation-sunset")]["help"] == (
        f"Add customProperties `{{property: sunset, value: YYYY-MM-DD}}` to {where}.")
    assert findings[("finance.revenue", "owner.required")]["help"].startswith("Add `team:` with a `name:`")
    assert f"to {where}" in findings[("finance.revenue", "owner.required")]["help"]
    assert "An input port (or input contract) of " + where in findings[("finance.revenue", "lineage.input-exists")]["help"]
    # an ODCS contract's fix is in ODCS terms too; a native manifest keeps the rule's own help
    from govern.standards.pack import load_pack

    rules = load_pack().rules
    contracts = [f for f in findings.values() if f["location"]["path"].endswith(".odcs.yaml")
                 and f["rule"] == "documentation.description"]
    assert contracts and all("to contract `" in f["help"] for f in contracts)
    native = [f for (p, r), f in findings.items() if f["location"]["path"].endswith("dataproduct.yaml")
              and r in rules and rules[r].help and "{" not in rules[r].help]
    assert all(f["help"] == rules[f["rule"]].help for f in native)


def test_every_input_file_govern_reads_in_the_repository_is_matched_by_the_hook_pattern() -> None:
    """The real input files of the fixtures and examples, of every format govern imports, trigger the hook."""
    import re

    from govern.adopt.scaffold import HOOK_FILES
    from govern.load.importers import FORMATS, detect

    repo = Path(__file__).resolve().parents[2]
    pattern = re.compile(HOOK_FILES)
    seen: dict[str, list[str]] = {}
    for base in (repo / "tests" / "fixtures", repo / "examples"):
        for path in sorted(base.rglob("*")):
            if path.is_file() and path.suffix in (".yaml", ".yml", ".json", ".ndjson", ".jsonl"):
                found = detect(path)
                if found is not None:
                    seen.setdefault(found, []).append(path.relative_to(base).as_posix())
    assert sorted(seen) == sorted(FORMATS)  # a real file of every format
    assert {fmt: [p for p in paths if not pattern.search(p)] for fmt, paths in seen.items()} == \
        {fmt: [] for fmt in seen}


def test_a_closed_stdout_stops_quietly_and_never_exits_0(tmp_path: Path) -> None:
    mesh = clean_mesh(tmp_path)
    read, write = os.pipe()
    os.close(read)  # the reader went away before the first line (govern lineage | head -0)
    for args in (("rules",), ("lineage",), ("gate", "--today", TODAY)):
        proc = subprocess.run([str(GOVERN), *args], stdout=write, stderr=subprocess.PIPE, text=True, cwd=mesh.root)
        assert proc.returncode == 141, (args, proc.stderr)
        assert proc.stderr == "", args
    os.close(write)
