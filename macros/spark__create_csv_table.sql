{% macro spark__create_csv_table(model, agate_table) %}
    {#- Overrides dbt-spark's seed table DDL only to use
        factory_spark_seed_column_types, so the seed configs written for
        DuckDB work unchanged on Spark. -#}
    {%- set types = factory_spark_seed_column_types(model, agate_table) -%}
    {%- set quote_columns = model['config'].get('quote_columns', none) -%}
    {%- set columns = [] -%}
    {%- for name in agate_table.column_names -%}
        {%- do columns.append(
            adapter.quote_seed_column(name | string, quote_columns)
            ~ ' ' ~ types[loop.index0]
        ) -%}
    {%- endfor -%}
    {%- set sql -%}
        create table {{ this.render() }} ({{ columns | join(', ') }})
        {{ file_format_clause() }}
        {{ partition_cols(label="partitioned by") }}
        {{ clustered_cols(label="clustered by") }}
        {{ location_clause() }}
        {{ comment_clause() }}
    {%- endset -%}
    {%- call statement('_') -%}
        {{ sql }}
    {%- endcall -%}
    {{ return(sql) }}
{% endmacro %}
