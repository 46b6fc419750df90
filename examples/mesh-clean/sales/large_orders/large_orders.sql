-- sales.large_orders: large volume orders (adapted from TPC-H Q18).
-- Builds analytics.sales_prod.large_orders.
select
    c.c_custkey,
    c.c_mktsegment,
    o.o_orderkey,
    o.o_orderdate,
    o.o_totalprice,
    sum(l.l_quantity) as total_quantity
from
    analytics.crm_prod.customers as c,
    analytics.sales_prod.orders as o,
    analytics.sales_prod.order_lines as l
where
    o.o_orderkey in (
        select
            l_orderkey
        from
            analytics.sales_prod.order_lines
        group by
            l_orderkey
        having
            sum(l_quantity) > 300
    )
    and c.c_custkey = o.o_custkey
    and o.o_orderkey = l.l_orderkey
group by
    c.c_custkey,
    c.c_mktsegment,
    o.o_orderkey,
    o.o_orderdate,
    o.o_totalprice
order by
    o.o_totalprice desc,
    o.o_orderdate
limit
    100;
