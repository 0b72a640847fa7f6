"""The warehouse behind one interface: what the factory asks of DuckDB or
Spark to count rows and reconcile them, written once in counts.py.

SQL handed to `rows` is the dialect both engines read (standard `cast`,
`count(distinct ...)`, joins) with named parameters written `:name`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType


class Engine(ABC):
    """One open connection to the warehouse a dbt target builds into."""

    @abstractmethod
    def exists(self, relation: str) -> bool:
        """Whether a relation (as the manifest's relation_name writes it) exists."""

    @abstractmethod
    def rows(self, sql: str, parameters: dict | None = None) -> list[tuple]:
        """The rows of one query, as tuples."""

    @abstractmethod
    def columns(self, relation: str) -> list[tuple[str, str]]:
        """(name, type) of each column of a relation, the type in the
        engine's own spelling, lower case (`varchar`, `timestamp`, ...)."""

    dialect = "duckdb"  # what fingerprint.py writes engine-specific SQL for

    # the engine's own row hash that fingerprint.py records beside md5-sum64/v1
    # for fast re-checks, named with the engine version (None: none)
    quick_algorithm: str | None = None

    # what the engine raises when the warehouse cannot be read (gone, locked,
    # corrupt): a reader that gets one of these blocks rather than guess
    read_errors: tuple[type[BaseException], ...] = ()

    def close(self) -> None:  # noqa: B027 - an engine without a connection has nothing to close
        """Release the connection."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
