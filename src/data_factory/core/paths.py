"""Where the factory keeps its runtime files.

Everything lives under one data directory (``data/`` beside the project, or
``$FACTORY_HOME``), so a test or a second environment can move the whole tree
with one variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# The factory's own repository: its evidence schema and runbooks.
FACTORY_ROOT = Path(__file__).resolve().parents[3]
# The dbt project it runs: this repository's, or another one named by
# FACTORY_PROJECT_DIR (a copy with a model of its own, say). It reads its roles
# from that project's manifest, so nothing else has to change.
PROJECT_DIR = (
    Path(os.environ["FACTORY_PROJECT_DIR"]).resolve()
    if os.environ.get("FACTORY_PROJECT_DIR")
    else FACTORY_ROOT
)


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
