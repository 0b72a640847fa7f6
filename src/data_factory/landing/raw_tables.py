"""The raw tables the ingest owns, and the SQL that fills them.

`raw.ticket_events` holds the lines that parse, `raw.ticket_events_rejected`
every other line with its reason, `raw.landing_manifests` one row per landed
day. DuckDB itself splits the export files into lines and parses them,
set-based and several days per statement.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime

from data_factory.core.errors import FactoryError
from data_factory.landing.manifest import LandingManifest

# (field, required). agent_id is null until a ticket is assigned.
EVENT_FIELDS: tuple[tuple[str, bool], ...] = (
    ("event_id", True),
    ("ticket_id", True),
    ("event_type", True),
    ("event_at", True),
    ("customer_id", True),
    ("agent_id", False),
    ("channel", True),
    ("priority", True),
    ("category", True),
    ("status", True),
)
KNOWN_FIELDS = tuple(name for name, _ in EVENT_FIELDS)
TIMESTAMP_FORMATS = ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ")

SCHEMA_DDL = """
create schema if not exists raw;
create table if not exists raw.ticket_events (
    event_id varchar not null,
    ticket_id varchar not null,
    event_type varchar not null,
    event_at timestamp not null,
    customer_id varchar not null,
    agent_id varchar,
    channel varchar not null,
    priority varchar not null,
    category varchar not null,
    status varchar not null,
    partition_date date not null,
    source_file varchar not null,
    source_line integer not null,
    manifest_sha256 varchar not null,
    export_version integer,
    ingest_run_id varchar not null,
    ingested_at timestamp not null
);
create table if not exists raw.ticket_events_rejected (
    partition_date date not null,
    source_file varchar not null,
    source_line integer not null,
    reason_code varchar not null,
    reason_detail varchar not null,
    raw_line varchar not null,
    manifest_sha256 varchar not null,
    ingest_run_id varchar not null,
    ingested_at timestamp not null
);
create table if not exists raw.landing_manifests (
    partition_date date not null,
    manifest_sha256 varchar not null,
    export_version integer,
    generated_at varchar,
    total_lines bigint not null,
    landed_rows bigint not null,
    rejected_rows bigint not null,
    files_json varchar not null,
    unknown_fields_json varchar not null,
    ingest_run_id varchar not null,
    ingested_at timestamp not null
);
"""


def _sql_list(values) -> str:
    return "[" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + "]"


def _fragment_kind_words(fragment: str) -> str:
    """What a JSON value is, from the first character of its text."""
    return (
        f"case left({fragment}, 1) when '{{' then 'an object' when '[' then 'an array' "
        f"when 't' then 'a boolean' when 'f' then 'a boolean' else 'a number' end"
    )


def split_lines_sql(file_paths: list[str]) -> str:
    """SQL that splits the files of `batch_files` into physical lines,
    numbered from 1, each with the partition its file belongs to. The text
    after the last newline is a line unless it is empty, as the manifest
    counts them (landing.manifest).

    This runs as its own statement: a file is one row of read_text, so
    whatever followed the unnest in the same pipeline would run on one
    thread. From a table, the parse below runs on every core.
    """
    texts = (
        f"read_text({_sql_list(file_paths)})"
        if file_paths
        else "(select '' as filename, '' as content where false)"
    )
    return f"""
    with files as (
        select batch.partition_date, text.filename,
               -- a UTF-8 byte order mark (U+FEFF) is no part of line 1
               string_split(
                   case when starts_with(text.content, chr(65279))
                       then substr(text.content, 2) else text.content end,
                   chr(10)
               ) as parts
        from {texts} as text
        join batch_files as batch using (filename)
    )
    select
        partition_date,
        parse_filename(filename) as source_file,
        unnest(parts) as raw_line,
        cast(unnest(range(1, len(parts) + 1)) as integer) as source_line,
        len(parts) as part_count,
        -- why a line is not UTF-8 text (landing.undecodable); read_text reads only UTF-8
        cast(null as varchar) as encoding_error
    from files
    """


def _parse_lines_sql(lines_table: str) -> str:
    """SQL that classifies every physical line of `lines_table`.

    Each line is parsed as JSON once: `json_transform` turns an object into
    a struct of the known fields, each kept as its JSON text, so the first
    character tells a string from a number, a boolean or an object, and a
    missing field from a present one. `try` turns the error a JSON function
    raises on invalid JSON into a null.
    """
    structure = "{" + ", ".join(f'"{name}": "JSON"' for name in KNOWN_FIELDS) + "}"
    fragments, missing, wrong_types, missing_details, type_details = [], [], [], [], []
    for name, required in EVENT_FIELDS:
        fragment = f"f_{name}"
        fragments.append(f"cast(fields.{name} as varchar) as {fragment}")
        if required:
            missing.append(f"{fragment} is null")
            missing_details.append(
                f"when {fragment} is null then 'required field {name} is missing or null'"
            )
        wrong_type = f"left({fragment}, 1) <> '\"'"
        wrong_types.append(wrong_type)
        type_details.append(
            f"when {wrong_type} then '{name} is ' || {_fragment_kind_words(fragment)} "
            "|| ', expected a string'"
        )
    values = ",\n        ".join(
        f"json_extract_string(f_{name}, '$') as {name}" for name in KNOWN_FIELDS
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
            try(json_transform(raw_line, '{structure}')) as fields
        from {lines_table}
        -- the text after the final newline is not a line
        where not (source_line = part_count and raw_line = '')
    ),
    fragments as (
        select
            partition_date, source_file, source_line, raw_line, encoding_error,
            fields is not null and left(ltrim(raw_line), 1) = '{{' as is_object,
            {", ".join(fragments)}
        from documents
    ),
    typed as (
        select
            *,
            try_strptime(json_extract_string(f_event_at, '$'), {_sql_list(TIMESTAMP_FORMATS)})
                as event_at
        from fragments
    ),
    classified as (
        select
            *,
            case
                when encoding_error is not null then 'INVALID_ENCODING'
                when not is_object then 'MALFORMED_JSON'
                when {" or ".join(missing)} then 'MISSING_REQUIRED_FIELD'
                when {" or ".join(wrong_types)} or event_at is null then 'INVALID_TYPE'
                when cast(event_at as date) <> partition_date then 'EVENT_OUTSIDE_PARTITION'
            end as reason_code
        from typed
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
            when not is_object then
                case when raw_line = '' then 'empty line' else 'not a JSON object' end
            {" ".join(missing_details)}
            {" ".join(type_details)}
            when event_at is null then
                'event_at ' || f_event_at || ' is not a UTC ISO-8601 timestamp'
            else 'event_at ' || json_extract_string(f_event_at, '$') || ' is not on '
                || cast(partition_date as varchar)
        end as reason_detail,
        {values},
        event_at
    from classified
    """


def replace_days(
    connection, days: list[tuple[LandingManifest, str]], ingested_at: datetime
) -> dict[str, dict]:
    """Replace the given days, as (manifest, ingest run id) pairs, in one
    transaction, from the temp table `physical_lines` (see split_lines_sql);
    per-day counts. Raises RECONCILIATION_FAILED, committing nothing, when a
    day's landed plus rejected lines are not its manifest's lines."""
    connection.execute(
        "create or replace temp table batch_days (partition_date date, manifest_sha256 "
        "varchar, export_version integer, ingest_run_id varchar)"
    )
    connection.executemany(
        "insert into batch_days values (cast(? as date), ?, ?, ?)",
        [
            [manifest.partition, manifest.sha256, manifest.export_version, run_id]
            for manifest, run_id in days
        ],
    )
    in_batch = "partition_date in (select partition_date from batch_days)"
    connection.execute(f"delete from physical_lines where not {in_batch}")
    connection.execute("begin transaction")
    try:
        for table in ("ticket_events", "ticket_events_rejected", "landing_manifests"):
            connection.execute(f"delete from raw.{table} where {in_batch}")
        # valid lines go straight from the parse into the table
        connection.execute(
            f"""
            insert into raw.ticket_events
            select
                event_id, ticket_id, event_type, event_at, customer_id, agent_id, channel,
                priority, category, status,
                partition_date, source_file, source_line,
                day.manifest_sha256, day.export_version, day.ingest_run_id, ?
            from ({_parse_lines_sql("physical_lines")}) as parsed
            join batch_days as day using (partition_date)
            where reason_code is null
            """,
            [ingested_at],
        )
        # the lines that did not land are classified again, alone, for their reason
        connection.execute(
            f"""
            create or replace temp table unlanded_lines as
            select * from physical_lines as lines
            where not exists (
                select 1 from raw.ticket_events as landed
                where landed.{in_batch}
                  and landed.partition_date = lines.partition_date
                  and landed.source_file = lines.source_file
                  and landed.source_line = lines.source_line
            )
            """
        )
        connection.execute(
            f"""
            insert into raw.ticket_events_rejected
            select partition_date, source_file, source_line, reason_code, reason_detail,
                   raw_line, day.manifest_sha256, day.ingest_run_id, ?
            from ({_parse_lines_sql("unlanded_lines")}) as parsed
            join batch_days as day using (partition_date)
            where reason_code is not null
            """,
            [ingested_at],
        )
        counts = {
            str(day): {
                "landed_rows": landed,
                "distinct_event_ids": distinct_ids,
                "rejected_rows": 0,
                "rejected_by_reason": {},
                "unknown_fields": [],
            }
            for day, landed, distinct_ids in connection.execute(
                "select day.partition_date, count(event_id), count(distinct event_id) "
                "from batch_days as day left join raw.ticket_events as landed "
                "using (partition_date) group by 1"
            ).fetchall()
        }
        for day, reason, rejected in connection.execute(
            f"select partition_date, reason_code, count(*) from raw.ticket_events_rejected "
            f"where {in_batch} group by 1, 2 order by 1, 2"
        ).fetchall():
            counts[str(day)]["rejected_by_reason"][reason] = rejected
            counts[str(day)]["rejected_rows"] += rejected
        # fields the factory does not know, on the lines that landed
        for day, name in connection.execute(
            f"""
            select distinct partition_date, unnest(list_filter(try(json_keys(raw_line)),
                   lambda k: not list_contains({_sql_list(KNOWN_FIELDS)}, k))) as name
            from physical_lines as lines
            where not exists (
                select 1 from unlanded_lines as unlanded
                where unlanded.partition_date = lines.partition_date
                  and unlanded.source_file = lines.source_file
                  and unlanded.source_line = lines.source_line
            )
            order by 1, 2
            """
        ).fetchall():
            counts[str(day)]["unknown_fields"].append(name)
        rows = []
        for manifest, run_id in days:
            day_counts = counts[manifest.partition]
            landed, rejected = day_counts["landed_rows"], day_counts["rejected_rows"]
            if landed + rejected != manifest.total_lines:
                raise FactoryError(
                    "RECONCILIATION_FAILED",
                    f"partition {manifest.partition}: manifest lists {manifest.total_lines} "
                    f"lines but {landed} were landed and {rejected} rejected; nothing was "
                    "committed",
                )
            rows.append(
                [
                    manifest.partition,
                    manifest.sha256,
                    manifest.export_version,
                    manifest.generated_at,
                    manifest.total_lines,
                    landed,
                    rejected,
                    json.dumps([asdict(entry) for entry in manifest.files]),
                    json.dumps(day_counts["unknown_fields"]),
                    run_id,
                    ingested_at,
                ]
            )
        connection.executemany(
            "insert into raw.landing_manifests values "
            "(cast(? as date), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        connection.execute("commit")
    except BaseException:
        connection.execute("rollback")
        raise
    return counts
