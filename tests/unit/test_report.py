"""govern report: the facts in index.html (parsed with html.parser), report.md and scorecards.json over three
recorded runs with changes between them; self-containment; escaping of hostile manifest text."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from meshkit import MeshDir

from govern.cli.main import cli


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None]
    children: list[Node] = field(default_factory=list)
    parts: list[str | Node] = field(default_factory=list)

    def text(self) -> str:
        return "".join(p if isinstance(p, str) else p.text() for p in self.parts)

    def clean(self) -> str:
        return " ".join(self.text().split())

    def iter(self):
        yield self
        for child in self.children:
            yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        out = []
        for node in self.iter():
            if tag is not None and node.tag != tag:
                continue
            if all(node.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items()):
                out.append(node)
        return out

    def find(self, tag: str | None = None, **attrs: str) -> Node:
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag} {attrs}>"
        return found[0]


VOID = {"meta", "br", "img", "input", "link", "hr", "col", "area", "base", "source", "wbr"}


class TreeBuilder(HTMLParser):
    """A small DOM from the standard library parser (enough to query the report)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        self.stack[-1].parts.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        self.stack[-1].parts.append(node)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].parts.append(data)


def parse_html(text: str) -> Node:
    builder = TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


def govern(*args: str, env: dict | None = None):
    result = CliRunner().invoke(cli, list(args), env=env or {})
    return result


def _run(mesh: MeshDir, out: Path, day: str, *extra: str):
    res = govern("report", str(mesh.root), "--out", str(out), "--today", day, *extra,
                 env={"SOURCE_DATE_EPOCH": "1780000000"})
    assert res.exit_code == 0, res.output
    return res


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Three recorded runs with changes between them; the report of each run is kept."""
    base = tmp_path_factory.mktemp("report")
    mesh = MeshDir(base / "mesh")
    mesh.org()
    # run 1 (2026-03-01)
    mesh.product("sales.orders")
    mesh.product("sales.returns", {"description": None})
    mesh.product("crm.accounts", {"owner": {"group": "nobody"}})
    mesh.product("finance.revenue", {"inputs": [{"product": "sales.orders"}]})
    out = {}
    out[1] = base / "r1"
    first = _run(mesh, out[1], "2026-03-01")
    # run 2 (2026-04-01): crm.accounts fixed, a new broken product
    mesh.product("crm.accounts")
    mesh.product("logistics.shipments", {"namespace": "qa"})
    out[2] = base / "r2"
    _run(mesh, out[2], "2026-04-01")
    # run 3 (2026-05-01): sales.orders loses its description, finance.revenue fixed, logistics removed
    mesh.product("sales.orders", {"description": None})
    mesh.product("finance.revenue")
    (mesh.root / "logistics" / "shipments" / "dataproduct.yaml").unlink()
    out[3] = base / "r3"
    last = _run(mesh, out[3], "2026-05-01")
    return {"mesh": mesh, "out": out, "first_output": first.output, "last_output": last.output}


def _html(out: Path) -> tuple[str, Node]:
    text = (out / "index.html").read_text(encoding="utf-8")
    return text, parse_html(text)


def test_report_writes_the_three_files_and_records_each_run(three_runs: dict) -> None:
    for n in (1, 2, 3):
        assert sorted(p.name for p in three_runs["out"][n].iterdir()) == ["index.html", "report.md", "scorecards.json"]
    assert "run #1" in three_runs["first_output"]
    assert "run #3" in three_runs["last_output"]
    summary = "since run #2 (2026-04-01): 1 new, 1 fixed finding; 1 product up, 1 down a level"
    assert summary in three_runs["last_output"]
    assert (three_runs["mesh"].root / ".govern" / "history.sqlite").is_file()


def test_html_summary_levels_and_domains(three_runs: dict) -> None:
    _, doc = _html(three_runs["out"][3])
    facts = {n.attrs["data-fact"]: n.clean() for n in doc.iter() if "data-fact" in n.attrs}
    assert facts["products"] == "4"
    assert facts["domains"] == "3"
    assert facts["mean-score"] == "97.5"
    assert facts["open-errors"] == "0"
    assert facts["warnings"] == "2"
    assert (facts["level-raw"], facts["level-curated"], facts["level-authoritative"]) == ("0", "2", "2")
    bars = {g.attrs["data-level"]: g.attrs["data-count"] for g in doc.find_all("g") if "data-level" in g.attrs}
    assert bars == {"raw": "0", "curated": "2", "authoritative": "2"}
    domains = {g.attrs["data-domain"]: g.attrs["data-score"] for g in doc.find_all("g")
               if g.attrs.get("class") == "domain-bar"}
    assert domains == {"crm": "100", "finance": "100", "sales": "95"}
    assert doc.find("b", id="as-of").clean() == "2026-05-01"
    assert doc.find("b", id="run-id").clean() == "#3"


def test_html_products_table_is_sortable_with_scores_and_levels(three_runs: dict) -> None:
    _, doc = _html(three_runs["out"][3])
    table = doc.find("table", id="products-table")
    assert "sortable" in table.attrs["class"]
    rows = {tr.attrs["data-product"]: tr for tr in table.find_all("tr") if "data-product" in tr.attrs}
    assert sorted(rows) == ["crm.accounts", "finance.revenue", "sales.orders", "sales.returns"]
    cells = {p: {td.attrs.get("data-level"): td for td in tr.find_all("td")} for p, tr in rows.items()}
    levels = {p: next(k for k in c if k) for p, c in cells.items()}
    assert levels == {"crm.accounts": "authoritative", "finance.revenue": "authoritative",
                      "sales.orders": "curated", "sales.returns": "curated"}
    scores = {p: next(td.attrs["data-score"] for td in tr.find_all("td") if "data-score" in td.attrs)
              for p, tr in rows.items()}
    assert scores == {"crm.accounts": "100", "finance.revenue": "100", "sales.orders": "95", "sales.returns": "95"}
    assert "documentation: warn" in rows["sales.orders"].clean()
    numeric = [th.clean() for th in table.find_all("th") if th.attrs.get("data-type") == "number"]
    assert "Score" in numeric


def test_html_lists_changes_since_the_previous_run(three_runs: dict) -> None:
    _, doc = _html(three_runs["out"][3])
    changes = doc.find("section", id="changes")
    assert "run #2 of 2026-04-01" in changes.clean()
    facts = {n.attrs["data-fact"]: n.clean() for n in changes.iter() if "data-fact" in n.attrs}
    assert facts == {"new-findings": "1", "fixed-findings": "1", "levels-up": "1", "levels-down": "1"}
    moves = {tr.attrs["data-product"]: tr.attrs["data-direction"]
             for tr in doc.find("table", id="level-changes").find_all("tr") if "data-product" in tr.attrs}
    assert moves == {"finance.revenue": "up", "sales.orders": "down"}
    new = doc.find("table", id="new-findings").clean()
    assert "documentation.description" in new and "sales.orders" in new
    assert "sales/orders/dataproduct.yaml:1" in new
    fixed = doc.find("table", id="fixed-findings").clean()
    assert "lineage.code-declared" in fixed and "finance.revenue" in fixed
    assert "logistics" not in fixed  # a removed product's findings are not "fixed"
    assert doc.find("span", id="removed-products").clean() == "logistics.shipments"


def test_html_run_two_shows_the_new_product_and_the_level_up(three_runs: dict) -> None:
    _, doc = _html(three_runs["out"][2])
    moves = {tr.attrs["data-product"]: tr.attrs["data-direction"]
             for tr in doc.find("table", id="level-changes").find_all("tr") if "data-product" in tr.attrs}
    assert moves == {"crm.accounts": "up"}
    assert doc.find("span", id="new-products").clean() == "logistics.shipments"
    fixed = doc.find("table", id="fixed-findings").clean()
    assert "owner.group-exists" in fixed and "auth.deploy-own-domain" in fixed
    assert "namespace.enum" in doc.find("table", id="new-findings").clean()


def test_first_run_is_a_baseline(three_runs: dict) -> None:
    _, doc = _html(three_runs["out"][1])
    assert doc.find_all("p", id="first-run")
    assert not doc.find_all("table", id="level-changes")


def test_html_trend_over_the_recorded_history(three_runs: dict) -> None:
    _, doc = _html(three_runs["out"][3])
    charts = {f.attrs["data-chart"]: f for f in doc.find_all("figure") if "data-chart" in f.attrs}
    assert sorted(charts) == ["Mean score", "Open errors", "Products per level"]
    mean = charts["Mean score"].find("polyline")
    assert len(mean.attrs["points"].split()) == 3
    titles = [t.clean() for t in charts["Mean score"].find_all("title")]
    assert titles[0] == "mean score on 2026-03-01: 87.5" and titles[-1] == "mean score on 2026-05-01: 97.5"
    series = {p.attrs["data-series"] for p in charts["Products per level"].find_all("polyline")}
    assert series == {"raw", "curated", "authoritative"}
    # y falls as the score rises (SVG y grows downwards)
    ys = [float(pt.split(",")[1]) for pt in mean.attrs["points"].split()]
    assert ys[0] > ys[2]
    rows = doc.find("table", id="history-table").find_all("tr")[1:]
    assert [r.children[0].clean() for r in rows] == ["#3", "#2", "#1"]
    assert doc.find("p", id="trend-runs").clean() == "3 recorded runs."


def test_html_findings_per_product_with_help_and_location(three_runs: dict) -> None:
    _, doc = _html(three_runs["out"][1])
    section = doc.find("section", id="p-crm.accounts")
    text = section.clean()
    assert "owner.group-exists" in text
    assert "crm/accounts/dataproduct.yaml:9" in text
    assert "Fix: Use a team id from org.yaml" in text
    assert "Not yet curated: owner: fail" in text
    link = doc.find("table", id="products-table").find("a", href="#p-crm.accounts")
    assert link.clean() == "crm.accounts"


def test_html_is_self_contained_and_printable(three_runs: dict) -> None:
    text, doc = _html(three_runs["out"][3])
    for node in doc.iter():
        for name, value in node.attrs.items():
            assert name != "src", node
            if name == "href":
                assert value.startswith("#"), value
    assert not doc.find_all("link")
    assert not re.search(r"https?://", text.replace("http-equiv", ""))
    assert "@import" not in text and "url(" not in text
    scripts = doc.find_all("script")
    assert len(scripts) == 1 and "src" not in scripts[0].attrs
    style = doc.find("style").text()
    assert "@media print" in style
    csp = next(m.attrs["content"] for m in doc.find_all("meta")
               if m.attrs.get("http-equiv") == "Content-Security-Policy")

    def digest(t: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(t.encode()).digest()).decode() + "'"

    assert "default-src 'none'" in csp
    assert f"script-src {digest(scripts[0].text())}" in csp  # the sorting script is allowed, nothing else
    assert f"style-src {digest(style)}" in csp


def test_markdown_has_the_same_facts(three_runs: dict) -> None:
    md = (three_runs["out"][3] / "report.md").read_text(encoding="utf-8")
    assert md.startswith("# Compliance report: mesh\n")
    assert "As of **2026-05-01** · standards **mesh-core 1.0.0** · run #3" in md
    assert "| 4 | 3 | 97.5 | 0 | 2 | 0 |" in md
    assert "| raw | 0 |" in md and "| curated | 2 |" in md and "| authoritative | 2 |" in md
    assert "Compared with run #2 of 2026-04-01" in md
    assert "- New findings: 1" in md and "- Fixed findings: 1" in md
    assert "- Level up: 1 (finance.revenue curated → authoritative)" in md
    assert "- Level down: 1 (sales.orders authoritative → curated)" in md
    assert "- Products no longer present: logistics.shipments" in md
    new = md.split("### New findings")[1].split("### Fixed findings")[0]
    assert ("sales.orders: product sales.orders has no description — documentation.description "
            "at sales/orders/dataproduct.yaml:1") in new
    fixed = md.split("### Fixed findings")[1].split("## Domains")[0]
    assert "finance.revenue" in fixed and "lineage.code-declared" in fixed
    trend = md.split("## Trend")[1].split("## Changes")[0]
    assert [line.split("|")[1].strip() for line in trend.strip().splitlines()[2:]] == ["#3", "#2", "#1"]
    assert "| sales.orders | sales | sales-data | curated | 95 | 0 | 1 | 0 | documentation: warn |" in md


def test_scorecards_json_carries_run_changes_and_history(three_runs: dict) -> None:
    data = json.loads((three_runs["out"][3] / "scorecards.json").read_text(encoding="utf-8"))
    assert data["$schema"].endswith("/scorecards/v1")
    assert data["run"]["id"] == 3 and data["run"]["asOf"] == "2026-05-01"
    assert data["run"]["recordedAt"] == "2026-05-28T20:26:40Z"
    assert data["total"]["meanScore"] == 97.5
    assert [r["id"] for r in data["history"]] == [1, 2, 3]
    assert data["history"][0]["meanScore"] == 87.5
    assert [c["product"] for c in data["changes"]["levelChanges"]] == ["finance.revenue", "sales.orders"]
    assert data["changes"]["removedProducts"] == ["logistics.shipments"]
    product = next(p for p in data["products"] if p["product"] == "sales.orders")
    assert product["level"] == "curated" and product["standards"]["documentation"] == "warn"
    assert product["findings"][0]["rule"] == "documentation.description"


def test_history_command_prints_the_trend(three_runs: dict) -> None:
    root = str(three_runs["mesh"].root)
    res = govern("history", root)
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].split()[:5] == ["run", "date", "standards", "products", "score"]
    assert [line.split()[0] for line in lines[1:]] == ["#1", "#2", "#3"]
    assert lines[3].split()[1] == "2026-05-01" and "97.5" in lines[3].split()
    res = govern("history", root, "--domain", "sales", "--since", "2026-04-01", "--format", "json")
    data = json.loads(res.output)
    assert [(r["asOf"], r["meanScore"]) for r in data["runs"]] == [("2026-04-01", 97.5), ("2026-05-01", 95.0)]
    res = govern("history", root, "--since", "tomorrow")
    assert res.exit_code == 2 and "not a date" in res.output


def test_report_without_recording_is_deterministic(three_runs: dict, tmp_path: Path) -> None:
    mesh = three_runs["mesh"]
    for name in ("a", "b"):
        _run(mesh, tmp_path / name, "2026-05-01", "--no-record")
    for f in ("index.html", "report.md", "scorecards.json"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
    md = (tmp_path / "a" / "report.md").read_text()
    assert "· not recorded" in md and "Compared with run #3" in md
    res = govern("history", str(mesh.root), "--format", "json")
    assert len(json.loads(res.output)["runs"]) == 3  # nothing recorded


XSS = ('<script>alert(1)</script>', '"><img src=x onerror=alert(1)>')


def test_hostile_manifest_text_is_escaped_everywhere(tmp_path: Path) -> None:
    mesh = MeshDir(tmp_path / "mesh")
    mesh.org()
    a, b = XSS
    pid = f"sales.{a}{b}"
    manifest = {
        "kind": "DataProduct", "id": pid, "name": a + b, "description": b + a, "domain": f"sales{a}",
        "version": a, "namespace": b, "owner": {"group": a, "person": b}, "format": a, "complexity": b,
        "structure": a,
        "lifecycle": {"state": b, "reason": a, "replacedBy": b, "events": [{"state": a, "at": "2025-01-01"}]},
        "inputs": [{"product": a, "port": b}],
        "execution": {"job": b, "dialect": a},
        "outputPorts": [{"name": a, "type": b, "location": a, "classification": b, "description": a,
                         "columns": [{"name": b, "type": a, "description": b}]}],
        "access": {"visibility": a, "readers": [b]},
        "tags": [a, b],
        a: b,  # an unknown field whose name and value are hostile
    }
    mesh.write("xss/dataproduct.yaml", yaml.safe_dump(manifest, sort_keys=False))
    mesh.write_yaml("waivers.yaml", {"waivers": [
        {"rule": "namespace.id-format", "product": pid, "reason": a + b, "approved_by": b, "expires": "2026-07-01"}]})
    out = tmp_path / "out"
    res = govern("report", str(mesh.root), "--out", str(out), "--today", "2026-06-01")
    assert res.exit_code == 0, res.output
    html = (out / "index.html").read_text(encoding="utf-8")
    for payload in XSS:
        assert payload not in html
    doc = parse_html(html)
    assert len(doc.find_all("script")) == 1
    assert not doc.find_all("img")
    for node in doc.iter():
        assert not [k for k in node.attrs if k.startswith("on")], node.attrs
    text = doc.text()
    assert text.count(a) >= 5 and text.count(b) >= 5  # shown, as text
    assert "waiver" in html.lower() and f"Waiver: {a}{b}" in " ".join(text.split())
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "<script" not in md and "<img" not in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    data = json.loads((out / "scorecards.json").read_text(encoding="utf-8"))
    assert data["products"][0]["product"] == pid  # JSON keeps the exact text


def test_installed_wheel_renders_reports_outside_the_checkout(tmp_path: Path) -> None:
    """The templates ship as package data (govern/_pack/reports): a plain install can write reports."""
    import os
    import subprocess
    import sys
    import zipfile

    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", str(root),
                    "-w", str(tmp_path / "wheel")], check=True, capture_output=True)
    wheel = next((tmp_path / "wheel").glob("govern_mesh-*.whl"))
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    mesh = MeshDir(tmp_path / "mesh")
    mesh.org()
    mesh.product("sales.orders")
    code = ("import govern.output.report as r, govern.api as a, sys; print(r.default_templates_dir()); "
            "r.generate_report(a.check([sys.argv[1]]), sys.argv[2], history_path=None)")
    proc = subprocess.run([sys.executable, "-c", code, str(mesh.root), str(tmp_path / "out")], cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(site)}, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(site / "govern" / "_pack" / "reports" / "templates")
    assert "sales.orders" in (tmp_path / "out" / "index.html").read_text(encoding="utf-8")


def test_markdown_escaping_keeps_tables_and_ids_intact() -> None:
    from govern.output.report import md_escape

    assert md_escape("sales.orders_v2") == "sales.orders_v2"  # intra-word _ is not emphasis
    assert md_escape("_x_") == "\\_x\\_"
    assert md_escape("a|b\nc") == "a\\|b c"  # one table cell, one line
    assert md_escape("[x](javascript:alert(1))") == "\\[x\\](javascript:alert(1))"
    assert md_escape("<b>&") == "&lt;b&gt;&amp;"
    assert md_escape("`code` **bold**") == "\\`code\\` \\*\\*bold\\*\\*"
    assert md_escape(None) == ""


def test_example_mesh_over_three_recorded_runs(tmp_path: Path) -> None:
    """The shipped example mesh, copied, with three violations in run 1 that are fixed in runs 2 and 3:
    the HTML and Markdown show the same facts as scorecards.json, the trend, and the expected changes."""
    import shutil

    example = Path(__file__).resolve().parents[2] / "examples" / "mesh"
    root = tmp_path / "mesh"
    shutil.copytree(example, root, ignore=shutil.ignore_patterns(".govern"))
    large = root / "sales" / "large_orders" / "dataproduct.yaml"
    parts = root / "logistics" / "parts" / "dataproduct.yaml"
    large.write_text(re.sub(r"(?m)^description:.*\n", "", large.read_text()))
    parts.write_text(parts.read_text().replace("  group: logistics-ops\n", "  group: logistics-op\n"))
    mesh = MeshDir(root)
    outs = []
    for n, day in enumerate(("2026-11-08", "2026-11-15", "2026-11-22"), 1):
        if n == 2:
            shutil.copy(example / "logistics" / "parts" / "dataproduct.yaml", parts)
        if n == 3:
            shutil.copy(example / "sales" / "large_orders" / "dataproduct.yaml", large)
        outs.append(tmp_path / f"r{n}")
        _run(mesh, outs[-1], day)
    data = [json.loads((o / "scorecards.json").read_text(encoding="utf-8")) for o in outs]
    n_products = str(len(list(root.rglob("dataproduct.yaml"))))
    for out, d in zip(outs, data, strict=True):
        _, doc = _html(out)
        facts = {n.attrs["data-fact"]: n.clean() for n in doc.iter() if "data-fact" in n.attrs}
        assert facts["products"] == str(d["total"]["products"]) == n_products
        assert facts["mean-score"] == f"{d['total']['meanScore']:g}"
        for level, count in d["total"]["levels"].items():
            assert facts[f"level-{level}"] == str(count)
        rows = {tr.attrs["data-product"]: tr for tr in doc.find("table", id="products-table").find_all("tr")
                if "data-product" in tr.attrs}
        assert sorted(rows) == sorted(p["product"] for p in d["products"])
        for p in d["products"]:
            cell = next(td for td in rows[p["product"]].find_all("td") if "data-level" in td.attrs)
            assert cell.attrs["data-level"] == p["level"]
        if d["changes"]["previousRun"]:
            changes = {n.attrs["data-fact"]: n.clean() for n in doc.find("section", id="changes").iter()
                       if "data-fact" in n.attrs}
            assert changes["new-findings"] == str(len(d["changes"]["newFindings"]))
            assert changes["fixed-findings"] == str(len(d["changes"]["fixedFindings"]))
    fixed2 = {(f["product"], f["rule"]) for f in data[1]["changes"]["fixedFindings"]}
    assert ("logistics.parts", "owner.group-exists") in fixed2
    fixed3 = {(f["product"], f["rule"]) for f in data[2]["changes"]["fixedFindings"]}
    assert ("sales.large_orders", "documentation.description") in fixed3
    up3 = {c["product"]: (c["from"], c["to"]) for c in data[2]["changes"]["levelChanges"] if c["direction"] == "up"}
    assert up3["sales.large_orders"] == ("curated", "authoritative")
    _, doc = _html(outs[2])
    moves = {tr.attrs["data-product"]: tr.attrs["data-direction"]
             for tr in doc.find("table", id="level-changes").find_all("tr") if "data-product" in tr.attrs}
    assert moves == {c["product"]: c["direction"] for c in data[2]["changes"]["levelChanges"]}
    mean = next(f for f in doc.find_all("figure") if f.attrs.get("data-chart") == "Mean score").find("polyline")
    assert len(mean.attrs["points"].split()) == 3
    md = (outs[2] / "report.md").read_text(encoding="utf-8")
    assert "Compared with run #2 of 2026-11-15" in md
    assert "sales.large_orders curated → authoritative" in md
    assert f"| {n_products} | 5 | {data[2]['total']['meanScore']:g} |" in md
