{% macro factory_validate_vars() %}
    {#- Runs as on-run-start, so bad vars stop the invocation before any
        seed, model or test executes. -#}
    {%- do factory_partition_range() -%}
    {%- set lookback = var('kpi_lookback_days') -%}
    {%- if lookback is not number or lookback < 0 or lookback > 366 -%}
        {{ exceptions.raise_compiler_error(
            "var 'kpi_lookback_days' must be a whole number of days between 0 "
            ~ "and 366, got " ~ (lookback | string | tojson)
        ) }}
    {%- endif -%}
    select 1 as factory_vars_ok
{% endmacro %}
