{% macro factory_spark_seed_column_types(model, agate_table) %}
    {#- The Spark type of each seed column, in CSV order: the declared
        `column_types`, where a bare varchar or text (valid on DuckDB, but
        Spark wants a length) is read as string; otherwise the type dbt
        infers from the CSV. -#}
    {%- set declared = model['config'].get('column_types') or {} -%}
    {%- set types = [] -%}
    {%- for name in agate_table.column_names -%}
        {%- set type = declared.get(name)
            or adapter.convert_type(agate_table, loop.index0) -%}
        {%- if type | trim | lower
            in ('varchar', 'text', 'character varying') -%}
            {%- set type = 'string' -%}
        {%- endif -%}
        {%- do types.append(type) -%}
    {%- endfor -%}
    {{ return(types) }}
{% endmacro %}
