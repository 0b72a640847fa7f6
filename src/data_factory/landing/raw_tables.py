"""The raw tables the ingest owns, and the SQL that fills them, derived
from a source's landing contract (project.contracts).

Each landing source has three: its rows table holds the lines that pass the
contract (its fields, typed, then the lineage columns), its rejected table
every other line with its reason, its manifests table one row per landed
day. DuckDB itself splits the export files into lines and parses them,
set-based and several days per statement.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime

from data_factory.core.errors import FactoryError
from data_factory.landing.line_checks import parse_lines_sql, sql_list
from data_factory.landing.manifest import LandingManifest
from data_factory.project.contracts import FIELD_TYPES, LandingSource

REJECTED_COLUMNS = """
    partition_date date not null,
    source_file varchar not null,
    source_line integer not null,
    reason_code varchar not null,
    reason_detail varchar not null,
    raw_line varchar not null,
    manifest_sha256 varchar not null,
    ingest_run_id varchar not null,
    ingested_at timestamp not null
"""
MANIFESTS_COLUMNS = """
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
"""
# after the contract's fields, in this order (contracts.LINEAGE_COLUMNS)
LINEAGE_DDL = """
    partition_date date not null,
    source_file varchar not null,
    source_line integer not null,
    manifest_sha256 varchar not null,
    export_version integer,
    ingest_run_id varchar not null,
    ingested_at timestamp not null
"""


def schema_ddl(source: LandingSource) -> str:
    """The raw tables of a landing source: its rows table has the contract's
    fields, typed, then the lineage columns."""
    fields = "".join(
        f"\n    {f.name} {FIELD_TYPES[f.type]}{' not null' if f.required else ''},"
        for f in source.contract.fields
    )
    schemas = sorted(
        {
            t.split(".")[0]
            for t in (source.rows_table, source.rejected_table, source.manifests_table)
        }
    )
    return (
        "".join(f"create schema if not exists {schema};\n" for schema in schemas)
        + f"create table if not exists {source.rows_table} ({fields}{LINEAGE_DDL});\n"
        + f"create table if not exists {source.rejected_table} ({REJECTED_COLUMNS});\n"
        + f"create table if not exists {source.manifests_table} ({MANIFESTS_COLUMNS});\n"
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
        f"read_text({sql_list(file_paths)})"
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
        cast(null as varchar) as encoding_error,
        -- a CSV line as a JSON object, or why it is none (landing.csv_lines)
        cast(null as varchar) as record,
        cast(null as varchar) as record_error
    from files
    """


def replace_days(
    connection,
    source: LandingSource,
    days: list[tuple[LandingManifest, str]],
    ingested_at: datetime,
) -> dict[str, dict]:
    """Replace the given days of `source`, as (manifest, ingest run id) pairs, in one
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
    contract = source.contract
    text = "record" if contract.format == "csv" else "raw_line"
    # the distinct keys landed: one field, or a list of several
    key = (
        f"landed.{contract.primary_key[0]}"
        if len(contract.primary_key) == 1
        else "[" + ", ".join(f"cast(landed.{k} as varchar)" for k in contract.primary_key) + "]"
    )
    connection.execute(f"delete from physical_lines where not {in_batch}")
    connection.execute("begin transaction")
    try:
        for table in (source.rows_table, source.rejected_table, source.manifests_table):
            connection.execute(f"delete from {table} where {in_batch}")
        # valid lines go straight from the parse into the table
        connection.execute(
            f"""
            insert into {source.rows_table}
            select
                {", ".join(contract.field_names)},
                partition_date, source_file, source_line,
                day.manifest_sha256, day.export_version, day.ingest_run_id, ?
            from ({parse_lines_sql(contract, "physical_lines")}) as parsed
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
                select 1 from {source.rows_table} as landed
                where landed.{in_batch}
                  and landed.partition_date = lines.partition_date
                  and landed.source_file = lines.source_file
                  and landed.source_line = lines.source_line
            )
            """
        )
        connection.execute(
            f"""
            insert into {source.rejected_table}
            select partition_date, source_file, source_line, reason_code, reason_detail,
                   raw_line, day.manifest_sha256, day.ingest_run_id, ?
            from ({parse_lines_sql(contract, "unlanded_lines", again=True)}) as parsed
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
                f"select day.partition_date, count(landed.source_line), count(distinct {key}) "
                "filter (where landed.source_line is not null) "
                f"from batch_days as day left join {source.rows_table} as landed "
                "using (partition_date) group by 1"
            ).fetchall()
        }
        for day, reason, rejected in connection.execute(
            f"select partition_date, reason_code, count(*) from {source.rejected_table} "
            f"where {in_batch} group by 1, 2 order by 1, 2"
        ).fetchall():
            counts[str(day)]["rejected_by_reason"][reason] = rejected
            counts[str(day)]["rejected_rows"] += rejected
        # fields the factory does not know, on the lines that landed
        for day, name in connection.execute(
            f"""
            select distinct partition_date, unnest(list_filter(try(json_keys({text})),
                   lambda k: not list_contains({sql_list(contract.field_names)}, k))) as name
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
            f"insert into {source.manifests_table} values "
            "(cast(? as date), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        connection.execute("commit")
    except BaseException:
        connection.execute("rollback")
        raise
    return counts
