-- marketing.campaign_targets: global sales opportunity (adapted from TPC-H Q22).
-- Builds analytics.marketing_prod.campaign_targets. Reads restricted contact data.
select
    cntrycode,
    count(*) as numcust,
    sum(c_acctbal) as totacctbal
from
    (
        select
            substring(c.c_phone, 1, 2) as cntrycode,
            c.c_acctbal
        from
            analytics.crm_prod.customer_contacts as c
        where
            substring(c.c_phone, 1, 2) in ('13', '31', '23', '29', '30', '18', '17')
            and c.c_acctbal > (
                select
                    avg(c_acctbal)
                from
                    analytics.crm_prod.customer_contacts
                where
                    c_acctbal > 0.00
                    and substring(c_phone, 1, 2) in ('13', '31', '23', '29', '30', '18', '17')
            )
            and not exists (
                select
                    1
                from
                    analytics.sales_prod.orders as o
                where
                    o.o_custkey = c.c_custkey
            )
    ) as custsale
group by
    cntrycode
order by
    cntrycode;
