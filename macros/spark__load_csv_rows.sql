{% macro spark__load_csv_rows(model, agate_table) %}
    {#- Loads seed rows as SQL literals. dbt-spark binds values with %s,
        which the session method fills in unescaped: a quote inside a cell
        breaks the statement and an empty cell becomes the text 'None'. -#}
    {%- set types = factory_spark_seed_column_types(model, agate_table) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set rows = [] -%}
        {%- for row in chunk -%}
            {%- set values = [] -%}
            {%- for value in row -%}
                {%- if value is none -%}
                    {%- set literal = 'null' -%}
                {%- elif value is boolean -%}
                    {%- set literal = 'true' if value else 'false' -%}
                {%- elif value is number -%}
                    {%- set literal = value | string -%}
                {%- else -%}
                    {%- set literal = "'" ~ (value | string
                        | replace('\\', '\\\\') | replace("'", "\\'")) ~ "'" -%}
                {%- endif -%}
                {%- do values.append(
                    'cast(' ~ literal ~ ' as ' ~ types[loop.index0] ~ ')'
                ) -%}
            {%- endfor -%}
            {%- do rows.append('(' ~ values | join(', ') ~ ')') -%}
        {%- endfor -%}
        {%- set sql = 'insert into ' ~ this.render() ~ ' values '
            ~ rows | join(', ') -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- do statements.append(sql) -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{% endmacro %}
