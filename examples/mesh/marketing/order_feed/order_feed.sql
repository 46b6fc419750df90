-- marketing.order_feed: last week's orders for the marketing automation tool.
-- Builds analytics.marketing_prod.order_feed.
select *  -- intended violation: SELECT * in a prod product
from analytics.sales_prod.orders
where o_orderdate >= dateadd(day, -7, current_date());
