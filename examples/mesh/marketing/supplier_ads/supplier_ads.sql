-- marketing.supplier_ads: the quarter's top suppliers, for co-marketing.
-- Builds analytics.marketing_prod.supplier_ads.
select
    t.s_name,
    t.total_revenue
from
    analytics.finance_prod.top_supplier as t;  -- intended violation: Cedar denies marketing-growth this read
