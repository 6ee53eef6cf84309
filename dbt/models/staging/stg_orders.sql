-- In this sample the raw tables are the seeds. dbt cannot tie a source to a seed, so this
-- line makes `dbt build` load raw_orders before this view reads it (a fresh database would
-- otherwise fail). Drop it when an EL tool lands the raw tables.
-- depends_on: {{ ref('raw_orders') }}

with

source as (

    select * from {{ source('raw', 'orders') }}

),

renamed as (

    select
        cast(id as integer) as order_id,
        cast(customer_id as integer) as customer_id,
        cast(ordered_at as timestamp) as ordered_at,
        lower(status) as status,
        -- the shop's own subtotal, kept to reconcile against the order lines
        cast(subtotal_cents / 100.0 as numeric(16, 2)) as reported_subtotal

    from source

)

select * from renamed
