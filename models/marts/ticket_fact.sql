with

ticket_events as (

    select * from {{ ref('stg_helpdesk__ticket_events') }}
    where {{ factory_partition_filter('event_date') }}

),

customers as (

    select * from {{ ref('customers') }}

),

sla_policies as (

    select * from {{ ref('sla_policies') }}

),

final as (

    select
        ticket_events.event_id,
        ticket_events.ticket_id,
        ticket_events.customer_id,
        ticket_events.agent_id,
        ticket_events.event_type,
        ticket_events.channel,
        ticket_events.priority,
        ticket_events.category,
        ticket_events.status,
        customers.sla_tier,
        ticket_events.ingest_run_id,
        sla_policies.first_response_target_minutes,
        sla_policies.resolution_target_hours,
        ticket_events.event_date,
        ticket_events.event_at,
        ticket_events.ingested_at
    from ticket_events
    left join customers
        on ticket_events.customer_id = customers.customer_id
    left join sla_policies
        on
            customers.sla_tier = sla_policies.sla_tier
            and ticket_events.priority = sla_policies.priority

)

select * from final
