"""Where the factory keeps its runtime files.

Everything lives under one data directory (``data/`` beside the project, or
``$FACTORY_HOME``), so a test or a second environment can move the whole tree
with one variable.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from data_factory.core.errors import home_not_writable

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
        return self.landing_partition_dir("tickets", partition)

    def landing_partition_dir(self, folder: str, partition: str) -> Path:
        """A day's folder of the landing source `folder` (its landing_folder)."""
        return self.landing / folder / f"dt={partition}"

    def check_writable(self) -> None:
        """Raise HOME_NOT_WRITABLE unless this process can create files in
        the home and in the folders of it that a command writes (created
        on first use), before a writing command changes anything."""
        folders = [self.home, self.evidence, self.runs, self.landing / "tickets"]
        try:
            self.home.mkdir(parents=True, exist_ok=True)
            for folder in folders:
                if folder.is_dir():
                    handle, name = tempfile.mkstemp(prefix=".write-probe-", dir=folder)
                    os.close(handle)
                    os.unlink(name)
        except OSError as exc:
            raise home_not_writable(self.home, exc) from None
