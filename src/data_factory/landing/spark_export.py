"""Landing for Spark: the day's landed rows as partitioned Parquet.

DuckDB stays the one parser. `factory ingest` verifies the manifest,
classifies every line and commits the day into DuckDB's raw tables; this
module then copies that committed partition, unchanged, to

    <FACTORY_HOME>/spark-landing/<table>/partition_date=YYYY-MM-DD/*.parquet

for `ticket_events`, `ticket_events_rejected` and `landing_manifests`. On
Spark, dbt's on-run-start hook (macros/factory_register_spark_sources.sql)
registers these directories as the helpdesk sources. Rejections and
reconciliation are therefore identical on both engines: they are the same
rows.

A day is replaced by directory swap: the new files are written to a hidden
staging directory (Spark ignores names starting with a dot), then the old
partition directory is renamed away and the staging one renamed into place.
Re-exporting a day is idempotent; an emptied day becomes an empty partition.

The copy happens whenever the home already has a spark-landing directory
(`factory run --target spark` creates it), so plain `dbt build --target
spark` also sees every day `factory ingest` lands from then on.
"""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

import duckdb

from data_factory.core.partitions import parse_partition
from data_factory.core.paths import FactoryPaths

LANDING_SCHEMA = "raw"
LANDED_TABLES = ("ticket_events", "ticket_events_rejected", "landing_manifests")
PARTITION_COLUMN = "partition_date"


def landing_root(paths: FactoryPaths) -> Path:
    return paths.home / "spark-landing"


def is_enabled(paths: FactoryPaths) -> bool:
    return landing_root(paths).is_dir()


def enable(paths: FactoryPaths) -> None:
    """Create the Spark landing, and the scratch and metastore directories
    the `spark` profile points the JVM at (it does not create them)."""
    for directory in (
        landing_root(paths),
        paths.home / "spark-tmp",
        paths.home / "spark-metastore",
    ):
        directory.mkdir(parents=True, exist_ok=True)


def partition_dir(paths: FactoryPaths, table: str, partition: str) -> Path:
    return landing_root(paths) / table / f"{PARTITION_COLUMN}={partition}"


def _select_without_partition(connection, table: str, partition: str) -> str:
    """The table's columns minus the partition column (it lives in the path).
    Timestamps are written as UTC instants, which Spark reads as TIMESTAMP."""
    columns = connection.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [LANDING_SCHEMA, table],
    ).fetchall()
    selected = [
        f'cast("{name}" as timestamptz) as "{name}"' if kind == "TIMESTAMP" else f'"{name}"'
        for name, kind in columns
        if name != PARTITION_COLUMN
    ]
    # `partition` passed parse_partition: a plain YYYY-MM-DD, safe to inline
    # (COPY takes no parameters).
    return (
        f"select {', '.join(selected)} from {LANDING_SCHEMA}.{table} "
        f"where {PARTITION_COLUMN} = cast('{partition}' as date)"
    )


def _swap_in(staging: Path, final: Path, token: str) -> None:
    retired = final.parent / f".retired-{final.name}-{token}"
    if final.exists():
        final.rename(retired)
    staging.rename(final)
    shutil.rmtree(retired, ignore_errors=True)


def _clear_leftovers(table_dir: Path, partition: str) -> None:
    """Staging or retired directories of an export that was interrupted."""
    for pattern in (
        f".staging-{PARTITION_COLUMN}={partition}-*",
        f".retired-{PARTITION_COLUMN}={partition}-*",
    ):
        for leftover in table_dir.glob(pattern):
            shutil.rmtree(leftover, ignore_errors=True)


def export_partition(
    connection: duckdb.DuckDBPyConnection, paths: FactoryPaths, partition: str
) -> dict[str, int]:
    """Copy one committed partition of the raw tables to the Spark landing.
    Returns the rows written per table."""
    partition = parse_partition(partition)
    enable(paths)
    connection.execute("set TimeZone = 'UTC'")
    token = secrets.token_hex(4)
    written: dict[str, int] = {}
    for table in LANDED_TABLES:
        final = partition_dir(paths, table, partition)
        final.parent.mkdir(parents=True, exist_ok=True)
        _clear_leftovers(final.parent, partition)
        staging = final.parent / f".staging-{final.name}-{token}"
        staging.mkdir()
        query = _select_without_partition(connection, table, partition)
        target = str(staging / f"part-{token}.parquet").replace("'", "''")
        connection.execute(f"copy ({query}) to '{target}' (format parquet)")
        (rows,) = connection.execute(f"select count(*) from ({query})").fetchone()
        _swap_in(staging, final, token)
        written[table] = int(rows)
    return written


def export_from_warehouse(paths: FactoryPaths, partition: str) -> dict[str, int] | None:
    """Export a partition that DuckDB already holds; None when it was never
    landed there (nothing is touched then)."""
    if not paths.warehouse.exists():
        return None
    connection = duckdb.connect(str(paths.warehouse))
    try:
        try:
            (landed,) = connection.execute(
                f"select count(*) from {LANDING_SCHEMA}.landing_manifests "
                f"where {PARTITION_COLUMN} = cast(? as date)",
                [partition],
            ).fetchone()
        except duckdb.CatalogException:
            return None
        if not landed:
            return None
        return export_partition(connection, paths, partition)
    finally:
        connection.close()
