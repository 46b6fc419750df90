-- {{ source('fake_source', 'fake_source') }}
select 1 as id
