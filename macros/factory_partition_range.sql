{% macro factory_partition_range() %}
    {#- The days this invocation builds, as [start, end] strings, or none
        when no partition var is given (build everything landed). -#}
    {%- set single = var('partition', none) -%}
    {%- set start = var('partition_start', none) -%}
    {%- set end = var('partition_end', none) -%}
    {%- if single is not none and (start is not none or end is not none) -%}
        {{ exceptions.raise_compiler_error(
            "give either var 'partition' or vars 'partition_start' and "
            ~ "'partition_end', not both"
        ) }}
    {%- endif -%}
    {%- if single is not none -%}
        {%- set day = factory_parse_partition_value('partition', single) -%}
        {{ return([day, day]) }}
    {%- endif -%}
    {%- if start is none and end is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if start is none or end is none -%}
        {{ exceptions.raise_compiler_error(
            "vars 'partition_start' and 'partition_end' must be given together"
        ) }}
    {%- endif -%}
    {%- set first = factory_parse_partition_value('partition_start', start) -%}
    {%- set last = factory_parse_partition_value('partition_end', end) -%}
    {%- if first > last -%}
        {{ exceptions.raise_compiler_error(
            "var 'partition_start' (" ~ first ~ ") is after 'partition_end' ("
            ~ last ~ ")"
        ) }}
    {%- endif -%}
    {{ return([first, last]) }}
{% endmacro %}
