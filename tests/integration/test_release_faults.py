"""Release means trusted (issue 10, findings 1, 2, 7, 8 and 9): a gate that
broken windows, missing exports, refused ingests, stray landing folders and
unbounded ranges cannot fool. Each case was reproduced on the code before
this change (the gate released, or the planner proposed the wrong action)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from test_state_support import (
    WEEK,
    cells_by_key,
    copy_home,
    evidence_documents,
    factory,
    status_json,
)

from data_factory.core.errors import EXIT_BLOCKED, EXIT_INPUT_REJECTED, EXIT_OK, EXIT_USAGE

BROKEN = "2026-11-03"
LANDING = ("ticket_events", "ticket_events_rejected", "landing_manifests")
SEEDS = ("agents", "categories", "customers", "sla_policies")


@pytest.fixture
def home(clean_home, tmp_path, monkeypatch) -> Path:
    copied = copy_home(clean_home, tmp_path / "home")
    monkeypatch.setenv("FACTORY_HOME", str(copied))
    return copied


def _export(home: Path, day: str, *faults: str, version: int = 2) -> None:
    args = ["generate", "--start", day, "--days", "1", "--tickets-per-day", "100"]
    if faults:
        args += ["--faults", ",".join(f"{fault}@{day}" for fault in faults)]
    factory(home, *args, "--export-version", str(version))


def _gate(home: Path, consumer: str, day: str, expect: int) -> dict:
    result = factory(home, "gate", consumer, "--partition", day, "--format", "json", expect=expect)
    return json.loads(result.stdout)


def _plan(home: Path, *args: str, expect: int = EXIT_BLOCKED):
    result = factory(home, "plan", "--format", "json", *args, expect=expect)
    return json.loads(result.stdout), result.stderr


def _roots(cell: dict) -> list[tuple[str, str, list[str]]]:
    (chain,) = [d for d in cell["reason_details"] if d["code"] == "UPSTREAM_NOT_CONSUMABLE"]
    return [(r["asset"], r["partition"], r["reasons"]) for r in chain["cause"]["roots"]]


# -- finding 1: a day built on a broken window ------------------------------


def test_a_kpi_day_whose_window_reads_a_broken_day_is_never_consumable(home):
    _export(home, BROKEN, "bad_enum")
    factory(home, "run", "--partition", BROKEN, expect=EXIT_BLOCKED)
    # what `plan --apply` did before: rebuild the later KPI days it had made stale
    later = WEEK[WEEK.index(BROKEN) + 1 :]
    factory(home, "build", "--start", later[0], "--end", later[-1], "--select", "ticket_kpi_daily")
    grid = cells_by_key(status_json(home))
    for day in later:
        kpi = grid[("ticket_kpi_daily", day)]
        assert (kpi["status"], kpi["consumable"]) == ("blocked", False), day
        assert kpi["reasons"] == ["CHECK_WARNED", "UPSTREAM_NOT_CONSUMABLE"]  # warned: window
        roots = _roots(kpi)
        assert ("ticket_fact", BROKEN, ["CHECK_FAILED"]) in roots
        # the day's open set carried the broken day's (blocked) open set: stale
        assert {(asset, reasons[0]) for asset, _, reasons in roots} - {
            ("ticket_fact", "CHECK_FAILED")
        } <= {("ticket_open_daily", "STALE_UPSTREAM_REBUILT")}
        (chained,) = [d for d in kpi["reason_details"] if d["code"] == "UPSTREAM_NOT_CONSUMABLE"]
        assert f"root: ticket_fact {BROKEN} is materialized (CHECK_FAILED)" in chained["text"]
    for day in WEEK[: WEEK.index(BROKEN)]:  # days whose window does not reach the broken day
        assert grid[("ticket_kpi_daily", day)]["consumable"], day

    decision = _gate(home, "retrieval_index", later[1], expect=EXIT_BLOCKED)
    (reason,) = decision["reasons"]
    assert (reason["code"], reason["asset"], reason["partition"]) == (
        "UPSTREAM_NOT_CONSUMABLE",
        "ticket_kpi_daily",
        later[1],
    )
    assert f"root: ticket_fact {BROKEN}" in reason["text"]
    assert _gate(home, "ticket_chunking_job", later[1], expect=EXIT_OK)["decision"] == "release"

    items, _ = _plan(home)
    (item,) = items  # one action, on the root; the readers are covered by it
    assert (item["action"], item["asset"], item["start"]) == ("investigate", "ticket_fact", BROKEN)
    assert {f"ticket_kpi_daily@{day}" for day in later} <= set(item["covers"])
    factory(home, "plan", "--apply", expect=EXIT_BLOCKED)  # investigate is never run
    assert not cells_by_key(status_json(home))[("ticket_kpi_daily", later[1])]["consumable"]


# -- finding 2 and 8: a day that was never exported --------------------------


def test_a_day_without_a_landing_is_not_built_and_the_plan_awaits_its_export(home):
    day = "2026-11-08"
    result = factory(home, "build", "--partition", day, expect=EXIT_INPUT_REJECTED)
    assert "LANDING_MISSING" in result.stderr
    grid = cells_by_key(status_json(home))
    for asset in LANDING:
        cell = grid[(asset, day)]
        assert (cell["status"], cell["reasons"]) == ("failed", ["LANDING_MISSING"]), asset
    assert grid[("ticket_fact", day)]["status"] == "blocked"
    assert not grid[("ticket_fact", day)]["consumable"]
    for asset in SEEDS:  # the seeds do not read the landing: untouched
        assert grid[(asset, None)]["consumable"], asset
    for consumer in ("ticket_chunking_job", "retrieval_index"):
        decision = _gate(home, consumer, day, expect=EXIT_BLOCKED)
        assert all(r["asset"] not in SEEDS for r in decision["reasons"])

    items, _ = _plan(home)
    assert [(i["action"], i["asset"], i["start"], i["reasons"]) for i in items] == [
        ("await_export", "ticket_events", day, ["LANDING_MISSING"])
    ]
    assert items[0]["command"] is None and "ticket_fact@2026-11-08" in items[0]["covers"]
    runs_before = len(evidence_documents(home))
    applied = factory(home, "plan", "--apply", expect=EXIT_BLOCKED)
    assert "skipped (await_export)" in applied.stderr
    assert len(evidence_documents(home)) == runs_before  # nothing ran

    _export(home, day, version=1)  # the export arrives
    items, _ = _plan(home)
    assert [(i["action"], i["start"]) for i in items] == [("replay", day)]
    factory(home, "plan", "--apply")
    grid = cells_by_key(status_json(home))
    assert grid[("ticket_fact", day)]["consumable"]
    assert grid[("ticket_fact", day)]["rows"] > 0
    assert _gate(home, "retrieval_index", day, expect=EXIT_OK)["decision"] == "release"


def unwrapped(table: str) -> str:
    """The status table's text with its lines joined: a problem's sentence
    is wrapped at the terminal's width, under a hanging indent."""
    return " ".join(line.strip() for line in table.splitlines())


# -- findings 7 and 8: a refused export, its root cause and its plan ---------


def test_a_refused_export_names_its_reason_on_its_cells_and_only_blocks_its_readers(home):
    day = "2026-11-08"  # a new day whose first export is refused
    _export(home, day, "bad_checksum", version=1)
    factory(home, "run", "--partition", day, expect=EXIT_INPUT_REJECTED)
    grid = cells_by_key(status_json(home))
    for asset in LANDING:
        cell = grid[(asset, day)]
        assert cell["status"] == "failed" and cell["reasons"] == ["MANIFEST_CHECKSUM_MISMATCH"]
        assert "events-0001.jsonl has sha256" in cell["reason_details"][0]["text"]
    for asset in SEEDS:
        assert grid[(asset, None)]["status"] == "materialized", asset
    text = unwrapped(factory(home, "status", "--since", WEEK[0]).stdout)
    assert f"ticket_events, ticket_events_rejected {day}: failed: MANIFEST_CHECKSUM_MISMATCH" in (
        text.replace("landing_manifests, ", "")
    )
    page = home / "status.html"
    factory(home, "status", "--format", "html", "--out", str(page))
    assert "MANIFEST_CHECKSUM_MISMATCH" in page.read_text()

    decision = _gate(home, "ticket_chunking_job", day, expect=EXIT_BLOCKED)
    assert {r["asset"] for r in decision["reasons"]} == {"ticket_fact"}
    assert (
        f"ticket_events {day} is failed (MANIFEST_CHECKSUM_MISMATCH)"
        in (decision["reasons"][0]["text"])
    )

    # retry cannot help an input error
    runs_before = len(evidence_documents(home))
    result = factory(home, "retry", expect=EXIT_INPUT_REJECTED)
    assert "INPUT_NOT_RETRIABLE" in result.stderr
    assert f"factory replay --partition {day}" in result.stderr
    assert len(evidence_documents(home)) == runs_before

    # the same broken export: wait for another; a corrected one: replay it
    items, _ = _plan(home)
    assert [(i["action"], i["start"], i["reasons"]) for i in items] == [
        ("await_export", day, ["MANIFEST_CHECKSUM_MISMATCH"])
    ]
    _export(home, day, version=3)
    items, _ = _plan(home)
    assert [(i["action"], i["start"]) for i in items] == [("replay", day)]
    factory(home, "plan", "--apply")
    assert _plan(home, expect=EXIT_OK)[0] == []


def test_a_refused_later_export_keeps_the_day_and_says_so(home):
    """Finding 6: a refused replay changed nothing, yet blocked the readers."""
    _export(home, BROKEN, "bad_checksum", version=2)
    factory(home, "replay", "--partition", BROKEN, expect=EXIT_INPUT_REJECTED)
    grid = cells_by_key(status_json(home))
    landing = grid[("ticket_events", BROKEN)]
    assert landing["consumable"] and "EXPORT_REFUSED" in landing["reasons"]
    (detail,) = [d for d in landing["reason_details"] if d["code"] == "EXPORT_REFUSED"]
    assert detail["refused_for"] == ["MANIFEST_CHECKSUM_MISMATCH"]
    assert "the day keeps what was landed before" in detail["text"]
    assert grid[("ticket_fact", BROKEN)]["consumable"]
    for day in WEEK[WEEK.index(BROKEN) :]:
        assert _gate(home, "retrieval_index", day, expect=EXIT_OK)["decision"] == "release"


def test_rejected_lines_and_drift_show_as_warnings_with_their_counts(home):
    _export(home, BROKEN, "malformed_lines", "schema_drift")
    factory(home, "run", "--partition", BROKEN)
    (_, document), *_ = [
        item for item in reversed(evidence_documents(home)) if item[1]["partitions"] == [BROKEN]
    ]
    landed = document["inputs"][0]
    assert landed["rejected_rows"] > 0
    cell = cells_by_key(status_json(home))[("ticket_events", BROKEN)]
    assert cell["consumable"] and {"ROWS_REJECTED", "SCHEMA_DRIFT"} <= set(cell["reasons"])
    (rejected,) = [d for d in cell["reason_details"] if d["code"] == "ROWS_REJECTED"]
    assert rejected["rejected"] == landed["rejected_rows"]
    text = factory(home, "status", "--since", WEEK[0]).stdout
    row = next(line for line in text.splitlines() if line.startswith("ticket_events "))
    assert row.split()[1][WEEK.index(BROKEN)] == "~"
    assert f"{landed['rejected_rows']} line(s) rejected and kept" in unwrapped(text)
    assert "unknown fields landed without them" in unwrapped(text)


# -- finding 8: landing folders that are not days of the project -------------


@pytest.mark.parametrize(
    ("folder", "code"),
    [("dt=1900-01-01", "LANDING_OUTSIDE_HISTORY"), ("dt=foo", "LANDING_FOLDER_NOT_A_DAY")],
)
def test_a_stray_landing_folder_is_reported_and_never_planned(home, folder, code):
    stray = home / "landing" / "tickets" / folder
    shutil.copytree(home / "landing" / "tickets" / f"dt={WEEK[0]}", stray)
    items, stderr = _plan(home, expect=EXIT_OK)
    assert items == []
    assert code in stderr and str(stray) in stderr
    applied = factory(home, "plan", "--apply")
    assert "applying" not in applied.stderr


# -- finding 9: unbounded ranges ----------------------------------------------


@pytest.mark.parametrize("command", ["run", "build", "backfill"])
def test_a_range_over_the_limit_is_refused_before_anything_runs(home, command):
    runs_before = len(evidence_documents(home))
    result = factory(
        home, command, "--start", "1900-01-01", "--end", "2100-01-01", expect=EXIT_USAGE
    )
    assert "RANGE_OVER_LIMIT" in result.stderr and "--max-days 73050" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(evidence_documents(home)) == runs_before
    result = factory(
        home,
        command,
        "--start",
        "2026-01-01",
        "--end",
        "2026-12-31",
        "--max-days",
        "30",
        expect=EXIT_USAGE,
    )
    assert "over the limit of 30" in result.stderr
