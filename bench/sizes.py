"""The sizes of a full and a quick run, and the days the figures use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Sizes:
    ingest_days: int
    ingest_tickets: int
    history_short: int
    history_long: int
    history_tickets: int
    backfill_days: int
    backfill_tickets: int
    evidence_nodes: int
    status_days: int
    template_tickets: int
    gate_tickets: int
    year_days: int
    year_tickets: int
    year_window: int  # days compared at each end of the year
    verify_days: int
    verify_tickets: int


# Issue 5's sizes: ~1M events for figure 1 (a day of 20,000 tickets holds
# 70-100k events), 2,000 tickets a day over 365 days for figure 2, 30 days of
# 20,000 tickets for figure 3. Issue 12's: 365 days of 5,000 tickets for figure 7.
# Issue 11's: 365 days of 2,000 tickets for figure 8.
FULL = Sizes(
    ingest_days=11,
    ingest_tickets=20_000,
    history_short=30,
    history_long=365,
    history_tickets=2_000,
    backfill_days=30,
    backfill_tickets=20_000,
    evidence_nodes=5_000,
    status_days=365,
    template_tickets=200,
    gate_tickets=20_000,
    year_days=365,
    year_tickets=5_000,
    year_window=30,
    verify_days=365,
    verify_tickets=2_000,
)
QUICK = Sizes(
    ingest_days=2,
    ingest_tickets=300,
    history_short=1,
    history_long=3,
    history_tickets=100,
    backfill_days=2,
    backfill_tickets=300,
    evidence_nodes=400,
    status_days=20,
    template_tickets=50,
    gate_tickets=300,
    year_days=4,
    year_tickets=50,
    year_window=1,
    verify_days=3,
    verify_tickets=50,
)

INGEST_START = "2025-03-03"
HISTORY_END = "2025-12-31"
BACKFILL_START = "2025-06-02"  # the day before it is built first, untimed
STATUS_END = "2025-12-31"
TEMPLATE_DAY = "2025-01-06"
GATE_DAY = "2025-02-03"
YEAR_START = "2024-01-01"


def shift(day: str, days: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


def day_list(first: str, count: int) -> list[str]:
    return [shift(first, n) for n in range(count)]
