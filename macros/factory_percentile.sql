{% macro factory_percentile(expression, fraction) %}
    {{ return(adapter.dispatch('factory_percentile', 'ticket_factory')(
        expression, fraction
    )) }}
{% endmacro %}

{% macro default__factory_percentile(expression, fraction) %}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{% endmacro %}

{% macro duckdb__factory_percentile(expression, fraction) %}
    quantile_cont({{ expression }}, {{ fraction }})
{% endmacro %}

{% macro spark__factory_percentile(expression, fraction) %}
    percentile({{ expression }}, {{ fraction }})
{% endmacro %}
