"""Where the factory keeps its runtime files.

Everything lives under one data directory (``data/`` beside the project, or
``$FACTORY_HOME``), so a test or a second environment can move the whole tree
with one variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class FactoryPaths:
    home: Path

    @classmethod
    def from_env(cls) -> FactoryPaths:
        home = os.environ.get("FACTORY_HOME")
        return cls(Path(home).resolve() if home else PROJECT_DIR / "data")

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def landing(self) -> Path:
        return self.home / "landing"

    @property
    def evidence(self) -> Path:
        return self.home / "evidence"

    @property
    def state(self) -> Path:
        return self.home / "state.sqlite"

    @property
    def runs(self) -> Path:
        """Per-run dbt target directories."""
        return self.home / "runs"

    def tickets_partition_dir(self, partition: str) -> Path:
        return self.landing / "tickets" / f"dt={partition}"
