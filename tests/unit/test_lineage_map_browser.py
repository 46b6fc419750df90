"""The lineage map in a real headless Chromium (Debian's package), driven over the DevTools protocol on a pipe:
the report's script runs under its Content-Security-Policy, hovering a product highlights its links, a click
opens its scorecard, a domain expands, search finds a product, and labels fit their boxes in real fonts.

Skipped when Chromium is not installed, except in CI (CI=true), where .ci/run installs it: there a missing
browser is a failure, not a skip.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from govern.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")

if BROWSER is None:
    if os.environ.get("CI"):
        pytest.fail("CI: Chromium is not installed (.ci/run installs Debian's chromium)", pytrace=False)
    pytest.skip("Chromium is not installed (apt-get install -y chromium)", allow_module_level=True)


class Browser:
    """A headless Chromium and one page, spoken to with the DevTools protocol over --remote-debugging-pipe."""

    def __init__(self, profile: Path, width: int = 1400, height: int = 1000) -> None:
        to_child, self._to_browser = os.pipe()
        self._from_browser, from_child = os.pipe()

        def wire() -> None:  # the protocol's pipe: the browser reads fd 3 and writes fd 4
            # move both ends clear of 3 and 4 first: either may already be 3 or 4 in this process
            reads, writes = (fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_child, from_child))
            os.dup2(reads, 3)
            os.dup2(writes, 4)

        args = [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-extensions", "--hide-scrollbars", f"--user-data-dir={profile}",
                f"--window-size={width},{height}", "--remote-debugging-pipe", "about:blank"]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, close_fds=False, preexec_fn=wire)
        os.close(to_child)
        os.close(from_child)
        self._buffer = b""
        self._next = 0
        self.events: list[dict] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=True)
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=True)

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def call(self, method: str, params: dict | None = None, session: bool = False, timeout: float = 30) -> dict:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read(deadline)
            if answer.get("id") == self._next:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_for(self, method: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        for i, event in enumerate(self.events):
            if event.get("method") == method:
                return self.events.pop(i)
        while True:
            event = self._read(deadline)
            if event.get("method") == method:
                return event
            self.events.append(event)

    def open(self, url: str) -> None:
        self.events.clear()
        self.call("Page.navigate", {"url": url}, session=True)
        self.wait_for("Page.loadEventFired")

    def js(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=True)
        if "exceptionDetails" in result:
            raise AssertionError(result["exceptionDetails"])
        return result["result"].get("value")

    def centre(self, selector: str) -> tuple[float, float]:
        """Scroll the element into view and return the middle of its box on the screen."""
        box = self.js(f"(function () {{ var e = document.querySelector({json.dumps(selector)}); "
                      "e.scrollIntoView({block: 'center', inline: 'center'}); var r = e.getBoundingClientRect(); "
                      "return [r.left + r.width / 2, r.top + r.height / 2]; })()")
        return box[0], box[1]

    def mouse(self, kind: str, x: float, y: float) -> None:
        params = {"type": kind, "x": x, "y": y, "button": "left" if kind != "mouseMoved" else "none", "clickCount": 1}
        self.call("Input.dispatchMouseEvent", params, session=True)

    def click(self, selector: str) -> None:
        x, y = self.centre(selector)
        self.mouse("mouseMoved", x, y)
        self.mouse("mousePressed", x, y)
        self.mouse("mouseReleased", x, y)

    def key(self, key: str, text: str = "") -> None:
        for kind in ("keyDown", "keyUp"):
            params = {"type": kind, "key": key, "code": key, "windowsVirtualKeyCode": 13 if key == "Enter" else 0}
            if text and kind == "keyDown":
                params["text"] = text
            self.call("Input.dispatchKeyEvent", params, session=True)

    def problems(self) -> list[str]:
        """Script exceptions and console errors so far (a CSP violation is a console error)."""
        out = []
        for event in self.events:
            if event.get("method") == "Runtime.exceptionThrown":
                out.append(json.dumps(event["params"]["exceptionDetails"])[:300])
            if event.get("method") == "Log.entryAdded" and event["params"]["entry"]["level"] == "error":
                out.append(event["params"]["entry"]["text"])
        return out

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.call("Browser.close", timeout=10)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    b = Browser(tmp_path_factory.mktemp("chromium-profile"))
    yield b
    b.close()


@pytest.fixture(scope="module")
def example_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("example-report")
    res = CliRunner().invoke(cli, ["report", str(ROOT / "examples" / "mesh"), "--out", str(out), "--today",
                                   "2026-11-22", "--no-record"])
    assert res.exit_code == 0, res.output
    return out / "index.html"


MAP = "document.querySelector('.lineage-map')"
SHOWN = f"Array.prototype.filter.call({MAP}.querySelectorAll('.map-view'), function (v) {{ return !v.hidden; }})" \
        ".map(function (v) { return v.getAttribute('data-view'); })"


def test_the_report_map_runs_under_its_csp_and_shows_every_product(browser: Browser, example_report: Path) -> None:
    browser.open(example_report.as_uri())
    assert browser.problems() == []
    assert browser.js(f"{MAP}.querySelector('.map-controls').hidden") is False  # the script ran
    assert browser.js(SHOWN) == ["all"]
    size = browser.js("(function () { var r = document.querySelector('.map-view:not([hidden]) svg')"
                      ".getBoundingClientRect(); return [r.width, r.height]; })()")
    assert size[0] > 700 and size[1] > 1000
    assert browser.js("document.querySelectorAll('.map-view:not([hidden]) .node[data-product]').length") == 35


def test_hovering_a_product_highlights_its_links_and_neighbours(browser: Browser, example_report: Path) -> None:
    browser.open(example_report.as_uri())
    node = '.map-view[data-view="all"] .node[data-product="sales.channel_mix"]'
    x, y = browser.centre(node)
    browser.mouse("mouseMoved", x, y)
    assert browser.js("document.querySelector('.map-view[data-view=\"all\"] svg').classList.contains('focus')")
    lit = browser.js("Array.prototype.map.call(document.querySelectorAll('.map-view[data-view=\"all\"] .node.hl'), "
                     "function (n) { return n.getAttribute('data-product'); }).sort()")
    assert lit == ["crm.customers", "sales.channel_mix", "sales.orders"]
    edges = browser.js("document.querySelectorAll('.map-view[data-view=\"all\"] .edge.hl').length")
    assert edges == 2
    time.sleep(0.4)  # the fade is a short transition
    dimmed = browser.js("getComputedStyle(document.querySelector('.map-view[data-view=\"all\"] "
                        ".node[data-product=\"finance.top_supplier\"]')).opacity")
    assert float(dimmed) < 0.5
    tooltip = browser.js(f"document.querySelector('{node} title').textContent")
    assert tooltip.startswith("sales.channel_mix") and "curated, score 80" in tooltip
    browser.mouse("mouseMoved", 2, 2)
    assert browser.js("document.querySelectorAll('.lineage-map .hl').length") == 0


def test_clicking_a_product_opens_its_scorecard(browser: Browser, example_report: Path) -> None:
    browser.open(example_report.as_uri())
    browser.click('.map-view[data-view="all"] .node[data-product="crm.customer_segments"]')
    time.sleep(0.2)
    assert browser.js("decodeURIComponent(location.hash)") == "#p-crm.customer_segments"
    top = browser.js("document.getElementById('p-crm.customer_segments').getBoundingClientRect().top")
    assert -2 <= top < 200  # scrolled to the product's findings section
    browser.open(example_report.as_uri())
    browser.click('.map-view[data-view="all"] .node[data-product="crm.customers"]')  # no findings: its table row
    time.sleep(0.2)
    assert browser.js("decodeURIComponent(location.hash)") == "#product-crm.customers"
    assert browser.js("getComputedStyle(document.querySelector('#products-table tr:target td')).backgroundColor") \
        == "rgb(255, 244, 204)"


def test_domains_collapse_and_one_expands(browser: Browser, example_report: Path) -> None:
    browser.open(example_report.as_uri())
    browser.click('.lineage-map button[data-show="domains"]')
    assert browser.js(SHOWN) == ["domains"]
    assert browser.js(f"{MAP}.querySelector('button[data-show=\"domains\"]').getAttribute('aria-pressed')") == "true"
    browser.click('.map-view[data-view="domains"] .node[data-domain="finance"]')
    assert browser.js(SHOWN) == ["domain-1"]
    assert browser.js(f"{MAP}.querySelector('select.map-domain').value") == "domain-1"
    browser.click('.map-view[data-view="domain-1"] .lane-label[data-show="domain-4"]')  # sales, a linked domain
    assert browser.js(SHOWN) == ["domain-4"]
    browser.js(f"(function () {{ var s = {MAP}.querySelector('select.map-domain'); s.value = 'domain-0'; "
               "s.dispatchEvent(new Event('change')); })()")
    assert browser.js(SHOWN) == ["domain-0"]
    browser.click('.lineage-map button[data-show="all"]')
    assert browser.js(SHOWN) == ["all"]
    assert browser.problems() == []


def test_search_finds_a_product_in_its_domain(browser: Browser, example_report: Path) -> None:
    browser.open(example_report.as_uri())
    browser.click('.lineage-map button[data-show="domains"]')
    browser.click(".lineage-map input.map-find")
    for ch in "promo_fore":
        browser.key(ch, ch)
    browser.key("Enter")
    assert browser.js(SHOWN) == ["all"]  # the view the map opens on, when it shows the product
    assert browser.js("document.querySelector('.map-view[data-view=\"all\"] .node[data-product=\"finance.promo_forecast\"]')"
                      ".classList.contains('hl')")
    browser.click(".lineage-map input.map-find")
    browser.js(f"{MAP}.querySelector('input.map-find').value = 'no such thing'")
    browser.key("Enter")
    assert browser.js(f"{MAP}.querySelector('.map-found').textContent") == "no product matches"


def test_labels_fit_their_boxes_in_real_fonts(browser: Browser, example_report: Path) -> None:
    """The layout estimates text widths in Python; the browser measures them."""
    browser.open(example_report.as_uri())
    for view in ("all", "domains", "domain-1"):
        browser.js(f"(function () {{ var vs = {MAP}.querySelectorAll('.map-view'); for (var i = 0; i < vs.length; i++)"
                   f" vs[i].hidden = vs[i].getAttribute('data-view') !== '{view}'; }})()")
        overflow = browser.js(
            "(function () { var out = []; document.querySelectorAll('.map-view:not([hidden]) .node').forEach("
            "function (n) { var box = n.querySelector('rect').getBBox(); n.querySelectorAll('text').forEach("
            "function (t) { var b = t.getBBox(); if (b.x < box.x || b.x + b.width > box.x + box.width + 0.5) "
            "out.push(t.textContent + ' ' + b.width + ' in ' + box.width); }); }); return out; })()")
        assert overflow == [], (view, overflow)
        legend = browser.js(
            "(function () { var out = [], boxes = []; document.querySelectorAll('.map-view:not([hidden]) .legend text')"
            ".forEach(function (t) { var b = t.getBBox(); boxes.forEach(function (o) { if (b.x < o.x + o.width && "
            "o.x < b.x + b.width && b.y < o.y + o.height && o.y < b.y + b.height) out.push(t.textContent); }); "
            "boxes.push(b); }); return out; })()")
        assert legend == [], (view, legend)


def test_a_1000_product_map_opens_on_the_domains(browser: Browser, tmp_path: Path) -> None:
    from bench.generate import generate

    generate(tmp_path / "mesh", 1000, 7)
    out = tmp_path / "map.html"
    res = CliRunner().invoke(cli, ["lineage", str(tmp_path / "mesh"), "-f", "html", "--today", "2026-06-01",
                                   "-o", str(out)])
    assert res.exit_code == 0, res.output
    browser.open(out.as_uri())
    assert browser.problems() == []
    assert browser.js(SHOWN) == ["domains"]
    assert browser.js("document.querySelectorAll('.map-view:not([hidden]) .node.domain').length") == 4
    browser.click('.map-view[data-view="domains"] .node[data-domain="sales"]')
    assert browser.js(SHOWN) == ["domain-3"]
    count = browser.js("document.querySelectorAll('.map-view:not([hidden]) .node[data-home=\"1\"]').length")
    assert count == 250
    boxes = browser.js("document.querySelectorAll('.map-view:not([hidden]) .node.domain').length")
    assert boxes == 6  # the three other domains, each upstream and downstream
