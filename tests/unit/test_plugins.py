"""Custom Python rules from an installed plugin (issue 17 item 8), through the real CLI of a real venv.

One virtual environment for the module: govern is installed into it from this repository with pip
(``--no-index --no-deps``: nothing is downloaded); its dependencies are those of the test environment,
made visible by a ``.pth`` file. The plugin ``acme-govern-checks`` (tests/fixtures/plugins) is built and
installed with pip from a local folder, as are four plugins that misbehave. Each test copies a mesh whose
in-repository pack (``standards: {pack: acme, path: pack}``) names the plugin and runs the venv's
``govern`` console script on it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import venv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from meshkit import BASE_ORG, MeshDir

from govern.model.errors import StandardsError
from govern.standards.checks import register, registry
from govern.standards.pack import default_pack_root, load_pack
from govern.standards.rulecases import load_cases

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "plugins"
PLUGIN = "acme-govern-checks"
ACME_RULES = "pack/rules/acme.yaml"

RULE_MODULE = '''"""{rule}, again."""

from govern.standards.checks import Hit, RuleContext, register


@register("{rule}"{declares})
def check(ctx: RuleContext):
    return iter(())
'''
# Plugins that misbehave: {name: (package, rule id, what @register declares besides, entry point value)}.
# One takes the id of one of govern's own checks, one the id of acme's rule; one declares a kind of read
# that does not exist; one's entry point names a function, not a module.
EVIL = {"shadow-govern-checks": ("shadow_checks", "lineage.cycle", "", None),
        "twin-govern-checks": ("twin_checks", "acme.critical-consumers", "", None),
        "typo-govern-checks": ("typo_checks", "typo.rule", ", reads={'consumer'}", None),
        "object-govern-checks": ("object_checks", "object.rule", "", "object_checks.rule:check")}


@dataclass
class PluginEnv:
    """A venv with govern installed from this repository, and the plugins of this module."""

    venv: Path
    work: Path
    template: Path  # a mesh whose pack names the plugin, locked with acme-govern-checks 1.0.0 installed

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    def pip(self, *args: str) -> None:
        proc = subprocess.run([sys.executable, "-m", "pip", "--python", str(self.bin / "python"), *args,
                               "--disable-pip-version-check", "-q"], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr

    def install(self, *folders: Path) -> None:
        self.pip("install", "--no-index", "--no-deps", "--no-build-isolation", "--force-reinstall",
                 *map(str, folders))

    def govern(self, *args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.bin / "govern"), *args], capture_output=True, text=True, cwd=cwd,
                              env={**os.environ, **env})

    def plugin(self, version: str, edits: dict[str, tuple[str, str]] | None = None) -> Path:
        """A copy of the acme plugin's source at ``version``, with text edits {file: (old, new)}."""
        dest = self.work / f"{PLUGIN}-{version}-{len(list(self.work.iterdir()))}"
        shutil.copytree(FIXTURE / PLUGIN, dest)
        pyproject = dest / "pyproject.toml"
        pyproject.write_text(re.sub(r'(?m)^version = ".*"$', f'version = "{version}"', pyproject.read_text()))
        for rel, (old, new) in (edits or {}).items():
            text = (dest / rel).read_text()
            assert old in text, rel
            (dest / rel).write_text(text.replace(old, new))
        return dest

    def mesh(self, tmp_path: Path) -> MeshDir:
        shutil.copytree(self.template, tmp_path / "mesh")
        return MeshDir(tmp_path / "mesh")


def _evil_plugin(work: Path, name: str, module: str, rule: str, declares: str, entry: str | None) -> Path:
    dest = work / name
    (dest / module).mkdir(parents=True)
    (dest / "pyproject.toml").write_text(
        f'[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        f'[project]\nname = "{name}"\nversion = "1.0.0"\n\n'
        f'[project.entry-points."govern.checks"]\nrules = "{entry or module}"\n\n'
        f'[tool.hatch.build.targets.wheel]\npackages = ["{module}"]\n')
    (dest / module / "__init__.py").write_text("")
    (dest / module / "rule.py").write_text(RULE_MODULE.format(rule=rule, declares=declares))
    return dest


def _template(root: Path, env: PluginEnv) -> Path:
    """sales.orders is read by finance.revenue; crm.customers stands alone. Nothing is critical yet."""
    mesh = MeshDir(root)
    shutil.copytree(FIXTURE / "pack", root / "pack")
    for path in sorted((default_pack_root() / "rules").glob("*.yaml")):
        shutil.copy(path, root / "pack" / "rules" / path.name)
    shutil.copytree(default_pack_root() / "rules" / "cedar", root / "pack" / "rules" / "cedar")
    mesh.write("govern.yaml", "standards:\n  pack: acme\n  path: pack\n")
    mesh.org(BASE_ORG)
    mesh.product("sales.orders")
    mesh.product("finance.revenue", {"inputs": [{"product": "sales.orders"}]})
    mesh.product("crm.customers")
    proc = env.govern("standards", "lock", "--pack", "pack", "--name", "acme", cwd=root)
    assert proc.returncode == 0, proc.stderr
    return root


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PluginEnv]:
    work = tmp_path_factory.mktemp("plugin-env")
    where = work / "venv"
    venv.EnvBuilder(with_pip=False).create(where)
    site = Path(sysconfig.get_paths(vars={"base": str(where), "platbase": str(where)})["purelib"])
    # govern's dependencies (and hatchling, to build the packages) come from the test environment
    ours = sysconfig.get_paths()["purelib"]
    (site / "_govern_test_dependencies.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    sources = work / "sources"
    sources.mkdir()
    env = PluginEnv(where, sources, work / "template")
    env.install(ROOT)
    env.install(env.plugin("1.0.0"), *(_evil_plugin(work, name, *how) for name, how in EVIL.items()))
    _template(env.template, env)
    yield env


@pytest.fixture
def acme_1_0_0(env: PluginEnv) -> Iterator[None]:
    """For a test that changes the installed plugin: acme-govern-checks 1.0.0 again afterwards."""
    yield
    env.install(env.plugin("1.0.0"))


def _critical(mesh: MeshDir, product: str, tag: str = "critical") -> None:
    path = mesh.root / product.replace(".", "/") / "dataproduct.yaml"
    data = yaml.safe_load(path.read_text())
    data["tags"] = [tag]
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _acme_rules(mesh: MeshDir, old: str, new: str) -> None:
    path = mesh.root / ACME_RULES
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


# ---------------------------------------------------------------- findings, rules, explain, cases

def test_findings_of_a_plugin_rule_carry_the_metadata_of_the_pack(env: PluginEnv, tmp_path: Path) -> None:
    mesh = env.mesh(tmp_path)
    _critical(mesh, "finance.revenue")
    proc = env.govern("check", ".", "-f", "json", cwd=mesh.root)
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert data["standards"]["pack"] == "acme" and data["standards"]["version"] == "1.0.0"
    [finding] = data["findings"]
    assert (finding["rule"], finding["product"], finding["standard"], finding["severity"], finding["engine"]) == (
        "acme.critical-consumers", "sales.orders", "acme", "error", "python")
    assert finding["message"] == "sales.orders is read by the critical product finance.revenue but is not tagged critical"
    assert finding["help"] == "Add 'critical' to the tags of sales.orders, or make finance.revenue stop reading it."
    assert finding["location"]["path"] == "sales/orders/dataproduct.yaml"
    gate = env.govern("gate", ".", cwd=mesh.root)
    assert gate.returncode == 1 and "BLOCKED" in gate.stdout


def test_rules_and_explain_name_the_plugin(env: PluginEnv, tmp_path: Path) -> None:
    mesh = env.mesh(tmp_path)
    proc = env.govern("rules", "-f", "json", cwd=mesh.root)
    assert proc.returncode == 0, proc.stderr
    rows = {r["id"]: r for r in json.loads(proc.stdout)["rules"]}
    assert rows["acme.critical-consumers"]["engine"] == "python"
    assert rows["acme.critical-consumers"]["plugin"] == {"name": PLUGIN, "version": "1.0.0"}
    assert rows["acme.critical-consumers"]["reads"] == ["consumers", "product"]
    assert rows["lineage.cycle"]["plugin"] is None  # govern's own check
    # a plugin rule that declares nothing is taken to read the whole mesh, and says so
    draft = json.loads(env.govern("rules", "-f", "json", "--standards-version", "1.1.0", cwd=mesh.root).stdout)
    assert next(r for r in draft["rules"] if r["id"] == "acme.cost-center")["reads"] == ["mesh"]
    text = env.govern("rules", cwd=mesh.root).stdout
    assert re.search(r"acme\.critical-consumers +acme +error +enforce +python \(plugin acme-govern-checks 1\.0\.0\)",
                     text), text

    explain = env.govern("explain", "acme.critical-consumers", cwd=mesh.root)
    assert explain.returncode == 0, explain.stderr
    out = explain.stdout
    assert out.splitlines()[0] == ("acme.critical-consumers  [acme, error, enforce in acme 1.0.0, engine python "
                                   "(plugin acme-govern-checks 1.0.0)]")
    assert "  code:  acme_govern_checks.critical_consumers.check (plugin acme-govern-checks 1.0.0)" in out
    assert "  reads: consumers, product" in out
    assert "  why:   Standard: acme. Acme's own rules" in out
    case = load_cases(mesh.root / "pack")["acme.critical-consumers"]
    passes, fails = out.split("    passes:\n")[1].split("    fails:\n")
    assert yaml.safe_load(passes) == case.passing and yaml.safe_load(fails) == case.failing
    show = env.govern("standards", "show", "--pack", "pack", "--name", "acme", cwd=mesh.root)
    assert "[python (plugin acme-govern-checks 1.0.0)]" in show.stdout


def test_the_pack_ships_the_cases_of_its_plugin_rules_and_standards_test_runs_them(env: PluginEnv,
                                                                                  tmp_path: Path) -> None:
    mesh = env.mesh(tmp_path)
    proc = env.govern("standards", "test", "--pack", "pack", "--name", "acme", cwd=mesh.root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1].startswith("acme: 2 rule cases, all hold")
    # a case that no longer describes the behaviour fails, at its line
    cases = mesh.root / "pack" / "rules" / "cases" / "acme.yaml"
    cases.write_text(cases.read_text().replace("    fail: {tags: []}", "    fail: {tags: [critical]}"))
    proc = env.govern("standards", "test", "acme.critical-consumers", "--pack", "pack", "--name", "acme",
                      cwd=mesh.root)
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[0] == ("rules/cases/acme.yaml:5: acme.critical-consumers: the failing example "
                                           "does not report acme.critical-consumers on crm.customers")
    assert proc.stdout.splitlines()[-1] == "acme: 1 rule case, 1 does not hold"


# ---------------------------------------------------------------- changed-files mode

@pytest.mark.parametrize("cache", ["1", "0"])
def test_changed_files_mode_follows_what_the_plugin_rule_reads(env: PluginEnv, tmp_path: Path, cache: str) -> None:
    """The rule reads a product's consumers: a change to a consumer re-checks its producer (with the mesh
    index, and without), and nothing else. A plugin rule that declares nothing re-checks every product."""
    mesh = env.mesh(tmp_path)
    assert env.govern("check", ".", cwd=mesh.root, GOVERN_CACHE=cache).returncode == 0  # clean; the index
    _critical(mesh, "finance.revenue")
    proc = env.govern("check", "finance/revenue/dataproduct.yaml", "-f", "json", cwd=mesh.root, GOVERN_CACHE=cache)
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert [(f["rule"], f["product"]) for f in data["findings"]] == [("acme.critical-consumers", "sales.orders")]
    assert data["summary"]["products"] == 2  # finance.revenue and the producer it reads; not crm.customers
    draft = env.govern("check", "finance/revenue/dataproduct.yaml", "-f", "json", "--standards-version", "1.1.0",
                       cwd=mesh.root, GOVERN_CACHE=cache)
    assert json.loads(draft.stdout)["summary"]["products"] == 3  # acme.cost-center reads the whole mesh


# ---------------------------------------------------------------- fails closed

def test_a_pack_whose_plugin_is_not_installed_is_exit_2(env: PluginEnv, tmp_path: Path, acme_1_0_0: None) -> None:
    mesh = env.mesh(tmp_path)
    _acme_rules(mesh, "  - name: acme-govern-checks", "  - name: acme-govern-check")
    for command in (("check", "."), ("gate", "."), ("rules",), ("explain", "acme.critical-consumers")):
        proc = env.govern(*command, cwd=mesh.root)
        assert proc.returncode == 2, command
        assert ("rules/acme.yaml:4: field 'plugins[0].name': plugin 'acme-govern-check' is not installed "
                "(did you mean 'acme-govern-checks'?)") in proc.stderr, proc.stderr
    # removing the plugin from the environment: the same, never a silent skip of its rules
    env.pip("uninstall", "-y", PLUGIN)
    mesh = env.mesh(tmp_path / "again")
    proc = env.govern("check", ".", cwd=mesh.root)
    assert proc.returncode == 2
    assert "rules/acme.yaml:4: field 'plugins[0].name': plugin 'acme-govern-checks' is not installed" in proc.stderr
    assert f"'acme-govern-checks>=1.0,<2' installed in the environment govern runs in ({env.venv})" in proc.stderr
    assert proc.stdout == ""


def test_a_plugin_outside_the_version_the_pack_needs_is_exit_2(env: PluginEnv, tmp_path: Path) -> None:
    mesh = env.mesh(tmp_path)
    _acme_rules(mesh, 'version: ">=1.0,<2"', 'version: ">=2.1"')
    proc = env.govern("check", ".", cwd=mesh.root)
    assert proc.returncode == 2
    assert ("rules/acme.yaml:4: field 'plugins[0].version': plugin 'acme-govern-checks' 1.0.0 is installed, but "
            "the pack needs 'acme-govern-checks>=2.1'") in proc.stderr


def test_a_python_rule_that_no_plugin_registers_is_exit_2(env: PluginEnv, tmp_path: Path) -> None:
    mesh = env.mesh(tmp_path)
    _acme_rules(mesh, "  - id: acme.cost-center", "  - id: acme.cost-centre")
    proc = env.govern("check", ".", cwd=mesh.root)
    assert proc.returncode == 2
    assert ("rules/acme.yaml:15: field 'id': python rule 'acme.cost-centre' has no registered function (did you "
            "mean 'acme.cost-center'?) (expected a function registered with @register('acme.cost-centre') by "
            "govern's own checks or by a plugin the pack names ('acme-govern-checks' 1.0.0)") in proc.stderr
    # a pack that does not name the plugin: its rules have no function, and the message names the plugin
    mesh = env.mesh(tmp_path / "unnamed")
    _acme_rules(mesh, 'plugins:\n  - name: acme-govern-checks\n    version: ">=1.0,<2"\n', "")
    proc = env.govern("check", ".", cwd=mesh.root)
    assert proc.returncode == 2
    assert "rules/acme.yaml:4: field 'id': python rule 'acme.critical-consumers' has no registered function" in proc.stderr
    assert ("installed plugins the pack does not name: acme-govern-checks, object-govern-checks, shadow-govern-checks, "
            "twin-govern-checks, typo-govern-checks") in proc.stderr


def test_a_plugin_that_registers_a_rule_id_already_registered_is_exit_2(env: PluginEnv, tmp_path: Path) -> None:
    mesh = env.mesh(tmp_path)
    _acme_rules(mesh, 'version: ">=1.0,<2"\n', 'version: ">=1.0,<2"\n  - shadow-govern-checks\n')
    proc = env.govern("check", ".", cwd=mesh.root)
    assert proc.returncode == 2
    assert ("rules/acme.yaml:6: field 'plugins[1]': plugin 'shadow-govern-checks' 1.0.0 registers rule "
            "'lineage.cycle', which govern's own checks register already") in proc.stderr
    mesh = env.mesh(tmp_path / "twin")
    _acme_rules(mesh, 'version: ">=1.0,<2"\n', 'version: ">=1.0,<2"\n  - name: twin-govern-checks\n')
    proc = env.govern("check", ".", cwd=mesh.root)
    assert proc.returncode == 2
    assert ("plugin 'twin-govern-checks' 1.0.0 registers rule 'acme.critical-consumers', which plugin "
            "'acme-govern-checks' registers already") in proc.stderr


@pytest.mark.parametrize(("plugin", "message"), [
    ("typo-govern-checks", "field 'plugins[1]': entry point 'rules = typo_checks' of plugin 'typo-govern-checks' "
                           "1.0.0 failed to import: ValueError: @register('typo.rule'): unknown reads 'consumer' "
                           "(did you mean 'consumers'?)"),
    ("object-govern-checks", "field 'plugins[1]': entry point 'rules = object_checks.rule:check' of plugin "
                             "'object-govern-checks' 1.0.0 names an object; it must name a module or package"),
])
def test_a_plugin_that_does_not_load_is_exit_2(env: PluginEnv, tmp_path: Path, plugin: str, message: str) -> None:
    mesh = env.mesh(tmp_path)
    _acme_rules(mesh, 'version: ">=1.0,<2"\n', f'version: ">=1.0,<2"\n  - {plugin}\n')
    proc = env.govern("check", ".", cwd=mesh.root)
    assert proc.returncode == 2
    assert f"rules/acme.yaml:6: {message}" in proc.stderr, proc.stderr


def test_a_distribution_that_is_no_plugin_is_exit_2(env: PluginEnv, tmp_path: Path) -> None:
    mesh = env.mesh(tmp_path)
    _acme_rules(mesh, 'version: ">=1.0,<2"\n', 'version: ">=1.0,<2"\n  - pyyaml\n')
    proc = env.govern("check", ".", cwd=mesh.root)
    assert proc.returncode == 2
    assert "field 'plugins[1].name': 'PyYAML' " in proc.stderr
    assert "is installed but is not a govern plugin: it declares no entry point in the group 'govern.checks'" in proc.stderr


# ---------------------------------------------------------------- the lock covers the plugin's code

def test_a_plugin_upgrade_that_changes_a_released_rules_code_is_exit_2(env: PluginEnv, tmp_path: Path,
                                                                     acme_1_0_0: None) -> None:
    mesh = env.mesh(tmp_path)
    # 1.0.1: a docstring and the order of imports change, not what the code does: the lock still holds
    env.install(env.plugin("1.0.1", {"acme_govern_checks/critical_consumers.py": (
        '"""acme.critical-consumers: a product that a critical product reads is critical too."""',
        '"""acme.critical-consumers: criticality flows upstream."""')}))
    proc = env.govern("check", ".", cwd=mesh.root)
    assert proc.returncode == 0, proc.stderr
    # 1.1.0 changes the code of the released rule: exit 2, naming it, as for one of govern's own rules
    env.install(env.plugin("1.1.0", {"acme_govern_checks/critical_consumers.py": (
        'CRITICAL = "critical"', 'CRITICAL = "tier-1"')}))
    for command in (("check", "."), ("gate", "."), ("standards", "verify", "--pack", "pack", "--name", "acme")):
        proc = env.govern(*command, cwd=mesh.root)
        assert proc.returncode == 2, command
        assert "released version 1.0.0 changed since it was locked" in proc.stderr
        assert "rule changed: 'acme.critical-consumers'" in proc.stderr
    # the draft, which is not locked, runs with the new code
    _critical(mesh, "finance.revenue", "tier-1")
    draft = env.govern("check", ".", "--standards-version", "1.1.0", "-f", "json", cwd=mesh.root)
    assert draft.returncode == 1, draft.stderr
    assert [f["product"] for f in json.loads(draft.stdout)["findings"] if f["rule"] == "acme.critical-consumers"
            ] == ["sales.orders"]


# ---------------------------------------------------------------- the pack's plugins: list (no venv needed)

@pytest.mark.parametrize(("plugins", "message"), [
    ("plugins: acme-govern-checks\n", "field 'plugins': 'plugins' must be a list of plugins"),
    ("plugins:\n  - {name: acme-govern-checks, verison: '1.0'}\n",
     "field 'plugins[0].verison': unknown field 'verison' (did you mean 'version'?)"),
    ("plugins:\n  - {name: 'acme govern'}\n", "field 'plugins[0].name': 'acme govern' is not a distribution name"),
    ("plugins:\n  - {version: '1.0'}\n", "field 'plugins[0].name': a plugin needs a 'name'"),
    ("plugins:\n  - {name: acme-govern-checks, version: 1.10}\n",
     "field 'plugins[0].version': the version of a plugin is text: write '\"1.1\"' in quotes"),
    ("plugins:\n  - {name: acme-govern-checks, version: '>>1'}\n",
     "field 'plugins[0].version': '>>1' is not a version specifier"),
    ("plugin:\n  - acme-govern-checks\n", "field 'plugin': unknown field 'plugin' (did you mean 'plugins'?)"),
])
def test_a_broken_plugins_list_is_a_pack_error_at_its_line(pack_copy: Path, plugins: str, message: str) -> None:
    (pack_copy / "rules" / "acme.yaml").write_text(f"# acme\n{plugins}rules: []\n")
    with pytest.raises(StandardsError) as err:
        load_pack(pack_copy)
    assert str(err.value).startswith("rules/acme.yaml:"), str(err.value)
    assert message in str(err.value)


def test_a_plugin_not_installed_here_is_a_pack_error(pack_copy: Path) -> None:
    (pack_copy / "rules" / "acme.yaml").write_text("plugins:\n  - name: acme-govern-checks\nrules: []\n")
    with pytest.raises(StandardsError, match=r"rules/acme.yaml:2: field 'plugins\[0\].name': plugin "
                                             r"'acme-govern-checks' is not installed"):
        load_pack(pack_copy)


def test_without_a_plugin_in_the_pack_nothing_more_is_imported(tmp_path: Path) -> None:
    """The pre-commit path of a mesh whose pack names no plugin imports neither the plugin loader nor
    packaging; a pack that names one does (and only then)."""
    mesh = MeshDir(tmp_path / "mesh")
    mesh.org(BASE_ORG)
    mesh.product("sales.orders")
    code = ("import sys; sys.argv = ['govern', 'check', 'sales/orders/dataproduct.yaml']\n"
            "from govern.cli.entry import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m == 'govern.standards.plugins' or m.startswith('packaging')),"
            " file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=mesh.root, capture_output=True, text=True)
    assert proc.stderr.strip().splitlines()[-1] == "[]", proc.stderr


@pytest.mark.parametrize(("declares", "message"), [
    ({"reads": {"consumer"}}, "@register('test.declares'): unknown reads 'consumer' (did you mean 'consumers'?)"),
    ({"reads": "consumers"}, "@register('test.declares'): 'reads' must be a list of: product, sql"),
    ({"fields": "tags"}, "@register('test.declares'): 'fields' must be a list of top-level manifest fields, "
                         "such as ('tags',)"),
])
def test_register_refuses_a_declaration_it_cannot_read(declares: dict, message: str) -> None:
    """A plugin's typo in what a rule reads stops its import (exit 2 at the pack's line, above), and
    registers nothing: never a rule taken to read less than it does."""
    with pytest.raises(ValueError) as err:
        register("test.declares", **declares)(lambda ctx: iter(()))
    assert str(err.value).startswith(message), str(err.value)
    assert "test.declares" not in registry()


def test_the_guide_shows_the_code_of_the_plugin_the_suite_installs() -> None:
    guide = (ROOT / "docs" / "readme-plugins.md").read_text(encoding="utf-8")
    module = FIXTURE / PLUGIN / "acme_govern_checks" / "critical_consumers.py"
    assert f"```python\n{module.read_text(encoding='utf-8')}```" in guide
    pyproject = (FIXTURE / PLUGIN / "pyproject.toml").read_text(encoding="utf-8")
    assert '[project.entry-points."govern.checks"]\nacme = "acme_govern_checks"' in pyproject
    assert '[project.entry-points."govern.checks"]\nacme = "acme_govern_checks"' in guide
