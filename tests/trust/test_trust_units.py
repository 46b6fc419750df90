"""Unit tests of the hardening helpers: YAML limits and messages, look-alike ids, visible text,
Cedar syntax-error lines, capped findings."""

from __future__ import annotations

import pytest

from govern.load.yamlio import MAX_DEPTH, parse_yaml
from govern.model.confusables import skeleton
from govern.model.errors import InputError
from govern.output.visible import visible


def _error(text: str | bytes) -> InputError:
    with pytest.raises(InputError) as err:
        parse_yaml(text, "m.yaml")
    return err.value


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 10_000, 300_000])
def test_deep_flow_nesting_is_refused_before_libyaml_recurses(depth: int) -> None:
    """300,000 nested '[' used to kill the interpreter (SIGSEGV in libyaml's C composer)."""
    err = _error("a: " + "[" * depth + "]" * depth + "\n")
    assert err.message == f"nesting deeper than {MAX_DEPTH} levels" and err.line == 1


def test_nesting_up_to_the_limit_is_fine() -> None:
    data, _ = parse_yaml("a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n", "m.yaml")
    assert isinstance(data["a"], list)


@pytest.mark.parametrize(("text", "tag"), [
    ("a: !!python/object/apply:os.system [ls]\n", "!!python/object/apply:os.system"),
    ("a: !!python/object:collections.OrderedDict {b: 1}\n", "!!python/object:collections.OrderedDict"),
    ("a: !!omap [b: 1]\n", "!!omap"),
    ("a: !custom {b: 1}\n", "!custom"),
    ("a: !!str 1\nb: !!int '2'\n", None),  # standard scalar tags are fine
])
def test_tags_on_collections_are_refused_like_tags_on_scalars(text: str, tag: str | None) -> None:
    if tag is None:
        assert parse_yaml(text, "m.yaml")[0] == {"a": "1", "b": 2}
    else:
        err = _error(text)
        assert err.message == f"unsupported YAML tag {tag}" and err.field == "a" and err.line == 1


def test_a_control_character_is_reported_at_its_line_even_after_multibyte_text() -> None:
    err = _error("name: Größe ✓\nowner: a\x1bb\n")
    assert err.line == 2 and "character 0x001b is not allowed" in err.message


def test_syntax_errors_name_where_the_construct_started() -> None:
    err = _error("a: 1\nb: 'open\nc: 2\nd: 3\n")
    assert err.line == 5 and "quoted scalar that starts on line 2" in err.message


def test_tab_hint_only_when_a_tab_indents_the_line() -> None:
    assert "a tab is used for indentation" in _error("a:\n\tb: 1\n").message
    assert "tab" not in _error("a: [1\nb: 2\n").message


def test_unicode_line_breaks_are_refused_with_the_editor_line() -> None:
    err = _error("a: 1\r\nb: x\u2029y\r\n")
    assert err.line == 2 and "U+2029 (PARAGRAPH SEPARATOR)" in err.message


def test_bom_crlf_and_cr_keep_editor_line_numbers() -> None:
    for text in ("\ufeffa: 1\nb:\n  c: 2\n", "a: 1\r\nb:\r\n  c: 2\r\n", "a: 1\rb:\r  c: 2\r"):
        data, smap = parse_yaml(text.encode("utf-8"), "m.yaml")
        assert data == {"a": 1, "b": {"c": 2}} and smap.line_of(("b", "c")) == 3


def test_long_field_paths_are_shortened_in_messages() -> None:
    text = "".join("  " * i + f"key_number_{i}:\n" for i in range(30)) + "  " * 30 + "x: !custom 1\n"
    err = _error(text)
    assert err.field is not None and len(err.field) <= 125 and "..." in err.field


@pytest.mark.parametrize(("a", "b"), [
    ("sales.orders", "sales.оrders"),          # Cyrillic о
    ("sales.orders", "sαles.orders"),          # Greek alpha
    ("sales.orders", "SALES.ORDERS"),
    ("sales.orders", "sales.or\u200bders"),    # zero-width space
    ("sales.orders", "ｓａｌｅｓ.orders"),       # full-width
    ("crm.customers", "сrm.сustomers"),        # Cyrillic с
    ("hr.payroll", "һr.payrоll"),               # Cyrillic һ and о
])
def test_look_alike_ids_share_a_skeleton(a: str, b: str) -> None:
    assert skeleton(a) == skeleton(b)


@pytest.mark.parametrize(("a", "b"), [
    ("sales.orders", "sales.order"), ("sales.orders_v2", "sales.orders_v3"), ("crm.a", "crm.b"),
    ("sales.order_lines", "sales.orderlines"),
])
def test_different_ascii_ids_never_collide(a: str, b: str) -> None:
    assert skeleton(a) != skeleton(b)


def test_visible_shows_invisible_and_bidi_characters() -> None:
    assert visible("sales.orders") == "sales.orders"
    assert visible("a\u200bb") == "a\\u200bb"
    assert visible("evil\u202etxt.sql") == "evil\\u202etxt.sql"
    assert visible("bell\x07 and esc\x1b[2J") == "bell\\u0007 and esc\\u001b[2J"
    assert visible("line1\nline2\tend") == "line1\nline2\tend"
    assert visible("Größe ✓ сrm") == "Größe ✓ сrm"


def test_cedar_syntax_error_line_points_at_the_broken_policy() -> None:
    from govern.standards.cedar_syntax import syntax_error_line

    good = '@id("a")\npermit (principal, action, resource);\n\n'
    tricky = '// a comment with ; and "quotes"\n@id("b; not the end")\npermit (principal, action, resource)\n'
    broken = '@id("c")\nforbid (principal, action, resource)\nwhen { context.x == "y" \n;\n'
    assert syntax_error_line(good + tricky + ";\n") is None
    assert syntax_error_line(good + tricky + ";\n" + broken) == 8


def test_findings_per_file_are_capped_with_a_count(tmp_path) -> None:
    import yaml
    from meshkit import base_product

    from govern.load.manifest import MAX_FINDINGS_PER_FILE, load_manifest_file
    data = base_product("sales.orders")
    data["outputPorts"][0]["columns"] = [{"name": i} for i in range(200)]  # 200 wrong types
    path = tmp_path / "dataproduct.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    product, findings = load_manifest_file(path, tmp_path)
    assert len(findings) == MAX_FINDINGS_PER_FILE + 1
    # the product is still there, without the invalid columns (issue 17: one bad value does not hide it)
    assert product is not None and product.invalid == frozenset({"outputPorts"})
    assert product.model.outputPorts[0].columns == []
    assert findings[-1].message == f"... and {200 - MAX_FINDINGS_PER_FILE} more invalid fields in this file"


def test_a_fifo_named_like_a_manifest_is_refused_not_waited_on(tmp_path) -> None:
    import os

    from govern.load.yamlio import read_yaml_file

    fifo = tmp_path / "dataproduct.yaml"
    os.mkfifo(fifo)
    with pytest.raises(InputError) as err:
        read_yaml_file(fifo, "dataproduct.yaml")  # would block forever on open()+read()
    assert err.value.message == "not a regular file"
