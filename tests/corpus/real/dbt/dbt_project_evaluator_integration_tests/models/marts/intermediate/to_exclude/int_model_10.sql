-- depends on: {{ ref('fct_model_9') }}

select 1 as id