"""Ingest: manifest verification, rejection with reasons, idempotent replace."""

from __future__ import annotations

import json

import duckdb
from conftest import event, write_export

from data_factory.core.errors import EXIT_INPUT_REJECTED

DAY = "2026-11-01"


def _rows(paths, sql, params=()):
    connection = duckdb.connect(str(paths.warehouse), read_only=True)
    try:
        return connection.execute(sql, list(params)).fetchall()
    finally:
        connection.close()


def _mixed_export(paths):
    lines = [
        event(event_id="e1"),
        event(event_id="e1"),  # re-sent duplicate: landed, dropped later by staging
        "{not json",
        event(event_id="e3", ticket_id=None),
        json.dumps(
            {k: v for k, v in json.loads(event(event_id="e4")).items() if k != "event_type"}
        ),
        event(event_id="e5", priority=3),
        event(event_id="e6", event_at="yesterday"),
        event(event_id="e7", event_at="2026-11-02T00:00:00Z"),
        "",
        event(event_id="e9", sentiment_score=0.4),
    ] + [event(event_id=f"ok{n}") for n in range(200)]
    return write_export(paths, DAY, lines)


def test_every_line_is_landed_or_rejected_with_its_reason(cli, paths):
    _mixed_export(paths)
    result = cli("ingest", "--partition", DAY, "--format", "json")
    report = json.loads(result.stdout)["ingested"][0]
    assert report["manifest_lines"] == 210
    assert report["landed_rows"] + report["rejected_rows"] == 210
    assert report["rejected_by_reason"] == {
        "MALFORMED_JSON": 2,  # the broken object and the empty line
        "MISSING_REQUIRED_FIELD": 2,
        "INVALID_TYPE": 2,
        "EVENT_OUTSIDE_PARTITION": 1,
    }
    assert report["unknown_fields"] == ["sentiment_score"]
    assert "SCHEMA_DRIFT" in report["reason_codes"]

    rejected = _rows(
        paths,
        "select source_line, reason_code, reason_detail, raw_line "
        "from raw.ticket_events_rejected order by source_line",
    )
    assert [r[0] for r in rejected] == [3, 4, 5, 6, 7, 8, 9]
    assert rejected[0][3] == "{not json"
    assert "ticket_id" in rejected[1][2]
    assert "event_type" in rejected[2][2]
    assert "priority is a number" in rejected[3][2]
    assert "yesterday" in rejected[4][2]
    assert "2026-11-02" in rejected[5][2]
    assert rejected[6][2] == "empty line"

    landed = _rows(
        paths,
        "select source_file, source_line, manifest_sha256, ingest_run_id "
        "from raw.ticket_events where event_id = 'e1' order by source_line",
    )
    assert [(f, n) for f, n, _, _ in landed] == [("events-0001.jsonl", 1), ("events-0001.jsonl", 2)]
    assert all(len(sha) == 64 and run for _, _, sha, run in landed)


def test_reingesting_a_day_replaces_it_without_duplicates(cli, paths):
    _mixed_export(paths)
    cli("ingest", "--partition", DAY)
    first = _rows(paths, "select count(*) from raw.ticket_events")[0][0]
    cli("ingest", "--partition", DAY)
    assert _rows(paths, "select count(*) from raw.ticket_events")[0][0] == first
    assert _rows(paths, "select count(*) from raw.ticket_events_rejected")[0][0] == 7
    assert _rows(paths, "select count(*) from raw.landing_manifests")[0][0] == 1


def test_a_corrected_smaller_export_leaves_nothing_stale(cli, paths):
    _mixed_export(paths)
    cli("ingest", "--partition", DAY)
    write_export(paths, DAY, [event(event_id="only")], export_version=2)
    cli("ingest", "--partition", DAY)
    assert _rows(paths, "select event_id, export_version from raw.ticket_events") == [("only", 2)]
    assert _rows(paths, "select count(*) from raw.ticket_events_rejected")[0][0] == 0


def test_checksum_mismatch_stops_the_day_and_keeps_previous_data(cli, paths):
    directory = write_export(paths, DAY, [event(event_id=f"e{n}") for n in range(5)])
    cli("ingest", "--partition", DAY)
    with open(directory / "events-0001.jsonl", "a") as handle:
        handle.write(event(event_id="sneaked-in") + "\n")
    result = cli("ingest", "--partition", DAY, expect=EXIT_INPUT_REJECTED)
    assert "MANIFEST_CHECKSUM_MISMATCH" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert _rows(paths, "select count(*) from raw.ticket_events")[0][0] == 5


def test_missing_file_and_missing_landing_are_clear_errors(cli, paths):
    directory = write_export(paths, DAY, [event()])
    (directory / "events-0001.jsonl").unlink()
    result = cli("ingest", "--partition", DAY, expect=EXIT_INPUT_REJECTED)
    assert "MANIFEST_FILE_MISSING" in result.stderr
    result = cli("ingest", "--partition", "2026-11-09", expect=EXIT_INPUT_REJECTED)
    assert "LANDING_MISSING" in result.stderr


def test_bad_partition_is_refused_before_anything_runs(cli, paths):
    for bad in ("2026-02-30", "2026-11-1", "2026-11-03'; drop table x; --", "yesterday"):
        result = cli("ingest", "--partition", bad, expect=2)
        assert "YYYY-MM-DD" in result.stderr or "calendar day" in result.stderr
    assert not paths.warehouse.exists()


def test_rejections_over_threshold_fail_the_landing(cli, paths):
    write_export(paths, DAY, [event(event_id=f"e{n}") for n in range(10)] + ["garbage"] * 2)
    result = cli("ingest", "--partition", DAY, "--format", "json", expect=1)
    report = json.loads(result.stdout)["ingested"][0]
    assert report["status"] == "failed"
    assert "REJECTED_ROWS_OVER_THRESHOLD" in report["reason_codes"]
    # nothing is lost: the rejected lines are kept with their reason
    assert _rows(paths, "select count(*) from raw.ticket_events_rejected")[0][0] == 2


def test_a_range_lands_each_good_day_and_refuses_only_the_corrupt_one(cli, paths):
    days = ["2026-11-01", "2026-11-02", "2026-11-03"]
    for number, day in enumerate(days):
        write_export(
            paths,
            day,
            [event(event_id=f"{day}-{n}", event_at=f"{day}T10:00:00Z") for n in range(20 + number)],
        )
    cli("ingest", "--start", days[0], "--end", days[-1])
    # day 2 changes after its manifest was written; day 3 gains a field
    with open(paths.tickets_partition_dir(days[1]) / "events-0001.jsonl", "a") as handle:
        handle.write(event(event_id="sneaked-in", event_at=f"{days[1]}T11:00:00Z") + "\n")
    write_export(
        paths,
        days[2],
        [event(event_id="drift", event_at=f"{days[2]}T10:00:00Z", sentiment_score=0.1), "{broken"],
    )
    result = cli(
        "ingest",
        "--start",
        days[0],
        "--end",
        days[-1],
        "--format",
        "json",
        expect=EXIT_INPUT_REJECTED,
    )
    document = json.loads(result.stdout)
    assert [r["partition"] for r in document["refused"]] == [days[1]]
    assert document["refused"][0]["reason_code"] == "MANIFEST_CHECKSUM_MISMATCH"
    by_day = {r["partition"]: r for r in document["ingested"]}
    assert (by_day[days[0]]["landed_rows"], by_day[days[0]]["unknown_fields"]) == (20, [])
    assert (by_day[days[2]]["landed_rows"], by_day[days[2]]["rejected_rows"]) == (1, 1)
    assert by_day[days[2]]["unknown_fields"] == ["sentiment_score"]
    assert _rows(
        paths,
        "select cast(partition_date as varchar), count(*) from raw.ticket_events "
        "group by 1 order by 1",
    ) == [(days[0], 20), (days[1], 21), (days[2], 1)]
    assert _rows(
        paths,
        "select cast(partition_date as varchar), source_line, reason_code "
        "from raw.ticket_events_rejected",
    ) == [(days[2], 2, "MALFORMED_JSON")]
