"""The embedded DuckDB warehouse (data/warehouse.duckdb)."""

from __future__ import annotations

import re

import duckdb

from data_factory.core.paths import FactoryPaths
from data_factory.warehouse.engine import Engine

_NAMED = re.compile(r"(?<![:\w]):(\w+)")  # `:name`, not `::type`


class DuckDBEngine(Engine):
    quick_algorithm = f"duckdb-hash-sum64/{duckdb.__version__}"
    read_errors = (duckdb.Error,)

    def __init__(self, paths: FactoryPaths, read_only: bool = False):
        self.connection = duckdb.connect(str(paths.warehouse), read_only=read_only)

    def exists(self, relation: str) -> bool:
        try:
            self.connection.execute(f"select 1 from {relation} limit 0")
            return True
        except duckdb.Error:
            return False

    def rows(self, sql: str, parameters: dict | None = None) -> list[tuple]:
        # DuckDB writes named parameters `$name`
        return self.connection.execute(_NAMED.sub(r"$\1", sql), parameters or {}).fetchall()

    def columns(self, relation: str) -> list[tuple[str, str]]:
        cursor = self.connection.execute(f"select * from {relation} limit 0")
        return [(str(name), str(kind).lower()) for name, kind, *_ in cursor.description]

    def close(self) -> None:
        self.connection.close()
