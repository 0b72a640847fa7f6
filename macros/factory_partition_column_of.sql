{% macro factory_partition_column_of(relation) %}
    {#- The `meta.partition_column` of the model, seed or source behind
        `relation`, or none. Tests only receive a relation, so the node is
        found again in the graph. -#}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set identifier = relation.identifier | lower -%}
    {%- set schema = relation.schema | lower -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type in ('model', 'seed', 'snapshot')
            and (node.alias or node.name) | lower == identifier
            and node.schema | lower == schema -%}
            {{ return(node.config.meta.get('partition_column')) }}
        {%- endif -%}
    {%- endfor -%}
    {%- for source in graph.sources.values() -%}
        {%- if (source.identifier or source.name) | lower == identifier
            and source.schema | lower == schema -%}
            {{ return(source.meta.get('partition_column')) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(none) }}
{% endmacro %}
