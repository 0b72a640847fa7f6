"""The Spark warehouse, read through the SparkSession that dbt-spark's
`session` method runs in this process. The session is built from the dbt
profile exactly as dbt-spark builds it, so whichever of the two asks first,
both get the same session, metastore and warehouse directory.
"""

from __future__ import annotations

import os
from pathlib import Path

from data_factory.core.errors import BuildFailed
from data_factory.core.paths import FactoryPaths
from data_factory.project.parsed import project_profile_name
from data_factory.warehouse.engine import Engine


def profile_parameters(paths: FactoryPaths, target: str | None) -> dict[str, str]:
    """`server_side_parameters` of a spark target of profiles/profiles.yml,
    rendered by dbt's own profile renderer (env_var included). The output
    is rendered alone rather than through dbt's Profile, which needs the
    flags of a dbt invocation: a reader (the gate) may never have run one.
    It is rendered in the environment dbt runs in (FACTORY_HOME of `paths`)."""
    from dbt.config.profile import read_profile
    from dbt.config.renderer import ProfileRenderer
    from dbt_common.context import set_invocation_context

    from data_factory.project.dbt_runner import PROFILES_DIR, dbt_environment

    profile = read_profile(str(PROFILES_DIR)).get(project_profile_name()) or {}
    name = target or profile.get("target")
    output = (profile.get("outputs") or {}).get(name)
    if not isinstance(output, dict):
        raise BuildFailed("BUILD_ERROR", f"dbt target {name!r} is not in profiles/profiles.yml")
    with dbt_environment(paths):
        # env_var() reads the environment through the context a dbt
        # invocation sets; each invocation sets its own again
        set_invocation_context(os.environ)
        rendered = ProfileRenderer({}).render_data(output)
    if rendered.get("type") != "spark":
        raise BuildFailed(
            "BUILD_ERROR", f"dbt target {name!r} is a {rendered.get('type')} target, not spark"
        )
    parameters = rendered.get("server_side_parameters") or {}
    return {str(k): str(v) for k, v in parameters.items()}


def _local_path(uri: str) -> Path:
    return Path(uri.removeprefix("file:")).resolve()


def spark_session(paths: FactoryPaths, target: str | None):
    """The in-process SparkSession of the spark target. Refuses a session
    another FACTORY_HOME started: Spark fixes the warehouse and metastore
    when the JVM starts, so this process would read the wrong tables."""
    from pyspark.sql import SparkSession

    parameters = profile_parameters(paths, target)
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
