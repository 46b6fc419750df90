-- finance.promo_forecast: next quarter's promotion revenue, 3 months of the current effect.
-- Builds analytics.finance_prod.promo_forecast.
select
    3 * promo_revenue as projected_promo_revenue
from
    analytics.finance_preprod.promotion_effect;  -- intended violation: prod reads preprod
