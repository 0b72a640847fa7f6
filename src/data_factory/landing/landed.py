"""What is landed: which days (the one definition every reader uses), and
what the ingest recorded of them in the warehouse."""

from __future__ import annotations

import json

import duckdb

from data_factory.core.errors import warehouse_open_error
from data_factory.core.partitions import is_partition
from data_factory.core.paths import FactoryPaths
from data_factory.landing.manifest import MANIFEST_NAME


def landed_days(paths: FactoryPaths, history_start: str | None = None) -> list[str]:
    """The `dt=YYYY-MM-DD` folders of the ticket landing that hold a landing
    manifest, sorted. A folder whose name is not exactly a real day is not a
    day, and none before `history_start` is one of the project's (see
    landing_problems)."""
    root = paths.tickets_partition_dir("0000-00-00").parent
    return sorted(
        day
        for folder in root.glob("dt=*")
        if is_partition(day := folder.name.removeprefix("dt="))
        and (folder / MANIFEST_NAME).is_file()
        and (history_start is None or day >= history_start)
    )


def landing_problems(paths: FactoryPaths, history_start: str | None) -> list[dict]:
    """Landing folders that are not days of the project: named dt=<not a real
    day> (LANDING_FOLDER_NOT_A_DAY), or a day before the history the project
    declares (LANDING_OUTSIDE_HISTORY). Reported, never planned or built."""
    root = paths.tickets_partition_dir("0000-00-00").parent
    found = []
    for folder in sorted(root.glob("dt=*")):
        day = folder.name.removeprefix("dt=")
        if not is_partition(day):
            found.append({"code": "LANDING_FOLDER_NOT_A_DAY", "folder": str(folder), "day": None})
        elif history_start and day < history_start and (folder / MANIFEST_NAME).is_file():
            found.append(
                {
                    "code": "LANDING_OUTSIDE_HISTORY",
                    "folder": str(folder),
                    "day": day,
                    "history_start": history_start,
                }
            )
    return found


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
