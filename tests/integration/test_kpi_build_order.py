"""Every KPI day is a function of the events up to the end of that day:
the same landed history, built day by day, in batches of 2, 7 and 30 days,
and with one plain `dbt build` over the range, gives exactly the same KPI
rows. The generator escalates and de-escalates priorities (at triage and
while tickets are worked), leaves tickets unanswered and solves some
without a reply, so a definition that read a later event (a ticket's
largest target, say) would show here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from test_state_support import backlog_by_day, cells_by_key, factory, status_json

from data_factory.core.paths import PROJECT_DIR

FIRST, LAST = "2026-11-01", "2026-11-12"
DBT = str(Path(sys.executable).parent / "dbt")


def _kpi_rows(home: Path) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        return connection.execute(
            "select * from marts.ticket_kpi_daily order by kpi_date"
        ).fetchall()


@pytest.fixture(scope="module")
def landed(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("build-order") / "home"
    factory(home, "generate", "--start", FIRST, "--days", "12", "--tickets-per-day", "200")
    factory(home, "ingest", "--start", FIRST, "--end", LAST)
    return home


@pytest.fixture(scope="module")
def day_by_day(landed) -> list[tuple]:
    factory(landed, "backfill", "--start", FIRST, "--end", LAST, "--chunk-days", "1")
    rows = _kpi_rows(landed)
    assert len(rows) == 12
    return rows


def test_the_history_exercises_retargets_and_unanswered_tickets(landed, day_by_day):
    with duckdb.connect(str(landed / "warehouse.duckdb"), read_only=True) as connection:
        ((retargeted, never_answered, solved_unanswered),) = connection.execute(
            """
            with tickets as (
                select
                    ticket_id,
                    count(distinct priority) as priorities,
                    count(*) filter (where event_type = 'first_response') as replies,
                    count(*) filter (where event_type = 'resolved') as solves
                from marts.ticket_fact
                group by 1
            )
            select
                count(*) filter (where priorities > 1),
                count(*) filter (where replies = 0 and solves = 0),
                count(*) filter (where replies = 0 and solves > 0)
            from tickets
            """
        ).fetchall()
        ((most_overdue,),) = connection.execute(
            "select max(overdue_unanswered_tickets) from marts.ticket_kpi_daily"
        ).fetchall()
    assert retargeted > 50
    assert never_answered > 10 and solved_unanswered > 10
    assert most_overdue > 0


@pytest.mark.parametrize("chunk_days", ["2", "7", "30"])
def test_batches_give_the_same_kpis_as_day_by_day(landed, day_by_day, chunk_days):
    factory(landed, "backfill", "--start", FIRST, "--end", LAST, "--chunk-days", chunk_days)
    assert _kpi_rows(landed) == day_by_day


def test_one_plain_dbt_build_gives_the_same_kpis(landed, day_by_day):
    """`dbt build` with no partition var builds every landed day at once."""
    result = subprocess.run(
        [
            DBT,
            "build",
            "--target-path",
            str(landed / "plain-target"),
            "--log-path",
            str(landed / "plain-logs"),
        ],
        cwd=PROJECT_DIR,
        env={**os.environ, "FACTORY_HOME": str(landed), "DO_NOT_TRACK": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert _kpi_rows(landed) == day_by_day


def test_the_backlog_is_every_ticket_open_at_the_end_of_the_day(landed, day_by_day):
    """Tickets created before the 30-day window, or before the history,
    count as long as they are open."""
    found, expected = backlog_by_day(landed)
    assert found == expected
    with duckdb.connect(str(landed / "warehouse.duckdb"), read_only=True) as connection:
        ((older,),) = connection.execute(
            f"select count(*) from marts.ticket_open_daily where snapshot_date = '{LAST}' "
            "and created_at is null"
        ).fetchall()
    assert older > 0  # open since before the history, and in the backlog


def test_a_window_reaching_before_the_history_is_flagged_and_warned(landed, day_by_day):
    """Twelve days of history, a 30-day window: no day's window is complete,
    the warn-severity check says so on each day, and the gate (which
    releases) names the warning."""
    with duckdb.connect(str(landed / "warehouse.duckdb"), read_only=True) as connection:
        flags = connection.execute(
            "select distinct window_complete from marts.ticket_kpi_daily"
        ).fetchall()
    assert flags == [(False,)]
    grid = cells_by_key(status_json(landed))
    for day in ("2026-11-01", LAST):
        kpi = grid[("ticket_kpi_daily", day)]
        assert kpi["consumable"] and "CHECK_WARNED" in kpi["reasons"], day
        assert any("window_complete" in name for name in kpi["checks"]["warnings"]), day
    gate = factory(landed, "gate", "retrieval_index", "--partition", LAST)
    assert "RELEASE" in gate.stdout and "window_complete" in gate.stdout
