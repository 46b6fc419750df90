"""SQL scanning (govern/analysis/sqlscan.py) across dialects, with real sqlglot."""

from __future__ import annotations

from pathlib import Path

import pytest

from govern.analysis.catalog import Catalog, ColumnInfo, PortInfo
from govern.analysis.sqlscan import PARSE_ERROR, TOO_COMPLEX, Limits, scan_sql
from govern.analysis.tablenames import location_key

FIXTURES = Path(__file__).parent.parent / "fixtures" / "sql"


def reads(text: str, dialect: str | None = None) -> list[tuple[str, ...]]:
    scan = scan_sql(text, dialect)
    assert not scan.problems, scan.problems
    return sorted({r.key for r in scan.reads})


# (dialect, SQL, tables read as normalised keys, tables written)
CASES = [
    pytest.param(
        "snowflake",
        """with recent as (select * from Analytics.Sales_Prod.Orders where order_date > current_date - 7)
        insert into analytics.finance_prod.daily
        select r.id, c.segment from recent r join "ANALYTICS"."CRM_PROD"."customers" c on c.id = r.customer_id""",
        [("ANALYTICS", "CRM_PROD", "customers"), ("ANALYTICS", "SALES_PROD", "ORDERS")],
        [("ANALYTICS", "FINANCE_PROD", "DAILY")],
        id="snowflake-cte-upper-folding-quoted-case-kept",
    ),
    pytest.param(
        "bigquery",
        """create or replace table `acme-prod.finance.daily` as
        select o.id from `acme-prod.sales.orders` o
        where o.id in (select id from `acme-prod`.crm.Customers)
        union distinct
        select id from acme_dev.sales.orders_sample""",
        [("acme-prod", "crm", "Customers"), ("acme-prod", "sales", "orders"), ("acme_dev", "sales", "orders_sample")],
        [("acme-prod", "finance", "daily")],
        id="bigquery-backticks-three-part-case-sensitive-tables",
    ),
    pytest.param(
        "postgres",
        """insert into finance.daily (id, total)
        select x.id, x.total from (
            select id, sum(amount) as total from Sales.Orders group by id
        ) as x
        where not exists (select 1 from "Finance"."Blocked" b where b.id = x.id)
        intersect
        select id, 0 from crm.customers""",
        [("Finance", "Blocked"), ("crm", "customers"), ("sales", "orders")],
        [("finance", "daily")],
        id="postgres-subquery-alias-lower-folding-set-operation",
    ),
    pytest.param(
        "duckdb",
        """create view analytics.marketing.v as
        with a as (select * from analytics.sales.orders), b as (select * from a)
        select * from b
        except select * from analytics.sales.refunds""",
        [("analytics", "sales", "orders"), ("analytics", "sales", "refunds")],
        [("analytics", "marketing", "v")],
        id="duckdb-chained-ctes-except",
    ),
    pytest.param(
        "spark",
        """insert overwrite table lake.finance.daily
        select o.id, e.item from lake.sales.orders o
        lateral view explode(o.items) e as item
        where o.id in (select id from lake.crm.customers)""",
        [("lake", "crm", "customers"), ("lake", "sales", "orders")],
        [("lake", "finance", "daily")],
        id="spark-insert-overwrite-lateral-view",
    ),
    pytest.param(
        "postgres",
        """merge into finance.balances t
        using (select id, amount from sales.orders) s on t.id = s.id
        when matched then update set amount = s.amount;
        update finance.balances set flag = true where id in (select id from crm.blocked);
        delete from finance.balances where id in (select id from crm.closed)""",
        [("crm", "blocked"), ("crm", "closed"), ("sales", "orders")],
        [("finance", "balances")],
        id="postgres-merge-update-delete-targets-are-not-reads",
    ),
]


@pytest.mark.parametrize(("dialect", "sql", "expected_reads", "expected_writes"), CASES)
def test_tables_read_and_written(dialect: str, sql: str, expected_reads: list, expected_writes: list) -> None:
    scan = scan_sql(sql, dialect)
    assert not scan.problems, scan.problems
    assert sorted({r.key for r in scan.reads}) == sorted(expected_reads)
    assert sorted({w.key for w in scan.writes}) == sorted(expected_writes)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("tpch_q02.sql", ["nation", "part", "partsupp", "region", "supplier"]),
        ("tpch_q15.sql", ["lineitem", "supplier"]),
        ("tpch_q22.sql", ["customer", "orders"]),
        ("tpcds_q01.sql", ["customer", "date_dim", "store", "store_returns"]),
    ],
)
def test_benchmark_queries(name: str, expected: list[str]) -> None:
    """Real analytical SQL: the CTEs revenue / customer_total_return and derived tables are not tables."""
    assert reads((FIXTURES / name).read_text()) == [(t,) for t in expected]


def test_statement_positions_point_at_the_first_part_of_the_name() -> None:
    sql = "select 1;\n\nselect a.x\n  from   db.sch.tbl a\n  join \"Q\".t2 on true"
    scan = scan_sql(sql, "postgres")
    found = {r.text: (r.line, r.column) for r in scan.reads}
    assert found == {"db.sch.tbl": (4, 10), '"Q".t2': (5, 8)}
    assert scan.statements == 2


def test_a_bad_statement_does_not_hide_the_others() -> None:
    sql = "select a from t1;\nselect b form t2 where;\nselect c from t3"
    scan = scan_sql(sql, "duckdb")
    assert [p.kind for p in scan.problems] == [PARSE_ERROR]
    assert scan.problems[0].line == 2
    assert {r.key for r in scan.reads} == {("t1",), ("t3",)}
    assert not scan.complete


def test_parse_error_message_names_the_token_not_its_repr() -> None:
    scan = scan_sql("select a\nfrom\nwhere x = 1", "postgres")
    problem = scan.problems[0]
    assert (problem.line, problem.column) == (3, 1)
    assert "Token" not in problem.message and "'where'" in problem.message


def test_unterminated_string_is_located() -> None:
    scan = scan_sql("select 1,\n  'abc from t", "postgres")
    problem = scan.problems[0]
    assert problem.kind == PARSE_ERROR
    assert (problem.line, problem.column) == (2, 3)
    assert "closing '" in problem.message


def test_token_limit() -> None:
    sql = "select " + ", ".join(f"c{i}" for i in range(100)) + " from t"
    scan = scan_sql(sql, None, Limits(max_nodes=150))
    assert [p.kind for p in scan.problems] == [TOO_COMPLEX]
    assert "sql.maxNodes" in scan.problems[0].message
    assert scan_sql(sql, None, Limits(max_nodes=1000)).complete


def test_deep_nesting_is_refused_before_parsing() -> None:
    sql = "select " + "(" * 500 + "1" + ")" * 500
    scan = scan_sql(sql, None)
    assert [p.kind for p in scan.problems] == [TOO_COMPLEX]
    assert "nested 500 deep" in scan.problems[0].message


def test_nesting_within_the_limit_parses() -> None:
    """sqlglot needs about 20 frames per level; the scanner raises the recursion limit for it."""
    sql = "select " + "(" * 150 + "1" + ")" * 150 + " from t"
    assert scan_sql(sql, None).complete


# The time limit is a SIGALRM; when it lands inside a garbage-collector callback (hypothesis installs
# one in this test process) Python reports the Timeout as unraisable and goes on, and ``deadline``
# raises it again: the limit still holds (asserted below), only the report is noise.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_time_limit_per_file() -> None:
    text = (FIXTURES / "tpch_q02.sql").read_text().rstrip().rstrip(";")
    many = ";\n".join([text] * 400)  # about 0.2 s with the compiled parser, warm; under sql.maxNodes
    scan = scan_sql(many, None, Limits(timeout=0.02))
    assert [p.kind for p in scan.problems] == [TOO_COMPLEX]
    assert "sql.timeoutSeconds" in scan.problems[0].message
    assert scan.seconds < 1.0


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # as above
def test_time_limit_per_file_in_a_worker_thread() -> None:
    """A Dask worker scans in a thread, where no signal can be taken: the limit holds there too, and it
    never fires after the scan has ended."""
    import threading
    import time

    from govern.analysis.sqlscan import Timeout, deadline

    text = (FIXTURES / "tpch_q02.sql").read_text().rstrip().rstrip(";")
    many = ";\n".join([text] * 400)  # about 0.2 s with the compiled parser, warm; under sql.maxNodes
    out: list = []

    def scan() -> None:
        out.append(scan_sql(many, None, Limits(timeout=0.02)))
        late = 0
        for _ in range(300):  # blocks that end just around their limit
            try:
                with deadline(0.001):
                    time.sleep(0.001)
            except Timeout:
                pass
            try:
                sum(range(2000))
            except Timeout:
                late += 1
        out.append(late)

    worker = threading.Thread(target=scan)
    worker.start()
    worker.join(30)
    assert not worker.is_alive()
    scan_result, late = out
    assert [p.kind for p in scan_result.problems] == [TOO_COMPLEX]
    assert "sql.timeoutSeconds" in scan_result.problems[0].message
    assert scan_result.seconds < 1.0
    assert late == 0


def test_select_star_positions_skip_exists_and_count() -> None:
    sql = "select count(*), t.*\nfrom t\nwhere exists (select * from u)\n  and x in (select * from v)"
    scan = scan_sql(sql, "postgres")
    assert [(s.line, s.column) for s in scan.stars] == [(1, 18), (4, 20)]


def test_staging_tables_written_in_the_file_are_not_reads() -> None:
    sql = "create temp table stage as select id from src.a;\ninsert into out.b select id from stage"
    scan = scan_sql(sql, "postgres")
    assert [r.key for r in scan.reads] == [("src", "a")]


def _catalog(dialect: str) -> Catalog:
    catalog = Catalog(dialect)
    for location, pid, rank, columns in [
        ("analytics.crm_prod.customers", "crm.customers", 3,
         (ColumnInfo("id", "string", False, 3), ColumnInfo("email", "string", True, 3))),
        ("analytics.sales_prod.orders", "sales.orders", 1,
         (ColumnInfo("id", "string", False, 1), ColumnInfo("customer_id", "string", False, 1))),
    ]:
        key = location_key(location, dialect)
        assert key is not None
        catalog.add(key, PortInfo(pid, location.rsplit(".", 1)[-1], location, rank, columns))
    return catalog


@pytest.mark.parametrize("dialect", ["snowflake", "bigquery", "postgres", "duckdb", "spark"])
def test_column_lineage_through_a_cte_and_a_star(dialect: str) -> None:
    sql = (
        "with c as (select * from analytics.crm_prod.customers)\n"
        "select o.id,\n"
        "       upper(c.email) as contact\n"
        "from analytics.sales_prod.orders o join c on c.id = o.customer_id"
    )
    scan = scan_sql(sql, dialect, catalog=_catalog(dialect), lineage_floor=1)
    assert not scan.lineage_gaps, scan.lineage_gaps
    flows = {f.column.casefold(): f for f in scan.flows}
    contact = flows["contact"]
    assert [(k[-1].casefold(), c.casefold()) for k, c in contact.sources] == [("customers", "email")]
    assert (contact.line, contact.col) == (3, 8)
    assert [k[-1].casefold() for k, _ in flows["id"].sources] == ["orders"]


def test_column_lineage_only_when_a_sensitive_table_is_read() -> None:
    sql = "select id from analytics.sales_prod.orders"
    assert scan_sql(sql, "duckdb", catalog=_catalog("duckdb"), lineage_floor=0).flows == []
    sql = "select id from analytics.crm_prod.customers"
    assert scan_sql(sql, "duckdb", catalog=_catalog("duckdb"), lineage_floor=3).flows == []  # nothing lower
    assert scan_sql(sql, "duckdb", catalog=_catalog("duckdb"), lineage_floor=1).flows != []


def test_insert_column_list_renames_outputs() -> None:
    sql = "insert into out.t (who, n) select email, count(*) from analytics.crm_prod.customers group by email"
    scan = scan_sql(sql, "postgres", catalog=_catalog("postgres"), lineage_floor=0)
    assert [f.column for f in scan.flows] == ["who", "n"]
    assert scan.flows[0].target == ("out", "t")


def test_catalog_matches_shorter_and_longer_names_when_unique() -> None:
    catalog = _catalog("postgres")
    assert [i.product for i in catalog.resolve(("crm_prod", "customers"))] == ["crm.customers"]
    assert [i.product for i in catalog.resolve(("prodcat", "analytics", "crm_prod", "customers"))] == ["crm.customers"]
    assert catalog.resolve(("customers",)) == []  # one part is too little to guess
    catalog.add(("other", "crm_prod", "customers"), PortInfo("crm.copy", "copy", "other.crm_prod.customers", 1))
    assert sorted(i.product for i in catalog.resolve(("crm_prod", "customers"))) == ["crm.copy", "crm.customers"]


@pytest.mark.parametrize(
    ("dialect", "location", "key"),
    [
        ("snowflake", "analytics.sales.orders", ("ANALYTICS", "SALES", "ORDERS")),
        ("snowflake", 'analytics."Sales".orders', ("ANALYTICS", "Sales", "ORDERS")),
        ("postgres", "Analytics.Sales.Orders", ("analytics", "sales", "orders")),
        ("bigquery", "acme-prod.Sales.Orders", ("acme-prod", "Sales", "Orders")),
        ("duckdb", "s3://bucket/orders.parquet", None),
    ],
)
def test_location_keys_are_normalised_per_dialect(dialect: str, location: str, key: tuple | None) -> None:
    assert location_key(location, dialect) == key
