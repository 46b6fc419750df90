select 
    * 
from {{ ref('fct_model_9') }}