{% test lines_reconcile(model, column_name, landed_column, rejected_column) %}
{#- Fails for every partition whose manifest lines are not all accounted
    for as landed or rejected: nothing may be lost silently. -#}
select *
from {{ model }}
where {{ column_name }} <> {{ landed_column }} + {{ rejected_column }}
{% endtest %}
