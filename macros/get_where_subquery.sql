{% macro get_where_subquery(relation) -%}
    {#- Overrides dbt's macro so every check on a partitioned asset reads only
        the partitions being built. A test's `where` config is rendered at
        parse time, which would freeze the partition of the first parse;
        this runs at execution time instead. A test opts out with
        `meta: {partition_scoped: false}`. -#}
    {%- set clauses = [] -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- do clauses.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set scoped = (config.get('meta') or {}).get(
        'partition_scoped', true
    ) -%}
    {%- set partition_column = factory_partition_column_of(relation) -%}
    {%- if scoped and partition_column
        and factory_partition_range() is not none -%}
        {%- do clauses.append(factory_partition_filter(partition_column)) -%}
    {%- endif -%}
    {%- if clauses -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ clauses | join(' and ') }})
            as dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}
