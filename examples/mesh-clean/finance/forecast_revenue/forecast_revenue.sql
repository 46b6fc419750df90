-- finance.forecast_revenue: forecasting revenue change (adapted from TPC-H Q6).
-- Builds analytics.finance_prod.forecast_revenue.
select
    sum(l_extendedprice * l_discount) as revenue
from
    analytics.sales_prod.order_lines
where
    cast(l_shipdate as date) >= date '1994-01-01'
    and cast(l_shipdate as date) < date '1994-01-01' + interval '1' year
    and l_discount between 0.06 - 0.01 and 0.06 + 0.01
    and l_quantity < 24;
