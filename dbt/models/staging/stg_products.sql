-- In this sample the raw tables are the seeds. dbt cannot tie a source to a seed, so this
-- line makes `dbt build` load raw_products before this view reads it (a fresh database would
-- otherwise fail). Drop it when an EL tool lands the raw tables.
-- depends_on: {{ ref('raw_products') }}

with

source as (

    select * from {{ source('raw', 'products') }}

),

renamed as (

    select
        cast(id as integer) as product_id,
        name as product_name,
        lower(category) as category,
        cast(price_cents / 100.0 as numeric(16, 2)) as list_price

    from source

)

select * from renamed
