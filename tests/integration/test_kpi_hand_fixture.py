"""Eight hand-made tickets through `factory run`, every KPI worked out by hand.

Tickets A to G belong to cus_00001, an SLA tier `standard` customer, whose
targets (seeds/sla_policies.csv) are, first response / resolution:
urgent 60 min / 12 h, high 120 min / 36 h, normal 480 min / 96 h,
low 1440 min / 120 h, on the calendar clock (seeds/sla_schedules.csv): a
target is due at creation + the target of the priority in force, and their
business-clock durations are their calendar ones. A priority change
re-targets from its event on. H belongs to cus_00005, tier `business`, on
business hours (09:00-17:00 New York, Monday to Friday; New York is UTC-5
in November). D1 = Monday 2026-11-02, D2 = Tuesday 2026-11-03 (times UTC).

A  high, created D1 09:00 (reply due 11:00), first reply D1 12:00: breached
   at 11:00 on D1. De-escalated to low on D2 10:00: no later event may undo
   D1's breach (the bug the old max(target) had). Resolution: due D2 21:00
   while high, but the change at D2 10:00 moves it to D1 09:00 + 120 h = D6:
   not breached on D1 or D2. Unsolved.
B  low, created D1 08:00 (due D2 08:00); escalated to urgent at D1 14:00,
   whose target (due D1 09:00) is already past: breached at 14:00 on D1.
   First reply D1 15:00 (420 min). Resolution due, once urgent, D1 20:00:
   breached at 20:00 on D1; solved D2 09:00 (25 h).
C  normal, created D1 10:00, never answered: reply breached at 18:00 on D1,
   overdue at the end of D1 and of D2. Resolution due D5: nothing yet.
D  urgent, created D1 11:00, solved at 11:30 without any reply: the solve
   fulfils the reply target (achieved on D1) and the resolution target
   (achieved on D1, 0.5 h). No first-response time (no reply).
E  normal, created D1 13:00, reply D1 14:00 (60 min, achieved), solved D1
   16:00 (3 h, achieved), reopened D2 09:00, solved again D2 11:00.
F  high, created D2 08:00, reply D2 10:00: exactly at its target, achieved.
G  created before the history (its `created` event is not in it): put on
   hold D1 07:00, no event on D2. Not timed, not measured against a target,
   but open: in the backlog of D1, and carried into D2's.
H  business tier, high (reply 60 business minutes, resolution 16 business
   hours), created D1 21:30 (16:30 local), first reply D2 15:00 (10:00
   local): 1,050 calendar minutes, 90 business minutes (30 on Monday, 60 on
   Tuesday). The reply falls due at Tuesday 09:30 local (D2 14:30): breached
   on D2, not at D1 22:30 as the calendar would have it, so not overdue at
   the end of D1. Resolution due Wednesday 16:30 local: nothing yet.
   Unsolved.

D1: created A B C D E H = 6; resolved D E = 2; reply minutes A 180, B 420,
    E 60 -> p50 180, p90 (continuous: position 0.9 x 2 = 1.8) 180 + 0.8 x 240
    = 372; resolution hours D 0.5, E 3 -> p50 1.75; replies achieved D E = 2,
    breached A B C = 3, rate 0.6; overdue at 24:00: C = 1; resolutions
    achieved D E = 2, breached B = 1, rate 1/3; backlog (not solved/closed at
    24:00, whenever created) A B C G H = 5; reopen: first solved in the
    window D E, reopened by 24:00 none -> 0. Business clock: the same
    durations (all on the calendar clock) -> 180, 372, 1.75.
D2: created F = 1; resolved B E = 2; reply minutes F 120, H 1,050 -> p50
    585, p90 120 + 0.9 x 930 = 957; resolution hours (first solves on D2)
    B 25 -> 25; replies achieved F = 1, breached H = 1, rate 0.5; overdue
    C = 1; resolutions achieved 0 (B was breached on D1), breached 0, rate
    null; backlog A C F G H = 5; reopen: first solved in the window D E B,
    reopened by 24:00 E -> 1/3. Business clock: reply minutes H 90, F 120
    -> p50 105, p90 90 + 0.9 x 30 = 117; resolution B 25.
Both days: two landed days of a 31-day window, so window_complete is false.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from conftest import event, write_export
from test_state_support import KPI_COLUMNS, factory

from data_factory.core.paths import FactoryPaths

D1, D2 = "2026-11-02", "2026-11-03"

# (ticket, sequence, event_type, day, time, priority, status)
EVENTS = [
    ("A", 1, "created", D1, "09:00", "high", "new"),
    ("A", 2, "first_response", D1, "12:00", "high", "pending"),
    ("A", 3, "status_changed", D2, "10:00", "low", "open"),
    ("B", 1, "created", D1, "08:00", "low", "new"),
    ("B", 2, "status_changed", D1, "14:00", "urgent", "open"),
    ("B", 3, "first_response", D1, "15:00", "urgent", "pending"),
    ("B", 4, "resolved", D2, "09:00", "urgent", "solved"),
    ("C", 1, "created", D1, "10:00", "normal", "new"),
    ("D", 1, "created", D1, "11:00", "urgent", "new"),
    ("D", 2, "resolved", D1, "11:30", "urgent", "solved"),
    ("E", 1, "created", D1, "13:00", "normal", "new"),
    ("E", 2, "first_response", D1, "14:00", "normal", "pending"),
    ("E", 3, "resolved", D1, "16:00", "normal", "solved"),
    ("E", 4, "reopened", D2, "09:00", "normal", "open"),
    ("E", 5, "resolved", D2, "11:00", "normal", "solved"),
    ("F", 1, "created", D2, "08:00", "high", "new"),
    ("F", 2, "first_response", D2, "10:00", "high", "pending"),
    ("G", 2, "status_changed", D1, "07:00", "normal", "on_hold"),
    ("H", 1, "created", D1, "21:30", "high", "new"),
    ("H", 2, "first_response", D2, "15:00", "high", "pending"),
]
CUSTOMER = {"H": "cus_00005"}  # tier business; the others are cus_00001's

EXPECTED = {
    D1: (6, 2, 180.0, 372.0, 1.75, 2, 3, 0.6, 1, 2, 1, 1 / 3, 5, 0.0, False, 180.0, 372.0, 1.75),
    D2: (1, 2, 585.0, 957.0, 25.0, 1, 1, 0.5, 1, 0, 0, None, 5, 1 / 3, False, 105.0, 117.0, 25.0),
}


def _write_landing(home: Path) -> None:
    paths = FactoryPaths(home)
    for day in (D1, D2):
        lines = [
            event(
                event_id=f"evt_{ticket}{sequence}",
                ticket_id=f"tkt_{ticket}",
                event_type=event_type,
                event_at=f"{on}T{at}:00Z",
                agent_id=None if event_type == "created" else "agt_001",
                priority=priority,
                status=status,
                **({"customer_id": CUSTOMER[ticket]} if ticket in CUSTOMER else {}),
            )
            for ticket, sequence, event_type, on, at, priority, status in EVENTS
            if on == day
        ]
        write_export(paths, day, lines)


def _kpis(home: Path) -> dict[str, tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        rows = connection.execute(
            f"select cast(kpi_date as varchar), {', '.join(KPI_COLUMNS)} "
            "from marts.ticket_kpi_daily order by kpi_date"
        ).fetchall()
    return {row[0]: tuple(row[1:]) for row in rows}


def _same(found: tuple, expected: tuple) -> bool:
    return all(
        f == e if e is None or f is None or isinstance(e, bool) else f == pytest.approx(e, abs=1e-9)
        for f, e in zip(found, expected, strict=True)
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("kpi-hand") / "home"
    _write_landing(home)
    factory(home, "run", "--partition", D1)
    factory(home, "run", "--partition", D2)
    return home


def test_every_kpi_of_the_hand_fixture_is_as_computed_by_hand(home):
    found = _kpis(home)
    assert sorted(found) == [D1, D2]
    for day, expected in EXPECTED.items():
        assert _same(found[day], expected), (
            day,
            dict(zip(KPI_COLUMNS, found[day], strict=True)),
            dict(zip(KPI_COLUMNS, expected, strict=True)),
        )


def test_a_two_day_batch_publishes_the_same_days(home):
    """A's de-escalation on D2 must not undo its breach on D1."""
    day_by_day = _kpis(home)
    factory(home, "backfill", "--start", D1, "--end", D2, "--chunk-days", "2")
    assert _kpis(home) == day_by_day
