{% macro generate_schema_name(custom_schema_name, node) -%}
    {#- Layer schemas (staging, marts, reference) are used as named, so the
        warehouse reads the same for every user of the embedded default. -#}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
