with

customers as (

    select * from {{ ref('stg_customers') }}

),

orders as (

    select * from {{ ref('orders') }}

),

customer_orders as (

    select
        customer_id,
        min(ordered_at) as first_ordered_at,
        max(ordered_at) as last_ordered_at,
        count(*) as lifetime_order_count,
        -- returned orders were refunded, so they count as orders but bring no value
        sum(
            case when status = 'returned' then 0 else order_total end
        ) as lifetime_value

    from orders

    group by customer_id

),

final as (

    select
        customers.customer_id,
        customers.first_name,
        customers.last_name,
        customers.email,
        customers.created_at,
        customer_orders.first_ordered_at,
        customer_orders.last_ordered_at,
        cast(coalesce(customer_orders.lifetime_order_count, 0) as integer)
            as lifetime_order_count,
        cast(coalesce(customer_orders.lifetime_value, 0) as numeric(16, 2)) as lifetime_value

    from customers

    left join customer_orders
        on customers.customer_id = customer_orders.customer_id

)

select * from final
