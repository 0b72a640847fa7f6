{% test unique_across_partitions(model, column_name, partition_column) %}
{#- Fails for every key of the partitions being built that also exists in a
    partition outside them, naming both partitions. Within the partitions
    being built, `unique` on the same column (scoped to them) already fails
    for a key found twice, so the two checks together keep every key in one
    partition. A semi-join against the rows outside the range costs far less
    than counting partitions per key over the whole table. Declare it with
    meta.partition_scoped: false, since it must see the other partitions. -#}
select
    built.{{ column_name }} as key_value,
    built.{{ partition_column }} as built_partition,
    other.{{ partition_column }} as other_partition
from {{ model }} as built
inner join {{ model }} as other
    on built.{{ column_name }} = other.{{ column_name }}
where
    {{ factory_partition_filter('built.' ~ partition_column) }}
    and not ({{ factory_partition_filter('other.' ~ partition_column) }})
{% endtest %}
