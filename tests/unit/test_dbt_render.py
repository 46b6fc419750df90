"""dbt Jinja rendering (govern/analysis/dbt.py): refs, sources, sandboxing, line numbers."""

from __future__ import annotations

import pytest

from govern.analysis.dbt import DbtContext, RenderError, is_template, render

TABLES = {"orders": "analytics.sales_prod.orders", "sales.orders": "analytics.sales_prod.orders"}
CONTEXT = DbtContext(lambda name, extra: TABLES.get(name), this="analytics.finance_prod.revenue")


def test_ref_source_config_and_this_render_to_table_names() -> None:
    sql, _ = render(
        "{{ config(materialized='incremental') }}select * from {{ ref('orders') }} o\n"
        "join {{ source('raw', 'fx_rates') }} r on true\nunion all select * from {{ this }}",
        CONTEXT,
    )
    assert sql == (
        "select * from analytics.sales_prod.orders o\n"
        "join raw.fx_rates r on true\nunion all select * from analytics.finance_prod.revenue"
    )


def test_unresolved_ref_renders_the_model_name() -> None:
    sql, _ = render("select 1 from {{ ref('nowhere') }} x, {{ ref('pkg', 'model_b') }} y", CONTEXT)
    assert sql == "select 1 from nowhere x, model_b y"


def test_lines_are_kept_when_blocks_drop_lines() -> None:
    template = (
        "select id\n"  # 1
        "from {{ ref('orders') }}\n"  # 2
        "{% if is_incremental() %}\n"  # 3
        "where id > (select max(id) from {{ this }})\n"  # 4
        "{% endif %}\n"  # 5
        "{# a comment\n spanning lines #}\n"  # 6-7
        "and broken("  # 8
    )
    sql, line_map = render(template, CONTEXT)
    lines = sql.split("\n")
    assert lines[-1] == "and broken("
    assert line_map[len(lines) - 1] == 8
    assert line_map[1] == 2


@pytest.mark.parametrize(
    ("template", "line", "text"),
    [
        ("select 1\nfrom {{ undefined_macro() }}", 2, "'undefined_macro' is undefined"),
        ("select 1\n{% if %}", 2, "syntax error"),
        ("select {{ ''.__class__.__mro__ }}", 1, "unsafe"),
        ("select\n{{ var('start_date') }}", 2, "no default"),
        ("select {{ ref() }}", 1, "takes a model name"),
    ],
)
def test_render_errors_name_the_template_line(template: str, line: int, text: str) -> None:
    with pytest.raises(RenderError) as info:
        render(template, CONTEXT)
    assert info.value.line == line
    assert text in info.value.message


def test_sandbox_has_no_builtins() -> None:
    for template in ("{{ range(3) | list }}", "{{ lipsum() }}", "{{ cycler }}", "{{ dict(a=1) }}", "{{ namespace() }}"):
        with pytest.raises(RenderError):
            render(template, CONTEXT)


def test_plain_sql_is_not_a_template() -> None:
    assert not is_template("select '{' as brace from t")
    assert is_template("select {{ ref('a') }}")


def test_sandbox_refuses_memory_bombs() -> None:
    for template in ("{{ 'x' * 10**9 }}", "{{ [0] * 100000 }}", "{{ 7 ** 100000 }}"):
        with pytest.raises(RenderError) as info:
            render(template, CONTEXT)
        assert "not allowed" in info.value.message
