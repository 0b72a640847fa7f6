"""Landing faults (issue 10, findings 3 and 10): what an export can get wrong,
and what the ingest does about it. A refused day leaves what was landed
before untouched; a bad line is rejected alone, with its line number and
reason, and manifest lines = landed + rejected still holds."""

from __future__ import annotations

import hashlib
import json

import duckdb
import pytest
from conftest import event, write_export

from data_factory.core.errors import EXIT_INPUT_REJECTED

DAY = "2026-11-01"


def _rows(paths, sql, params=()):
    connection = duckdb.connect(str(paths.warehouse), read_only=True)
    try:
        return connection.execute(sql, list(params)).fetchall()
    finally:
        connection.close()


def _landed(paths) -> int:
    return _rows(paths, "select count(*) from raw.ticket_events")[0][0]


def _rewrite_manifest(directory, **changes) -> None:
    path = directory / "_manifest.json"
    manifest = json.loads(path.read_text())
    manifest.update(changes)
    path.write_text(json.dumps(manifest))


def _land_bytes(paths, body: bytes, lines: int):
    """A day of one file with exactly these bytes and a true manifest."""
    directory = write_export(paths, DAY, [])
    (directory / "events-0001.jsonl").write_bytes(body)
    _rewrite_manifest(
        directory,
        files=[
            {
                "name": "events-0001.jsonl",
                "sha256": hashlib.sha256(body).hexdigest(),
                "lines": lines,
                "bytes": len(body),
            }
        ],
        total_lines=lines,
    )
    return directory


def _ingest_json(cli, expect=0) -> dict:
    result = cli("ingest", "--partition", DAY, "--format", "json", expect=expect)
    assert "Traceback" not in result.stdout + result.stderr
    return json.loads(result.stdout)


def _refused(cli, code: str) -> str:
    result = cli("ingest", "--partition", DAY, expect=EXIT_INPUT_REJECTED)
    assert "Traceback" not in result.stdout + result.stderr
    assert code in result.stderr, result.stderr
    return result.stderr


def test_an_emptied_manifest_with_the_data_file_still_there_stops_the_ingest(cli, paths):
    """Finding 3: `files: []` beside a data file replaced the day by 0 rows."""
    directory = write_export(paths, DAY, [event(event_id=f"e{n}") for n in range(5)])
    cli("ingest", "--partition", DAY)
    _rewrite_manifest(directory, files=[], total_lines=0)
    message = _refused(cli, "MANIFEST_UNLISTED_FILE")
    assert "events-0001.jsonl" in message
    assert _landed(paths) == 5  # the day was not replaced


def test_an_empty_day_lands_when_the_manifest_declares_no_files_and_the_folder_has_none(cli, paths):
    directory = write_export(paths, DAY, [])
    (directory / "events-0001.jsonl").unlink()
    _rewrite_manifest(directory, files=[], total_lines=0)
    (report,) = _ingest_json(cli)["ingested"]
    assert (report["manifest_lines"], report["landed_rows"]) == (0, 0)
    assert "EMPTY_PARTITION" in report["reason_codes"]


# (what is wrong with the manifest, the reason code): each refuses the day
LYING_MANIFESTS = [
    ({"total_lines": 999}, "MANIFEST_INVALID"),
    ({"export_version": "v2"}, "MANIFEST_INVALID"),  # was a DuckDB traceback
    ({"export_version": 1.5}, "MANIFEST_INVALID"),
    ({"file": {"lines": 10.9}}, "MANIFEST_INVALID"),
    ({"file": {"lines": "3"}}, "MANIFEST_INVALID"),
    ({"file": {"lines": True}}, "MANIFEST_INVALID"),
    ({"file": {"bytes": 12}}, "MANIFEST_SIZE_MISMATCH"),
]


def test_a_manifest_that_lies_or_has_the_wrong_types_is_refused_before_any_write(cli, paths):
    """Finding 10: each of these was accepted (or crashed); now the day is
    refused and what was landed before stays."""
    directory = write_export(paths, DAY, [event(event_id=f"e{n}") for n in range(3)])
    cli("ingest", "--partition", DAY)
    true_manifest = (directory / "_manifest.json").read_text()
    for fault, code in LYING_MANIFESTS:
        change = dict(fault)
        (directory / "_manifest.json").write_text(true_manifest)
        manifest = json.loads(true_manifest)
        manifest["files"][0].update(change.pop("file", {}))
        _rewrite_manifest(directory, files=manifest["files"], **change)
        message = _refused(cli, code)
        assert _landed(paths) == 3, (change, message)
        assert _rows(paths, "select distinct export_version from raw.ticket_events") == [(1,)]


def test_a_symlink_in_the_day_folder_is_refused_and_never_followed(cli, paths, tmp_path):
    """Finding 10: a link to /etc/passwd was read into raw.ticket_events_rejected."""
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    directory = write_export(paths, DAY, [event(event_id="e1")])
    cli("ingest", "--partition", DAY)
    (directory / "events-0002.jsonl").symlink_to(secret)
    manifest = json.loads((directory / "_manifest.json").read_text())
    body = secret.read_bytes()
    manifest["files"].append(
        {
            "name": "events-0002.jsonl",
            "sha256": hashlib.sha256(body).hexdigest(),
            "lines": 1,
            "bytes": len(body),
        }
    )
    (directory / "_manifest.json").write_text(json.dumps(manifest))
    assert "events-0002.jsonl" in _refused(cli, "LANDING_SYMLINK")
    assert _landed(paths) == 1
    assert not _rows(paths, "select * from raw.ticket_events_rejected where raw_line like 'root:%'")


def test_a_line_that_is_not_utf8_is_rejected_alone_with_its_line_number(cli, paths):
    """Finding 10: one bad byte refused the whole day, with no line number."""
    lines = [event(event_id=f"e{n}").encode() for n in range(40)]
    lines[2] = lines[2].replace(b"e2", b"e\xff2")
    body = b"".join(line + b"\n" for line in lines)
    _land_bytes(paths, body, 40)
    (report,) = _ingest_json(cli)["ingested"]
    assert (report["status"], report["landed_rows"], report["rejected_rows"]) == ("landed", 39, 1)
    assert report["rejected_by_reason"] == {"INVALID_ENCODING": 1}
    assert report["landed_rows"] + report["rejected_rows"] == report["manifest_lines"]
    ((line, code, detail, raw),) = _rows(
        paths,
        "select source_line, reason_code, reason_detail, raw_line from raw.ticket_events_rejected",
    )
    assert (line, code) == (3, "INVALID_ENCODING")
    assert "0xff" in detail
    assert "\\xff" in raw  # the bad byte is shown, escaped
    landed = {r[0] for r in _rows(paths, "select event_id from raw.ticket_events")}
    assert landed == {f"e{n}" for n in range(40)} - {"e2"}


def test_a_range_with_one_badly_encoded_day_lands_every_day(cli, paths):
    days = ["2026-11-01", "2026-11-02"]
    write_export(paths, days[0], [event(event_id="ok", event_at=f"{days[0]}T10:00:00Z")])
    directory = write_export(paths, days[1], [])
    body = (event(event_id="bad", event_at=f"{days[1]}T10:00:00Z") + "\n").encode()
    body = body.replace(b"bad", b"b\xc3\x28d") + b"\xe2\x82"  # bad, then a cut-off sequence
    (directory / "events-0001.jsonl").write_bytes(body)
    _rewrite_manifest(
        directory,
        files=[
            {
                "name": "events-0001.jsonl",
                "sha256": hashlib.sha256(body).hexdigest(),
                "lines": 2,
                "bytes": len(body),
            }
        ],
    )
    # day 2 has no good line left: it fails on the threshold, and day 1 lands
    result = cli("ingest", "--start", days[0], "--end", days[1], "--format", "json", expect=1)
    by_day = {r["partition"]: r for r in json.loads(result.stdout)["ingested"]}
    assert (by_day[days[0]]["landed_rows"], by_day[days[0]]["rejected_rows"]) == (1, 0)
    assert by_day[days[1]]["rejected_by_reason"] == {"INVALID_ENCODING": 2}


@pytest.mark.parametrize(
    ("prefix", "suffix"),
    [(b"", b""), (b"\xef\xbb\xbf", b"\n")],
    ids=["no newline after the last line", "a UTF-8 BOM before line 1"],
)
def test_every_line_of_a_well_formed_file_lands(cli, paths, prefix, suffix):
    """Finding 10: the last line without a newline was not counted (the day
    could never land); a BOM rejected line 1."""
    body = prefix + "\n".join(event(event_id=f"e{n}") for n in range(3)).encode() + suffix
    _land_bytes(paths, body, 3)
    (report,) = _ingest_json(cli)["ingested"]
    assert (report["landed_rows"], report["rejected_rows"]) == (3, 0)
    assert _rows(paths, "select min(source_line), max(source_line) from raw.ticket_events") == [
        (1, 3)
    ]
