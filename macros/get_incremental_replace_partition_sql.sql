{% macro get_incremental_replace_partition_sql(arg_dict) %}
    {#- Custom incremental strategy `replace_partition`: delete the partitions
        being built by predicate, then insert the new rows, in the
        materialization's transaction. Deleting by predicate rather than by
        the keys present in the new rows means a replayed, now-empty day
        leaves nothing stale behind. -#}
    {%- set partition_column = (config.get('meta') or {}).get(
        'partition_column'
    ) -%}
    {%- if not partition_column -%}
        {{ exceptions.raise_compiler_error(
            "incremental_strategy 'replace_partition' needs"
            ~ " meta.partition_column on model " ~ model.name
        ) }}
    {%- endif -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set columns = get_quoted_csv(
        arg_dict['dest_columns'] | map(attribute='name')
    ) -%}
    delete from {{ target }}
    where {{ factory_partition_filter(partition_column) }};

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ source }}
{% endmacro %}
