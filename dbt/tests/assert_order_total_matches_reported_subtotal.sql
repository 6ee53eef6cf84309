-- The shop records its own subtotal on each order; the total we compute from the order
-- lines must agree with it, or lines were lost or double counted on the way in.
-- Returns the orders that disagree; the test passes when there are none.
select
    orders.order_id,
    orders.order_total,
    stg_orders.reported_subtotal

from {{ ref('orders') }} as orders

inner join {{ ref('stg_orders') }} as stg_orders
    on orders.order_id = stg_orders.order_id

where orders.order_total != stg_orders.reported_subtotal
