"""The Spark warehouse, read through the SparkSession that dbt-spark's
`session` method runs in this process. The session is built from the dbt
profile exactly as dbt-spark builds it, so whichever of the two asks first,
both get the same session, metastore and warehouse directory.
"""

from __future__ import annotations

from pathlib import Path

from data_factory.core.errors import BuildFailed
from data_factory.core.paths import FactoryPaths
from data_factory.project.parsed import project_profile_name
from data_factory.warehouse.engine import Engine


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


class SparkEngine(Engine):
    """The Spark warehouse of a dbt-spark `session` target, in this process."""

    dialect = "spark"

    def __init__(self, paths: FactoryPaths, target: str | None):
        from py4j.protocol import Py4JError
        from pyspark.errors import PySparkException

        self.read_errors = (PySparkException, Py4JError)
        self.session = spark_session(paths, target)

    def exists(self, relation: str) -> bool:
        return self.session.catalog.tableExists(relation.replace("`", ""))

    def rows(self, sql: str, parameters: dict | None = None) -> list[tuple]:
        return [tuple(row) for row in self.session.sql(sql, args=parameters or {}).collect()]

    def columns(self, relation: str) -> list[tuple[str, str]]:
        table = self.session.table(relation.replace("`", ""))
        return [(str(name), str(kind).lower()) for name, kind in table.dtypes]
