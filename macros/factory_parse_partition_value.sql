{% macro factory_parse_partition_value(var_name, value) %}
    {#- Returns the value as a 'YYYY-MM-DD' string, or stops compilation.
        YAML turns an unquoted 2026-11-01 into a date, so a date object is
        accepted as well as a string. Nothing else reaches SQL: this is the
        injection guard for every place the partition is interpolated. -#}
    {%- set text = value | string -%}
    {%- set shape = modules.re.fullmatch(
        '([0-9]{4})-([0-9]{2})-([0-9]{2})', text
    ) -%}
    {%- if shape is none -%}
        {{ exceptions.raise_compiler_error(
            "var '" ~ var_name
            ~ "' must be a calendar day written YYYY-MM-DD, got "
            ~ (text | tojson)
        ) }}
    {%- endif -%}
    {%- set year = shape.group(1) | int -%}
    {%- set month = shape.group(2) | int -%}
    {%- set day = shape.group(3) | int -%}
    {%- set is_leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 -%}
    {%- set month_days = [
        31, 29 if is_leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    ] -%}
    {%- if year < 1 or month < 1 or month > 12
        or day < 1 or day > month_days[month - 1] -%}
        {{ exceptions.raise_compiler_error(
            "var '" ~ var_name ~ "' is not a real calendar day: "
            ~ (text | tojson)
        ) }}
    {%- endif -%}
    {{ return(text) }}
{% endmacro %}
