"""Facts the factory counts itself, on any engine: rows per asset and day
(DuckDB reports no rows_affected), and the reconciliation of a day's landing
manifest, landed rows and built rows."""

from __future__ import annotations

from data_factory.project.roles import Reconciliation
from data_factory.warehouse.engine import Engine

_BETWEEN = "between cast(:first as date) and cast(:last as date)"


def _bounds(partitions: list[str]) -> dict:
    return {"first": min(partitions), "last": max(partitions)}


def rows_by_day(engine: Engine, relation: str, column: str, partitions: list[str]) -> dict:
    found = engine.rows(
        f"select cast({column} as string), count(*) from {relation} "
        f"where {column} {_BETWEEN} group by 1",
        _bounds(partitions),
    )
    return {str(day): int(rows) for day, rows in found}


def reconcile(
    engine: Engine,
    partitions: list[str],
    check: Reconciliation | None,
    manifests_relation: str | None,
    *,
    fact_built: bool,
    check_passed: bool = False,
) -> list[dict]:
    """Landing manifest lines = landed + rejected, and fact rows = distinct
    landed keys, per partition; the relations and columns come from the
    project's reconciliation check (`check`). With check_passed (that check
    passed over exactly these partitions, so the distinct landed keys equal
    the fact rows there) the keys are not counted again, and the entry names
    the check they were taken from."""
    if not partitions or check is None or not manifests_relation:
        return []
    if not (engine.exists(manifests_relation) and engine.exists(check.landed_relation)):
        return []  # nothing landed to reconcile against (or it is unreachable)
    borrowed = check_passed and fact_built
    key, day = check.landed_column, check.landed_partition_column
    landed_ids = (
        "cast(null as bigint)"
        if borrowed
        else f"""(
            select count(distinct landed.{key}) from {check.landed_relation} as landed
            where landed.{day} = manifests.partition_date
        )"""
    )
    landing = {
        str(row[0]): row[1:]
        for row in engine.rows(
            f"""
            select
                cast(manifests.partition_date as string),
                manifests.total_lines,
                manifests.landed_rows,
                manifests.rejected_rows,
                {landed_ids}
            from {manifests_relation} as manifests
            where manifests.partition_date {_BETWEEN}
            """,
            _bounds(partitions),
        )
    }
    facts = {}
    if fact_built and engine.exists(check.model_relation):
        facts = rows_by_day(engine, check.model_relation, check.partition_column, partitions)
    report = []
    for partition in partitions:
        if partition not in landing:
            continue
        lines, landed, rejected, distinct_ids = landing[partition]
        fact_rows = facts.get(partition, 0) if fact_built else None
        report.append(
            reconciliation_entry(
                partition,
                int(lines),
                int(landed),
                int(rejected),
                # the passed check says the distinct landed keys equal the fact rows
                fact_rows if distinct_ids is None else int(distinct_ids),
                fact_rows,
                ids_from=check.check if distinct_ids is None else None,
            )
        )
    return report


def reconciliation_entry(
    partition: str,
    lines: int,
    landed: int,
    rejected: int,
    distinct_ids: int,
    fact_rows: int | None,
    *,
    ids_from: str | None = None,
) -> dict:
    """Manifest lines = landed + rejected, and fact rows = distinct landed ids.
    `ids_from` names the passed check the distinct ids were taken from; None
    means they were counted in the landed rows."""
    return {
        "partition": partition,
        "manifest_lines": lines,
        "landed_rows": landed,
        "rejected_rows": rejected,
        "distinct_landed_event_ids": distinct_ids,
        "distinct_landed_event_ids_from": (
            {"method": "check_passed", "check": ids_from}
            if ids_from
            else {"method": "counted", "check": None}
        ),
        "fact_rows": fact_rows,
        "duplicates_dropped": landed - distinct_ids,
        "balanced": lines == landed + rejected and (fact_rows is None or fact_rows == distinct_ids),
    }
