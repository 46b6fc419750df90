select * from {{ ref('stg_model_1') }}
where false