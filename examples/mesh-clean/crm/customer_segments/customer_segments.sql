-- crm.customer_segments: customers by number of orders (adapted from TPC-H Q13).
-- Builds analytics.crm_prod.customer_segments.
select
    c_count,
    count(*) as custdist
from
    (
        select
            c.c_custkey,
            count(o.o_orderkey)
        from
            analytics.crm_prod.customers as c
            left outer join analytics.sales_prod.orders as o
                on c.c_custkey = o.o_custkey
                and o.o_comment not like '%special%requests%'
        group by
            c.c_custkey
    ) as c_orders (c_custkey, c_count)
group by
    c_count
order by
    custdist desc,
    c_count desc;
