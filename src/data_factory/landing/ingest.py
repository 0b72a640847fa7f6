"""Land partitions of the ticket-event export into DuckDB.

Each day's manifest is verified (every file present, sha256 and line counts
match) before anything of that day is replaced; a bad export stops its day
only. Lines are parsed by DuckDB itself, set-based and several days per
statement: valid rows go to `raw.ticket_events`, every other line to
`raw.ticket_events_rejected` with its reason, and the days are replaced in
one transaction. Manifest lines always equal landed plus rejected lines, or
nothing is committed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from data_factory.core.errors import FactoryError, WarehouseLocked
from data_factory.core.partitions import parse_partition
from data_factory.core.paths import FactoryPaths
from data_factory.landing import spark_export as spark_landing

MANIFEST_NAME = "_manifest.json"
REJECTED_SHARE_THRESHOLD = 0.05
# Export text parsed in one statement: a batch of days stays well within memory.
BATCH_BYTES = 512 << 20

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
    return datetime.now(UTC)


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
            f"{manifest_path} describes partition {document.get('partition')}, not {partition}",
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


def check_files_present(manifest: LandingManifest) -> None:
    """Raise when a file the manifest lists is not there."""
    for entry in manifest.files:
        path = manifest.path.parent / entry.name
        if not path.is_file():
            raise FactoryError(
                "MANIFEST_FILE_MISSING",
                f"partition {manifest.partition}: manifest lists {entry.name} but "
                f"{path} does not exist; previously landed data was left untouched",
            )


def verify_manifest(manifest: LandingManifest) -> list[str]:
    """Raise on a file that is missing or differs; return warning codes."""
    check_files_present(manifest)
    directory = manifest.path.parent
    for entry in manifest.files:
        path = directory / entry.name
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


def _fragment_kind_words(fragment: str) -> str:
    """What a JSON value is, from the first character of its text."""
    return (
        f"case left({fragment}, 1) when '{{' then 'an object' when '[' then 'an array' "
        f"when 't' then 'a boolean' when 'f' then 'a boolean' else 'a number' end"
    )


def _split_lines_sql(file_paths: list[str]) -> str:
    """SQL that splits the files of `batch_files` into physical lines,
    numbered from 1, each with the partition its file belongs to.

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
               string_split(text.content, chr(10)) as parts
        from {texts} as text
        join batch_files as batch using (filename)
    )
    select
        partition_date,
        parse_filename(filename) as source_file,
        unnest(parts) as raw_line,
        cast(unnest(range(1, len(parts) + 1)) as integer) as source_line,
        len(parts) as part_count
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
            try(json_transform(raw_line, '{structure}')) as fields
        from {lines_table}
        -- the text after the final newline is not a line
        where not (source_line = part_count and raw_line = '')
    ),
    fragments as (
        select
            partition_date, source_file, source_line, raw_line,
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


def _connect(paths: FactoryPaths) -> duckdb.DuckDBPyConnection:
    paths.home.mkdir(parents=True, exist_ok=True)
    try:
        connection = duckdb.connect(str(paths.warehouse))
    except duckdb.IOException as exc:
        raise WarehouseLocked(
            "WAREHOUSE_LOCKED", f"cannot open the warehouse {paths.warehouse}: {exc}"
        ) from None
    # the CLI reports progress per batch; DuckDB's own bar would clutter logs
    connection.execute("set enable_progress_bar = false")
    return connection


@dataclass
class _Day:
    manifest: LandingManifest
    run_id: str
    started: datetime
    warnings: list[str] = field(default_factory=list)

    @property
    def bytes(self) -> int:
        return sum(max(entry.bytes, 0) for entry in self.manifest.files)


def ingest_partition(paths: FactoryPaths, partition: str, run_id: str) -> IngestReport:
    """Verify, parse and land one partition. Raises FactoryError on a bad
    manifest, leaving earlier data untouched."""
    (result,) = ingest_partitions(paths, [(partition, run_id)])
    if isinstance(result, FactoryError):
        raise result
    return result


def ingest_partitions(
    paths: FactoryPaths,
    days: list[tuple[str, str]],
    progress: Callable[[str], None] | None = None,
) -> list[IngestReport | FactoryError]:
    """Verify, parse and land several partitions, given as (partition,
    run_id) pairs; one result per day, in order: its report, or the
    FactoryError that refused it (a bad manifest leaves that day's earlier
    data untouched).

    Days are parsed together, up to BATCH_BYTES of export text per
    statement, and each batch is landed in one transaction: every day in it
    is replaced whole or not at all. The files' checksums and line counts are
    verified on a second thread while DuckDB splits the same files into
    lines, and only verified days are landed. A batch that cannot be read or
    does not reconcile is retried day by day, so the error names its day.
    """
    results: dict[str, IngestReport | FactoryError] = {}
    found: list[_Day] = []
    for partition, run_id in days:
        started = utc_now()
        try:
            manifest = read_manifest(paths, partition)
            check_files_present(manifest)
            found.append(_Day(manifest, run_id, started))
        except FactoryError as exc:
            if exc.reason_code == "INVALID_PARTITION":
                raise
            results[partition] = exc
    batches = _batches(found)
    for number, batch in enumerate(batches, start=1):
        if progress and len(batches) > 1:
            progress(
                f"  ingest batch {number}/{len(batches)}: {batch[0].manifest.partition}"
                f"..{batch[-1].manifest.partition} ({sum(d.bytes for d in batch) >> 20} MiB)"
            )
        try:
            outcomes = _ingest_batch(paths, batch)
        except WarehouseLocked:
            raise
        except FactoryError as exc:
            if len(batch) == 1:
                outcomes = [exc]
            else:  # again day by day, so each error names its own day
                outcomes = []
                for day in batch:
                    try:
                        outcomes += _ingest_batch(paths, [day])
                    except WarehouseLocked:
                        raise
                    except FactoryError as day_error:
                        outcomes.append(day_error)
        for day, outcome in zip(batch, outcomes, strict=True):
            results[day.manifest.partition] = outcome
    return [results[partition] for partition, _ in days]


def _batches(days: list[_Day]) -> list[list[_Day]]:
    batches: list[list[_Day]] = []
    size = 0
    for day in days:
        if not batches or size + day.bytes > BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(day)
        size += day.bytes
    return batches


def _verify_days(batch: list[_Day]) -> dict[str, FactoryError | None]:
    """Checksums and line counts of every file; warnings go on the day."""
    verdicts: dict[str, FactoryError | None] = {}
    for day in batch:
        try:
            day.warnings = verify_manifest(day.manifest)
            verdicts[day.manifest.partition] = None
        except FactoryError as exc:
            verdicts[day.manifest.partition] = exc
    return verdicts


def _ingest_batch(paths: FactoryPaths, batch: list[_Day]) -> list[IngestReport | FactoryError]:
    label = batch[0].manifest.partition + (
        f"..{batch[-1].manifest.partition}" if len(batch) > 1 else ""
    )
    ingested_at = utc_now().replace(tzinfo=None)
    files = [
        [str(d.manifest.path.parent / entry.name), d.manifest.partition]
        for d in batch
        for entry in d.manifest.files
    ]
    with ThreadPoolExecutor(max_workers=1) as pool:
        verification = pool.submit(_verify_days, batch)
        connection = _connect(paths)
        try:
            connection.execute(SCHEMA_DDL)
            connection.execute(
                "create or replace temp table batch_files (filename varchar, partition_date date)"
            )
            if files:
                connection.executemany("insert into batch_files values (?, cast(? as date))", files)
            try:
                connection.execute(
                    "create or replace temp table physical_lines as "
                    + _split_lines_sql([name for name, _ in files])
                )
            except duckdb.Error as exc:
                refusal = verification.result()[batch[0].manifest.partition]
                if len(batch) == 1 and refusal:
                    raise refusal from None  # a corrupt file says so before "unreadable"
                raise FactoryError(
                    "LANDING_UNREADABLE",
                    f"partition {label}: the export could not be read: {exc}",
                ) from None
            verdicts = verification.result()
            landing = [d for d in batch if verdicts[d.manifest.partition] is None]
            connection.execute(
                "create or replace temp table batch_days (partition_date date, manifest_sha256 "
                "varchar, export_version integer, ingest_run_id varchar)"
            )
            if landing:
                connection.executemany(
                    "insert into batch_days values (cast(? as date), ?, ?, ?)",
                    [
                        [
                            d.manifest.partition,
                            d.manifest.sha256,
                            d.manifest.export_version,
                            d.run_id,
                        ]
                        for d in landing
                    ],
                )
                counts = _land(connection, landing, ingested_at)
                if spark_landing.is_enabled(paths):
                    # the committed days, unchanged, as Parquet for the Spark sources
                    for day in landing:
                        spark_landing.export_partition(connection, paths, day.manifest.partition)
        finally:
            connection.close()
    finished = utc_now().isoformat(timespec="milliseconds")
    return [
        verdicts[day.manifest.partition] or _report(day, counts[day.manifest.partition], finished)
        for day in batch
    ]


def _report(day: _Day, counts: dict, finished_at: str) -> IngestReport:
    manifest = day.manifest
    manifest_lines = manifest.total_lines
    reasons = list(day.warnings)
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
        run_id=day.run_id,
        status=status,
        manifest_path=str(manifest.path),
        manifest_sha256=manifest.sha256,
        export_version=manifest.export_version,
        files=[asdict(entry) for entry in manifest.files],
        manifest_lines=manifest_lines,
        reason_codes=reasons,
        started_at=day.started.isoformat(timespec="milliseconds"),
        finished_at=finished_at,
        **counts,
    )


def _land(connection, batch: list[_Day], ingested_at: datetime) -> dict[str, dict]:
    """Replace every day of the batch in one transaction; per-day counts."""
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
        for day in batch:
            manifest, day_counts = day.manifest, counts[day.manifest.partition]
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
                    day.run_id,
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
