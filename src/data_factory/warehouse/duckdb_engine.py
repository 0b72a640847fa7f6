"""Facts the factory counts itself, because DuckDB reports no rows_affected."""

from __future__ import annotations

import duckdb

from data_factory.core.paths import FactoryPaths
from data_factory.project.manifest import asset_nodes, partition_column
from data_factory.project.roles import Reconciliation


def _connect(paths: FactoryPaths) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(paths.warehouse))


def _relation_exists(connection, relation_name: str) -> bool:
    try:
        connection.execute(f"select 1 from {relation_name} limit 0")
        return True
    except duckdb.Error:
        return False


def count_rows(
    paths: FactoryPaths, manifest: dict, partitions: list[str], asset_ids: list[str]
) -> dict[tuple[str, str | None], int]:
    """Rows per (asset, partition) for the given assets, as built now."""
    counts: dict[tuple[str, str | None], int] = {}
    nodes = asset_nodes(manifest)
    connection = _connect(paths)
    try:
        for uid in asset_ids:
            node = nodes.get(uid)
            # a view's rows are its query's: counting them re-runs the query
            # (staging's deduplication) for a number the table below it gives
            if ((node or {}).get("config") or {}).get("materialized") == "view":
                continue
            relation = (node or {}).get("relation_name")
            if not relation or not _relation_exists(connection, relation):
                continue
            column = partition_column(node)
            if column and partitions:
                found = dict(
                    connection.execute(
                        f"select cast({column} as varchar), count(*) from {relation} "
                        f"where {column} between cast(? as date) and cast(? as date) group by 1",
                        [min(partitions), max(partitions)],
                    ).fetchall()
                )
                for partition in partitions:
                    counts[(uid, partition)] = int(found.get(partition, 0))
            else:
                (total,) = connection.execute(f"select count(*) from {relation}").fetchone()
                counts[(uid, None)] = int(total)
    finally:
        connection.close()
    return counts


def reconcile(
    paths: FactoryPaths,
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
    the fact rows there) the keys are not counted again, and the entry says
    which check they were taken from."""
    if not partitions or check is None or not manifests_relation:
        return []
    connection = _connect(paths)
    try:
        if not all(
            _relation_exists(connection, name)
            for name in (manifests_relation, check.landed_relation)
        ):
            return []  # nothing landed to reconcile against (or it is unreachable)
        params = [min(partitions), max(partitions)]
        borrowed = check_passed and fact_built
        distinct_sql = (
            "null"
            if borrowed
            else (
                f"(select count(distinct e.{check.landed_column}) from {check.landed_relation}"
                f" as e where e.{check.landed_partition_column} = m.partition_date)"
            )
        )
        landing = {
            str(row[0]): row[1:]
            for row in connection.execute(
                f"""
                select
                    cast(m.partition_date as varchar),
                    m.total_lines, m.landed_rows, m.rejected_rows,
                    {distinct_sql}
                from {manifests_relation} as m
                where m.partition_date between cast(? as date) and cast(? as date)
                """,
                params,
            ).fetchall()
        }
        facts: dict[str, int] = {}
        if fact_built and _relation_exists(connection, check.model_relation):
            column = check.partition_column
            facts = {
                str(day): int(rows)
                for day, rows in connection.execute(
                    f"select cast({column} as varchar), count(*) from {check.model_relation} "
                    f"where {column} between cast(? as date) and cast(? as date) group by 1",
                    params,
                ).fetchall()
            }
    finally:
        connection.close()
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
