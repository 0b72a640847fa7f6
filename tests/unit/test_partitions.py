"""Partitions are UTC calendar days; anything else is refused before any SQL."""

from __future__ import annotations

import pytest

from data_factory.core.errors import FactoryError
from data_factory.core.partitions import day_range, parse_partition, shift


@pytest.mark.parametrize("text", ["2026-11-01", " 2024-02-29 "])
def test_a_real_day_is_accepted(text):
    assert parse_partition(text) == text.strip()


@pytest.mark.parametrize("text", ["2026-13-01", "2023-02-29", "26-11-01", "2026-11-01'; drop", ""])
def test_anything_else_is_refused_with_its_reason(text):
    with pytest.raises(FactoryError) as raised:
        parse_partition(text, "--partition")
    assert raised.value.reason_code == "INVALID_PARTITION"
    assert "--partition" in raised.value.message


def test_a_range_is_inclusive_and_crosses_months():
    assert day_range("2026-10-30", "2026-11-02") == [
        "2026-10-30",
        "2026-10-31",
        "2026-11-01",
        "2026-11-02",
    ]


def test_a_range_backwards_is_refused():
    with pytest.raises(FactoryError, match="after end"):
        day_range("2026-11-07", "2026-11-01")


def test_shift_moves_by_whole_days():
    assert shift("2026-03-01", -1) == "2026-02-28"
    assert shift("2026-12-31", 1) == "2027-01-01"
