-- logistics.carrier_costs: shipping volume per supplier nation.
-- Builds analytics.logistics_prod.carrier_costs.
with volume as (
    select supp_nation, sum(revenue) as volume
    from analytics.logistics_prod.volume_shipping  -- intended violation: retired product, and not declared
    group by supp_nation
)
select
    v.supp_nation,
    count(s.s_suppkey) as suppliers,
    v.volume
from volume as v
left join analytics.logistics_prod.suppliers as s on s.s_name = v.supp_nation
group by v.supp_nation, v.volume;
