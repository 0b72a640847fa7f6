{% test true_on_each_partition(model, column_name, partition_column) %}
{#- Fails for every row whose column is not true (false or null), and
    names the row's partition in `failing_partition`, so that a run of
    several days pins what it finds to the days it is on. Declare
    config.meta.failing_rows_partition: failing_partition with it: the
    factory then attributes a warning of a multi-day run to its days from
    these rows, instead of rebuilding each day alone. -#}
select
    {{ partition_column }} as failing_partition,
    {{ column_name }} as failing_value
from {{ model }}
where {{ column_name }} is null or not {{ column_name }}
{% endtest %}
