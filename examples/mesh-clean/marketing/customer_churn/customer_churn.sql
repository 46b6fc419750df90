-- marketing.customer_churn: churn risk per customer.
-- Builds analytics.marketing_prod.customer_churn. Support events come from crm.customer_events.
with last_orders as (
    select
        o_custkey,
        max(o_orderdate) as last_order_date
    from
        analytics.sales_prod.orders
    group by
        o_custkey
),
recent_events as (
    select
        e_custkey,
        count(*) as events_90d
    from
        analytics.crm_prod.customer_events
    where
        e_occurred_at >= dateadd(day, -90, current_date)
    group by
        e_custkey
)
select
    c.c_custkey,
    c.c_mktsegment,
    lo.last_order_date,
    coalesce(re.events_90d, 0) as events_90d,
    case
        when lo.last_order_date < dateadd(month, -6, current_date) and coalesce(re.events_90d, 0) >= 3 then 'high'
        when lo.last_order_date < dateadd(month, -6, current_date) then 'medium'
        else 'low'
    end as churn_risk
from
    analytics.crm_prod.customers as c
    left join last_orders as lo on lo.o_custkey = c.c_custkey
    left join recent_events as re on re.e_custkey = c.c_custkey;
