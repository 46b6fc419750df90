-- logistics.volume_shipping: volume shipping between two nations (adapted from TPC-H Q7).
-- Builds analytics.logistics_prod.volume_shipping.
select
    supp_nation,
    cust_nation,
    l_year,
    sum(volume) as revenue
from
    (
        select
            n1.n_name as supp_nation,
            n2.n_name as cust_nation,
            extract(year from cast(l.l_shipdate as date)) as l_year,
            l.l_extendedprice * (1 - l.l_discount) as volume
        from
            analytics.logistics_prod.suppliers as s,
            analytics.sales_prod.order_lines as l,
            analytics.sales_prod.orders as o,
            analytics.crm_prod.customers as c,
            analytics.crm_prod.nation as n1,
            analytics.crm_prod.nation as n2
        where
            s.s_suppkey = l.l_suppkey
            and o.o_orderkey = l.l_orderkey
            and c.c_custkey = o.o_custkey
            and s.s_nationkey = n1.n_nationkey
            and c.c_nationkey = n2.n_nationkey
            and (
                (n1.n_name = 'FRANCE' and n2.n_name = 'GERMANY')
                or (n1.n_name = 'GERMANY' and n2.n_name = 'FRANCE')
            )
            and cast(l.l_shipdate as date) between date '1995-01-01' and date '1996-12-31'
    ) as shipping
group by
    supp_nation,
    cust_nation,
    l_year
order by
    supp_nation,
    cust_nation,
    l_year;
