"""Adding a landing source is YAML and a folder under landing/, not Python:
a throwaway CSV export of three fields, declared in a copy of the dbt
project, lands by its contract with the ticket export's guarantees (the
manifest verified, every rejected line kept with its reason, manifest lines =
landed + rejected, each day replaced whole or not at all)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest
from test_state_support import copy_project, factory_in_project

from data_factory.core.paths import FactoryPaths
from data_factory.landing.ingest import ingest_partition
from data_factory.project.contracts import ContractField, LandingContract, LandingSource

DAY = "2026-11-01"
FOLDER = "surveys"

SOURCES_YAML = """
version: 2

sources:
  - name: survey
    description: A throwaway CSV export, declared only here.
    schema: raw
    tables:
      - name: survey_responses
        meta:
          partition_column: partition_date
          landing_folder: surveys
          landing_table: rows
          landing_contract:
            format: csv
            fields:
              - {name: response_id, type: string, required: true}
              - {name: rating, type: string, required: true,
                 accepted_values: [good, bad]}
              - {name: answered_at, type: timestamp, required: true}
            dated_by: {field: answered_at, rule: same_day}
            primary_key: [response_id]
            duplicates: reject
            rejected_share_threshold: 0.75
      - name: survey_responses_rejected
        meta:
          partition_column: partition_date
          landing_folder: surveys
          landing_table: rejected
      - name: survey_landing_manifests
        meta:
          partition_column: partition_date
          landing_folder: surveys
          landing_table: manifests
"""

# (text of the line, what the contract makes of it); the header is line 1
LINES = [
    ("r1,good,2026-11-01T10:00:00Z", None),
    ("r2,bad,2026-11-01T11:00:00.250Z", None),
    ("r3,meh,2026-11-01T12:00:00Z", "VALUE_NOT_ACCEPTED"),
    ("r4,good,2026-10-31T23:00:00Z", "EVENT_OUTSIDE_PARTITION"),
    ("r5,good", "MALFORMED_CSV"),
    (",good,2026-11-01T13:00:00Z", "MISSING_REQUIRED_FIELD"),
    ("r6,bad,yesterday", "INVALID_TYPE"),
    ("r1,bad,2026-11-01T14:00:00Z", "DUPLICATE_KEY"),
    ('r7,"good",2026-11-01T15:00:00Z', None),
]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy of the dbt project with one more source, in YAML only."""
    copy = copy_project(tmp_path_factory.mktemp("project-copy"))
    (copy / "models" / "staging" / "_survey__sources.yml").write_text(SOURCES_YAML)
    return copy


def factory(project: Path, home: Path, *args: str, expect: int = 0) -> str:
    done = factory_in_project(project, home, *args, expect=expect)
    return done.stdout


def write_csv_export(
    home: Path,
    header: str | None,
    lines: list[str],
    version: int,
    folder: str = FOLDER,
    name: str = "responses.csv",
) -> Path:
    """One day of the export: a file and its manifest, which counts the
    file's records (for CSV, its lines after the header)."""
    directory = home / "landing" / folder / f"dt={DAY}"
    directory.mkdir(parents=True, exist_ok=True)
    data = ("\n".join([*([header] if header else []), *lines]) + "\n").encode()
    (directory / name).write_bytes(data)
    manifest = {
        "partition": DAY,
        "export_version": version,
        "files": [
            {
                "name": name,
                "sha256": hashlib.sha256(data).hexdigest(),
                "lines": len(lines),
                "bytes": len(data),
            }
        ],
    }
    (directory / "_manifest.json").write_text(json.dumps(manifest))
    return directory


def query(home: Path, sql: str) -> list[tuple]:
    connection = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def ingest(project: Path, home: Path, expect: int = 0) -> dict:
    out = factory(
        project,
        home,
        "ingest",
        "--source",
        FOLDER,
        "--partition",
        DAY,
        "--format",
        "json",
        expect=expect,
    )
    return json.loads(out)


def test_a_source_declared_in_yaml_lands_by_its_contract(project, tmp_path):
    home = tmp_path / "home"
    write_csv_export(home, "response_id,rating,answered_at", [t for t, _ in LINES], 1)
    (report,) = ingest(project, home)["ingested"]

    expected_rejections = {
        number: code for number, (_, code) in enumerate(LINES, start=2) if code is not None
    }
    assert report["status"] == "landed"
    assert report["manifest_lines"] == len(LINES) == 9
    assert report["landed_rows"] == 3 and report["rejected_rows"] == 6
    assert report["manifest_lines"] == report["landed_rows"] + report["rejected_rows"]
    assert report["distinct_event_ids"] == 3
    assert report["rejected_by_reason"] == dict.fromkeys(expected_rejections.values(), 1)
    assert report["reason_codes"] == ["ROWS_REJECTED"]

    # the raw table has the contract's fields, typed, then the lineage columns
    columns = query(
        home,
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'raw' and table_name = 'survey_responses' "
        "order by ordinal_position",
    )
    assert columns[:4] == [
        ("response_id", "VARCHAR"),
        ("rating", "VARCHAR"),
        ("answered_at", "TIMESTAMP"),
        ("partition_date", "DATE"),
    ]
    assert [name for name, _ in columns[4:]] == [
        "source_file",
        "source_line",
        "manifest_sha256",
        "export_version",
        "ingest_run_id",
        "ingested_at",
    ]
    assert query(
        home,
        "select response_id, rating, cast(answered_at as varchar), source_file, source_line "
        "from raw.survey_responses order by source_line",
    ) == [
        ("r1", "good", "2026-11-01 10:00:00", "responses.csv", 2),
        ("r2", "bad", "2026-11-01 11:00:00.25", "responses.csv", 3),
        ("r7", "good", "2026-11-01 15:00:00", "responses.csv", 10),
    ]
    rejected = query(
        home,
        "select source_line, reason_code, reason_detail, raw_line "
        "from raw.survey_responses_rejected order by source_line",
    )
    assert {line: code for line, code, _, _ in rejected} == expected_rejections
    details = {code: detail for _, code, detail, _ in rejected}
    assert details["VALUE_NOT_ACCEPTED"] == 'rating "meh" is not one of good, bad'
    assert details["MALFORMED_CSV"] == "2 values, but the header names 3"
    assert (
        details["DUPLICATE_KEY"] == "primary key (response_id) r1 is on an earlier line of the day"
    )
    assert details["INVALID_TYPE"] == 'answered_at "yesterday" is not a UTC ISO-8601 timestamp'
    assert {line: raw for line, _, _, raw in rejected}[6] == "r5,good"  # kept as it came
    assert query(
        home,
        "select total_lines, landed_rows, rejected_rows, export_version "
        "from raw.survey_landing_manifests",
    ) == [(9, 3, 6, 1)]


def test_a_re_ingest_replaces_the_day_whole_or_not_at_all(project, tmp_path):
    home = tmp_path / "home"
    write_csv_export(home, "response_id,rating,answered_at", [t for t, _ in LINES], 1)
    ingest(project, home)

    # a corrected export, with a column the contract does not know
    directory = write_csv_export(
        home,
        "response_id,rating,answered_at,channel",
        ["r8,bad,2026-11-01T08:00:00Z,email", "r9,good,2026-11-01T09:00:00Z,chat"],
        2,
    )
    (report,) = ingest(project, home)["ingested"]
    assert (report["landed_rows"], report["rejected_rows"]) == (2, 0)
    assert report["unknown_fields"] == ["channel"]
    assert "SCHEMA_DRIFT" in report["reason_codes"]
    landed = "select response_id from raw.survey_responses order by 1"
    assert query(home, landed) == [("r8",), ("r9",)]  # nothing of the first export is left
    assert query(home, "select count(*) from raw.survey_responses_rejected") == [(0,)]
    counts = (
        "select total_lines, landed_rows, rejected_rows, export_version "
        "from raw.survey_landing_manifests"
    )
    assert query(home, counts) == [(2, 2, 0, 2)]

    # an export that differs from its manifest changes nothing of the day
    with open(directory / "responses.csv", "a") as handle:
        handle.write("r10,good,2026-11-01T10:00:00Z\n")
    refused = ingest(project, home, expect=3)["refused"]
    assert [r["reason_code"] for r in refused] == ["MANIFEST_CHECKSUM_MISMATCH"]
    assert query(home, landed) == [("r8",), ("r9",)]
    assert query(home, counts) == [(2, 2, 0, 2)]


TYPED_CONTRACT = {
    "fields": (
        ContractField("id", "string", required=True),
        ContractField("n", "integer"),
        ContractField("x", "number"),
        ContractField("ok", "boolean"),
        ContractField("day", "date", required=True),
    ),
    "dated_by": "day",
    "primary_key": ("id",),
    "duplicates": "keep",
    "rejected_share_threshold": 1.0,
}
# (header, lines, the rejections' details) per format: the first line lands
TYPED_EXPORTS = {
    "ndjson": (
        None,
        [
            '{"id": "a", "n": 12, "x": -2.5e3, "ok": true, "day": "2026-11-01"}',
            '{"id": "b", "n": 1.5, "day": "2026-11-01"}',
            '{"id": "c", "x": "many", "day": "2026-11-01"}',
            '{"id": "d", "ok": "yes", "day": "2026-11-01"}',
            '{"id": "e", "ok": false, "day": "11/01/2026"}',
        ],
        [
            "n 1.5 is not an integer",
            "x is a string, expected a number",
            "ok is a string, expected a boolean",
            'day "11/01/2026" is not a date (YYYY-MM-DD)',
        ],
    ),
    "csv": (
        "id,n,x,ok,day",
        [
            "a,12,-2.5e3,true,2026-11-01",
            "b,1.5,,,2026-11-01",
            "c,,many,,2026-11-01",
            "d,,,yes,2026-11-01",
            "e,,,FALSE,11/01/2026",
        ],
        [
            'n "1.5" is not an integer',
            'x "many" is not a number',
            'ok "yes" is not true or false',
            'day "11/01/2026" is not a date (YYYY-MM-DD)',
        ],
    ),
}


@pytest.mark.parametrize("file_format", sorted(TYPED_EXPORTS))
def test_each_field_type_converts_or_its_line_is_rejected(tmp_path, file_format):
    """A contract's integer, number, boolean and date fields, in either format
    (no dbt: the ingest alone, with a contract made here)."""
    contract = LandingContract(format=file_format, **TYPED_CONTRACT)
    source = LandingSource(
        "typed", "raw.typed", "raw.typed_rejected", "raw.typed_manifests", contract
    )
    header, lines, details = TYPED_EXPORTS[file_format]
    home = tmp_path / "home"
    write_csv_export(home, header, lines, 1, folder="typed", name=f"part.{file_format}")
    report = ingest_partition(FactoryPaths(home), DAY, "r-test", source=source)
    assert (report.landed_rows, report.rejected_rows) == (1, 4)
    assert query(home, "select id, n, x, ok, day from raw.typed") == [
        ("a", 12, -2500.0, True, date(2026, 11, 1))
    ]
    rejected = query(
        home, "select reason_code, reason_detail from raw.typed_rejected order by source_line"
    )
    assert rejected == [("INVALID_TYPE", detail) for detail in details]


def test_an_unknown_source_is_a_clear_refusal(project, tmp_path):
    environment = {
        **os.environ,
        "FACTORY_PROJECT_DIR": str(project),
        "FACTORY_HOME": str(tmp_path / "home"),
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "data_factory.cli",
            "ingest",
            "--source",
            "nowhere",
            "--partition",
            DAY,
        ],
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 5, done.stderr
    assert "LANDING_CONTRACT_INVALID" in done.stderr and "surveys" in done.stderr
    assert "Traceback" not in done.stderr
