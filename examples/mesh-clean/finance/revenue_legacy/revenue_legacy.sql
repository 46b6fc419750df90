-- finance.revenue_legacy: monthly revenue from the legacy order system.
-- Builds analytics.finance_prod.revenue_legacy.
select
    date_trunc('month', o_orderdate) as order_month,
    count(o_orderkey) as orders,
    sum(o_totalprice) as revenue
from
    analytics.sales_prod.orders_legacy
where
    o_orderdate >= date '2026-01-01'
group by
    date_trunc('month', o_orderdate)
order by
    order_month;
