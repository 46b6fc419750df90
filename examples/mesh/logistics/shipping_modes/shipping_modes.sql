-- logistics.shipping_modes: shipping modes and order priority (adapted from TPC-H Q12).
-- Builds analytics.logistics_prod.shipping_modes.
select
    l.l_shipmode,
    sum(case
        when o.o_orderpriority = '1-URGENT' or o.o_orderpriority = '2-HIGH' then 1
        else 0
    end) as high_line_count,
    sum(case
        when o.o_orderpriority <> '1-URGENT' and o.o_orderpriority <> '2-HIGH' then 1
        else 0
    end) as low_line_count
from
    analytics.sales_prod.orders as o,
    analytics.sales_prod.order_lines as l
where
    o.o_orderkey = l.l_orderkey
    and l.l_shipmode in ('MAIL', 'SHIP')
    and l.l_commitdate < l.l_receiptdate
    and l.l_shipdate < l.l_commitdate
    and cast(l.l_receiptdate as date) >= date '1994-01-01'
    and cast(l.l_receiptdate as date) < date '1994-01-01' + interval '1' year
group by
    l.l_shipmode
order by
    l.l_shipmode;
