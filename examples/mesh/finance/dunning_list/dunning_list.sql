-- finance.dunning_list: who to call about open orders.
-- Builds analytics.finance_prod.dunning_list.
select
    c.c_phone as phone,  -- intended violation: pii of a restricted port lands in an internal port, not marked pii
    sum(o.o_totalprice) as open_amount
from
    analytics.crm_prod.customer_contacts as c
    join analytics.sales_prod.orders as o on o.o_custkey = c.c_custkey
where
    o.o_orderstatus = 'O'
group by
    c.c_phone;
