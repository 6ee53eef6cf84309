-- In this sample the raw tables are the seeds. dbt cannot tie a source to a seed, so this
-- line makes `dbt build` load raw_order_items before this view reads it (a fresh database would
-- otherwise fail). Drop it when an EL tool lands the raw tables.
-- depends_on: {{ ref('raw_order_items') }}

with

source as (

    select * from {{ source('raw', 'order_items') }}

),

renamed as (

    select
        cast(id as integer) as order_item_id,
        cast(order_id as integer) as order_id,
        cast(product_id as integer) as product_id,
        cast(quantity as integer) as quantity,
        cast(unit_price_cents / 100.0 as numeric(16, 2)) as unit_price

    from source

)

select * from renamed
