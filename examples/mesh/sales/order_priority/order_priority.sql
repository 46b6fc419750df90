-- sales.order_priority: order priority checking (adapted from TPC-H Q4).
-- Builds analytics.sales_prod.order_priority.
select
    o.o_orderpriority,
    count(*) as order_count
from
    analytics.sales_prod.orders as o
where
    cast(o.o_orderdate as date) >= date '1993-07-01'
    and cast(o.o_orderdate as date) < date '1993-07-01' + interval '3' month
    and exists (
        select
            1
        from
            analytics.sales_prod.order_lines as l
        where
            l.l_orderkey = o.o_orderkey
            and l.l_commitdate < l.l_receiptdate
    )
group by
    o.o_orderpriority
order by
    o.o_orderpriority;
