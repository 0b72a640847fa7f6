{% test unique_across_partitions(model, column_name, partition_column) %}
{#- Fails for every key of the partitions being built that also exists in
    another partition. Declare it with meta.partition_scoped: false, since
    it must see the other partitions too. -#}
with

built as (

    select distinct {{ column_name }} as key_value
    from {{ model }}
    where {{ factory_partition_filter(partition_column) }}

),

occurrences as (

    select
        all_rows.{{ column_name }} as key_value,
        count(distinct all_rows.{{ partition_column }}) as partitions
    from {{ model }} as all_rows
    inner join built
        on all_rows.{{ column_name }} = built.key_value
    group by all_rows.{{ column_name }}

)

select * from occurrences
where partitions > 1
{% endtest %}
