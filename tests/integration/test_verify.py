"""`factory verify` on a real home: two days built with dbt at a small size,
once per module, copied for each scenario; each breaks one link of the chain
and expects that link, and only that one, named."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from test_runbook_drills import drill
from test_state_support import copy_home, evidence_documents, factory, rewrite_evidence

from data_factory.core.paths import FACTORY_ROOT

DAYS = ["2026-11-02", "2026-11-03"]
DAY = DAYS[1]  # the runbooks' example day
CHANGED_MODEL = "ticket_kpi_daily"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("verify") / "home"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FACTORY_HOME", str(home))
        factory(home, "generate", "--start", DAYS[0], "--days", "2", "--tickets-per-day", "40")
        factory(home, "run", "--start", DAYS[0], "--end", DAYS[1])
    return home


@pytest.fixture
def home(built, tmp_path, monkeypatch) -> Path:
    copied = copy_home(built, tmp_path / "home")
    monkeypatch.setenv("FACTORY_HOME", str(copied))
    return copied


def verify_json(home: Path, *args: str, expect: int) -> dict:
    return json.loads(factory(home, "verify", "--format", "json", *args, expect=expect).stdout)


def broken(report: dict) -> dict[tuple[str, str | None], dict]:
    return {(b["asset"], b["partition"]): b for b in report["broken"]}


def test_a_clean_home_holds_every_link(home):
    done = factory(home, "verify", "--since", "2026-11-01")
    (line,) = done.stdout.splitlines()
    assert line.startswith("✓ every link holds: 19 cell(s)") and len(line) <= 80
    report = verify_json(home, "--since", "2026-11-01", expect=0)
    assert report["holds"] and report["broken"] == []
    assert report["links"] == [
        "landing",
        "ingest",
        "build",
        "code",
        "warehouse",
        "decisions",
        "ledger",
    ]
    # 7 partitioned assets x 2 days, and 5 seeds
    assert report["cells"] == report["holding"] == 7 * 2 + 5


def test_one_byte_changed_in_a_landed_file(home):
    landed = next((home / "landing" / "tickets" / f"dt={DAY}").glob("events-*.jsonl"))
    data = bytearray(landed.read_bytes())
    data[data.index(b'"email"') + 1] = ord("E")
    landed.write_bytes(bytes(data))
    report = verify_json(home, expect=1)
    found = broken(report)
    assert {day for _, day in found} == {DAY}  # the other day and the seeds hold
    assert len(found) == 7
    for item in found.values():
        assert (item["link"], item["code"], item["file"]) == (
            "landing",
            "MANIFEST_CHECKSUM_MISMATCH",
            str(landed),
        )
    table = factory(home, "verify", expect=1).stdout
    assert "landing: MANIFEST_CHECKSUM_MISMATCH" in table and f"dt={DAY}/events-" in table
    assert "7 of 19 cell(s) broken" in table


def test_a_models_sql_changed(home, tmp_path):
    """In a copy of the project whose one model gained a line: that model's
    cells break at the code link, and nothing else does."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("dbt_project.yml", "profiles", "models", "macros", "seeds", "tests"):
        source = FACTORY_ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, project / name)
    shutil.rmtree(project / "tests" / "unit")
    shutil.rmtree(project / "tests" / "integration")
    model = project / "models" / "marts" / f"{CHANGED_MODEL}.sql"
    model.write_text(model.read_text() + "\n-- a reviewed change\n")
    done = subprocess.run(
        [sys.executable, "-m", "data_factory.cli", "verify", "--format", "json"],
        env={**os.environ, "FACTORY_PROJECT_DIR": str(project), "FACTORY_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 1, done.stderr
    found = broken(json.loads(done.stdout))
    assert set(found) == {(CHANGED_MODEL, day) for day in DAYS}
    for item in found.values():
        assert (item["link"], item["code"]) == ("code", "STALE_CODE_CHANGED")
        assert "(the project now)" in item["found"]


def test_the_warehouse_truncated(home):
    connection = duckdb.connect(str(home / "warehouse.duckdb"))
    try:
        connection.execute(
            "delete from marts.ticket_fact where event_date = ? and ticket_id in "
            "(select ticket_id from marts.ticket_fact where event_date = ? limit 3)",
            [DAY, DAY],
        )
    finally:
        connection.close()
    report = verify_json(home, "--partition", DAY, expect=1)
    (item,) = report["broken"]
    assert (item["asset"], item["partition"], item["link"], item["code"]) == (
        "ticket_fact",
        DAY,
        "warehouse",
        "WAREHOUSE_CONTENT_CHANGED",
    )
    assert item["file"].endswith(f"{item['run_id']}.json")
    # the other day is untouched
    verify_json(home, "--partition", DAYS[0], expect=0)


def forge_row_count(home: Path, day: str) -> Path:
    """The fact's row count of `day` set to 999,999 in its build evidence,
    fingerprint included, and re-hashed with the project's own hash."""
    path, document = next((p, d) for p, d in evidence_documents(home) if d["partitions"] == [day])
    for entry in document["assets"]:
        if entry["asset"] == "ticket_fact":
            entry["rows"] = entry["fingerprint"]["rows"] = 999_999
    rewrite_evidence(path, document)
    return path


def test_an_evidence_file_edited_and_re_hashed(home):
    path = forge_row_count(home, DAY)
    factory(home, "validate", str(path))  # the schema and the hash cannot tell
    found = broken(verify_json(home, expect=1))
    assert set(found) == {("ticket_fact", DAY)}
    item = found[("ticket_fact", DAY)]
    assert (item["link"], item["code"], item["file"]) == (
        "warehouse",
        "WAREHOUSE_CONTENT_CHANGED",
        str(path),
    )
    assert item["expected"].startswith("999999 rows")


def test_an_ingest_count_edited_and_re_hashed(home):
    path, document = next((p, d) for p, d in evidence_documents(home) if d["partitions"] == [DAY])
    document["inputs"][0]["landed_rows"] += 1
    rewrite_evidence(path, document)
    found = broken(verify_json(home, expect=1))
    assert {day for _, day in found} == {DAY}
    assert {(i["link"], i["code"]) for i in found.values()} == {
        ("ingest", "EVIDENCE_COUNTS_INCONSISTENT")
    }


def test_usage_errors_exit_2(home):
    assert factory(home, "verify", "--partition", DAY, "--since", DAY, expect=2)
    assert "not a real" in factory(home, "verify", "--since", "2026-13-01", expect=2).stderr
    assert (
        "no evidence records an asset"
        in factory(home, "verify", "--asset", "nope", expect=2).stderr
    )


def test_the_runbook_repairs_an_edited_evidence_file(home):
    forge_row_count(home, DAY)
    drill(home, "evidence-changed.md")
    verify_json(home, "--since", DAYS[0], expect=0)
