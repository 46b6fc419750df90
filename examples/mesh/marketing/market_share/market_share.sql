-- marketing.Market-Share: national market share (adapted from TPC-H Q8).
-- Builds analytics.marketing_prod.market_share.
select
    o_year,
    sum(case
        when nation = 'BRAZIL' then volume
        else 0
    end) / sum(volume) as mkt_share
from
    (
        select
            extract(year from cast(o.o_orderdate as date)) as o_year,
            l.l_extendedprice * (1 - l.l_discount) as volume,
            n2.n_name as nation
        from
            analytics.logistics_prod.parts as p,
            analytics.logistics_prod.suppliers as s,
            analytics.sales_prod.order_lines as l,
            analytics.sales_prod.orders as o,
            analytics.crm_prod.customers as c,
            analytics.crm_prod.nation as n1,
            analytics.crm_prod.nation as n2,
            analytics.crm_prod.region as r
        where
            p.p_partkey = l.l_partkey
            and s.s_suppkey = l.l_suppkey
            and l.l_orderkey = o.o_orderkey
            and o.o_custkey = c.c_custkey
            and c.c_nationkey = n1.n_nationkey
            and n1.n_regionkey = r.r_regionkey
            and r.r_name = 'AMERICA'
            and s.s_nationkey = n2.n_nationkey
            and cast(o.o_orderdate as date) between date '1995-01-01' and date '1996-12-31'
            and p.p_type = 'ECONOMY ANODIZED STEEL'
    ) as all_nations
group by
    o_year
order by
    o_year;
