"""Backfill: resumable after a kill, identical tables, chunks with per-day evidence."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
from test_state_support import WEEK, cells_by_key, factory, status_json

FACTORY = [sys.executable, "-m", "data_factory.cli"]


def _tables(home: Path) -> dict:
    connection = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        per_day = dict(
            connection.execute(
                "select cast(event_date as varchar), count(*) from marts.ticket_fact group by 1"
            ).fetchall()
        )
        duplicates = connection.execute(
            "select count(*) - count(distinct event_id) from marts.ticket_fact"
        ).fetchone()[0]
        landed = dict(
            connection.execute(
                "select cast(partition_date as varchar), count(distinct event_id) "
                "from raw.ticket_events group by 1"
            ).fetchall()
        )
        kpi_days = connection.execute(
            "select count(*), count(distinct kpi_date) from marts.ticket_kpi_daily"
        ).fetchone()
    finally:
        connection.close()
    return {"per_day": per_day, "duplicates": duplicates, "landed": landed, "kpi": kpi_days}


def _backfill_runs(home: Path) -> list[dict]:
    runs = []
    for path in (home / "evidence").glob("*.json"):
        try:
            document = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue  # being written right now
        if (
            document.get("kind") == "factory_run"
            and document["invocation"]["command"] == "backfill"
        ):
            runs.append(document)
    return runs


def _landed_home(tmp_path: Path, name: str) -> Path:
    home = tmp_path / name
    factory(home, "generate", "--start", WEEK[0], "--days", "7", "--tickets-per-day", "100")
    factory(home, "ingest", "--start", WEEK[0], "--end", WEEK[-1])
    return home


def test_killed_backfill_resumes_to_the_same_tables(tmp_path):
    home = _landed_home(tmp_path, "killed")
    env = {**os.environ, "FACTORY_HOME": str(home)}
    command = [*FACTORY, "backfill", "--start", WEEK[0], "--end", WEEK[-1]]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 300
    while len(_backfill_runs(home)) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    built_before_kill = len(_backfill_runs(home))
    assert 3 <= built_before_kill < 7, "the kill must land in the middle of the backfill"

    resumed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming" in resumed.stderr
    # the resumed run did not redo the finished days (at most the one in flight)
    assert len(_backfill_runs(home)) <= 7 + 1

    tables = _tables(home)
    assert tables["duplicates"] == 0
    assert tables["per_day"] == tables["landed"]
    assert tables["kpi"] == (7, 7)
    cells = cells_by_key(status_json(home))
    assert all(
        cells[(a, d)]["consumable"] for a in ("ticket_fact", "ticket_kpi_daily") for d in WEEK
    )

    reference = _landed_home(tmp_path, "reference")
    factory(reference, "backfill", "--start", WEEK[0], "--end", WEEK[-1])
    assert _tables(reference) == tables


def test_chunked_backfill_writes_evidence_per_day(tmp_path):
    home = _landed_home(tmp_path, "chunked")
    factory(home, "backfill", "--start", WEEK[0], "--end", WEEK[-1], "--chunk-days", "7")
    runs = _backfill_runs(home)
    assert sorted(r["partitions"][0] for r in runs) == WEEK
    for run in runs:
        day = run["partitions"][0]
        fact = next(a for a in run["assets"] if a["asset"] == "ticket_fact")
        assert fact["partition"] == day and fact["status"] == "materialized" and fact["rows"] > 0
        assert run["reconciliation"][0]["balanced"]
        assert run["invocation"]["vars"] == {"partition_start": WEEK[0], "partition_end": WEEK[-1]}
    assert _tables(home)["per_day"] == _tables(home)["landed"]


def test_chunk_with_a_failing_day_pins_the_failure_to_that_day(tmp_path):
    home = tmp_path / "faulty"
    factory(
        home,
        "generate",
        "--start",
        WEEK[0],
        "--days",
        "4",
        "--tickets-per-day",
        "100",
        "--faults",
        "bad_enum@2026-11-03",
    )
    factory(home, "ingest", "--start", WEEK[0], "--end", WEEK[3])
    result = factory(
        home, "backfill", "--start", WEEK[0], "--end", WEEK[3], "--chunk-days", "4", expect=1
    )
    assert "rebuilding its days one by one" in result.stderr
    cells = cells_by_key(status_json(home))
    assert cells[("ticket_fact", "2026-11-03")]["checks"]["blocking"]
    assert cells[("ticket_kpi_daily", "2026-11-03")]["status"] == "blocked"
    assert cells[("ticket_fact", "2026-11-02")]["consumable"]
    assert cells[("ticket_fact", "2026-11-04")]["consumable"]  # the failure is pinned to 11-03
    # ... and the KPI day whose window reads 11-03 is built, but not consumable
    kpi = cells[("ticket_kpi_daily", "2026-11-04")]
    assert (kpi["status"], kpi["reasons"]) == (
        "blocked",
        ["CHECK_WARNED", "UPSTREAM_NOT_CONSUMABLE"],
    )
