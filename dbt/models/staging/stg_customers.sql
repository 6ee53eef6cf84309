-- In this sample the raw tables are the seeds. dbt cannot tie a source to a seed, so this
-- line makes `dbt build` load raw_customers before this view reads it (a fresh database would
-- otherwise fail). Drop it when an EL tool lands the raw tables.
-- depends_on: {{ ref('raw_customers') }}

with

source as (

    select * from {{ source('raw', 'customers') }}

),

renamed as (

    select
        cast(id as integer) as customer_id,
        first_name,
        last_name,
        lower(email) as email,
        cast(created_at as timestamp) as created_at

    from source

)

select * from renamed
