"""The generator's entry points: the exports of a range of days, or of one."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

from data_factory.landing.generate.day_events import events_on
from data_factory.landing.generate.faults import (
    FAULT_NAMES,
    FaultSpec,
    faults_on,
    normalise_faults,
)
from data_factory.landing.generate.reference import EVENT_TYPES, Reference, load_seed_ids
from data_factory.landing.generate.render import render_lines
from data_factory.landing.generate.simulate import LOOKBACK_DAYS, CreatedDay, epoch, simulate
from data_factory.landing.generate.write import partition_dir, write_day

MAX_TICKETS_PER_DAY = 500_000  # ticket numbers have six digits; Poisson noise needs headroom


@dataclass(frozen=True)
class DayExport:
    partition: str
    directory: Path
    files: int  # data files written
    lines: int  # physical lines written over all files
    tickets_created: int  # tickets whose `created` event is in this export
    faults: tuple[str, ...]  # faults applied to this day, in FAULT_NAMES order


def _check_int(name: str, value, minimum: int, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum}, got {value}")
    return int(value)


def generate_range(
    landing_root: Path,
    start: date,
    days: int,
    *,
    tickets_per_day: int = 2000,
    seed: int = 42,
    faults: Iterable[FaultSpec] | str = (),
    export_version: int = 1,
    max_lines_per_file: int = 50_000,
    progress: Callable[[DayExport], None] | None = None,
) -> list[DayExport]:
    """Write the exports of `days` consecutive days starting at `start` under
    ``landing_root/tickets/dt=YYYY-MM-DD/``, each replacing any earlier export
    of that day. Returns one DayExport per day, in order; `progress` is called
    after each day is written."""
    if isinstance(start, datetime) or not isinstance(start, date):
        raise ValueError(f"start must be a datetime.date, got {start!r}")
    days = _check_int("days", days, 1)
    tickets_per_day = _check_int("tickets_per_day", tickets_per_day, 0, MAX_TICKETS_PER_DAY)
    seed = _check_int("seed", seed, 0)
    export_version = _check_int("export_version", export_version, 1)
    max_lines_per_file = _check_int("max_lines_per_file", max_lines_per_file, 1)
    specs = normalise_faults(faults)
    ref = Reference.build(load_seed_ids())

    cache: dict[date, CreatedDay] = {}
    exports = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        window = [day - timedelta(days=back) for back in range(LOOKBACK_DAYS, -1, -1)]
        for old in [d for d in cache if d < window[0]]:
            del cache[old]
        for created_day in window:  # only what can still happen, from today on
            if created_day in cache:
                cache[created_day] = cache[created_day].since(epoch(day))
            else:
                simulated = simulate(created_day, tickets_per_day, seed, ref)
                cache[created_day] = simulated.since(epoch(day))
        active = faults_on(day, specs)
        if "empty_day" in active:
            events = events_on(day, [])
        else:
            events = events_on(day, [cache[d] for d in window])
        lines, applied = render_lines(day, events, ref, seed, active)
        applied |= active & {"empty_day", "bad_checksum", "missing_file"}
        applied_faults = tuple(name for name in FAULT_NAMES if name in applied)
        target = partition_dir(Path(landing_root), day.isoformat())
        files = write_day(
            target,
            day,
            lines,
            seed=seed,
            tickets_per_day=tickets_per_day,
            export_version=export_version,
            max_lines_per_file=max_lines_per_file,
            faults=applied_faults,
        )
        created_here = int(
            np.count_nonzero(
                (events.event_type == EVENT_TYPES.index("created"))
                & (events.created_ordinal == day.toordinal())
            )
        )
        export = DayExport(
            partition=day.isoformat(),
            directory=target,
            files=files,
            lines=len(lines),
            tickets_created=created_here,
            faults=applied_faults,
        )
        exports.append(export)
        if progress is not None:
            progress(export)
    return exports


def generate_day(
    landing_root: Path,
    day: date,
    *,
    tickets_per_day: int = 2000,
    seed: int = 42,
    faults: Iterable[FaultSpec] | str = (),
    export_version: int = 1,
    max_lines_per_file: int = 50_000,
) -> DayExport:
    """Write the export of one day (see generate_range)."""
    return generate_range(
        landing_root,
        day,
        1,
        tickets_per_day=tickets_per_day,
        seed=seed,
        faults=faults,
        export_version=export_version,
        max_lines_per_file=max_lines_per_file,
    )[0]
