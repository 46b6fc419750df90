"""Property-based tests (hypothesis): generated and mutated manifests never crash the loader or the
evaluator, no manifest silently disappears, and the gate never allows a mesh with a known violation.

Bounded and deterministic for CI: ``derandomize=True`` (examples derived from the test itself) and a
fixed ``max_examples``; the counts are in docs/readme-trust.md. Set GOVERN_FUZZ_EXAMPLES to run longer.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from meshkit import BASE_ORG, base_product
from trustkit import base_mesh, govern

from govern.evaluate.engine import evaluate
from govern.evaluate.gate import decide
from govern.load.loader import load_mesh
from govern.load.yamlio import parse_yaml
from govern.model.errors import InputError
from govern.standards.pack import Pack, load_pack

TODAY = dt.date(2026, 6, 1)
SCALE = int(os.environ.get("GOVERN_FUZZ_EXAMPLES", "1"))
FUZZ = settings(derandomize=True, deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
MANIFEST_EXAMPLES = 100 * SCALE
TEXT_EXAMPLES = 300 * SCALE
CLI_EXAMPLES = 20 * SCALE


@cache
def _pack() -> Pack:
    return load_pack()


# ------------------------------------------------------------------ strategies

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40), st.dates(),
    st.sampled_from(["", " ", "~", "null", "yes", "2025-02-30", "1.0", "sales.orders", "ana@example.com",
                     "../../etc/passwd", "<script>alert(1)</script>", "sales.оrders", "a\u200bb", "\u202e"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


def _parent(data: Any, path: tuple) -> tuple[Any, Any]:
    node = data
    for step in path[:-1]:
        node = node[step]
    return node, path[-1]


# Weighted so that about half the manifests still validate and reach the rules (the rest test the loader).
OPERATIONS = ["drop"] * 3 + ["unicode"] * 3 + ["retype", "deeper"] + ["unknown"] * 2


@st.composite
def mutated_manifest(draw: st.DrawFn) -> dict[str, Any]:
    """A valid manifest with 1-4 mutations: drop a key, change a type, insert unicode, nest deeper,
    add unknown keys."""
    domain = draw(st.sampled_from(["sales", "crm", "finance", "logistics"]))
    data = base_product(f"{domain}.{draw(st.sampled_from(['orders', 'items', 'x1']))}")
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        paths = [p for p in _paths(data) if p != ("kind",)]  # without kind it is not a manifest at all
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = _parent(data, path)
        op = draw(st.sampled_from(OPERATIONS))
        if op == "drop":
            del parent[key]
        elif op == "retype":
            parent[key] = draw(VALUES)
        elif op == "unicode":
            parent[key] = draw(st.text(min_size=1, max_size=20))
        elif op == "deeper":
            value = parent[key]
            for _ in range(draw(st.integers(min_value=1, max_value=80))):
                value = draw(st.sampled_from([[value], {"nested": value}]))
            parent[key] = value
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=10))] = draw(VALUES)
    return data


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000)


def _write(root: Path, rel: str, text: str | bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")


def _mesh_with(root: Path, manifests: list[str | bytes]) -> None:
    """org.yaml, a product with a known violation (namespace qa), and the generated manifests."""
    _write(root, "org.yaml", _dump(BASE_ORG))
    known = base_product("finance.revenue")
    known["namespace"] = "qa"
    _write(root, "finance/revenue/dataproduct.yaml", _dump(known))
    for i, text in enumerate(manifests):
        _write(root, f"gen/p{i}/dataproduct.yaml", text)


def _assert_sound(root: Path, count: int) -> None:
    """Loader and evaluator return normally; every generated manifest is a product or a finding;
    no rule crashed; the gate does not allow the known violation."""
    mesh = load_mesh([root], root=root)
    result = evaluate(mesh, _pack(), today=TODAY)
    crashed = [f.message for f in result.findings if f.rule == "rule.crashed"]
    assert not crashed, crashed
    loaded = {p.path for p in mesh.products}
    reported = {f.location.path for f in result.findings if f.rule in ("manifest.invalid", "input.invalid")}
    for i in range(count):
        rel = f"gen/p{i}/dataproduct.yaml"
        assert rel in loaded or rel in reported, f"{rel} silently disappeared"
    assert any(f.rule == "namespace.enum" and f.product == "finance.revenue" for f in result.findings)
    assert decide(result).exit_code != 0


# ------------------------------------------------------------------ properties

@settings(FUZZ, max_examples=MANIFEST_EXAMPLES)
@given(manifests=st.lists(mutated_manifest(), min_size=1, max_size=3), duplicate=st.booleans())
def test_mutated_manifests_never_crash_and_never_pass(manifests: list[dict], duplicate: bool) -> None:
    texts = [_dump(m) for m in manifests]
    if duplicate and isinstance(manifests[0].get("id"), str):  # the same id again, spelt with a look-alike
        twin = copy.deepcopy(manifests[0])
        twin["id"] = twin["id"].replace("o", "\u043e").replace("a", "\u0430").upper()
        texts.append(_dump(twin))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "mesh"
        _mesh_with(root, texts)
        _assert_sound(root, len(texts))


TEXT_NOISE = st.sampled_from(["\t", ":", ": ", "- ", "[", "]", "{", "}", "&a ", "*a", "!!python/name:os.system ",
                              "<<: ", "---\n", "\ufeff", "\r\n", "\r", "\x00", "\x07", "\x85", "\u2028", "'", '"',
                              "#", "|\n", ">\n", "? ", "%YAML 1.1\n", "\\", "\n  ", "\n"])


@st.composite
def mutated_text(draw: st.DrawFn) -> bytes:
    """A manifest's YAML text with characters inserted, deleted or replaced (syntax-level damage)."""
    text = _dump(base_product("sales.orders"))
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        at = draw(st.integers(min_value=0, max_value=len(text)))
        op = draw(st.sampled_from(["insert", "delete", "dup-line"]))
        if op == "insert":
            text = text[:at] + draw(st.one_of(TEXT_NOISE, st.text(max_size=4))) + text[at:]
        elif op == "delete":
            text = text[:at] + text[at + draw(st.integers(min_value=1, max_value=20)):]
        else:
            lines = text.splitlines(keepends=True)
            if lines:
                i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
                lines.insert(i, lines[i])
                text = "".join(lines)
    raw = text.encode("utf-8", errors="surrogatepass")
    if draw(st.booleans()):  # sometimes break the encoding too
        at = draw(st.integers(min_value=0, max_value=len(raw)))
        raw = raw[:at] + draw(st.binary(min_size=1, max_size=3)) + raw[at:]
    return raw


@settings(FUZZ, max_examples=TEXT_EXAMPLES)
@given(raw=mutated_text())
def test_damaged_yaml_text_is_a_clear_error_or_data(raw: bytes) -> None:
    """parse_yaml either returns data with a line map or raises InputError with the file named."""
    try:
        _data, smap = parse_yaml(raw, "dataproduct.yaml")
    except InputError as exc:
        assert exc.path == "dataproduct.yaml" and exc.message
        assert exc.line is None or 1 <= exc.line <= raw.count(b"\n") + raw.count(b"\r") + 2
        return
    assert smap.path == "dataproduct.yaml"


@settings(FUZZ, max_examples=TEXT_EXAMPLES // 3)
@given(raw=mutated_text())
def test_a_damaged_manifest_never_crashes_the_mesh_check(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "mesh"
        _mesh_with(root, [raw])
        _assert_sound(root, 1)


@settings(FUZZ, max_examples=CLI_EXAMPLES, suppress_health_check=list(HealthCheck))
@given(manifest=mutated_manifest())
def test_the_gate_command_never_exits_0_on_a_known_violation(manifest: dict) -> None:
    """Through the real CLI: exit 1 (blocked) or 2 (undecided), never 0, never a traceback."""
    with tempfile.TemporaryDirectory() as tmp:
        mesh = base_mesh(Path(tmp) / "mesh")
        mesh.product("finance.revenue", {"namespace": "qa"})
        mesh.write("gen/dataproduct.yaml", _dump(manifest))
        out = govern("gate", str(mesh.root))
        assert out.exit_code in (1, 2), out.stdout[-1000:]
        assert "Traceback" not in out.stdout + out.stderr
