"""The SQL that judges every line of an export by its landing contract
(project.contracts): its reason code and detail, or its fields typed as the
rows table's columns.

Generated from the contract, field by field: a required field missing or
null (MISSING_REQUIRED_FIELD), an NDJSON value of another JSON kind or a value
that does not convert to its type (INVALID_TYPE), one outside its accepted
values (VALUE_NOT_ACCEPTED), a dating field off the partition's day
(EVENT_OUTSIDE_PARTITION), a later copy of a key (DUPLICATE_KEY).
"""

from __future__ import annotations

from data_factory.project.contracts import LandingContract

# a timestamp is UTC ISO-8601, to the second or finer, written with a Z
TIMESTAMP_FORMATS = ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ")


def sql_list(values) -> str:
    return "[" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + "]"


def _fragment_kind_words(fragment: str) -> str:
    """What a JSON value is, from the first character of its text."""
    return (
        f"case left({fragment}, 1) when '{{' then 'an object' when '[' then 'an array' "
        f"when 't' then 'a boolean' when 'f' then 'a boolean' when '\"' then 'a string' "
        "else 'a number' end"
    )


# how a field's JSON text becomes its column, and what is wrong when it cannot
_CONVERSIONS = {
    "timestamp": (
        f"try_strptime(json_extract_string({{f}}, '$'), {sql_list(TIMESTAMP_FORMATS)})",
        "is not a UTC ISO-8601 timestamp",
    ),
    "date": ("try_cast(json_extract_string({f}, '$') as date)", "is not a date (YYYY-MM-DD)"),
    # a bare cast would round 1.5 to 2
    "integer": (
        "if(regexp_full_match(json_extract_string({f}, '$'), '-?[0-9]+'), "
        "try_cast(json_extract_string({f}, '$') as bigint), null)",
        "is not an integer",
    ),
    "number": ("try_cast(json_extract_string({f}, '$') as double)", "is not a number"),
    # DuckDB's cast would also take yes, no, 1, 0
    "boolean": (
        "case lower(json_extract_string({f}, '$')) when 'true' then true "
        "when 'false' then false end",
        "is not true or false",
    ),
}
# the JSON kind an NDJSON field of each type must have (a CSV value is text)
_NOT_A_STRING = "left({f}, 1) <> '\"'"
_NOT_A_NUMBER = "not regexp_full_match(left({f}, 1), '[-0-9]')"
_JSON_KINDS = {
    "string": (_NOT_A_STRING, "a string"),
    "timestamp": (_NOT_A_STRING, "a string"),
    "date": (_NOT_A_STRING, "a string"),
    "integer": (_NOT_A_NUMBER, "a number"),
    "number": (_NOT_A_NUMBER, "a number"),
    "boolean": ("{f} not in ('true', 'false')", "a boolean"),
}


def _field_checks(contract: LandingContract) -> dict[str, list[str]]:
    """The SQL pieces of the checks of every field, in field order."""
    checks: dict[str, list[str]] = {
        key: []
        for key in (
            "missing",  # a required field absent or null
            "wrong",  # an NDJSON value of another JSON kind
            "conversion",  # a value that does not convert to its type
            "refused",  # a value outside accepted_values
            "missing_details",
            "wrong_details",
            "conversion_details",
            "refused_details",
            "typed",  # the converted values, t_<field>
            "values",  # the rows table's columns
        )
    }
    for item in contract.fields:
        fragment = f"f_{item.name}"
        if item.required:
            checks["missing"].append(f"{fragment} is null")
            checks["missing_details"].append(
                f"when {fragment} is null then 'required field {item.name} is missing or null'"
            )
        if contract.format == "ndjson":
            wrong, expected = _JSON_KINDS[item.type]
            wrong = wrong.format(f=fragment)
            checks["wrong"].append(wrong)
            checks["wrong_details"].append(
                f"when {wrong} then '{item.name} is ' || {_fragment_kind_words(fragment)} "
                f"|| ', expected {expected}'"
            )
        value = f"json_extract_string({fragment}, '$')"
        if item.type in _CONVERSIONS:
            conversion, problem = _CONVERSIONS[item.type]
            checks["typed"].append(f"{conversion.format(f=fragment)} as t_{item.name}")
            unconverted = f"{fragment} is not null and t_{item.name} is null"
            checks["conversion"].append(unconverted)
            checks["conversion_details"].append(
                f"when {unconverted} then '{item.name} ' || {fragment} || ' {problem}'"
            )
            value = f"t_{item.name}"
        if item.accepted_values:
            accepted = sql_list(item.accepted_values)
            refused = f"{fragment} is not null and not list_contains({accepted}, {value})"
            checks["refused"].append(refused)
            checks["refused_details"].append(
                f"when {refused} then '{item.name} ' || {fragment} || ' is not one of "
                + ", ".join(item.accepted_values).replace("'", "''")
                + "'"
            )
        checks["values"].append(f"{value} as {item.name}")
    return checks


def _any(conditions: list[str]) -> str:
    return " or ".join(conditions) if conditions else "false"


def parse_lines_sql(contract: LandingContract, lines_table: str, *, again: bool = False) -> str:
    """SQL that classifies every physical line of `lines_table` by the
    contract: its reason code and detail (null for a line that lands), and
    its fields as the rows table's columns.

    Each line is parsed as JSON once (a CSV line, as the JSON object
    landing.csv_lines made of it): `json_transform` turns an object into a
    struct of the contract's fields, each kept as its JSON text, so the first
    character tells a string from a number, a boolean or an object, and a
    missing field from a present one. `try` turns the error a JSON function
    raises on invalid JSON into a null. `again`: the lines that did not land,
    classified alone; under `duplicates: reject` one that passes every check
    is a later copy of a landed key (DUPLICATE_KEY).
    """
    structure = "{" + ", ".join(f'"{name}": "JSON"' for name in contract.field_names) + "}"
    text = "record" if contract.format == "csv" else "raw_line"
    checks = _field_checks(contract)
    fragments = ", ".join(
        f"cast(fields.{name} as varchar) as f_{name}" for name in contract.field_names
    )
    typed = ", ".join(["*", *checks["typed"]])
    dated = f"t_{contract.dated_by}"
    key = [f"json_extract_string(f_{name}, '$')" for name in contract.primary_key]
    duplicate = "null"
    if contract.duplicates == "reject":
        duplicate = (
            "'DUPLICATE_KEY'"
            if again
            else f"""case when row_number() over (
                partition by partition_date, check_code is null, {", ".join(key)}
                order by source_file, source_line
            ) > 1 then 'DUPLICATE_KEY' end"""
        )
    return f"""
    with
    documents as (
        select
            partition_date,
            source_file,
            source_line,
            raw_line,
            encoding_error,
            record,
            record_error,
            try(json_transform({text}, '{structure}')) as fields
        from {lines_table}
        -- the text after the final newline is not a line
        where not (source_line = part_count and raw_line = '')
    ),
    fragments as (
        select
            partition_date, source_file, source_line, raw_line, encoding_error, record_error,
            fields is not null and left(ltrim({text}), 1) = '{{' as is_object,
            {fragments}
        from documents
    ),
    typed as (
        select {typed}
        from fragments
    ),
    checked as (
        select
            *,
            case
                when encoding_error is not null then 'INVALID_ENCODING'
                when record_error is not null then 'MALFORMED_CSV'
                when not is_object then 'MALFORMED_JSON'
                when {_any(checks["missing"])} then 'MISSING_REQUIRED_FIELD'
                when {_any(checks["wrong"] + checks["conversion"])} then 'INVALID_TYPE'
                when {_any(checks["refused"])} then 'VALUE_NOT_ACCEPTED'
                when cast({dated} as date) <> partition_date then 'EVENT_OUTSIDE_PARTITION'
            end as check_code
        from typed
    ),
    classified as (
        select
            *,
            coalesce(check_code, {duplicate}) as reason_code
        from checked
    )
    select
        partition_date,
        source_file,
        source_line,
        reason_code,
        if(reason_code is null, null, raw_line) as raw_line,
        case
            when reason_code is null then null
            when encoding_error is not null then encoding_error
            when record_error is not null then record_error
            when not is_object then
                case when raw_line = '' then 'empty line' else 'not a JSON object' end
            {" ".join(checks["missing_details"])}
            {" ".join(checks["wrong_details"])}
            {" ".join(checks["conversion_details"])}
            {" ".join(checks["refused_details"])}
            when reason_code = 'DUPLICATE_KEY' then
                'primary key ({", ".join(contract.primary_key)}) '
                || concat_ws(', ', {", ".join(key)}) || ' is on an earlier line of the day'
            else '{contract.dated_by} ' || json_extract_string(f_{contract.dated_by}, '$')
                || ' is not on ' || cast(partition_date as varchar)
        end as reason_detail,
        {", ".join(checks["values"])}
    from classified
    """
