-- finance.top_supplier: top supplier of the quarter (adapted from TPC-H Q15).
-- Builds analytics.finance_prod.top_supplier. "revenue" is a CTE, not a table.
with revenue (supplier_no, total_revenue) as (
    select
        l_suppkey,
        sum(l_extendedprice * (1 - l_discount))
    from
        analytics.sales_prod.order_lines
    where
        cast(l_shipdate as date) >= date '1996-01-01'
        and cast(l_shipdate as date) < date '1996-01-01' + interval '3' month
    group by
        l_suppkey
)
select
    s.s_suppkey,
    s.s_name,
    s.s_address,
    s.s_phone,
    r.total_revenue
from
    analytics.logistics_prod.suppliers as s,
    revenue as r
where
    s.s_suppkey = r.supplier_no
    and r.total_revenue = (
        select
            max(total_revenue)
        from
            revenue
    )
order by
    s.s_suppkey;
