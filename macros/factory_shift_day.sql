{% macro factory_shift_day(day, days) %}
    {#- 'YYYY-MM-DD' shifted by a whole number of days, computed at compile
        time so the SQL carries a plain date literal on every adapter. -#}
    {%- set shifted = modules.datetime.date.fromisoformat(day)
        + modules.datetime.timedelta(days=days) -%}
    {{ return(shifted.isoformat()) }}
{% endmacro %}
