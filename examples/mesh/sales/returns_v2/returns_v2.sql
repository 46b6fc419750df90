-- sales.returns_v2: returned order lines per order.
-- Builds analytics.sales_prod.returns_v2.
select
    l.l_orderkey,
    count(*) as returned_lines
from
    analytics.sales_prod.order_lines as l
where
    l.l_returnflag = 'R'
group by
    l.l_orderkey
having count(*) > 1)  -- intended violation: unbalanced parenthesis, does not parse
