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


def shift(partition: str, days: int) -> str:
    return (date.fromisoformat(partition) + timedelta(days=days)).isoformat()
