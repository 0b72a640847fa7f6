{% test one_row_per_day(model, column_name, days_from, days_from_column) %}
{#- Fails for every day being built that has no row or more than one row.
    With no partition var the expected days run from the first to the last
    day of `days_from`. -#}
{%- set expected_days = factory_days_to_build(days_from, days_from_column) -%}
with

expected as (

    {{ factory_days_relation(expected_days, 'expected_day') }}

),

actual as (

    select
        {{ column_name }} as actual_day,
        count(*) as day_rows
    from {{ model }}
    group by {{ column_name }}

),

compared as (

    select
        coalesce(expected.expected_day, actual.actual_day) as day_value,
        coalesce(actual.day_rows, 0) as day_rows,
        expected.expected_day is not null as is_expected
    from expected
    full outer join actual
        on expected.expected_day = actual.actual_day

)

select * from compared
where day_rows <> 1 or not is_expected
{% endtest %}
