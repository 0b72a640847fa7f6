"""Partition names: one UTC calendar day, written YYYY-MM-DD."""

from __future__ import annotations

import re
from datetime import date, timedelta

from data_factory.core.errors import FactoryError

_PARTITION_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_partition(text: str, name: str = "partition") -> str:
    """Return `text` if it is a real calendar day, else raise FactoryError."""
    value = str(text).strip()
    if not _PARTITION_SHAPE.fullmatch(value):
        raise FactoryError(
            "INVALID_PARTITION",
            f"{name} must be a calendar day written YYYY-MM-DD, got {text!r}",
        )
    try:
        date.fromisoformat(value)
    except ValueError:
        raise FactoryError(
            "INVALID_PARTITION", f"{name} is not a real calendar day: {text!r}"
        ) from None
    return value


def is_partition(text: str) -> bool:
    """Whether `text`, as it is, names a partition: a real calendar day
    written YYYY-MM-DD."""
    try:
        return parse_partition(text) == text
    except FactoryError:
        return False


def day_range(start: str, end: str) -> list[str]:
    """Every partition from start to end inclusive."""
    first = date.fromisoformat(parse_partition(start, "start"))
    last = date.fromisoformat(parse_partition(end, "end"))
    if first > last:
        raise FactoryError("INVALID_PARTITION", f"start {start} is after end {end}")
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


# The most days one run, build or backfill takes unless told `--max-days N`:
# over a year of days by a margin, far below a typo's 1900..2100.
MAX_DAYS = 400


def check_range_size(days: list[str], max_days: int | None) -> None:
    """RANGE_OVER_LIMIT when `days` is longer than `max_days` (default MAX_DAYS)."""
    limit = MAX_DAYS if max_days is None else max_days
    if len(days) > limit:
        raise FactoryError(
            "RANGE_OVER_LIMIT",
            f"{days[0]}..{days[-1]} is {len(days):,} days, over the limit of {limit}; "
            f"nothing ran. Check the dates, or pass --max-days {len(days)} to build them all",
        )


def shift(partition: str, days: int) -> str:
    return (date.fromisoformat(partition) + timedelta(days=days)).isoformat()


def spans(partitions: list[str]) -> str:
    """Days as runs of consecutive days: '2026-11-01..2026-11-04, 2026-11-06'."""
    runs: list[list[str]] = []
    for day in sorted(set(partitions)):
        if runs and shift(runs[-1][-1], 1) == day:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(run[0] if len(run) == 1 else f"{run[0]}..{run[-1]}" for run in runs)
