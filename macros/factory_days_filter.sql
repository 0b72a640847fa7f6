{% macro factory_days_filter(column, days) %}
    {#- A predicate selecting the days from the first to the last of `days`
        (a list of 'YYYY-MM-DD', as factory_days_to_build returns) on a date
        column; `1 = 0` when the list is empty. -#}
    {%- if not days -%}
        {{ return('1 = 0') }}
    {%- endif -%}
    {{ return(
        column ~ " between cast('" ~ days[0] ~ "' as date) and cast('"
        ~ days[-1] ~ "' as date)"
    ) }}
{% endmacro %}
