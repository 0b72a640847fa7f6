{% macro factory_register_spark_sources() %}
    {#- on-run-start hook. Returns no SQL of its own: the adapter variant runs
        whatever its engine needs so that the dbt sources resolve. -#}
    {{ return(adapter.dispatch(
        'factory_register_spark_sources', 'ticket_factory'
    )()) }}
{% endmacro %}

{% macro default__factory_register_spark_sources() %}
    {#- DuckDB reads the sources from the raw tables `factory ingest` fills. -#}
    {{ return('') }}
{% endmacro %}

{% macro spark__factory_register_spark_sources() %}
    {#- On Spark the landed rows are Parquet under
        <landing root>/<table>/partition_date=D/, written by the factory's
        Spark landing. Each source becomes an external table over its
        directory, so dropping the table never drops landed data. The table
        is recreated only when its columns differ from the expected ones;
        REPAIR ... SYNC PARTITIONS then registers new days and forgets
        removed ones, and REFRESH drops file listings this session cached
        before a day was replaced. -#}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set root = var(
        'spark_landing_root', env_var('FACTORY_HOME', 'data') ~ '/spark-landing'
    ) -%}
    {%- set lineage = [
        ('manifest_sha256', 'string'),
        ('ingest_run_id', 'string'),
        ('ingested_at', 'timestamp'),
    ] -%}
    {%- set tables = {
        'ticket_events': [
            ('event_id', 'string'),
            ('ticket_id', 'string'),
            ('event_type', 'string'),
            ('event_at', 'timestamp'),
            ('customer_id', 'string'),
            ('agent_id', 'string'),
            ('channel', 'string'),
            ('priority', 'string'),
            ('category', 'string'),
            ('status', 'string'),
            ('source_file', 'string'),
            ('source_line', 'int'),
            ('export_version', 'int'),
        ] + lineage,
        'ticket_events_rejected': [
            ('source_file', 'string'),
            ('source_line', 'int'),
            ('reason_code', 'string'),
            ('reason_detail', 'string'),
            ('raw_line', 'string'),
        ] + lineage,
        'landing_manifests': [
            ('export_version', 'int'),
            ('generated_at', 'string'),
            ('total_lines', 'bigint'),
            ('landed_rows', 'bigint'),
            ('rejected_rows', 'bigint'),
            ('files_json', 'string'),
            ('unknown_fields_json', 'string'),
        ] + lineage,
    } -%}
    {%- for source in graph.sources.values()
        if source.source_name == 'helpdesk' and source.name in tables -%}
        {%- set relation = api.Relation.create(
            schema=source.schema, identifier=source.identifier) -%}
        {%- set expected = tables[source.name]
            + [('partition_date', 'date')] -%}
        {%- set location = (root ~ '/' ~ source.name)
            | replace('\\', '\\\\') | replace("'", "\\'") -%}
        {%- do run_query('create database if not exists ' ~ source.schema) -%}
        {%- set existing = adapter.get_relation(
            database=none, schema=source.schema,
            identifier=source.identifier) -%}
        {%- if existing is not none -%}
            {%- set found = [] -%}
            {%- for column in adapter.get_columns_in_relation(existing) -%}
                {%- do found.append(
                    (column.name | lower, column.dtype | lower)
                ) -%}
            {%- endfor -%}
            {%- if found != expected -%}
                {%- do adapter.drop_relation(existing) -%}
                {%- set existing = none -%}
            {%- endif -%}
        {%- endif -%}
        {%- if existing is none -%}
            {%- set columns = [] -%}
            {%- for name, type in expected -%}
                {%- do columns.append(name ~ ' ' ~ type) -%}
            {%- endfor -%}
            {%- do run_query(
                'create table ' ~ relation ~ ' (' ~ columns | join(', ') ~ ')'
                ~ ' using parquet partitioned by (partition_date)'
                ~ " location '" ~ location ~ "'"
            ) -%}
        {%- endif -%}
        {%- do run_query('repair table ' ~ relation ~ ' sync partitions') -%}
        {%- do run_query('refresh table ' ~ relation) -%}
    {%- endfor -%}
    {{ return('') }}
{% endmacro %}
