{{ config(enabled=var('enable_kpi_mart', true)) }}

{%- set lookback_days = var('kpi_lookback_days') -%}
{%- set kpi_days = factory_days_to_build(ref('ticket_fact'), 'event_date') -%}

with

ticket_fact as (

    select * from {{ ref('ticket_fact') }}
    {%- if kpi_days %}
        where
            event_date between
            cast('{{ factory_shift_day(kpi_days[0], -lookback_days) }}' as date)
            and cast('{{ kpi_days[-1] }}' as date)
    {%- else %}
        where 1 = 0
    {%- endif %}

),

kpi_days as (

    {{ factory_days_relation(kpi_days, 'kpi_date') }}

),

kpi_windows as (

    select
        kpi_date,
        cast({{ dbt.dateadd('day', -lookback_days, 'kpi_date') }} as date)
            as window_start_date,
        {{ dbt.dateadd('day', 1, 'kpi_date') }} as day_end_at
    from kpi_days

),

tickets as (

    select
        ticket_id,
        max(first_response_target_minutes) as first_response_target_minutes,
        min(case when event_type = 'created' then event_at end) as created_at,
        min(case when event_type = 'first_response' then event_at end)
            as first_responded_at,
        min(case when event_type = 'resolved' then event_at end)
            as first_resolved_at
    from ticket_fact
    group by ticket_id

),

ticket_durations as (

    -- Tickets whose creation is outside the loaded history cannot be timed.
    -- Durations and rates are doubles on every engine: Spark would keep a
    -- decimal literal's fixed scale where DuckDB divides in double.
    select
        ticket_id,
        first_response_target_minutes,
        cast(
            {{ dbt.datediff('created_at', 'first_responded_at', 'second') }}
            as double
        ) / 60 as first_response_minutes,
        cast(
            {{ dbt.datediff('created_at', 'first_resolved_at', 'second') }}
            as double
        ) / 3600 as resolution_hours,
        cast(created_at as date) as created_date,
        cast(first_responded_at as date) as first_responded_date,
        cast(first_resolved_at as date) as first_resolved_date
    from tickets
    where created_at is not null

),

status_segments as (

    -- Each event opens a segment that lasts until the ticket's next event.
    select
        ticket_id,
        status,
        event_at as segment_start_at,
        lead(event_at) over (
            partition by ticket_id order by event_at, event_id
        ) as segment_end_at
    from ticket_fact

),

day_events as (

    select
        event_date as kpi_date,
        count(distinct case when event_type = 'resolved' then ticket_id end)
            as tickets_resolved,
        sum(case when event_type = 'resolved' then 1 else 0 end)
            as resolved_events,
        sum(case when event_type = 'reopened' then 1 else 0 end)
            as reopened_events
    from ticket_fact
    group by event_date

),

created as (

    select
        created_date as kpi_date,
        count(*) as tickets_created
    from ticket_durations
    group by created_date

),

first_responses as (

    select
        kpi_windows.kpi_date,
        {{ factory_percentile('ticket_durations.first_response_minutes', 0.5) }}
            as first_response_p50_minutes,
        {{ factory_percentile('ticket_durations.first_response_minutes', 0.9) }}
            as first_response_p90_minutes,
        cast(
            sum(
                case
                    when
                        ticket_durations.first_response_minutes
                        > ticket_durations.first_response_target_minutes
                        then 1
                    else 0
                end
            ) as double
        ) / nullif(count(ticket_durations.first_response_target_minutes), 0)
            as sla_breach_rate
    from kpi_windows
    inner join ticket_durations
        on
            kpi_windows.kpi_date = ticket_durations.first_responded_date
            and kpi_windows.window_start_date <= ticket_durations.created_date
    group by kpi_windows.kpi_date

),

resolutions as (

    select
        kpi_windows.kpi_date,
        {{ factory_percentile('ticket_durations.resolution_hours', 0.5) }}
            as resolution_p50_hours
    from kpi_windows
    inner join ticket_durations
        on
            kpi_windows.kpi_date = ticket_durations.first_resolved_date
            and kpi_windows.window_start_date <= ticket_durations.created_date
    group by kpi_windows.kpi_date

),

backlog as (

    -- Tickets created in the window whose status at the end of the day is
    -- neither solved nor closed.
    select
        kpi_windows.kpi_date,
        count(distinct status_segments.ticket_id) as backlog_tickets
    from kpi_windows
    inner join status_segments
        on
            kpi_windows.day_end_at > status_segments.segment_start_at
            and (
                status_segments.segment_end_at is null
                or kpi_windows.day_end_at <= status_segments.segment_end_at
            )
    inner join ticket_durations
        on
            status_segments.ticket_id = ticket_durations.ticket_id
            and kpi_windows.window_start_date <= ticket_durations.created_date
    where status_segments.status not in ('solved', 'closed')
    group by kpi_windows.kpi_date

),

final as (

    select
        coalesce(created.tickets_created, 0) as tickets_created,
        coalesce(day_events.tickets_resolved, 0) as tickets_resolved,
        first_responses.first_response_p50_minutes,
        first_responses.first_response_p90_minutes,
        resolutions.resolution_p50_hours,
        first_responses.sla_breach_rate,
        coalesce(backlog.backlog_tickets, 0) as backlog_tickets,
        cast(coalesce(day_events.reopened_events, 0) as double)
        / nullif(day_events.resolved_events, 0) as reopen_rate,
        kpi_windows.kpi_date,
        kpi_windows.window_start_date
    from kpi_windows
    left join created
        on kpi_windows.kpi_date = created.kpi_date
    left join day_events
        on kpi_windows.kpi_date = day_events.kpi_date
    left join first_responses
        on kpi_windows.kpi_date = first_responses.kpi_date
    left join resolutions
        on kpi_windows.kpi_date = resolutions.kpi_date
    left join backlog
        on kpi_windows.kpi_date = backlog.kpi_date

)

select * from final
