{{ config(enabled=var('enable_kpi_mart', true)) }}

{%- set days = factory_days_to_build(ref('ticket_fact'), 'event_date') -%}

with

carried as (

    -- The open set at the end of the day before the first day built: the
    -- previous link of the chain (a self-dependent partition). Empty on the
    -- first day of the history, and when every day is built at once.
    {%- if days and is_incremental() %}
        select
            ticket_id,
            status,
            created_at,
            last_event_at
        from {{ this }}
        where
            snapshot_date
            = cast('{{ factory_shift_day(days[0], -1) }}' as date)
    {%- else %}
        select
            ticket_id,
            status,
            event_at as created_at,
            event_at as last_event_at
        from {{ ref('ticket_fact') }}
        where 1 = 0
    {%- endif %}

),

day_events as (

    select
        ticket_id,
        event_id,
        event_type,
        status,
        event_at
    from {{ ref('ticket_fact') }}
    where {{ factory_days_filter('event_date', days) }}

),

snapshot_days as (

    select
        snapshot_date,
        {{ dbt.dateadd('day', 1, 'snapshot_date') }} as day_end_at
    from ({{ factory_days_relation(days, 'snapshot_date') }}) as built_days

),

changes as (

    -- A carried ticket holds its status from the start of the days built
    -- until its first event among them; each event holds the status it
    -- sets until the ticket's next event.
    select
        ticket_id,
        status,
        created_at,
        last_event_at,
        cast('{{ days[0] if days else "1970-01-01" }}' as timestamp)
            as segment_start_at,
        0 as carried_first,
        '' as event_id
    from carried
    union all
    select
        ticket_id,
        status,
        case when event_type = 'created' then event_at end as created_at,
        event_at as last_event_at,
        event_at as segment_start_at,
        1 as carried_first,
        event_id
    from day_events

),

segments as (

    select
        ticket_id,
        status,
        last_event_at,
        segment_start_at,
        min(created_at) over (partition by ticket_id) as created_at,
        lead(segment_start_at) over (
            partition by ticket_id
            order by segment_start_at, carried_first, event_id
        ) as segment_end_at
    from changes

),

final as (

    -- Open: neither solved nor closed at the end of the day, whenever the
    -- ticket was created.
    select
        segments.ticket_id,
        segments.status,
        segments.created_at,
        segments.last_event_at,
        snapshot_days.snapshot_date
    from snapshot_days
    inner join segments
        on
            snapshot_days.day_end_at > segments.segment_start_at
            and (
                segments.segment_end_at is null
                or snapshot_days.day_end_at <= segments.segment_end_at
            )
    where segments.status not in ('solved', 'closed')

)

select * from final
