{#- The clock of an SLA schedule (seeds/sla_schedules.csv) on both engines:
    local time from UTC and back for a named time zone, and the ISO weekday
    (1 = Monday .. 7 = Sunday). Timestamps are UTC wall-clock times without
    a zone, as event_at is. -#}

{% macro factory_utc_to_local(ts, tz) %}
    {{ return(adapter.dispatch('factory_utc_to_local')(ts, tz)) }}
{% endmacro %}

{% macro default__factory_utc_to_local(ts, tz) %}
    {#- DuckDB (ICU): the instant, then its wall-clock time in tz. -#}
    timezone({{ tz }}, timezone('UTC', {{ ts }}))
{% endmacro %}

{% macro spark__factory_utc_to_local(ts, tz) %}
    from_utc_timestamp({{ ts }}, {{ tz }})
{% endmacro %}

{% macro factory_local_to_utc(ts, tz) %}
    {{ return(adapter.dispatch('factory_local_to_utc')(ts, tz)) }}
{% endmacro %}

{% macro default__factory_local_to_utc(ts, tz) %}
    timezone('UTC', timezone({{ tz }}, {{ ts }}))
{% endmacro %}

{% macro spark__factory_local_to_utc(ts, tz) %}
    to_utc_timestamp({{ ts }}, {{ tz }})
{% endmacro %}

{% macro factory_iso_weekday(day) %}
    {{ return(adapter.dispatch('factory_iso_weekday')(day)) }}
{% endmacro %}

{% macro default__factory_iso_weekday(day) %}
    isodow({{ day }})
{% endmacro %}

{% macro spark__factory_iso_weekday(day) %}
    (weekday({{ day }}) + 1)
{% endmacro %}

{% macro factory_schedule_days_ctes(schedules, first_day, last_day) %}
    {#- Common table expressions (for a model's `with` list) ending in
        `schedule_days`: one row per SLA tier and local day from first_day
        to last_day, with when the tier's clock runs that day (opens_at ..
        closes_at, in UTC), for how many minutes, and how many minutes it
        ran on the days before (minutes_before, from first_day). A calendar
        clock runs all day; a business clock runs from workday_start_minute
        to workday_end_minute of local time on its working days (ISO weekday
        digits), and not at all on the other days. -#}
    {#- no first_day: no day (nothing to build) -#}
    {%- set days = [] -%}
    {%- set parse = modules.datetime.date.fromisoformat -%}
    {%- set first = parse(first_day or '2000-01-02') -%}
    {%- set last = parse(last_day or '2000-01-01') -%}
    {%- for offset in range([(last - first).days + 1, 0] | max) -%}
        {%- do days.append(
            (first + modules.datetime.timedelta(days=offset)).isoformat()
        ) -%}
    {%- endfor -%}
    schedule_calendar as (

        {{ factory_days_relation(days, 'local_date') }}

    ),

    schedule_weekdays as (

        select
            schedules.sla_tier,
            schedules.clock,
            schedules.timezone,
            schedules.workday_start_minute,
            schedules.workday_end_minute,
            schedule_calendar.local_date,
            instr(
                schedules.working_days,
                cast(
                    {{ factory_iso_weekday('schedule_calendar.local_date') }}
                    as {{ dbt.type_string() }}
                )
            ) > 0 as is_working_day
        from {{ schedules }} as schedules
        cross join schedule_calendar

    ),

    schedule_opening as (

        select
            sla_tier,
            timezone,
            local_date,
            case
                when clock = 'calendar' then 0
                when is_working_day then workday_start_minute
                else 0
            end as open_minute,
            case
                when clock = 'calendar' then 1440
                when is_working_day then workday_end_minute
                else 0
            end as close_minute
        from schedule_weekdays

    ),

    schedule_days as (

        select
            sla_tier,
            timezone,
            local_date,
            {{ factory_local_to_utc(
                dbt.dateadd('minute', 'open_minute', 'cast(local_date as timestamp)'),
                'timezone'
            ) }} as opens_at,
            {{ factory_local_to_utc(
                dbt.dateadd('minute', 'close_minute', 'cast(local_date as timestamp)'),
                'timezone'
            ) }} as closes_at,
            close_minute - open_minute as open_minutes,
            coalesce(
                sum(close_minute - open_minute) over (
                    partition by sla_tier
                    order by local_date
                    rows between unbounded preceding and 1 preceding
                ),
                0
            ) as minutes_before
        from schedule_opening

    )
{%- endmacro %}

{% macro factory_clock_seconds(day, ts) %}
    {#- Seconds the clock ran from the first schedule day to `ts`, given the
        schedule_days row `day` of ts's local day: the days before, then the
        part of that day's opening before ts. -#}
    {{ day }}.minutes_before * 60 + {{ dbt.datediff(
        day ~ '.opens_at',
        'least(greatest(' ~ ts ~ ', ' ~ day ~ '.opens_at), ' ~ day ~ '.closes_at)',
        'second'
    ) }}
{% endmacro %}
