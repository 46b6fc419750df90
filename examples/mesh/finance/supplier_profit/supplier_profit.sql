-- finance.supplier_profit: product type profit measure (adapted from TPC-H Q9).
-- Builds analytics.finance_prod.supplier_profit.
select
    nation,
    o_year,
    sum(amount) as sum_profit
from
    (
        select
            n.n_name as nation,
            extract(year from cast(o.o_orderdate as date)) as o_year,
            l.l_extendedprice * (1 - l.l_discount) - ps.ps_supplycost * l.l_quantity as amount
        from
            analytics.logistics_prod.parts as p,
            analytics.logistics_prod.suppliers as s,
            analytics.sales_prod.order_lines as l,
            analytics.logistics_prod.part_suppliers as ps,
            analytics.sales_prod.orders as o,
            analytics.crm_prod.nation as n
        where
            s.s_suppkey = l.l_suppkey
            and ps.ps_suppkey = l.l_suppkey
            and ps.ps_partkey = l.l_partkey
            and p.p_partkey = l.l_partkey
            and o.o_orderkey = l.l_orderkey
            and s.s_nationkey = n.n_nationkey
            and p.p_name like '%green%'
    ) as profit
group by
    nation,
    o_year
order by
    nation,
    o_year desc;
