"""Facts the factory counts itself, on Spark.

The same row counts and reconciliation as warehouse.py, read through the
SparkSession that dbt-spark's `session` method runs in this process. The
session is built from the dbt profile exactly as dbt-spark builds it, so
whichever of the two asks first, both get the same session, metastore and
warehouse directory.
"""

from __future__ import annotations

from pathlib import Path

from data_factory.core.errors import BuildFailed
from data_factory.core.paths import FactoryPaths
from data_factory.project.manifest import asset_nodes, partition_column
from data_factory.project.parsed import project_profile_name
from data_factory.project.roles import Reconciliation
from data_factory.warehouse.duckdb_engine import reconciliation_entry


def profile_parameters(target: str | None) -> dict[str, str]:
    """`server_side_parameters` of a spark target of profiles/profiles.yml,
    rendered by dbt (env_var included)."""
    from dbt.config.profile import Profile, read_profile
    from dbt.config.renderer import ProfileRenderer

    from data_factory.project.dbt_runner import PROFILES_DIR

    raw_profiles = read_profile(str(PROFILES_DIR))
    profile = Profile.from_raw_profiles(
        raw_profiles, project_profile_name(), ProfileRenderer({}), target_override=target
    )
    if profile.credentials.type != "spark":
        raise BuildFailed(
            "BUILD_ERROR",
            f"dbt target {profile.target_name!r} is a {profile.credentials.type} target, not spark",
        )
    return {str(k): str(v) for k, v in profile.credentials.server_side_parameters.items()}


def _local_path(uri: str) -> Path:
    return Path(uri.removeprefix("file:")).resolve()


def spark_session(paths: FactoryPaths, target: str | None):
    """The in-process SparkSession of the spark target. Refuses a session
    another FACTORY_HOME started: Spark fixes the warehouse and metastore
    when the JVM starts, so this process would read the wrong tables."""
    from pyspark.sql import SparkSession

    parameters = profile_parameters(target)
    builder = SparkSession.builder.enableHiveSupport()
    for key, value in parameters.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    expected = parameters.get("spark.sql.warehouse.dir")
    started_with = session.sparkContext.getConf().get("spark.sql.warehouse.dir", None)
    if expected and started_with and _local_path(started_with) != _local_path(expected):
        raise BuildFailed(
            "BUILD_ERROR",
            f"this process already runs Spark on the warehouse {started_with}, not "
            f"{expected} (FACTORY_HOME {paths.home}); use one FACTORY_HOME per process",
        )
    return session


def _table_exists(session, relation_name: str) -> bool:
    return session.catalog.tableExists(relation_name.replace("`", ""))


def _rows_by_day(session, relation: str, column: str, partitions: list[str]) -> dict[str, int]:
    rows = session.sql(
        f"select cast({column} as string) as day, count(*) as found from {relation} "
        f"where {column} between cast(:first as date) and cast(:last as date) "
        "group by 1",
        args={"first": min(partitions), "last": max(partitions)},
    ).collect()
    return {row["day"]: int(row["found"]) for row in rows}


def count_rows(
    paths: FactoryPaths,
    manifest: dict,
    partitions: list[str],
    asset_ids: list[str],
    target: str | None = None,
) -> dict[tuple[str, str | None], int]:
    """Rows per (asset, partition) for the given assets, as built now."""
    session = spark_session(paths, target)
    counts: dict[tuple[str, str | None], int] = {}
    nodes = asset_nodes(manifest)
    for uid in asset_ids:
        node = nodes.get(uid)
        relation = (node or {}).get("relation_name")
        if not relation or not _table_exists(session, relation):
            continue
        column = partition_column(node)
        if column and partitions:
            found = _rows_by_day(session, relation, column, partitions)
            for partition in partitions:
                counts[(uid, partition)] = found.get(partition, 0)
        else:
            counts[(uid, None)] = int(session.table(relation.replace("`", "")).count())
    return counts


def reconcile(
    paths: FactoryPaths,
    partitions: list[str],
    check: Reconciliation | None,
    manifests_relation: str | None,
    *,
    fact_built: bool,
    check_passed: bool = False,
    target: str | None = None,
) -> list[dict]:
    """Landing manifest lines = landed + rejected, and fact rows = distinct
    landed keys, per partition: duckdb_engine.reconcile, read on Spark. The
    landed keys are always counted here (check_passed is accepted for the
    same signature)."""
    if not partitions or check is None or not manifests_relation:
        return []
    session = spark_session(paths, target)
    if not _table_exists(session, manifests_relation):
        return []
    bounds = {"first": min(partitions), "last": max(partitions)}
    key, day = check.landed_column, check.landed_partition_column
    landing = {
        row["day"]: row
        for row in session.sql(
            f"""
            select
                cast(manifests.partition_date as string) as day,
                manifests.total_lines,
                manifests.landed_rows,
                manifests.rejected_rows,
                coalesce(landed.distinct_ids, 0) as distinct_ids
            from {manifests_relation} as manifests
            left join (
                select {day} as landed_day, count(distinct {key}) as distinct_ids
                from {check.landed_relation}
                where {day} between cast(:first as date) and cast(:last as date)
                group by {day}
            ) as landed
                on manifests.partition_date = landed.landed_day
            where manifests.partition_date
                between cast(:first as date) and cast(:last as date)
            """,
            args=bounds,
        ).collect()
    }
    facts: dict[str, int] = {}
    if fact_built and _table_exists(session, check.model_relation):
        facts = _rows_by_day(session, check.model_relation, check.partition_column, partitions)
    report = []
    for partition in partitions:
        if partition not in landing:
            continue
        row = landing[partition]
        fact_rows = facts.get(partition, 0) if fact_built else None
        report.append(
            reconciliation_entry(
                partition,
                int(row["total_lines"]),
                int(row["landed_rows"]),
                int(row["rejected_rows"]),
                int(row["distinct_ids"]),
                fact_rows,
            )
        )
    return report
