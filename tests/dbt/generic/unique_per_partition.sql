{% test unique_per_partition(model, column_name, partition_column) %}
{#- Fails for every key found more than once in one partition. A model with
    one row per key and day (a daily snapshot) repeats its keys across days,
    so `unique` alone would fail on a build of several days. -#}
select
    {{ partition_column }} as partition_value,
    {{ column_name }} as key_value,
    count(*) as copies
from {{ model }}
group by {{ partition_column }}, {{ column_name }}
having count(*) > 1
{% endtest %}
