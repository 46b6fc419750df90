-- {{ ref('fct_model_6') }}

select true as col