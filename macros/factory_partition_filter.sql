{% macro factory_partition_filter(column) %}
    {#- A predicate selecting the partitions being built on `column`;
        `1 = 1` when no partition var is given. -#}
    {%- set days = factory_partition_range() -%}
    {%- if days is none -%}
        {{ return('1 = 1') }}
    {%- elif days[0] == days[1] -%}
        {{ return(column ~ " = cast('" ~ days[0] ~ "' as date)") }}
    {%- else -%}
        {{ return(
            column ~ " between cast('" ~ days[0] ~ "' as date) and cast('"
            ~ days[1] ~ "' as date)"
        ) }}
    {%- endif -%}
{% endmacro %}
