"""Land partitions of a landing source (an export) into DuckDB, by its
landing contract (project.contracts).

Each day's manifest is verified (every file present, sha256 and line counts
match) before anything of that day is replaced; a bad export stops its day
only. Lines are parsed by DuckDB itself, set-based and several days per
statement: valid rows go to the source's rows table, every other line to
its rejected table with its reason, and the days are replaced in one
transaction. Manifest lines always equal landed plus rejected lines, or
nothing is committed.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import duckdb

from data_factory.core.errors import FactoryError, HomeError, warehouse_open_error
from data_factory.core.paths import FactoryPaths
from data_factory.landing import csv_lines
from data_factory.landing import spark_export as spark_landing
from data_factory.landing.manifest import (
    LandingManifest,
    check_files_present,
    read_manifest,
    verify_manifest,
)
from data_factory.landing.raw_tables import replace_days, schema_ddl, split_lines_sql
from data_factory.landing.undecodable import insert_lines, is_utf8
from data_factory.project.contracts import LandingSource

# Export text parsed in one statement: a batch of days stays well within memory.
BATCH_BYTES = 512 << 20


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


def _connect(paths: FactoryPaths) -> duckdb.DuckDBPyConnection:
    paths.home.mkdir(parents=True, exist_ok=True)
    try:
        connection = duckdb.connect(str(paths.warehouse))
    except duckdb.Error as exc:
        raise warehouse_open_error(paths.home, paths.warehouse, exc) from None
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


def ingest_partition(
    paths: FactoryPaths, partition: str, run_id: str, *, source: LandingSource
) -> IngestReport:
    """Verify, parse and land one partition. Raises FactoryError on a bad
    manifest, leaving earlier data untouched."""
    (result,) = ingest_partitions(paths, [(partition, run_id)], source=source)
    if isinstance(result, FactoryError):
        raise result
    return result


def ingest_partitions(
    paths: FactoryPaths,
    days: list[tuple[str, str]],
    progress: Callable[[str], None] | None = None,
    *,
    source: LandingSource,
) -> list[IngestReport | FactoryError]:
    """Verify, parse and land several partitions of `source`, given as (partition,
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
            manifest = read_manifest(paths, partition, source.folder)
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
            outcomes = _ingest_batch(paths, source, batch)
        except HomeError:
            raise
        except FactoryError as exc:
            if len(batch) == 1:
                outcomes = [exc]
            else:  # again day by day, so each error names its own day
                outcomes = []
                for day in batch:
                    try:
                        outcomes += _ingest_batch(paths, source, [day])
                    except HomeError:
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


def _verify_days(batch: list[_Day], header_lines: int) -> dict[str, FactoryError | None]:
    """Checksums and line counts of every file; warnings go on the day."""
    verdicts: dict[str, FactoryError | None] = {}
    for day in batch:
        try:
            day.warnings = verify_manifest(day.manifest, header_lines)
            verdicts[day.manifest.partition] = None
        except FactoryError as exc:
            verdicts[day.manifest.partition] = exc
    return verdicts


def _split_lines(connection, files: list[list[str]], file_format: str) -> None:
    """The temp table physical_lines: every line of `files`, given as (path,
    partition) pairs. DuckDB reads text only when all of it is UTF-8; a file
    that is not is split line by line in Python, so that a bad byte rejects
    its line alone (INVALID_ENCODING). CSV files are split by csv_lines."""
    if file_format == "csv":
        connection.execute("create or replace temp table physical_lines as " + split_lines_sql([]))
        csv_lines.insert_lines(connection, [(name, day) for name, day in files])
        return
    try:
        connection.execute(
            "create or replace temp table physical_lines as "
            + split_lines_sql([name for name, _ in files])
        )
        return
    except duckdb.Error:
        undecodable = {name for name, _ in files if not is_utf8(name)}
        if not undecodable:
            raise
    connection.execute(
        "create or replace temp table physical_lines as "
        + split_lines_sql([name for name, _ in files if name not in undecodable])
    )
    insert_lines(connection, [(name, day) for name, day in files if name in undecodable])


def _ingest_batch(
    paths: FactoryPaths, source: LandingSource, batch: list[_Day]
) -> list[IngestReport | FactoryError]:
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
        verification = pool.submit(_verify_days, batch, source.contract.header_lines)
        connection = _connect(paths)
        try:
            connection.execute(schema_ddl(source))
            connection.execute(
                "create or replace temp table batch_files (filename varchar, partition_date date)"
            )
            if files:
                connection.executemany("insert into batch_files values (?, cast(? as date))", files)
            try:
                _split_lines(connection, files, source.contract.format)
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
            if landing:
                counts = replace_days(
                    connection, source, [(d.manifest, d.run_id) for d in landing], ingested_at
                )
                if source.main and spark_landing.is_enabled(paths):
                    # the committed days, unchanged, as Parquet for the Spark sources
                    for day in landing:
                        spark_landing.export_partition(connection, paths, day.manifest.partition)
        finally:
            connection.close()
    finished = utc_now().isoformat(timespec="milliseconds")
    return [
        verdicts[day.manifest.partition]
        or _report(
            day,
            counts[day.manifest.partition],
            finished,
            source.contract.rejected_share_threshold,
        )
        for day in batch
    ]


def _report(day: _Day, counts: dict, finished_at: str, threshold: float) -> IngestReport:
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
    if manifest_lines and counts["rejected_rows"] / manifest_lines > threshold:
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
