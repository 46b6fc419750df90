-- crm.account_tiers: a tier per account by balance. Builds analytics.crm_prod.account_tiers.
select
    c_custkey,
    c_acctbal,
    case
        when c_acctbal >= 7500 then 'gold'
        when c_acctbal >= 2500 then 'silver'
        else 'bronze'
    end as tier
from
    analytics.crm_prod.customers
where
    c_acctbal is not null;
