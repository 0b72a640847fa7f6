{% macro factory_days_relation(days, column_name) %}
    {#- A relation with one date row per 'YYYY-MM-DD' in `days` (none when
        the list is empty), to drive per-day outputs and checks. -#}
    {%- for day in days %}
        select cast('{{ day }}' as date) as {{ column_name }}
        {%- if not loop.last %} union all{% endif %}
    {%- else %}
        select cast(null as date) as {{ column_name }} where 1 = 0
    {%- endfor %}
{% endmacro %}
