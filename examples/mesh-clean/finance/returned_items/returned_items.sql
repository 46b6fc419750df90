-- finance.returned_items: returned item reporting (adapted from TPC-H Q10).
-- Builds analytics.finance_prod.returned_items. Reads restricted contact data under the grant
-- in crm.customer_contacts access.readers.
select
    c.c_custkey,
    c.c_name,
    sum(l.l_extendedprice * (1 - l.l_discount)) as revenue,
    c.c_acctbal,
    n.n_name,
    c.c_address,
    c.c_phone,
    c.c_comment
from
    analytics.crm_prod.customer_contacts as c,
    analytics.sales_prod.orders as o,
    analytics.sales_prod.order_lines as l,
    analytics.crm_prod.nation as n
where
    c.c_custkey = o.o_custkey
    and l.l_orderkey = o.o_orderkey
    and cast(o.o_orderdate as date) >= date '1993-10-01'
    and cast(o.o_orderdate as date) < date '1993-10-01' + interval '3' month
    and l.l_returnflag = 'R'
    and c.c_nationkey = n.n_nationkey
group by
    c.c_custkey,
    c.c_name,
    c.c_acctbal,
    c.c_phone,
    n.n_name,
    c.c_address,
    c.c_comment
order by
    revenue desc
limit
    20;
