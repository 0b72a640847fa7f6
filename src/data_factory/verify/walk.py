"""`factory verify` end to end: the cells in scope, each one's chain walked
link by link (verify.links) up to the first that does not hold."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from data_factory.core.clock import utc_now_iso
from data_factory.core.errors import EXIT_USAGE, FactoryError
from data_factory.core.paths import FactoryPaths
from data_factory.verify.findings import Broken
from data_factory.verify.history import History, Progress
from data_factory.verify.links import LINKS, first_broken

REPORT_VERSION = "1.0"


@dataclass
class CellResult:
    asset: str
    unique_id: str
    partition: str | None
    run_id: str | None
    broken: Broken | None


@dataclass
class VerifyReport:
    home: str
    scope: dict
    links: list[str]
    cells: list[CellResult]
    unreadable: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    verified_at: str = ""

    @property
    def broken(self) -> list[CellResult]:
        return [c for c in self.cells if c.broken is not None]

    @property
    def holds(self) -> bool:
        return bool(self.cells) and not self.broken and not self.unreadable

    def to_dict(self) -> dict:
        return {
            "report_version": REPORT_VERSION,
            "verified_at": self.verified_at,
            "home": self.home,
            "scope": self.scope,
            "links": self.links,
            "holds": self.holds,
            "cells": len(self.cells),
            "holding": len(self.cells) - len(self.broken),
            "broken": [
                {
                    "asset": c.asset,
                    "unique_id": c.unique_id,
                    "partition": c.partition,
                    "run_id": c.run_id,
                    **c.broken.to_dict(),
                }
                for c in self.broken
                if c.broken is not None
            ],
            "unreadable_evidence": self.unreadable,
            "seconds": round(self.seconds, 3),
        }


def verify(
    paths: FactoryPaths,
    manifest: dict,
    *,
    assets: tuple[str, ...] = (),
    partition: str | None = None,
    since: str | None = None,
    progress: Progress = lambda _: None,
) -> VerifyReport:
    """Walk the chain of every cell in scope: `assets` (by name; all when
    empty), the day `partition` or the days from `since` on (all when
    neither), and the unpartitioned cells those days read."""
    started = time.perf_counter()
    history = History(paths, manifest, progress)
    unknown = sorted(set(assets) - history.assets)
    if unknown:
        error = FactoryError(
            "INVALID_OPTION",
            f"no evidence records an asset named {', '.join(unknown)}; known assets: "
            f"{', '.join(sorted(history.assets)) or 'none yet'}",
        )
        error.exit_code = EXIT_USAGE
        raise error

    def wanted(day: str) -> bool:
        return day == partition if partition else (since is None or day >= since)

    cells = history.cells(assets, wanted)
    if (partition or since) and not any(c.partition for c in cells):
        cells = []  # no day in scope was built: the seeds alone verify nothing of it
    days = len({c.partition for c in cells if c.partition})
    progress(f"verify: {len(cells)} cell(s) over {days} day(s)")
    history.load_fingerprints(cells)
    results = []
    for number, cell in enumerate(cells, 1):
        if number % 500 == 0:
            progress(f"verify: {number}/{len(cells)} cells walked")
        results.append(
            CellResult(
                cell.asset,
                cell.unique_id,
                cell.partition,
                (cell.build.document or {}).get("run_id"),
                first_broken(history, cell),
            )
        )
    return VerifyReport(
        home=str(paths.home),
        scope={"assets": sorted(assets), "partition": partition, "since": since},
        links=[link.name for link in LINKS],
        cells=results,
        unreadable=[
            {"file": str(item.path), "problem": "; ".join(item.problems)}
            for item in history.unreadable
        ],
        seconds=time.perf_counter() - started,
        verified_at=utc_now_iso(),
    )
