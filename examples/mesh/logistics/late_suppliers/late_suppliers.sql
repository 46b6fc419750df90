-- logistics.late_suppliers: suppliers who kept orders waiting (adapted from TPC-H Q21).
-- Builds analytics.logistics_prod.late_suppliers.
select
    s.s_name,
    count(*) as numwait
from
    analytics.logistics_prod.suppliers as s,
    analytics.sales_prod.order_lines as l1,
    analytics.sales_prod.orders as o,
    analytics.crm_prod.nation as n
where
    s.s_suppkey = l1.l_suppkey
    and o.o_orderkey = l1.l_orderkey
    and o.o_orderstatus = 'F'
    and l1.l_receiptdate > l1.l_commitdate
    and exists (
        select
            1
        from
            analytics.sales_prod.order_lines as l2
        where
            l2.l_orderkey = l1.l_orderkey
            and l2.l_suppkey <> l1.l_suppkey
    )
    and not exists (
        select
            1
        from
            analytics.sales_prod.order_lines as l3
        where
            l3.l_orderkey = l1.l_orderkey
            and l3.l_suppkey <> l1.l_suppkey
            and l3.l_receiptdate > l3.l_commitdate
    )
    and s.s_nationkey = n.n_nationkey
    and n.n_name = 'SAUDI ARABIA'
group by
    s.s_name
order by
    numwait desc,
    s.s_name
limit
    100;
