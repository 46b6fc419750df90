{{ config(materialized='table') }}
-- sales.channel_mix (dbt model): orders by market segment and web channel.
select
    c.c_mktsegment as segment,
    s.channel,
    count(*) as orders
from {{ ref('sales.orders') }} as o
join {{ ref('customers') }} as c  -- intended violation: crm.customers is read but not declared in inputs
    on c.c_custkey = o.o_custkey
join {{ source('web', 'sessions') }} as s  -- intended violation: no product of the mesh owns web.sessions
    on s.order_key = o.o_orderkey
group by 1, 2
