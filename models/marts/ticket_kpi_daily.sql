{{ config(enabled=var('enable_kpi_mart', true)) }}

{%- set lookback_days = var('kpi_lookback_days') -%}
{%- set kpi_days = factory_days_to_build(ref('ticket_fact'), 'event_date') -%}
{#- the SLA clocks run over the loaded history (a local day can start the
    day before in UTC) and long enough after the last day for every target
    to fall due: the longest, 120 h on a business clock, takes 15 days on
    8-hour weekdays -#}
{%- set clock_first, clock_last = none, none -%}
{%- if kpi_days -%}
    {%- set clock_first = factory_shift_day(kpi_days[0], -lookback_days - 1) -%}
    {%- set clock_last = factory_shift_day(kpi_days[-1], 31) -%}
{%- endif -%}

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

schedules as (

    select * from {{ ref('sla_schedules') }}

),

business_schedules as (

    -- The tiers whose policy runs on business hours; every other tier (and
    -- a ticket of unknown tier) is on the calendar clock.
    select * from schedules
    where clock = 'business'

),

{{ factory_schedule_days_ctes('business_schedules', clock_first, clock_last) }},

day_offsets as (

    {%- for offset in range(32) %}
        select {{ offset }} as day_offset
        {%- if not loop.last %} union all{% endif %}
    {%- endfor %}

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
        min(case when event_type = 'created' then event_at end) as created_at,
        min(case when event_type = 'created' then sla_tier end) as sla_tier,
        min(case when event_type = 'first_response' then event_at end)
            as first_responded_at,
        min(case when event_type = 'resolved' then event_at end)
            as first_resolved_at,
        min(case when event_type = 'reopened' then event_at end)
            as first_reopened_at
    from ticket_fact
    group by ticket_id

),

ticket_durations as (

    -- Tickets whose creation is outside the loaded history cannot be timed.
    -- Durations and rates are doubles on every engine: Spark would keep a
    -- decimal literal's fixed scale where DuckDB divides in double.
    select
        ticket_id,
        sla_tier,
        created_at,
        first_responded_at,
        first_resolved_at,
        first_reopened_at,
        -- a solve fulfils the reply target too, as in Zendesk (least()
        -- skips nulls on both engines)
        least(first_responded_at, first_resolved_at) as response_stopped_at,
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

ticket_local_days as (

    -- Each instant on the local day of its ticket's business clock (only
    -- tickets whose tier runs on one).
    select
        ticket_durations.ticket_id,
        ticket_durations.created_at,
        ticket_durations.first_responded_at,
        ticket_durations.first_resolved_at,
        business_schedules.sla_tier,
        cast({{ factory_utc_to_local(
            'ticket_durations.created_at', 'business_schedules.timezone'
        ) }} as date) as created_local_date,
        cast({{ factory_utc_to_local(
            'ticket_durations.first_responded_at', 'business_schedules.timezone'
        ) }} as date) as responded_local_date,
        cast({{ factory_utc_to_local(
            'ticket_durations.first_resolved_at', 'business_schedules.timezone'
        ) }} as date) as resolved_local_date
    from ticket_durations
    inner join business_schedules
        on ticket_durations.sla_tier = business_schedules.sla_tier

),

ticket_clocks as (

    -- Where each instant stands on its business clock, in seconds.
    select
        ticket_local_days.ticket_id,
        ticket_local_days.sla_tier,
        ticket_local_days.created_local_date,
        {{ factory_clock_seconds(
            'created_day', 'ticket_local_days.created_at'
        ) }} as created_clock_seconds,
        {{ factory_clock_seconds(
            'responded_day', 'ticket_local_days.first_responded_at'
        ) }} as responded_clock_seconds,
        {{ factory_clock_seconds(
            'resolved_day', 'ticket_local_days.first_resolved_at'
        ) }} as resolved_clock_seconds
    from ticket_local_days
    inner join schedule_days as created_day
        on
            ticket_local_days.sla_tier = created_day.sla_tier
            and ticket_local_days.created_local_date = created_day.local_date
    left join schedule_days as responded_day
        on
            ticket_local_days.sla_tier = responded_day.sla_tier
            and ticket_local_days.responded_local_date
            = responded_day.local_date
    left join schedule_days as resolved_day
        on
            ticket_local_days.sla_tier = resolved_day.sla_tier
            and ticket_local_days.resolved_local_date
            = resolved_day.local_date

),

ticket_business_durations as (

    -- Durations on the ticket's SLA clock: business hours where its tier's
    -- policy says so, else the calendar durations.
    select
        ticket_durations.ticket_id,
        coalesce(
            cast(
                ticket_clocks.responded_clock_seconds
                - ticket_clocks.created_clock_seconds as double
            ) / 60,
            ticket_durations.first_response_minutes
        ) as first_response_business_minutes,
        coalesce(
            cast(
                ticket_clocks.resolved_clock_seconds
                - ticket_clocks.created_clock_seconds as double
            ) / 3600,
            ticket_durations.resolution_hours
        ) as resolution_business_hours
    from ticket_durations
    left join ticket_clocks
        on ticket_durations.ticket_id = ticket_clocks.ticket_id

),

business_targets as (

    -- Every target (in minutes) a business-clock ticket is held to.
    select distinct
        ticket_clocks.ticket_id,
        ticket_fact.first_response_target_minutes as target_minutes
    from ticket_clocks
    inner join ticket_fact
        on ticket_clocks.ticket_id = ticket_fact.ticket_id
    where ticket_fact.first_response_target_minutes is not null
    union
    select distinct
        ticket_clocks.ticket_id,
        ticket_fact.resolution_target_hours * 60 as target_minutes
    from ticket_clocks
    inner join ticket_fact
        on ticket_clocks.ticket_id = ticket_fact.ticket_id
    where ticket_fact.resolution_target_hours is not null

),

business_due_clocks as (

    -- Where on its clock each target falls due: creation + target.
    select
        business_targets.ticket_id,
        business_targets.target_minutes,
        ticket_clocks.sla_tier,
        ticket_clocks.created_local_date,
        ticket_clocks.created_clock_seconds
        + business_targets.target_minutes * 60 as due_clock_seconds
    from business_targets
    inner join ticket_clocks
        on business_targets.ticket_id = ticket_clocks.ticket_id

),

business_due as (

    -- When a target falls due on a business clock: the open day on which
    -- the clock reaches it, within the 32 days after creation
    -- (day_offsets; the longest target needs 15).
    select
        business_due_clocks.ticket_id,
        business_due_clocks.target_minutes,
        {{ dbt.dateadd(
            'second',
            'business_due_clocks.due_clock_seconds - due_day.minutes_before * 60',
            'due_day.opens_at'
        ) }} as due_at
    from business_due_clocks
    cross join day_offsets
    inner join schedule_days as due_day
        on
            business_due_clocks.sla_tier = due_day.sla_tier
            and due_day.local_date = cast({{ dbt.dateadd(
                'day', 'day_offsets.day_offset',
                'business_due_clocks.created_local_date'
            ) }} as date)
    where
        due_day.open_minutes > 0
        and due_day.minutes_before * 60
        < business_due_clocks.due_clock_seconds
        and (due_day.minutes_before + due_day.open_minutes) * 60
        >= business_due_clocks.due_clock_seconds

),

target_segments as (

    -- The targets in force: each event carries those of the ticket's
    -- priority (at that event) and the customer's tier, from its time until
    -- the ticket's next event. Each is due at creation + target on the
    -- tier's clock: business hours (business_due), or the calendar.
    select
        ticket_durations.ticket_id,
        ticket_durations.response_stopped_at,
        ticket_durations.first_resolved_at,
        ticket_fact.event_at as segment_start_at,
        lead(ticket_fact.event_at) over (
            partition by ticket_fact.ticket_id
            order by ticket_fact.event_at, ticket_fact.event_id
        ) as segment_end_at,
        coalesce(
            response_due.due_at,
            {{ dbt.dateadd(
                'minute',
                'ticket_fact.first_response_target_minutes',
                'ticket_durations.created_at'
            ) }}
        ) as first_response_due_at,
        coalesce(
            resolution_due.due_at,
            {{ dbt.dateadd(
                'hour',
                'ticket_fact.resolution_target_hours',
                'ticket_durations.created_at'
            ) }}
        ) as resolution_due_at
    from ticket_fact
    inner join ticket_durations
        on ticket_fact.ticket_id = ticket_durations.ticket_id
    left join business_due as response_due
        on
            ticket_fact.ticket_id = response_due.ticket_id
            and ticket_fact.first_response_target_minutes
            = response_due.target_minutes
    left join business_due as resolution_due
        on
            ticket_fact.ticket_id = resolution_due.ticket_id
            and ticket_fact.resolution_target_hours * 60
            = resolution_due.target_minutes

),

target_passes as (

    -- Where a segment's target passes while it is in force: at its due
    -- time, or at the segment's start when a re-target made it already
    -- past. It counts only before the segment ends and before the reply
    -- (or the solve) stops the clock.
    select
        ticket_id,
        response_stopped_at,
        first_resolved_at,
        segment_end_at,
        -- greatest() skips nulls on both engines: no target, no pass
        case
            when first_response_due_at is not null
                then greatest(segment_start_at, first_response_due_at)
        end as response_passes_at,
        case
            when resolution_due_at is not null
                then greatest(segment_start_at, resolution_due_at)
        end as resolution_passes_at,
        first_response_due_at is not null as has_response_target,
        resolution_due_at is not null as has_resolution_target
    from target_segments

),

ticket_breaches as (

    -- The moment each target was first breached (null: never, or not yet).
    -- It depends only on events before that moment, so no later event can
    -- change a published day. A ticket with an event of unknown priority or
    -- tier (no target) is not measured against that target.
    select
        ticket_id,
        min(case when has_response_target then 1 else 0 end) = 1
            as response_targeted,
        min(case when has_resolution_target then 1 else 0 end) = 1
            as resolution_targeted,
        min(
            case
                when
                    (
                        segment_end_at is null
                        or response_passes_at < segment_end_at
                    )
                    and (
                        response_stopped_at is null
                        or response_passes_at < response_stopped_at
                    )
                    then response_passes_at
            end
        ) as response_breached_at,
        min(
            case
                when
                    (
                        segment_end_at is null
                        or resolution_passes_at < segment_end_at
                    )
                    and (
                        first_resolved_at is null
                        or resolution_passes_at < first_resolved_at
                    )
                    then resolution_passes_at
            end
        ) as resolution_breached_at
    from target_passes
    group by ticket_id

),

ticket_sla as (

    select
        ticket_durations.ticket_id,
        ticket_durations.created_date,
        ticket_durations.response_stopped_at,
        cast(ticket_durations.response_stopped_at as date)
            as response_stopped_date,
        ticket_durations.first_resolved_date,
        ticket_durations.first_reopened_at,
        ticket_breaches.response_targeted,
        ticket_breaches.resolution_targeted,
        ticket_breaches.response_breached_at,
        ticket_breaches.resolution_breached_at,
        cast(ticket_breaches.response_breached_at as date)
            as response_breached_date,
        cast(ticket_breaches.resolution_breached_at as date)
            as resolution_breached_date
    from ticket_durations
    inner join ticket_breaches
        on ticket_durations.ticket_id = ticket_breaches.ticket_id

),

day_events as (

    select
        event_date as kpi_date,
        count(distinct case when event_type = 'resolved' then ticket_id end)
            as tickets_resolved
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
        {{ factory_percentile(
            'ticket_business_durations.first_response_business_minutes', 0.5
        ) }} as first_response_p50_business_minutes,
        {{ factory_percentile(
            'ticket_business_durations.first_response_business_minutes', 0.9
        ) }} as first_response_p90_business_minutes
    from kpi_windows
    inner join ticket_durations
        on
            kpi_windows.kpi_date = ticket_durations.first_responded_date
            and kpi_windows.window_start_date <= ticket_durations.created_date
    inner join ticket_business_durations
        on ticket_durations.ticket_id = ticket_business_durations.ticket_id
    group by kpi_windows.kpi_date

),

resolutions as (

    select
        kpi_windows.kpi_date,
        {{ factory_percentile('ticket_durations.resolution_hours', 0.5) }}
            as resolution_p50_hours,
        {{ factory_percentile(
            'ticket_business_durations.resolution_business_hours', 0.5
        ) }} as resolution_p50_business_hours
    from kpi_windows
    inner join ticket_durations
        on
            kpi_windows.kpi_date = ticket_durations.first_resolved_date
            and kpi_windows.window_start_date <= ticket_durations.created_date
    inner join ticket_business_durations
        on ticket_durations.ticket_id = ticket_business_durations.ticket_id
    group by kpi_windows.kpi_date

),

sla_outcomes as (

    -- Per day, over tickets created inside the window: a target is achieved
    -- on the day the first reply (for resolution: the first solve) comes
    -- within it, and breached on the day it passes unmet, once, reply or
    -- not. A solve before any reply stops the reply clock as a reply does.
    -- Overdue: breached, and neither answered nor solved at the end of the
    -- day.
    select
        kpi_windows.kpi_date,
        sum(
            case
                when
                    ticket_sla.response_stopped_date = kpi_windows.kpi_date
                    and ticket_sla.response_targeted
                    and ticket_sla.response_breached_at is null
                    then 1
                else 0
            end
        ) as first_response_achieved,
        sum(
            case
                when ticket_sla.response_breached_date = kpi_windows.kpi_date
                    then 1
                else 0
            end
        ) as first_response_breached,
        sum(
            case
                when
                    ticket_sla.response_breached_at < kpi_windows.day_end_at
                    and (
                        ticket_sla.response_stopped_at is null
                        or ticket_sla.response_stopped_at
                        >= kpi_windows.day_end_at
                    )
                    then 1
                else 0
            end
        ) as overdue_unanswered_tickets,
        sum(
            case
                when
                    ticket_sla.first_resolved_date = kpi_windows.kpi_date
                    and ticket_sla.resolution_targeted
                    and ticket_sla.resolution_breached_at is null
                    then 1
                else 0
            end
        ) as resolution_achieved,
        sum(
            case
                when ticket_sla.resolution_breached_date = kpi_windows.kpi_date
                    then 1
                else 0
            end
        ) as resolution_breached,
        sum(
            case
                when
                    ticket_sla.first_resolved_date
                    >= kpi_windows.window_start_date
                    and ticket_sla.first_resolved_date <= kpi_windows.kpi_date
                    then 1
                else 0
            end
        ) as window_resolved_tickets,
        sum(
            case
                when
                    ticket_sla.first_resolved_date
                    >= kpi_windows.window_start_date
                    and ticket_sla.first_resolved_date <= kpi_windows.kpi_date
                    and ticket_sla.first_reopened_at < kpi_windows.day_end_at
                    then 1
                else 0
            end
        ) as window_reopened_tickets
    from kpi_windows
    inner join ticket_sla
        on
            kpi_windows.window_start_date <= ticket_sla.created_date
            and kpi_windows.kpi_date >= ticket_sla.created_date
    group by kpi_windows.kpi_date

),

backlog as (

    -- The whole backlog: every ticket open at the end of the day, whenever
    -- it was created (ticket_open_daily carries the open set day to day).
    select
        snapshot_date as kpi_date,
        count(*) as backlog_tickets
    from {{ ref('ticket_open_daily') }}
    where {{ factory_days_filter('snapshot_date', kpi_days) }}
    group by snapshot_date

),

fact_days as (

    select distinct event_date from ticket_fact

),

window_coverage as (

    -- How many days of the window hold landed events: all of them, or the
    -- window reaches before the history (or over a hole in it).
    select
        kpi_windows.kpi_date,
        count(*) as covered_days
    from kpi_windows
    inner join fact_days
        on
            kpi_windows.window_start_date <= fact_days.event_date
            and kpi_windows.kpi_date >= fact_days.event_date
    group by kpi_windows.kpi_date

),

final as (

    select
        coalesce(created.tickets_created, 0) as tickets_created,
        coalesce(day_events.tickets_resolved, 0) as tickets_resolved,
        first_responses.first_response_p50_minutes,
        first_responses.first_response_p90_minutes,
        first_responses.first_response_p50_business_minutes,
        first_responses.first_response_p90_business_minutes,
        resolutions.resolution_p50_hours,
        resolutions.resolution_p50_business_hours,
        coalesce(sla_outcomes.first_response_achieved, 0)
            as first_response_achieved,
        coalesce(sla_outcomes.first_response_breached, 0)
            as first_response_breached,
        cast(sla_outcomes.first_response_breached as double)
        / nullif(
            sla_outcomes.first_response_breached
            + sla_outcomes.first_response_achieved,
            0
        ) as sla_breach_rate,
        coalesce(sla_outcomes.overdue_unanswered_tickets, 0)
            as overdue_unanswered_tickets,
        coalesce(sla_outcomes.resolution_achieved, 0) as resolution_achieved,
        coalesce(sla_outcomes.resolution_breached, 0) as resolution_breached,
        cast(sla_outcomes.resolution_breached as double)
        / nullif(
            sla_outcomes.resolution_breached + sla_outcomes.resolution_achieved,
            0
        ) as resolution_breach_rate,
        coalesce(backlog.backlog_tickets, 0) as backlog_tickets,
        cast(sla_outcomes.window_reopened_tickets as double)
        / nullif(sla_outcomes.window_resolved_tickets, 0) as reopen_rate,
        kpi_windows.kpi_date,
        kpi_windows.window_start_date,
        coalesce(window_coverage.covered_days, 0)
        = {{ (lookback_days | int) + 1 }} as window_complete
    from kpi_windows
    left join created
        on kpi_windows.kpi_date = created.kpi_date
    left join day_events
        on kpi_windows.kpi_date = day_events.kpi_date
    left join first_responses
        on kpi_windows.kpi_date = first_responses.kpi_date
    left join resolutions
        on kpi_windows.kpi_date = resolutions.kpi_date
    left join sla_outcomes
        on kpi_windows.kpi_date = sla_outcomes.kpi_date
    left join backlog
        on kpi_windows.kpi_date = backlog.kpi_date
    left join window_coverage
        on kpi_windows.kpi_date = window_coverage.kpi_date

)

select * from final
