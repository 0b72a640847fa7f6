"""`factory run` of the same day twice: same rows, one evidence file per run."""

from __future__ import annotations

import json

from test_state_support import factory

DAY = "2026-11-03"


def test_running_a_day_twice_gives_identical_rows_and_two_evidence_files(tmp_path):
    home = tmp_path / "home"
    factory(home, "generate", "--start", DAY, "--days", "1", "--tickets-per-day", "200")
    rows = []
    for _ in range(2):
        result = factory(home, "run", "--partition", DAY, "--format", "json")
        rows.append({(r["asset"], r["partition"]): r["rows"] for r in json.loads(result.stdout)})
    assert rows[0] == rows[1]
    assert rows[0][("ticket_fact", DAY)] > 0 and rows[0][("ticket_kpi_daily", DAY)] == 1
    runs = [json.loads(p.read_text()) for p in (home / "evidence").glob("*.json")]
    runs = [r for r in runs if r["kind"] == "factory_run" and r["invocation"]["command"] == "run"]
    assert len(runs) == 2 and len({r["run_id"] for r in runs}) == 2
    assert {r["reconciliation"][0]["fact_rows"] for r in runs} == {rows[0][("ticket_fact", DAY)]}


def test_a_mart_built_before_a_column_was_added_takes_the_new_column(tmp_path):
    """A home whose KPI table predates a column (dropped here, as an older
    model would have built it): the next build adds the column instead of
    failing on the schema change, and fills it for the day it builds."""
    import duckdb

    home = tmp_path / "home"
    factory(home, "generate", "--start", DAY, "--days", "2", "--tickets-per-day", "50")
    factory(home, "run", "--partition", DAY)
    with duckdb.connect(str(home / "warehouse.duckdb")) as connection:
        connection.execute(
            "alter table marts.ticket_kpi_daily drop column first_response_p90_business_minutes"
        )
    next_day = "2026-11-04"
    factory(home, "run", "--partition", next_day)
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        filled = dict(
            connection.execute(
                "select cast(kpi_date as varchar), first_response_p90_business_minutes "
                "from marts.ticket_kpi_daily"
            ).fetchall()
        )
    assert filled[DAY] is None and filled[next_day] is not None
