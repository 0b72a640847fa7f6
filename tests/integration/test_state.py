"""Asset state: the grid a newcomer reads to know what can be trusted, derived
from evidence only, rebuilt from it, readable during a run."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from browser_support import headless, require_chromium, screenshot
from test_state_support import (
    WEEK,
    cells_by_key,
    copy_home,
    correct_one_event,
    evidence_documents,
    factory,
    remove_state,
    rewrite_evidence,
    status_json,
)

from data_factory.core.errors import EXIT_BLOCKED, EXIT_INPUT_REJECTED
from data_factory.core.paths import PROJECT_DIR
from data_factory.core.reasons import REASON_CODES
from data_factory.evidence.store import SCHEMA_PATH

RUNBOOK = PROJECT_DIR / "runbooks" / "statuses-and-reasons.md"
STATUSES = ("materialized", "failed", "missing", "stale", "blocked", "skipped", "not_available")
PARTITIONED = (
    "ticket_events",
    "stg_helpdesk__ticket_events",
    "ticket_fact",
    "ticket_open_daily",
    "ticket_kpi_daily",
)
SEEDS = ("agents", "customers", "sla_policies", "categories")


@pytest.fixture
def home(clean_home, tmp_path, monkeypatch) -> Path:
    """A private copy of the clean week, for a scenario to change."""
    copied = copy_home(clean_home, tmp_path / "home")
    monkeypatch.setenv("FACTORY_HOME", str(copied))
    return copied


@pytest.fixture(scope="module")
def replayed_home(clean_home, tmp_path_factory) -> Path:
    """The clean week, then day 3 corrected (one event changed) and run
    again (re-ingested and rebuilt)."""
    home = copy_home(clean_home, tmp_path_factory.mktemp("replayed") / "home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FACTORY_HOME", str(home))
        correct_one_event(home, "2026-11-03")
        factory(home, "run", "--partition", "2026-11-03")
    return home


# --------------------------------------------------------------------------
# the grid


def test_clean_week_every_cell_is_materialized_and_consumable(clean_home):
    cells = status_json(clean_home)
    grid = cells_by_key(cells)
    for asset in PARTITIONED:
        for day in WEEK:
            cell = grid[(asset, day)]
            assert (cell["status"], cell["consumable"]) == ("materialized", True), cell
            assert cell["checks"]["blocking"] == []
            assert cell["evidence"] and Path(cell["evidence"]).exists()
            assert cell["run_id"] in cell["evidence"]
    for seed in SEEDS:
        assert grid[(seed, None)]["status"] == "materialized"
    fact = grid[("ticket_fact", "2026-11-02")]
    assert fact["rows"] > 0
    assert fact["checks"]["passed"] >= 10 and fact["checks"]["failed"] == 0
    assert set(cells[0]) >= {
        "asset",
        "partition",
        "status",
        "checks",
        "consumable",
        "run_id",
        "evidence",
        "reasons",
    }
    assert {c["partition"] for c in cells} == set(WEEK) | {None}


def test_status_table_shows_one_glyph_per_day_and_a_legend(clean_home):
    table = factory(clean_home, "status").stdout
    row = next(line for line in table.splitlines() if line.startswith("ticket_fact"))
    assert "■■■■■■■" in row and "7/7 consumable" in row
    # a week of history: no KPI day's 30-day window is complete, a warning on each
    row = next(line for line in table.splitlines() if line.startswith("ticket_kpi_daily"))
    assert "~~~~~~~" in row and "7/7 consumable" in row
    assert "⇒ ticket_chunking_job" in table and "7/7 released" in table
    assert "legend: ■ materialized and consumable" in table
    assert "runbooks/statuses-and-reasons.md" in table
    only_fact = factory(
        clean_home, "status", "--asset", "ticket_fact", "--since", "2026-11-05", "--format", "json"
    ).stdout
    assert {(c["asset"], c["partition"]) for c in json.loads(only_fact)} == {
        ("ticket_fact", day) for day in WEEK[4:]
    }


# --------------------------------------------------------------------------
# stale, skipped


def test_running_an_unchanged_day_again_leaves_its_readers_fresh(home):
    """Day 3 re-ingested and rebuilt from the same export: the same content
    (fingerprint), so the KPI days reading it stay fresh and released."""
    factory(home, "run", "--partition", "2026-11-03")
    grid = cells_by_key(status_json(home))
    for day in WEEK:
        assert grid[("ticket_kpi_daily", day)]["status"] == "materialized", day
        assert grid[("ticket_kpi_daily", day)]["consumable"], day
    for day in WEEK[3:]:
        factory(home, "gate", "retrieval_index", "--partition", day)


def test_replaying_a_changed_day_3_makes_exactly_the_kpi_days_reading_it_stale(replayed_home):
    grid = cells_by_key(status_json(replayed_home))
    for day in WEEK:
        assert grid[("ticket_fact", day)]["consumable"], day
    for day in WEEK[:3]:  # 11-01, 11-02 do not read 11-03; 11-03 was rebuilt with it
        assert grid[("ticket_kpi_daily", day)]["status"] == "materialized", day
    for day in WEEK[3:]:
        kpi = grid[("ticket_kpi_daily", day)]
        assert kpi["status"] == "stale" and not kpi["consumable"], day
        assert kpi["reasons"] == ["CHECK_WARNED", "STALE_UPSTREAM_REBUILT"]  # warned: window
        stale = [d for d in kpi["reason_details"] if d["code"] == "STALE_UPSTREAM_REBUILT"]
        assert any("ticket_fact 2026-11-03" in d["text"] and "rebuilt" in d["text"] for d in stale)
    table = factory(replayed_home, "status", "--asset", "ticket_kpi_daily").stdout
    assert "~~~SSSS" in table


def test_building_the_stale_days_clears_them_and_skipped_assets_keep_their_state(
    replayed_home, tmp_path, monkeypatch
):
    home = copy_home(replayed_home, tmp_path / "home")
    monkeypatch.setenv("FACTORY_HOME", str(home))
    before = cells_by_key(status_json(home))
    factory(
        home,
        "build",
        "--start",
        "2026-11-04",
        "--end",
        "2026-11-07",
        "--select",
        "ticket_kpi_daily",
    )
    after = cells_by_key(status_json(home))
    for day in WEEK:
        assert after[("ticket_kpi_daily", day)]["consumable"], day
        # not selected: recorded as skipped, so the earlier state stands
        assert after[("ticket_fact", day)]["run_id"] == before[("ticket_fact", day)]["run_id"]
        assert after[("ticket_fact", day)]["consumable"]
    last = evidence_documents(home)[-1][1]
    fact_entry = next(a for a in last["assets"] if a["asset"] == "ticket_fact")
    assert fact_entry["status"] == "skipped"


def test_the_window_is_the_lookback_the_run_used(replayed_home, tmp_path, monkeypatch):
    """With kpi_lookback_days = 1 recorded by the runs, only KPI day 4 reads
    the replayed day 3."""
    home = copy_home(replayed_home, tmp_path / "home")
    monkeypatch.setenv("FACTORY_HOME", str(home))
    for path, document in evidence_documents(home):
        document["invocation"]["vars"]["kpi_lookback_days"] = 1
        rewrite_evidence(path, document)
    factory(home, "state", "rebuild")
    grid = cells_by_key(status_json(home))
    stale = [day for day in WEEK if grid[("ticket_kpi_daily", day)]["status"] == "stale"]
    assert stale == ["2026-11-04"]
    assert grid[("ticket_kpi_daily", "2026-11-04")]["reads_window_days"] == 1


def test_a_changed_model_or_seed_checksum_makes_earlier_days_stale(home):
    path, document = evidence_documents(home)[-1]  # the run of 2026-11-07
    assert document["partitions"] == ["2026-11-07"]
    new_code, new_seed = "c0de" * 16, "5eed" * 16
    for entry in document["assets"]:
        if entry["asset"] == "ticket_fact":
            entry["checksum"] = new_code
        if entry["asset"] == "customers":
            entry["checksum"] = new_seed
    document["code"]["node_checksums"]["model.ticket_factory.ticket_fact"] = new_code
    document["code"]["node_checksums"]["seed.ticket_factory.customers"] = new_seed
    rewrite_evidence(path, document)
    factory(home, "state", "rebuild")
    grid = cells_by_key(status_json(home))
    for day in WEEK[:-1]:
        fact = grid[("ticket_fact", day)]
        assert fact["status"] == "stale", day
        assert fact["reasons"] == ["STALE_CODE_CHANGED", "STALE_UPSTREAM_CHANGED"]
        assert any("customers changed" in d["text"] for d in fact["reason_details"])
        # the KPI code did not change and the fact days were not rebuilt: not stale,
        # but it reads stale fact days, so it is blocked until they are rebuilt
        kpi = grid[("ticket_kpi_daily", day)]
        assert kpi["status"] == "blocked", day
        assert set(kpi["reasons"]) - {"CHECK_WARNED"} == {"UPSTREAM_NOT_CONSUMABLE"}, day
    assert grid[("ticket_fact", "2026-11-07")]["consumable"]
    seed_entry = next(a for a in document["assets"] if a["asset"] == "customers")
    if seed_entry["status"] == "materialized":  # reloaded by that run: it is current
        assert grid[("customers", None)]["status"] == "materialized"
    else:  # changed, but not reloaded since: the seed itself is stale
        assert grid[("customers", None)]["reasons"] == ["STALE_CODE_CHANGED"]


# --------------------------------------------------------------------------
# the store: only from written evidence, rebuildable, readable during writes


def test_rebuild_from_evidence_gives_identical_status_and_skips_invalid_files(
    replayed_home, tmp_path, monkeypatch
):
    home = copy_home(replayed_home, tmp_path / "home")
    monkeypatch.setenv("FACTORY_HOME", str(home))
    before = factory(home, "status", "--format", "json").stdout
    remove_state(home)
    missing = factory(home, "status", expect=EXIT_INPUT_REJECTED)
    assert "STATE_MISSING" in missing.stderr and "factory state rebuild" in missing.stderr

    evidence = home / "evidence"
    (evidence / "not-evidence.json").write_text('{"hello": "world"}')
    _source, document = evidence_documents(home)[-1]
    document["run_id"] = "r-tampered-copy"
    for entry in document["assets"]:
        entry["rows"] = 999_999 if entry["rows"] is not None else None
    (evidence / "r-tampered-copy.json").write_text(json.dumps(document))  # old sha256 kept
    result = factory(home, "state", "rebuild")
    assert "not-evidence.json is invalid" in result.stderr
    assert "r-tampered-copy.json is invalid" in result.stderr
    assert "EVIDENCE_HASH_MISMATCH" in result.stderr
    assert "2 file(s) refused" in result.stdout
    after = factory(home, "status", "--format", "json").stdout
    assert after == before
    assert "999999" not in after


def test_a_cell_whose_evidence_was_edited_is_no_longer_consumable(home):
    grid = cells_by_key(status_json(home))
    path = Path(grid[("ticket_fact", "2026-11-02")]["evidence"])
    document = json.loads(path.read_text())
    document["assets"][0]["rows"] = 1
    path.write_text(json.dumps(document))
    fact = cells_by_key(status_json(home))[("ticket_fact", "2026-11-02")]
    assert not fact["consumable"]
    assert "EVIDENCE_HASH_MISMATCH" in fact["reasons"]
    assert "?" in factory(home, "status", "--asset", "ticket_fact").stdout
    factory(home, "gate", "ticket_chunking_job", "--partition", "2026-11-02", expect=EXIT_BLOCKED)


def test_a_crash_between_build_and_evidence_never_marks_a_day_materialized(home, monkeypatch):
    factory(home, "generate", "--start", "2026-11-08", "--days", "1", "--tickets-per-day", "100")
    written_before = sorted((home / "evidence").glob("*.json"))

    def crash(*args, **kwargs):
        raise OSError("disk full: the evidence could not be written")

    monkeypatch.setattr("data_factory.runs.build.write_evidence", crash)
    from click.testing import CliRunner

    from data_factory.cli.main import main

    result = CliRunner().invoke(main, ["--home", str(home), "run", "--partition", "2026-11-08"])
    assert result.exit_code != 0
    assert sorted((home / "evidence").glob("*.json")) == written_before
    # the build's intent stands in for the evidence: failed, never materialized
    for cells in (status_json(home), (factory(home, "state", "rebuild"), status_json(home))[1]):
        day = [c for c in cells if c["partition"] == "2026-11-08"]
        assert day and not [c for c in day if c["status"] == "materialized" or c["consumable"]]
        fact = next(c for c in day if c["asset"] == "ticket_fact")
        assert (fact["status"], fact["reasons"]) == ("failed", ["EVIDENCE_NOT_WRITTEN"])


HOLD_WRITE_LOCK = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("begin exclusive")  # without WAL this would lock readers out
connection.execute("delete from asset_state")
print("holding", flush=True)
time.sleep(30)
"""


def test_status_reads_while_a_writer_holds_the_store(home):
    expected = status_json(home)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_WRITE_LOCK, str(home / "state.sqlite")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        started = time.monotonic()
        assert status_json(home) == expected  # the uncommitted delete is invisible
        assert time.monotonic() - started < 3
    finally:
        holder.kill()
        holder.wait()


# --------------------------------------------------------------------------
# the HTML page


@pytest.fixture(scope="module")
def faulty_page(clean_home, tmp_path_factory) -> tuple[Path, Path]:
    """The clean week with day 3 corrected and replayed, as an HTML page."""
    home = copy_home(clean_home, tmp_path_factory.mktemp("html") / "home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FACTORY_HOME", str(home))
        correct_one_event(home, "2026-11-03")
        factory(home, "run", "--partition", "2026-11-03")
        page = home / "status.html"
        factory(home, "status", "--format", "html", "--out", str(page))
    return home, page


def test_html_page_is_self_contained_with_a_bar_per_asset(faulty_page):
    _, page = faulty_page
    text = page.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert "@import" not in text and "url(" not in text
    for asset in PARTITIONED:
        assert f'data-key="{asset}@2026-11-01"' in text
    assert text.count('data-key="ticket_kpi_daily@') == len(WEEK)
    assert 'id="grid-data"' in text


def test_clicking_a_cell_shows_its_evidence_summary(faulty_page, tmp_path):
    require_chromium()
    home, page = faulty_page
    cell = cells_by_key(status_json(home))[("ticket_kpi_daily", "2026-11-05")]
    result = headless(
        "--virtual-time-budget=3000",
        "--dump-dom",
        page.as_uri() + "#ticket_kpi_daily@2026-11-05",
        profile=tmp_path / "profile",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    details = dom.split('id="details"', 1)[1].split("</aside>", 1)[0]
    assert "ticket_kpi_daily · 2026-11-05" in details
    assert "STALE_UPSTREAM_REBUILT" in details and "ticket_fact 2026-11-03" in details
    assert cell["run_id"] in details and cell["evidence"] in details
    (selected,) = re.findall(
        r'<button class="([^"]*)"[^>]*data-key="ticket_kpi_daily@2026-11-05"', dom
    )
    assert "sel" in selected.split()

    screenshot(
        page.as_uri() + "#ticket_fact@2026-11-03",
        tmp_path / "status.png",
        size="1500,700",
        budget_ms=3000,
        profile=tmp_path / "profile2",
    )


# --------------------------------------------------------------------------
# the words


def test_runbook_explains_every_status_and_reason_code():
    text = RUNBOOK.read_text()
    unexplained = [code for code in REASON_CODES if f"`{code}`" not in text]
    assert unexplained == []
    for status in STATUSES:
        assert f"`{status}`" in text, status
    for check_status in ("passed", "warned", "failed", "errored", "not_run"):
        assert f"`{check_status}`" in text
    from data_factory.decisions.audit import RISKS

    assert [risk for risk in RISKS if f"`{risk}`" not in text] == []


def test_schema_lists_exactly_the_reason_codes():
    schema = json.loads(SCHEMA_PATH.read_text())
    assert schema["$defs"]["reason_code"]["enum"] == sorted(REASON_CODES)


# --------------------------------------------------------------------------
# audit


def test_audit_lists_landing_gaps_unbuilt_days_and_project_risks(home):
    factory(home, "generate", "--start", "2026-11-09", "--days", "1", "--tickets-per-day", "10")
    result = factory(home, "audit", "--format", "json", expect=EXIT_BLOCKED)
    report = json.loads(result.stdout)
    found = {(f["risk"], f["subject"]): f for f in report["findings"]}
    assert found[("landing_gap", "landing/tickets")]["partitions"] == ["2026-11-08"]
    assert found[("landed_not_built", "landing/tickets")]["partitions"] == ["2026-11-09"]
    assert found[("partitions_without_evidence", "ticket_fact")]["partitions"] == [
        "2026-11-08",
        "2026-11-09",
    ]
    for seed in SEEDS:
        assert found[("asset_without_partition_config", seed)]["expected"] is True
    assert ("source_without_freshness", "ticket_events_rejected") in found
    assert ("asset_without_error_checks", "ticket_events_rejected") in found
    assert not [k for k in found if k[0] == "consumer_without_owner"]
    assert report["risks"] == len(
        [f for f in report["findings"] if not f["expected"] and f["accepted"] is None]
    )
    table = factory(home, "audit", expect=EXIT_BLOCKED).stdout
    assert "landing_gap" in table and "(expected)" in table


def test_a_damaged_state_store_is_reported_and_rebuilt(home):
    before = factory(home, "status", "--format", "json").stdout
    remove_state(home)
    (home / "state.sqlite").write_bytes(b"this is not a database" * 100)
    result = factory(home, "status", expect=EXIT_INPUT_REJECTED)
    assert "STATE_UNREADABLE" in result.stderr and "factory state rebuild" in result.stderr
    assert "is damaged" in factory(home, "state", "rebuild").stderr
    assert factory(home, "status", "--format", "json").stdout == before
