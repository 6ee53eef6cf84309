with

orders as (

    select * from {{ ref('stg_orders') }}

),

order_items as (

    select * from {{ ref('stg_order_items') }}

),

order_totals as (

    select
        order_id,
        sum(quantity) as item_count,
        sum(quantity * unit_price) as order_total

    from order_items

    group by order_id

),

final as (

    select
        orders.order_id,
        orders.customer_id,
        orders.ordered_at,
        orders.status,
        -- an order without lines is still an order: it counts zero items and costs nothing
        cast(coalesce(order_totals.item_count, 0) as integer) as item_count,
        cast(coalesce(order_totals.order_total, 0) as numeric(16, 2)) as order_total

    from orders

    left join order_totals
        on orders.order_id = order_totals.order_id

)

select * from final
