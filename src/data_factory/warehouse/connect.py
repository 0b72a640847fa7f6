"""Which engine a manifest's dbt target builds into."""

from __future__ import annotations

from data_factory.core.errors import FactoryError
from data_factory.core.paths import FactoryPaths
from data_factory.warehouse.engine import Engine


def adapter_type(manifest: dict) -> str | None:
    return (manifest.get("metadata") or {}).get("adapter_type")


def open_engine(
    paths: FactoryPaths, manifest: dict, target: str | None = None, *, read_only: bool = False
) -> Engine:
    """An open engine on the warehouse of the manifest's adapter (DuckDB:
    `read_only` opens it without creating it or taking its write lock)."""
    if adapter_type(manifest) == "spark":
        from data_factory.warehouse.spark_engine import SparkEngine  # pyspark: the spark extra

        return SparkEngine(paths, target)
    from data_factory.warehouse.duckdb_engine import DuckDBEngine

    return DuckDBEngine(paths, read_only=read_only)


def open_reader(
    paths: FactoryPaths, manifest: dict, *, spark_target: str | None = None
) -> tuple[Engine | None, str | None]:
    """An engine that only reads the warehouse, or why there is none:
    `gone` (no file), `empty` (0 bytes), `unreadable` (not a database) or
    `locked` (another process is writing it), or `unsupported` (Spark,
    unless `spark_target` names the dbt target to start a Spark session of:
    only the gate pays for one). Never creates the DuckDB file."""
    if adapter_type(manifest) == "spark":
        if spark_target is None:
            return None, "unsupported"
        try:
            return open_engine(paths, manifest, spark_target), None
        except FactoryError:
            raise  # the target is not a Spark one: the user's to fix, said as it is
        except Exception:
            # a session that cannot start (Java, the metastore in use by another
            # JVM...) raises Java and Python errors of many classes; for a
            # reader they all mean the same: not readable now
            return None, "unreadable"
    import duckdb

    if not paths.warehouse.exists():
        return None, "gone"
    if paths.warehouse.stat().st_size == 0:
        return None, "empty"
    try:
        return open_engine(paths, manifest, read_only=True), None
    except duckdb.ConnectionException:
        # this process has it open already (a run, then the gate, in one
        # process), and DuckDB wants the same configuration for both
        try:
            return open_engine(paths, manifest), None
        except duckdb.Error:
            return None, "unreadable"
    except duckdb.Error as exc:
        return None, "locked" if "lock" in str(exc).lower() else "unreadable"
