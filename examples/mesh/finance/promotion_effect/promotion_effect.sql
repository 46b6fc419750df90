-- finance.promotion_effect: promotion effect (adapted from TPC-H Q14).
-- Builds analytics.finance_preprod.promotion_effect.
select
    100.00 * sum(case
        when p.p_type like 'PROMO%' then l.l_extendedprice * (1 - l.l_discount)
        else 0
    end) / sum(l.l_extendedprice * (1 - l.l_discount)) as promo_revenue
from
    analytics.sales_prod.order_lines as l,
    analytics.logistics_prod.parts as p
where
    l.l_partkey = p.p_partkey
    and cast(l.l_shipdate as date) >= date '1995-09-01'
    and cast(l.l_shipdate as date) < date '1995-09-01' + interval '1' month;
