"""Land one partition of the ticket-event export into DuckDB.

The manifest is verified first (every file present, sha256 and line counts
match), so a bad export stops before anything is replaced. Lines are then
parsed by DuckDB itself, set-based: valid rows go to `raw.ticket_events`,
every other line to `raw.ticket_events_rejected` with its reason, and the
partition is replaced in one transaction. Manifest lines always equal landed
plus rejected lines, or nothing is committed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from . import spark_landing
from .errors import FactoryError
from .partitions import parse_partition
from .paths import FactoryPaths

MANIFEST_NAME = "_manifest.json"
REJECTED_SHARE_THRESHOLD = 0.05

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


@dataclass
class LandingFile:
    name: str
    sha256: str
    lines: int
    bytes: int


@dataclass
class LandingManifest:
    partition: str
    path: Path
    sha256: str
    export_version: int | None
    generated_at: str | None
    files: list[LandingFile]

    @property
    def total_lines(self) -> int:
        return sum(f.lines for f in self.files)


@dataclass
class IngestReport:
    partition: str
    run_id: str
    status: str  # "landed" or "failed"
    manifest_path: str
    manifest_sha256: str
    export_version: int | None
    files: list[dict]
    manifest_lines: int
    landed_rows: int
    rejected_rows: int
    distinct_event_ids: int
    rejected_by_reason: dict[str, int]
    unknown_fields: list[str]
    reason_codes: list[str] = field(default_factory=list)
    started_at: str = ""
    finished_at: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def read_manifest(paths: FactoryPaths, partition: str) -> LandingManifest:
    partition = parse_partition(partition)
    directory = paths.tickets_partition_dir(partition)
    manifest_path = directory / MANIFEST_NAME
    if not manifest_path.is_file():
        raise FactoryError(
            "LANDING_MISSING",
            f"no landing manifest for partition {partition}: {manifest_path} does not "
            "exist (generate or copy the export there first)",
        )
    raw = manifest_path.read_bytes()
    try:
        document = json.loads(raw)
        files = [
            LandingFile(
                name=str(entry["name"]),
                sha256=str(entry["sha256"]),
                lines=int(entry["lines"]),
                bytes=int(entry.get("bytes", -1)),
            )
            for entry in document["files"]
        ]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError) as exc:
        raise FactoryError(
            "MANIFEST_INVALID", f"{manifest_path} is not a valid landing manifest: {exc}"
        ) from None
    if document.get("partition") not in (None, partition):
        raise FactoryError(
            "MANIFEST_INVALID",
            f"{manifest_path} describes partition {document.get('partition')}, "
            f"not {partition}",
        )
    for entry in files:
        if "/" in entry.name or entry.name.startswith("."):
            raise FactoryError(
                "MANIFEST_INVALID", f"{manifest_path} lists an unsafe file name {entry.name!r}"
            )
    return LandingManifest(
        partition=partition,
        path=manifest_path,
        sha256=hashlib.sha256(raw).hexdigest(),
        export_version=document.get("export_version"),
        generated_at=document.get("generated_at"),
        files=files,
    )


def _file_sha256_and_lines(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    lines = 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            lines += block.count(b"\n")
    return digest.hexdigest(), lines


def verify_manifest(manifest: LandingManifest) -> list[str]:
    """Raise on a file that is missing or differs; return warning codes."""
    directory = manifest.path.parent
    for entry in manifest.files:
        path = directory / entry.name
        if not path.is_file():
            raise FactoryError(
                "MANIFEST_FILE_MISSING",
                f"partition {manifest.partition}: manifest lists {entry.name} but "
                f"{path} does not exist; previously landed data was left untouched",
            )
        sha256, lines = _file_sha256_and_lines(path)
        if sha256 != entry.sha256:
            raise FactoryError(
                "MANIFEST_CHECKSUM_MISMATCH",
                f"partition {manifest.partition}: {entry.name} has sha256 {sha256[:12]}… "
                f"but the manifest says {entry.sha256[:12]}…; the export is corrupt or "
                "was changed after the manifest was written. Previously landed data "
                "was left untouched",
            )
        if lines != entry.lines:
            raise FactoryError(
                "MANIFEST_LINE_COUNT_MISMATCH",
                f"partition {manifest.partition}: {entry.name} has {lines} lines but the "
                f"manifest says {entry.lines}; previously landed data was left untouched",
            )
    listed = {entry.name for entry in manifest.files} | {MANIFEST_NAME}
    unlisted = [p.name for p in directory.iterdir() if p.is_file() and p.name not in listed]
    return ["UNLISTED_LANDING_FILE"] if unlisted else []


def _sql_list(values) -> str:
    return "[" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + "]"


def _json_kind_words(kind: str) -> str:
    return (
        f"case when {kind} in ('UBIGINT', 'BIGINT', 'DOUBLE') then 'a number' "
        f"when {kind} = 'BOOLEAN' then 'a boolean' "
        f"when {kind} = 'OBJECT' then 'an object' "
        f"when {kind} = 'ARRAY' then 'an array' else lower({kind}) end"
    )


def _parse_lines_sql(file_paths: list[str], partition: str) -> str:
    """SQL that classifies every physical line of the files.

    Invalid JSON is swapped for a JSON null before any JSON function sees it,
    because DuckDB evaluates every branch of a CASE.
    """
    known = [name for name, _ in EVENT_FIELDS]
    missing_conditions, missing_details, type_conditions, type_details = [], [], [], []
    for index, (name, required) in enumerate(EVENT_FIELDS, start=1):
        kind = f"field_types[{index}]"
        allowed = "('VARCHAR')" if required else "('VARCHAR', 'NULL')"
        if required:
            condition = f"{kind} is null or {kind} = 'NULL'"
            missing_conditions.append(condition)
            missing_details.append(
                f"when {condition} then 'required field {name} is missing or null'"
            )
        condition = f"({kind} is not null and {kind} not in {allowed})"
        type_conditions.append(condition)
        type_details.append(
            f"when {condition} then '{name} is ' || {_json_kind_words(kind)} || ', expected a string'"
        )
    paths = _sql_list(f"$.{name}" for name in known)
    files_source = (
        f"read_text({_sql_list(file_paths)})"
        if file_paths
        else "(select '' as filename, '' as content where false)"
    )
    formats = _sql_list(TIMESTAMP_FORMATS)
    return f"""
    with
    files as (
        select filename, string_split(content, chr(10)) as parts
        from {files_source}
    ),
    physical_lines as (
        select
            filename,
            unnest(parts) as raw_line,
            unnest(range(1, len(parts) + 1)) as source_line,
            len(parts) as part_count
        from files
    ),
    documents as (
        select
            parse_filename(filename) as source_file,
            cast(source_line as integer) as source_line,
            raw_line,
            if(json_valid(raw_line), raw_line, 'null') as doc
        from physical_lines
        -- the text after the final newline is not a line
        where not (source_line = part_count and raw_line = '')
    ),
    objects as (
        select
            *,
            json_type(doc) = 'OBJECT' as is_object,
            if(json_type(doc) = 'OBJECT', doc, '{{}}') as obj
        from documents
    ),
    fields as (
        select
            *,
            json_type(obj, {paths}) as field_types,
            json_extract_string(obj, {paths}) as field_values,
            list_filter(json_keys(obj), lambda k: not list_contains({_sql_list(known)}, k))
                as unknown_fields
        from objects
    ),
    typed as (
        select
            *,
            try_strptime(field_values[4], {formats}) as event_at
        from fields
    ),
    classified as (
        select
            *,
            case
                when not is_object then 'MALFORMED_JSON'
                when {" or ".join(missing_conditions)}
                    then 'MISSING_REQUIRED_FIELD'
                when {" or ".join(type_conditions)}
                    or event_at is null
                    then 'INVALID_TYPE'
                when cast(event_at as date) <> cast('{partition}' as date)
                    then 'EVENT_OUTSIDE_PARTITION'
            end as reason_code,
            case
                when not is_object then
                    case when raw_line = '' then 'empty line'
                         else 'not a JSON object' end
                {" ".join(missing_details)}
                {" ".join(type_details)}
                when event_at is null then
                    'event_at ' || to_json(field_values[4]) || ' is not a UTC ISO-8601 timestamp'
                when cast(event_at as date) <> cast('{partition}' as date) then
                    'event_at ' || field_values[4] || ' is not on {partition}'
            end as reason_detail
        from typed
    )
    select * from classified
    """


def _connect(paths: FactoryPaths) -> duckdb.DuckDBPyConnection:
    paths.home.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(str(paths.warehouse))
    except duckdb.IOException as exc:
        raise FactoryError(
            "WAREHOUSE_LOCKED", f"cannot open the warehouse {paths.warehouse}: {exc}"
        ) from None


def ingest_partition(paths: FactoryPaths, partition: str, run_id: str) -> IngestReport:
    """Verify, parse and land one partition. Raises FactoryError on a bad
    manifest, leaving earlier data untouched."""
    started = utc_now()
    manifest = read_manifest(paths, partition)
    warnings = verify_manifest(manifest)
    directory = manifest.path.parent
    file_paths = [str(directory / entry.name) for entry in manifest.files]
    ingested_at = started.replace(tzinfo=None)

    connection = _connect(paths)
    try:
        connection.execute(SCHEMA_DDL)
        try:
            connection.execute(
                "create or replace temp table parsed_lines as "
                + _parse_lines_sql(file_paths, manifest.partition)
            )
        except duckdb.Error as exc:
            raise FactoryError(
                "LANDING_UNREADABLE",
                f"partition {manifest.partition}: the export could not be read: {exc}",
            ) from None
        counts = _land(connection, manifest, run_id, ingested_at)
        if spark_landing.is_enabled(paths):
            # the committed day, unchanged, as Parquet for the Spark sources
            spark_landing.export_partition(connection, paths, manifest.partition)
    finally:
        connection.close()

    manifest_lines = manifest.total_lines
    reasons = list(warnings)
    if counts["rejected_rows"]:
        reasons.append("ROWS_REJECTED")
    if counts["unknown_fields"]:
        reasons.append("SCHEMA_DRIFT")
    if manifest_lines == 0 or counts["landed_rows"] == 0:
        reasons.append("EMPTY_PARTITION")
    status = "landed"
    if manifest_lines and counts["rejected_rows"] / manifest_lines > REJECTED_SHARE_THRESHOLD:
        reasons.append("REJECTED_ROWS_OVER_THRESHOLD")
        status = "failed"
    return IngestReport(
        partition=manifest.partition,
        run_id=run_id,
        status=status,
        manifest_path=str(manifest.path),
        manifest_sha256=manifest.sha256,
        export_version=manifest.export_version,
        files=[asdict(entry) for entry in manifest.files],
        manifest_lines=manifest_lines,
        landed_rows=counts["landed_rows"],
        rejected_rows=counts["rejected_rows"],
        distinct_event_ids=counts["distinct_event_ids"],
        rejected_by_reason=counts["rejected_by_reason"],
        unknown_fields=counts["unknown_fields"],
        reason_codes=reasons,
        started_at=started.isoformat(timespec="milliseconds"),
        finished_at=utc_now().isoformat(timespec="milliseconds"),
    )


def _land(connection, manifest: LandingManifest, run_id: str, ingested_at: datetime) -> dict:
    partition = manifest.partition
    lineage = [manifest.sha256, run_id, ingested_at]
    connection.execute("begin transaction")
    try:
        for table in ("ticket_events", "ticket_events_rejected", "landing_manifests"):
            connection.execute(
                f"delete from raw.{table} where partition_date = cast(? as date)", [partition]
            )
        connection.execute(
            """
            insert into raw.ticket_events
            select
                field_values[1], field_values[2], field_values[3], event_at,
                field_values[5], field_values[6], field_values[7], field_values[8],
                field_values[9], field_values[10],
                cast(? as date), source_file, source_line, ?, ?, ?, ?
            from parsed_lines
            where reason_code is null
            """,
            [partition, manifest.sha256, manifest.export_version, run_id, ingested_at],
        )
        connection.execute(
            """
            insert into raw.ticket_events_rejected
            select cast(? as date), source_file, source_line, reason_code, reason_detail,
                   raw_line, ?, ?, ?
            from parsed_lines
            where reason_code is not null
            """,
            [partition, *lineage],
        )
        landed, distinct_ids = connection.execute(
            "select count(*), count(distinct event_id) from raw.ticket_events "
            "where partition_date = cast(? as date)",
            [partition],
        ).fetchone()
        by_reason = dict(
            connection.execute(
                "select reason_code, count(*) from raw.ticket_events_rejected "
                "where partition_date = cast(? as date) group by 1 order by 1",
                [partition],
            ).fetchall()
        )
        rejected = sum(by_reason.values())
        unknown = sorted(
            {
                name
                for (names,) in connection.execute(
                    "select distinct unnest(unknown_fields) from parsed_lines "
                    "where reason_code is null"
                ).fetchall()
                for name in [names]
            }
        )
        if landed + rejected != manifest.total_lines:
            raise FactoryError(
                "RECONCILIATION_FAILED",
                f"partition {partition}: manifest lists {manifest.total_lines} lines but "
                f"{landed} were landed and {rejected} rejected; nothing was committed",
            )
        connection.execute(
            "insert into raw.landing_manifests values (cast(? as date), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                partition,
                manifest.sha256,
                manifest.export_version,
                manifest.generated_at,
                manifest.total_lines,
                landed,
                rejected,
                json.dumps([asdict(entry) for entry in manifest.files]),
                json.dumps(unknown),
                run_id,
                ingested_at,
            ],
        )
        connection.execute("commit")
    except BaseException:
        connection.execute("rollback")
        raise
    return {
        "landed_rows": landed,
        "rejected_rows": rejected,
        "distinct_event_ids": distinct_ids,
        "rejected_by_reason": by_reason,
        "unknown_fields": unknown,
    }
