"""factory plan: the fault -> action -> consumable-again mapping, for every
fault the generator can inject (the runbook drills cover the rest end to end:
bad_checksum -> replay, bad_enum -> investigate, missing days -> backfill,
stale history -> backfill --select)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from test_state_support import (
    WEEK,
    backlog_by_day,
    cells_by_key,
    copy_home,
    factory,
    solve_one_open_ticket,
    status_json,
)

# Faults the factory absorbs: rows are rejected with a reason (under the
# threshold), deduplicated, or flagged by a warn check. The day stays
# consumable, so the right plan is no action, and the reason stays visible.
ABSORBED = {
    "2026-11-01": ("duplicate_events", None),
    "2026-11-02": ("malformed_lines", "ROWS_REJECTED"),
    "2026-11-03": ("missing_fields", "ROWS_REJECTED"),
    "2026-11-04": ("wrong_types", "ROWS_REJECTED"),
    "2026-11-05": ("out_of_day", "ROWS_REJECTED"),
    "2026-11-06": ("schema_drift", "SCHEMA_DRIFT"),
    "2026-11-07": ("empty_day", "EMPTY_PARTITION"),
}


def _plan(home, *args, expect=1):
    return json.loads(factory(home, "plan", "--format", "json", *args, expect=expect).stdout)


def test_absorbed_faults_need_no_action_and_stay_visible(tmp_path):
    home = tmp_path / "home"
    faults = ",".join(f"{name}@{day}" for day, (name, _) in ABSORBED.items())
    factory(
        home,
        "generate",
        "--start",
        WEEK[0],
        "--days",
        "7",
        "--tickets-per-day",
        "100",
        "--faults",
        faults,
    )
    factory(home, "run", "--start", WEEK[0], "--end", WEEK[-1])
    assert _plan(home, expect=0) == []
    cells = cells_by_key(status_json(home))
    for day, (name, reason) in ABSORBED.items():
        assert cells[("ticket_fact", day)]["consumable"], name
        evidence = json.loads(Path(cells[("ticket_fact", day)]["evidence"]).read_text())
        if reason:
            assert reason in evidence["inputs"][0]["reason_codes"], name
            # ... and on the landing cell of the day, which stays consumable (a warning)
            landing = cells[("ticket_events", day)]
            assert reason in landing["reasons"] and landing["consumable"], name
    dedup = json.loads(Path(cells[("ticket_fact", "2026-11-01")]["evidence"]).read_text())
    assert dedup["reconciliation"][0]["duplicates_dropped"] > 0


def test_unknown_agent_warns_without_blocking(tmp_path):
    home = tmp_path / "home"
    factory(
        home,
        "generate",
        "--start",
        WEEK[0],
        "--days",
        "1",
        "--tickets-per-day",
        "100",
        "--faults",
        "unknown_agent",
    )
    factory(home, "run", "--partition", WEEK[0])
    cell = cells_by_key(status_json(home))[("ticket_fact", WEEK[0])]
    assert cell["consumable"] and cell["checks"]["warnings"]
    assert _plan(home, expect=0) == []


def test_missing_file_is_replayed_after_the_export_is_fixed(tmp_path):
    home = tmp_path / "home"
    factory(
        home,
        "generate",
        "--start",
        WEEK[0],
        "--days",
        "2",
        "--tickets-per-day",
        "100",
        "--faults",
        "missing_file@2026-11-02",
    )
    factory(home, "run", "--start", WEEK[0], "--end", WEEK[1], expect=3)
    (item,) = _plan(home)
    # the export is still the broken one: wait for another (a replay would fail again)
    assert (item["action"], item["start"], item["reasons"]) == (
        "await_export",
        WEEK[1],
        ["MANIFEST_FILE_MISSING"],
    )
    assert item["command"] is None
    factory(
        home,
        "generate",
        "--start",
        WEEK[1],
        "--days",
        "1",
        "--tickets-per-day",
        "100",
        "--export-version",
        "2",
    )
    (item,) = _plan(home)
    assert (item["action"], item["start"]) == ("replay", WEEK[1])  # the manifest changed
    factory(home, "plan", "--apply")
    assert _plan(home, expect=0) == []
    assert cells_by_key(status_json(home))[("ticket_kpi_daily", WEEK[1])]["consumable"]


def test_a_transient_build_error_is_retried(tmp_path):
    home = tmp_path / "home"
    factory(home, "generate", "--start", WEEK[0], "--days", "1", "--tickets-per-day", "100")
    factory(home, "ingest", "--partition", WEEK[0])
    warehouse = str(home / "warehouse.duckdb")
    with duckdb.connect(warehouse) as connection:  # the source table briefly unavailable
        connection.execute("alter table raw.ticket_events rename to ticket_events_moved")
    factory(home, "build", "--partition", WEEK[0], expect=1)
    (item,) = _plan(home)
    assert item["action"] == "retry" and item["command"].startswith("factory retry r")
    assert "BUILD_ERROR" in item["reasons"]
    with duckdb.connect(warehouse) as connection:  # the transient problem is gone
        connection.execute("alter table raw.ticket_events_moved rename to ticket_events")
    factory(home, "plan", "--apply")
    assert _plan(home, expect=0) == []


def test_a_changed_day_of_the_carried_backlog_is_rebuilt_in_order(
    clean_home, tmp_path, monkeypatch
):
    """ticket_open_daily carries day D - 1 into day D. A corrected day 3 that
    solves an open ticket makes every later open set and KPI day stale; the
    plan rebuilds them, the open sets before the KPIs, oldest day first,
    and the backlog is then what the whole history says."""
    home = copy_home(clean_home, tmp_path / "home")
    monkeypatch.setenv("FACTORY_HOME", str(home))
    solve_one_open_ticket(home, WEEK[2])
    factory(home, "run", "--partition", WEEK[2])
    grid = cells_by_key(status_json(home))
    for day in WEEK[3:]:
        assert grid[("ticket_open_daily", day)]["status"] == "stale", day
        assert not grid[("ticket_kpi_daily", day)]["consumable"], day
    assert grid[("ticket_open_daily", WEEK[2])]["consumable"]
    steps = [(i["action"], i["asset"], i["start"], i["end"]) for i in _plan(home)]
    assert steps == [
        ("backfill", "ticket_open_daily", WEEK[3], WEEK[-1]),
        ("backfill", "ticket_kpi_daily", WEEK[3], WEEK[-1]),
    ]
    factory(home, "plan", "--apply")
    assert _plan(home, expect=0) == []
    assert all(cell["consumable"] for cell in status_json(home))
    found, expected = backlog_by_day(home)
    assert found == expected


def test_a_replay_rebuilds_every_later_day_of_the_carried_backlog(
    clean_home, tmp_path, monkeypatch
):
    home = copy_home(clean_home, tmp_path / "home")
    monkeypatch.setenv("FACTORY_HOME", str(home))
    solve_one_open_ticket(home, WEEK[2])
    result = factory(home, "replay", "--partition", WEEK[2])
    assert f"downstream [4/4] {WEEK[-1]}: ticket_kpi_daily, ticket_open_daily" in result.stderr
    assert all(cell["consumable"] for cell in status_json(home))
    found, expected = backlog_by_day(home)
    assert found == expected
