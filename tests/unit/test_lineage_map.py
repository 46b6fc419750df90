"""The lineage map (govern/output/lineagemap.py): what the SVG shows, through the real CLI (govern lineage -f
svg|html, govern report), parsed as XML: nodes per domain lane, colours per certitude level, declared and
observed-only links, state markers, links to the scorecards, collapse to domains at scale, determinism and
escaping. What a browser does with it: tests/unit/test_lineage_map_browser.py."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html import unescape
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml
from click.testing import CliRunner
from meshkit import MeshDir

from govern.cli.main import cli
from govern.output import lineagemap
from govern.output.lineagemap import LINK_STYLE, LineageMap, MapLink, MapProduct, views
from govern.output.palette import level_colour

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"
TODAY = "2026-06-01"


def govern(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> MeshDir:
    """Four domains: an undeclared SQL read, a declared input the SQL never reads, a deprecated, a retired and
    a tombstoned product, and a product whose owner is unknown (a lower level)."""
    mesh = MeshDir(tmp_path_factory.mktemp("map") / "mesh")
    mesh.org()
    mesh.product("crm.customers")
    mesh.product("crm.customers_v0", {"lifecycle": {"state": "tombstoned", "events": [
        {"state": "init", "at": "2023-01-01"}, {"state": "active", "at": "2023-02-01"},
        {"state": "deprecated", "at": "2024-01-01"}, {"state": "retired", "at": "2024-06-01"},
        {"state": "tombstoned", "at": "2025-01-01"}], "sunset": "2024-06-01", "replacedBy": "crm.customers"},
        "tombstone": {"at": "2025-01-01", "reason": "replaced"}})
    mesh.product("crm.contacts_old", {"lifecycle": {"state": "retired", "events": [
        {"state": "init", "at": "2023-01-01"}, {"state": "active", "at": "2023-02-01"},
        {"state": "deprecated", "at": "2025-01-01"}, {"state": "retired", "at": "2025-06-01"}],
        "sunset": "2025-06-01", "replacedBy": "crm.customers"}})
    mesh.product("sales.orders", {"inputs": [{"product": "crm.customers"}], "execution": {"code": ["o.sql"]}})
    mesh.write("sales/orders/o.sql", "select id from analytics.crm_prod.customers\n")
    mesh.product("sales.orders_legacy", {"lifecycle": {"state": "deprecated", "events": [
        {"state": "init", "at": "2024-01-01"}, {"state": "active", "at": "2024-02-01"},
        {"state": "deprecated", "at": "2026-03-01"}], "sunset": "2026-12-31", "replacedBy": "sales.orders"}})
    mesh.product("finance.revenue", {"inputs": [{"product": "sales.orders"}], "execution": {"code": ["r.sql"]}})
    mesh.write("finance/revenue/r.sql",
               "select o.id from analytics.sales_prod.orders o\njoin analytics.crm_prod.customers c on c.id = o.id\n")
    mesh.product("finance.budget", {"inputs": [{"product": "sales.orders"}, {"product": "crm.customers"}],
                                    "execution": {"code": ["b.sql"]}})
    mesh.write("finance/budget/b.sql", "select id from analytics.sales_prod.orders\n")
    mesh.product("logistics.shipments", {"owner": {"group": "nobody"}, "inputs": [{"product": "sales.orders"}]})
    return mesh


@pytest.fixture(scope="module")
def outputs(small: MeshDir, tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("out")
    root = str(small.root)
    res = govern("lineage", root, "-f", "svg", "--today", TODAY, "-o", str(out / "map.svg"))
    assert res.exit_code == 0, res.output
    res = govern("lineage", root, "-f", "html", "--today", TODAY, "-o", str(out / "map.html"))
    assert res.exit_code == 0, res.output
    res = govern("report", root, "--out", str(out / "report"), "--today", TODAY, "--no-record")
    assert res.exit_code == 0, res.output
    cards = json.loads(govern("scorecard", root, "--today", TODAY, "--format", "json").output)
    return {"svg": (out / "map.svg").read_text(encoding="utf-8"), "html": (out / "map.html").read_text(encoding="utf-8"),
            "report": (out / "report" / "index.html").read_text(encoding="utf-8"), "cards": cards}


def tag(el: ET.Element) -> str:
    return el.tag.removeprefix(SVG)


def svgs_in(html: str) -> list[ET.Element]:
    """Every inline map SVG of an HTML page (each is well-formed XML on its own)."""
    return [ET.fromstring(m) for m in re.findall(r'<svg class="lmap".*?</svg>', html, flags=re.S)]


def nodes(svg: ET.Element) -> dict[str, ET.Element]:
    return {el.get("data-product"): el for el in svg.iter() if el.get("class") == "node" and el.get("data-product")}


def edges(svg: ET.Element) -> list[tuple[str, str, str, ET.Element]]:
    """(from, to, kind, element): ends named by product id, or by the domain of a domain box."""
    names = {el.get("id"): el.get("data-product") or el.get("data-domain") for el in svg.iter() if el.get("id")}
    return [(names[el.get("data-from")], names[el.get("data-to")], el.get("data-kind"), el)
            for el in svg.iter() if (el.get("class") or "").startswith("edge ")]


def first(el: ET.Element, name: str) -> ET.Element:
    return next(c for c in el if tag(c) == name)


def box(el: ET.Element) -> tuple[float, float, float, float]:
    r = first(el, "rect")
    return float(r.get("x")), float(r.get("y")), float(r.get("width")), float(r.get("height"))


PRODUCTS = ["crm.contacts_old", "crm.customers", "crm.customers_v0", "finance.budget", "finance.revenue",
            "logistics.shipments", "sales.orders", "sales.orders_legacy"]


def test_every_product_is_a_node_inside_its_domain_lane(outputs: dict) -> None:
    svg = ET.fromstring(outputs["svg"])
    assert svg.tag == f"{SVG}svg" and svg.get("data-view") == "all"
    found = nodes(svg)
    assert sorted(found) == PRODUCTS
    lanes = {el.get("data-domain"): first(el, "rect") for el in svg.iter() if el.get("class") == "lane"}
    assert sorted(lanes) == ["crm", "finance", "logistics", "sales"]
    for pid, el in found.items():
        _x, y, _w, h = box(el)
        lane = lanes[pid.partition(".")[0]]
        top, height = float(lane.get("y")), float(lane.get("height"))
        assert top <= y and y + h <= top + height, pid
        label = "".join(first(el, "text").itertext())
        assert label == pid.partition(".")[2]  # the lane names the domain
        assert pid in "".join(first(el, "title").itertext())


def test_nodes_are_coloured_by_their_certitude_level(outputs: dict) -> None:
    cards = outputs["cards"]
    levels = [lv["name"] for lv in cards["scoring"]["levels"]]
    by_id = {p["product"]: p for p in cards["products"]}
    seen = set()
    for pid, el in nodes(ET.fromstring(outputs["svg"])).items():
        level = by_id[pid]["level"]
        colour = level_colour(levels.index(level))
        assert el.get("data-level") == level
        stripe = first(el, "path")
        assert stripe.get("fill") == colour, pid
        sub = "".join(list(el.iter(f"{SVG}text"))[1].itertext())
        assert sub.startswith(f"{level} · "), sub
        seen.add(level)
    assert {"raw", "authoritative"} <= seen  # logistics.shipments (unknown owner) is raw
    assert by_id["logistics.shipments"]["level"] == "raw"
    assert {c for c in (level_colour(levels.index(lv)) for lv in seen)} == {
        first(el, "path").get("fill") for el in nodes(ET.fromstring(outputs["svg"])).values()}


def test_declared_observed_only_and_unread_links_are_drawn_apart(outputs: dict) -> None:
    drawn = {(a, b): (kind, el) for a, b, kind, el in edges(ET.fromstring(outputs["svg"]))}
    assert drawn[("crm.customers", "finance.revenue")][0] == "observed"  # read in SQL, not declared
    assert drawn[("crm.customers", "finance.budget")][0] == "unread"  # declared, the SQL never reads it
    assert drawn[("sales.orders", "finance.revenue")][0] == "declared"
    assert drawn[("crm.customers", "sales.orders")][0] == "declared"
    assert len(drawn) == 6
    for kind, el in drawn.values():
        path = first(el, "path")
        colour, _, dash = LINK_STYLE[kind]
        assert path.get("stroke") == colour and (path.get("stroke-dasharray") or "") == dash
        assert first(el, "polygon").get("fill") == colour  # the arrowhead
    observed = drawn[("crm.customers", "finance.revenue")][1]
    assert "finance/revenue/r.sql:2" in "".join(first(observed, "title").itertext())
    styles = {(first(el, "path").get("stroke"), first(el, "path").get("stroke-dasharray")) for _, el in drawn.values()}
    assert len(styles) == 3


def test_deprecated_retired_and_tombstoned_products_are_marked(outputs: dict) -> None:
    found = nodes(ET.fromstring(outputs["svg"]))

    def texts(pid: str) -> list[str]:
        return ["".join(t.itertext()) for t in found[pid].iter(f"{SVG}text")]

    def border(pid: str) -> str | None:
        return first(found[pid], "rect").get("stroke-dasharray")

    assert "deprecated" in texts("sales.orders_legacy") and border("sales.orders_legacy")
    assert "retired" in texts("crm.contacts_old") and border("crm.contacts_old")
    assert "tombstoned" in texts("crm.customers_v0") and border("crm.customers_v0")
    assert list(found["crm.customers_v0"].iter(f"{SVG}line"))  # struck through
    assert not list(found["crm.contacts_old"].iter(f"{SVG}line"))
    assert not border("crm.customers") and len(texts("crm.customers")) == 2  # active: no marker
    assert found["crm.customers_v0"].get("data-state") == "tombstoned"


def test_report_map_links_every_product_to_its_scorecard(outputs: dict) -> None:
    html = outputs["report"]
    assert '<section id="lineage">' in html and 'href="#lineage"' in html
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    svg = svgs_in(html)[0]
    anchors = {el.get("data-product"): el.get("href") for el in svg.iter() if tag(el) == "a"}
    assert sorted(anchors) == PRODUCTS
    with_findings = {p["product"] for p in outputs["cards"]["products"] if p["openErrors"] or p["warnings"]
                     or p["waived"]}
    for pid, href in anchors.items():
        target = unquote(href[1:])
        assert target in ids, href
        assert target == (f"p-{pid}" if pid in with_findings else f"product-{pid}")
    assert "logistics.shipments" in with_findings and "crm.customers" not in with_findings


def test_report_has_the_domains_view_and_one_view_per_domain(outputs: dict) -> None:
    svgs = {s.get("data-view"): s for s in svgs_in(outputs["report"])}
    assert list(svgs) == ["all", "domains", "domain-0", "domain-1", "domain-2", "domain-3"]
    assert re.search(r'<div class="map-view" data-view="all">', outputs["report"])
    assert len(re.findall(r'<div class="map-view" data-view="[^"]+" hidden>', outputs["report"])) == 5
    domains = [el for el in svgs["domains"].iter() if (el.get("class") or "") == "node domain"]
    assert [d.get("data-domain") for d in domains] == ["crm", "finance", "logistics", "sales"]
    assert all(d.get("data-show", "").startswith("domain-") for d in domains)
    summed = {(a, b, kind): int(el.get("data-count")) for a, b, kind, el in edges(svgs["domains"])}
    assert summed == {("crm", "finance", "observed"): 1, ("crm", "finance", "unread"): 1, ("crm", "sales", "declared"): 1,
                      ("sales", "finance", "declared"): 2, ("sales", "logistics", "declared"): 1}
    finance = svgs["domain-1"]  # finance expanded: its products, and the products linked to them
    assert sorted(nodes(finance)) == ["crm.customers", "finance.budget", "finance.revenue", "sales.orders"]
    home = {pid for pid, el in nodes(finance).items() if el.get("data-home") == "1"}
    assert home == {"finance.budget", "finance.revenue"}


def synthetic(n: int, domains: int, seed: int = 7) -> LineageMap:
    """A mesh of ``n`` products as the map sees it: a random DAG, most reads inside the domain."""
    rng = random.Random(seed)
    names = [f"d{i:02d}" for i in range(domains)]
    products: dict[str, MapProduct] = {}
    links = []
    ids: list[str] = []
    for i in range(n):
        domain = names[i % domains]
        pid = f"{domain}.p{i:04d}"
        rank = rng.randrange(3)
        products[pid] = MapProduct(pid, domain, state=rng.choice(["active"] * 8 + ["deprecated", "tombstoned"]),
                                   level=("raw", "curated", "authoritative")[rank], level_rank=rank, score=100.0)
        same = [p for p in ids if p.startswith(domain)]
        for producer in sorted({rng.choice(same if same and rng.random() < 0.6 else ids)
                                for _ in range(rng.randrange(1, 4))} if ids else ()):
            links.append(MapLink(producer, pid, "observed" if rng.random() < 0.03 else "declared"))
        ids.append(pid)
    return LineageMap("synthetic", ("raw", "curated", "authoritative"), dict(sorted(products.items())),
                      sorted(links, key=lambda x: (x.producer, x.consumer)))


def overlaps(boxes: list) -> list[tuple[str, str]]:
    out = []
    ordered = sorted(boxes, key=lambda b: b.x)
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            if b.x >= a.x + a.w:
                break
            if a.y < b.y + b.h and b.y < a.y + a.h:
                out.append((a.key, b.key))
    return out


def test_at_1000_products_the_map_opens_on_domains_and_expands_one() -> None:
    lmap = synthetic(1000, 20)
    shown = views(lmap)
    assert [v.name for v in shown[:2]] == ["domains", "domain-0"] and len(shown) == 21  # no all-products view
    overview = shown[0]
    assert len(overview.boxes) == 20 and all(b.kind == "domain" for b in overview.boxes)
    assert sum(b.members for b in overview.boxes) == 1000
    assert sum(ln.count for ln in overview.lines) + sum(b.inside for b in overview.boxes) == len(lmap.links)
    for view in shown:
        assert not overlaps(view.boxes), view.name
        assert all(b.x >= 0 and b.x + b.w <= view.width and b.y >= 0 and b.y + b.h <= view.height
                   for b in view.boxes), view.name
    d0 = shown[1]
    own = [b for b in d0.boxes if b.kind == "product" and b.home]
    assert len(own) == 50 and {b.product.domain for b in own} == {"d00"}
    linked = {b.product.domain for b in d0.boxes if b.kind == "product" and not b.home}
    assert len(linked) == len(d0.lanes) - 1 > 10  # a lane for each other domain it is linked to
    columns: dict[float, int] = {}
    for b in own:
        columns[b.x] = columns.get(b.x, 0) + 1
    assert max(columns.values()) <= lineagemap.cell_capacity(50)
    # four domains of 250 (as bench/generate.py makes them): the other domains are linked by more products
    # than are shown one by one, so each is one box upstream and one downstream of the expanded domain
    big = views(synthetic(1000, 4))
    d0 = big[1]
    own = [b for b in d0.boxes if b.kind == "product"]
    assert len(own) == 250 and all(b.home for b in own)
    collapsed = sorted((b.domain, b.role) for b in d0.boxes if b.kind == "domain")
    assert collapsed == [(d, role) for d in ("d01", "d02", "d03") for role in ("downstream", "upstream")]
    assert all(b.show.startswith("domain-") for b in d0.boxes if b.kind == "domain")
    tallest = max(sum(1 for b in own if b.x == x) for x in {b.x for b in own})
    assert tallest <= lineagemap.cell_capacity(250) < 40
    assert not overlaps(d0.boxes)
    page = lineagemap.map_html(lmap)
    assert page.count('class="map-view"') == 21 and 'data-opens="domains"' in page
    assert len(page) < 3_000_000


def test_a_small_map_opens_on_every_product_and_the_limit_is_a_parameter() -> None:
    lmap = synthetic(60, 4)
    assert views(lmap)[0].name == "all"
    lmap.full_view_limit = 59
    assert views(lmap)[0].name == "domains"


def test_layout_of_the_example_mesh_has_no_overlap_and_links_end_at_their_boxes(tmp_path: Path) -> None:
    out = tmp_path / "ex.svg"
    res = govern("lineage", str(ROOT / "examples" / "mesh"), "-f", "svg", "--today", "2026-11-22", "-o", str(out))
    assert res.exit_code == 0, res.output
    svg = ET.fromstring(out.read_text(encoding="utf-8"))
    found = nodes(svg)
    assert len(found) == 35
    drawn = edges(svg)
    assert len(drawn) == 57
    assert sorted((a, b) for a, b, kind, _ in drawn if kind == "observed") == [
        ("crm.customers", "sales.channel_mix"), ("logistics.volume_shipping", "logistics.carrier_costs")]
    assert [(a, b) for a, b, kind, _ in drawn if kind == "unread"] == [("logistics.suppliers", "marketing.order_feed")]
    states = {pid: el.get("data-state") for pid, el in found.items()}
    assert states["crm.customers_v0"] == "tombstoned" and states["logistics.volume_shipping"] == "retired"
    assert states["sales.orders_legacy"] == states["crm.account_tiers"] == "deprecated"
    rects = [(pid, *box(el)) for pid, el in found.items()]
    for i, (a, ax, ay, aw, ah) in enumerate(rects):
        for b, bx, by, bw, bh in rects[i + 1:]:
            assert not (ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah), (a, b)
    for a, b, _, el in drawn:
        d = first(el, "path").get("d")
        start = [float(v) for v in re.match(r"M([-\d.]+) ([-\d.]+)", d).groups()]
        tip = [float(v) for v in first(el, "polygon").get("points").split()[0].split(",")]
        ax, ay, aw, ah = box(found[a])
        bx, by, bw, bh = box(found[b])
        assert abs(start[0] - (ax + aw)) < 0.2 and ay <= start[1] <= ay + ah, (a, b)
        assert abs(tip[0] - bx) <= 1.2 and by <= tip[1] <= by + bh, (a, b)


def test_svg_is_byte_identical_whatever_the_hash_seed_locale_and_time_zone(small: MeshDir, tmp_path: Path) -> None:
    outs = []
    for i, (seed, tz, lang) in enumerate((("0", "UTC", "C.UTF-8"), ("1", "Pacific/Kiritimati", "de_DE.UTF-8"),
                                          ("4242", "America/Adak", "fr_FR.UTF-8"))):
        out = tmp_path / f"{i}.svg"
        env = {**os.environ, "PYTHONHASHSEED": seed, "TZ": tz, "LC_ALL": lang, "LANG": lang}
        proc = subprocess.run([sys.executable, "-m", "govern", "lineage", str(small.root), "-f", "svg", "--today", TODAY,
                               "-o", str(out)], env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] == outs[2]
    lmap = synthetic(300, 6)
    assert lineagemap.map_html(lmap) == lineagemap.map_html(synthetic(300, 6))


XSS = ('<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "'><svg onload=alert(1)>")


def test_hostile_names_are_escaped_in_the_svg_the_page_and_the_report(tmp_path: Path) -> None:
    mesh = MeshDir(tmp_path / "mesh")
    mesh.org()
    a, b, c = XSS
    pid = f"sales.{a}{b}"
    manifest = {**yaml.safe_load(yaml.safe_dump({"x": 1})), "kind": "DataProduct", "id": pid, "name": c + "\x07",
                "domain": f"sales{c}", "version": "1.0.0", "namespace": b, "owner": {"group": a, "person": b},
                "lifecycle": {"state": "deprecated"}, "inputs": [{"product": "crm.customers"}]}
    mesh.write("xss/dataproduct.yaml", yaml.safe_dump(manifest, sort_keys=False))
    mesh.product("crm.customers", {"name": "bell\x07 and <b>bold</b>"})
    for fmt in ("svg", "html"):
        out = tmp_path / f"map.{fmt}"
        res = govern("lineage", str(mesh.root), "-f", fmt, "--today", TODAY, "-o", str(out))
        assert res.exit_code == 0, res.output
        text = out.read_text(encoding="utf-8")
        for payload in XSS:
            assert payload not in text
        assert "<script>alert" not in text and "<img" not in text and "onerror=" not in text.replace("onerror=alert", "")
        assert "\x07" not in text and "\ufffd" in text
        docs = [ET.fromstring(text)] if fmt == "svg" else svgs_in(text)
        for doc in docs:
            for el in doc.iter():
                assert not [k for k in el.attrib if k.lower().startswith("on")], el.attrib
                assert tag(el) not in ("script", "foreignObject", "image", "img")
        ids = [el.get("data-product") for doc in docs for el in doc.iter() if el.get("data-product")]
        assert pid in ids  # the exact id survives, as data
        if fmt == "html":
            assert text.count("<script>") == 1
    out = tmp_path / "report"
    res = govern("report", str(mesh.root), "--out", str(out), "--today", TODAY, "--no-record")
    assert res.exit_code == 0, res.output
    html = (out / "index.html").read_text(encoding="utf-8")
    svg = svgs_in(html)[0]
    href = next(el.get("href") for el in svg.iter() if el.get("data-product") == pid)
    assert unquote(href) == f"#p-{pid}" and re.fullmatch(r"#p-[A-Za-z0-9%._~-]+", href)


def test_map_formats_refuse_what_they_cannot_show_and_unknown_products(small: MeshDir) -> None:
    root = str(small.root)
    for extra in (["--full"], ["--no-sql"]):
        res = govern("lineage", root, "-f", "svg", *extra)
        assert res.exit_code == 2 and "is for text, json, dot and mermaid" in res.output
    res = govern("lineage", root, "-f", "html", "--product", "sales.order", "--today", TODAY)
    assert res.exit_code == 2 and "no product 'sales.order'" in res.output and "sales.orders" in res.output


def test_map_around_one_product(small: MeshDir) -> None:
    res = govern("lineage", str(small.root), "-f", "svg", "--product", "finance.revenue", "--upstream",
                 "--today", TODAY)
    assert res.exit_code == 0, res.output
    svg = ET.fromstring(res.output)
    assert sorted(nodes(svg)) == ["crm.customers", "finance.revenue", "sales.orders"]
    assert sorted((a, b, kind) for a, b, kind, _ in edges(svg)) == [
        ("crm.customers", "finance.revenue", "observed"), ("crm.customers", "sales.orders", "declared"),
        ("sales.orders", "finance.revenue", "declared")]


def test_lineage_html_page_is_self_contained(outputs: dict) -> None:
    import base64
    import hashlib

    html = outputs["html"]
    assert not re.search(r"https?://", html.replace("http-equiv", ""))
    assert "url(" not in html and "@import" not in html and " src=" not in html
    script = re.search(r"<script>(.*?)</script>", html, flags=re.S).group(1)
    style = re.search(r"<style>(.*?)</style>", html, flags=re.S).group(1)
    csp = unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1))

    def digest(t: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(t.encode()).digest()).decode() + "'"

    assert f"script-src {digest(script)}" in csp and f"style-src {digest(style)}" in csp
    assert "default-src 'none'" in csp
    assert html.count("<svg") == 6  # all products, domains, and four domains
    assert ' href="' not in html  # a standalone map has no scorecards to open


def test_ids_that_look_like_internal_keys_do_not_collide() -> None:
    """A product id may be anything, including what the layout uses to name a domain box."""
    odd = ["d:upstream:crm", "p:crm.a", "d::crm", "crm.a"]
    products = {pid: MapProduct(pid, "crm" if pid.startswith("crm") else "x", level="raw", level_rank=0)
                for pid in odd}
    links = [MapLink("crm.a", "d:upstream:crm", "declared"), MapLink("crm.a", "p:crm.a", "observed"),
             MapLink("d::crm", "crm.a", "declared")]
    lmap = LineageMap("odd", ("raw",), dict(sorted(products.items())), links, neighbour_limit=0)
    for view in views(lmap):
        keys = [b.key for b in view.boxes]
        assert len(keys) == len(set(keys)), view.name
        svg = ET.fromstring(lineagemap.view_svg(lmap, view, "v0"))
        drawn = edges(svg)
        assert len(drawn) == len(view.lines)
    x_view = views(lmap)[3]  # domain x expanded: crm (one product linked) is one box upstream, one downstream
    assert sorted((b.domain, b.role) for b in x_view.boxes if b.kind == "domain") == [
        ("crm", "downstream"), ("crm", "upstream")]
    assert sorted(b.product.id for b in x_view.boxes if b.kind == "product") == ["d::crm", "d:upstream:crm", "p:crm.a"]
