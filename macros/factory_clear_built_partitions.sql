{% macro factory_clear_built_partitions() %}
    {#- Pre-hook of the partitioned marts: SQL that empties the partitions
        this invocation builds, on adapters whose incremental strategy would
        otherwise keep them. -#}
    {{ return(adapter.dispatch(
        'factory_clear_built_partitions', 'ticket_factory'
    )()) }}
{% endmacro %}

{% macro default__factory_clear_built_partitions() %}
    {#- `replace_partition` already deletes by predicate. -#}
    {{ return('') }}
{% endmacro %}

{% macro spark__factory_clear_built_partitions() %}
    {#- Dynamic insert_overwrite replaces only the partitions present in the
        new rows, so a replayed, now-empty day would keep its stale rows.
        Dropping every partition being built first makes the replacement a
        function of the partition var alone, as on DuckDB. With no var, the
        whole table is rebuilt, so it is truncated. -#}
    {%- if not execute or should_full_refresh() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set existing = load_relation(this) -%}
    {%- if existing is none or existing.is_view -%}
        {{ return('') }}
    {%- endif -%}
    {%- set column = (config.get('meta') or {}).get('partition_column') -%}
    {%- if not column -%}
        {{ exceptions.raise_compiler_error(
            "factory_clear_built_partitions needs meta.partition_column"
            ~ " on model " ~ model.name
        ) }}
    {%- endif -%}
    {%- if factory_partition_range() is none -%}
        {{ return('truncate table ' ~ existing) }}
    {%- endif -%}
    {%- set specs = [] -%}
    {%- for day in factory_days_to_build(existing, column) -%}
        {%- do specs.append('partition (' ~ column ~ " = '" ~ day ~ "')") -%}
    {%- endfor -%}
    {{ return(
        'alter table ' ~ existing ~ ' drop if exists ' ~ specs | join(', ')
    ) }}
{% endmacro %}
