{% macro factory_days_to_build(relation, column) %}
    {#- The list of 'YYYY-MM-DD' days this invocation builds. With no
        partition var, every day from the first to the last in `relation`,
        so an empty day in the middle still gets its row. -#}
    {%- set days = factory_partition_range() -%}
    {%- if days is none -%}
        {%- if not execute -%}
            {{ return([]) }}
        {%- endif -%}
        {#- Nothing built yet (docs generate or compile on a fresh
            warehouse): no day, rather than a query on a missing table. -#}
        {%- if load_relation(relation) is none -%}
            {{ return([]) }}
        {%- endif -%}
        {%- set bounds_sql -%}
            select
                cast(min({{ column }}) as {{ dbt.type_string() }}) as first_day,
                cast(max({{ column }}) as {{ dbt.type_string() }}) as last_day
            from {{ relation }}
        {%- endset -%}
        {%- set bounds = run_query(bounds_sql) -%}
        {%- if bounds.rows | length == 0 or bounds.rows[0][0] is none -%}
            {{ return([]) }}
        {%- endif -%}
        {%- set days = [bounds.rows[0][0][:10], bounds.rows[0][1][:10]] -%}
    {%- endif -%}
    {%- set first = modules.datetime.date.fromisoformat(days[0]) -%}
    {%- set last = modules.datetime.date.fromisoformat(days[1]) -%}
    {%- set result = [] -%}
    {%- for offset in range((last - first).days + 1) -%}
        {%- set day = first + modules.datetime.timedelta(days=offset) -%}
        {%- do result.append(day.isoformat()) -%}
    {%- endfor -%}
    {{ return(result) }}
{% endmacro %}
