"""What is landed: which days (the one definition every reader uses), and
what the ingest recorded of them in the warehouse."""

from __future__ import annotations

import json

import duckdb

from data_factory.core.errors import warehouse_open_error
from data_factory.core.partitions import is_partition
from data_factory.core.paths import FactoryPaths
from data_factory.landing.manifest import MANIFEST_NAME


def landed_days(paths: FactoryPaths) -> list[str]:
    """The `dt=YYYY-MM-DD` folders of the ticket landing that hold a landing
    manifest, sorted. A folder whose name is not exactly a real day is not a
    day."""
    root = paths.tickets_partition_dir("0000-00-00").parent
    return sorted(
        folder.name.removeprefix("dt=")
        for folder in root.glob("dt=*")
        if is_partition(folder.name.removeprefix("dt=")) and (folder / MANIFEST_NAME).is_file()
    )


def landed_inputs(paths: FactoryPaths, partitions: list[str]) -> dict[str, dict]:
    """What is landed for each of `partitions`, as the input entry of a run
    that did not ingest it (one read of raw.landing_manifests for all of
    them). A day that was never landed, or a warehouse without the table,
    is left out."""
    if not paths.warehouse.exists() or not partitions:
        return {}
    try:
        connection = duckdb.connect(str(paths.warehouse), read_only=False)
    except duckdb.Error as exc:
        raise warehouse_open_error(paths.home, paths.warehouse, exc) from None
    try:
        rows = connection.execute(
            "select cast(partition_date as varchar), manifest_sha256, export_version,"
            " total_lines, landed_rows, rejected_rows, files_json, unknown_fields_json,"
            " ingest_run_id from raw.landing_manifests"
            " where partition_date in (select cast(unnest(?) as date))",
            [list(partitions)],
        ).fetchall()
    except duckdb.CatalogException:
        rows = []
    finally:
        connection.close()
    return {
        partition: {
            "partition": partition,
            "status": "not_ingested",
            "manifest_path": str(paths.tickets_partition_dir(partition) / MANIFEST_NAME),
            "manifest_sha256": sha,
            "export_version": version,
            "files": json.loads(files),
            "manifest_lines": lines,
            "landed_rows": landed,
            "rejected_rows": rejected,
            "rejected_by_reason": {},
            "unknown_fields": json.loads(unknown),
            "ingest_run_id": ingest_run,
            "reason_codes": [],
            "message": None,
        }
        for partition, sha, version, lines, landed, rejected, files, unknown, ingest_run in rows
    }
