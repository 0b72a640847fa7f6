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
