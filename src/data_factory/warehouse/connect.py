"""Which engine a manifest's dbt target builds into."""

from __future__ import annotations

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


def open_reader(paths: FactoryPaths, manifest: dict) -> tuple[Engine | None, str | None]:
    """An engine that only reads the warehouse, or why there is none:
    `gone` (no file), `empty` (0 bytes), `unreadable` (not a database) or
    `locked` (another process is writing it), or `unsupported` (Spark: a
    reader would start a Spark session of its own). Never creates the file."""
    if adapter_type(manifest) == "spark":
        return None, "unsupported"
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
