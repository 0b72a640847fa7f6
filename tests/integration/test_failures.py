"""`factory failures CHECK --partition D`: the rows a check finds on a day,
from its compiled SQL in the day's last build, on a week where the export of
2026-11-03 has a channel outside the accepted values (`fax`, fault bad_enum)
and an agent that does not exist (fault unknown_agent)."""

from __future__ import annotations

import json
import shutil

import pytest
from test_state_support import WEEK, factory

from data_factory.core.errors import EXIT_INPUT_REJECTED, EXIT_OK, EXIT_USAGE
from data_factory.landing.generate.faults import BAD_CHANNEL, UNKNOWN_AGENT_ID

DAY = "2026-11-03"
CHANNEL_CHECK = "accepted_values_ticket_fact_channel__email__chat__phone__web"
AGENT_CHECK = "relationships_ticket_fact_agent_id__agent_id__ref_agents_"


@pytest.fixture(scope="module")
def faulty_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("failures") / "home"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FACTORY_HOME", str(home))
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
            f"bad_enum@{DAY},unknown_agent@{DAY}",
        )
        factory(home, "run", "--start", WEEK[0], "--end", WEEK[3], expect=1)
    return home


def events_of(home, day: str) -> list[dict]:
    folder = home / "landing" / "tickets" / f"dt={day}"
    return [
        json.loads(line)
        for path in sorted(folder.glob("events-*.jsonl"))
        for line in path.read_text().splitlines()
    ]


def test_the_failing_values_of_accepted_values_with_their_count(faulty_home):
    fax = sum(e["channel"] == BAD_CHANNEL for e in events_of(faulty_home, DAY))
    assert fax >= 3
    table = factory(faulty_home, "failures", CHANNEL_CHECK, "--partition", DAY, expect=EXIT_OK)
    assert f"{CHANNEL_CHECK} on {DAY}, ticket_fact; its run recorded failed (1 failing)" in (
        table.stdout
    )
    row = next(line for line in table.stdout.splitlines() if BAD_CHANNEL in line)
    assert str(fax) in row.split()
    assert "1 failing row(s)" in table.stdout

    report = json.loads(
        factory(
            faulty_home, "failures", CHANNEL_CHECK, "--partition", DAY, "--format", "json"
        ).stdout
    )
    assert report["rows"] == [{"value_field": BAD_CHANNEL, "n_records": fax}]
    assert (report["status"], report["recorded_failures"], report["total_rows"]) == ("failed", 1, 1)
    assert report["partition"] == DAY and report["scope"] == {"partition": DAY}
    assert report["sql_path"].endswith(".sql") and report["evidence"].endswith(".json")

    csv = factory(faulty_home, "failures", CHANNEL_CHECK, "--partition", DAY, "--format", "csv")
    assert csv.stdout == f"value_field,n_records\n{BAD_CHANNEL},{fax}\n"


def test_a_check_of_records_lists_them_and_limit_caps_what_is_shown(faulty_home):
    unknown = [e for e in events_of(faulty_home, DAY) if e["agent_id"] == UNKNOWN_AGENT_ID]
    assert len(unknown) >= 3
    report = json.loads(
        factory(faulty_home, "failures", AGENT_CHECK, "--partition", DAY, "--format", "json").stdout
    )
    assert report["total_rows"] == len(unknown)
    assert {r["from_field"] for r in report["rows"]} == {UNKNOWN_AGENT_ID}
    limited = factory(faulty_home, "failures", AGENT_CHECK, "--partition", DAY, "--limit", "2")
    assert f"{len(unknown)} failing row(s), showing the first 2 (--limit)" in limited.stdout
    assert limited.stdout.count(UNKNOWN_AGENT_ID) == 2


def test_a_clean_day_and_a_passing_check_say_there_is_nothing(faulty_home):
    other = factory(faulty_home, "failures", CHANNEL_CHECK, "--partition", WEEK[1])
    assert "its run recorded passed (0 failing)" in other.stdout
    assert "no failing rows" in other.stdout


def test_bad_input_gets_its_message_and_exit_code(faulty_home):
    unknown = factory(
        faulty_home,
        "failures",
        "accepted_values_ticket_fact_chanel",
        "--partition",
        DAY,
        expect=EXIT_USAGE,
    )
    assert "no data test of the dbt project is named" in unknown.stderr
    assert f"did you mean {CHANNEL_CHECK}" in unknown.stderr.replace("\n", "")
    bad_day = factory(
        faulty_home, "failures", CHANNEL_CHECK, "--partition", "2026-11-31", expect=EXIT_USAGE
    )
    assert "INVALID_PARTITION" in bad_day.stderr or "2026-11-31" in bad_day.stderr
    unbuilt = factory(
        faulty_home,
        "failures",
        CHANNEL_CHECK,
        "--partition",
        "2026-11-20",
        expect=EXIT_INPUT_REJECTED,
    )
    assert "PARTITION_MISSING" in unbuilt.stderr and "factory run --partition" in unbuilt.stderr
    # the KPI day is blocked by the failed check: its own checks did not run
    blocked = factory(
        faulty_home,
        "failures",
        "unique_ticket_kpi_daily_kpi_date",
        "--partition",
        DAY,
        expect=EXIT_INPUT_REJECTED,
    )
    assert "CHECK_SQL_MISSING" in blocked.stderr and "did not run" in blocked.stderr
    assert "ticket_kpi_daily is blocked" in blocked.stderr and "factory plan" in blocked.stderr
    for result in (unknown, bad_day, unbuilt, blocked):
        assert "Traceback" not in result.output


def test_a_run_whose_target_directory_is_gone_says_so(faulty_home, tmp_path):
    home = tmp_path / "copy"
    shutil.copytree(faulty_home, home)
    report = json.loads(
        factory(home, "failures", CHANNEL_CHECK, "--partition", DAY, "--format", "json").stdout
    )
    run_dir = next(p for p in (home / "runs").iterdir() if p.name == report["run_id"])
    shutil.rmtree(run_dir)
    gone = factory(home, "failures", CHANNEL_CHECK, "--partition", DAY, expect=EXIT_INPUT_REJECTED)
    assert "CHECK_SQL_MISSING" in gone.stderr and "factory build --partition" in gone.stderr
    assert "Traceback" not in gone.output
