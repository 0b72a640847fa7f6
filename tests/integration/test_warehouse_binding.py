"""Evidence is bound to the data: fingerprints and the warehouse's identity
in build evidence; the gate re-checks them; staleness follows content."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from test_state_support import (
    WEEK,
    cells_by_key,
    copy_home,
    evidence_documents,
    factory,
    status_json,
)

from data_factory.cli.main import main
from data_factory.core.errors import EXIT_BLOCKED, EXIT_OK
from data_factory.warehouse.fingerprint import ALGORITHM


@pytest.fixture
def home(clean_home, tmp_path, monkeypatch) -> Path:
    copied = copy_home(clean_home, tmp_path / "home")
    monkeypatch.setenv("FACTORY_HOME", str(copied))
    return copied


def _warehouse_id(home: Path) -> str:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        ((found,),) = connection.execute(
            "select value from factory_meta where key = 'warehouse_id'"
        ).fetchall()
    return found


def test_build_evidence_records_fingerprints_and_the_warehouse_id(clean_home):
    runs = [d for _, d in evidence_documents(clean_home) if d["invocation"]["command"] == "run"]
    assert runs
    warehouse_id = _warehouse_id(clean_home)
    for document in runs:
        assert document["warehouse"] == {"id": warehouse_id, "engine": "duckdb"}
        by_asset = {a["asset"]: a for a in document["assets"]}
        for name in ("ticket_fact", "ticket_kpi_daily", "customers"):
            fingerprint = by_asset[name]["fingerprint"]
            assert fingerprint["algorithm"] == ALGORITHM
            assert fingerprint["rows"] == by_asset[name]["rows"] > 0
            assert len(fingerprint["hash"]) == 16
        # a view's rows are its inputs'; a source is not built by dbt
        assert by_asset["stg_helpdesk__ticket_events"]["fingerprint"] is None
        assert by_asset["ticket_events"]["fingerprint"] is None
    prints = {d["partitions"][0]: _fact(d)["fingerprint"]["hash"] for d in runs}
    assert len(set(prints.values())) == len(WEEK)  # each day its own content


def _fact(document: dict) -> dict:
    return next(a for a in document["assets"] if a["asset"] == "ticket_fact")


def test_a_rerun_of_an_unchanged_day_gives_the_same_fingerprint(home):
    before = _fact(evidence_documents(home)[-1][1])
    factory(home, "run", "--partition", WEEK[-1])
    after = _fact(evidence_documents(home)[-1][1])
    assert after["fingerprint"] == before["fingerprint"]
    assert cells_by_key(status_json(home))[("ticket_fact", WEEK[-1])]["consumable"]


# --------------------------------------------------------------------------
# the gate re-checks what it releases


def _gate(home: Path, consumer: str, day: str, expect: int) -> dict:
    result = factory(home, "gate", consumer, "--partition", day, "--format", "json", expect=expect)
    return json.loads(result.stdout)


def _plan(home: Path) -> list[dict]:
    return json.loads(factory(home, "plan", "--format", "json", expect=None).stdout)


def test_a_table_changed_outside_the_factory_blocks_the_gate_and_plan_rebuilds_it(home):
    day = WEEK[-1]
    assert _gate(home, "ticket_chunking_job", day, EXIT_OK)["decision"] == "release"
    with duckdb.connect(str(home / "warehouse.duckdb")) as connection:
        connection.execute(
            "update marts.ticket_fact set channel = 'fax' "
            "where event_id = (select min(event_id) from marts.ticket_fact where event_date = ?)",
            [day],
        )
    decision = _gate(home, "ticket_chunking_job", day, EXIT_BLOCKED)
    assert decision["decision"] == "block"
    (reason,) = decision["reasons"]
    assert reason["code"] == "WAREHOUSE_CONTENT_CHANGED"
    assert (reason["asset"], reason["partition"]) == ("ticket_fact", day)
    expected, found = reason["detail"]["expected"], reason["detail"]["found"]
    assert expected["rows"] == found["rows"] and expected["hash"] != found["hash"]
    assert "no longer holds what the evidence of ticket_fact" in reason["text"]
    # another day of the same table is untouched
    assert _gate(home, "ticket_chunking_job", WEEK[-2], EXIT_OK)["decision"] == "release"
    # status says so with --verify (a fingerprint per cell), not by default
    assert cells_by_key(status_json(home))[("ticket_fact", day)]["consumable"]
    verified = cells_by_key(status_json(home, "--verify"))[("ticket_fact", day)]
    assert not verified["consumable"] and "WAREHOUSE_CONTENT_CHANGED" in verified["reasons"]
    (item,) = _plan(home)
    assert (item["action"], item["asset"], item["start"]) == ("backfill", "ticket_fact", day)
    assert item["reasons"] == ["WAREHOUSE_CONTENT_CHANGED"]
    factory(home, "plan", "--apply")
    assert _gate(home, "ticket_chunking_job", day, EXIT_OK)["decision"] == "release"
    assert _plan(home) == []


def _replace_warehouse(path: Path) -> None:
    path.unlink()
    with duckdb.connect(str(path)) as connection:
        connection.execute("create table factory_meta (key varchar, value varchar)")
        connection.execute("insert into factory_meta values ('warehouse_id', 'wh-someone-else')")


LOSSES = {
    "truncated": lambda path: path.write_bytes(b""),
    "deleted": lambda path: path.unlink(),
    "replaced": _replace_warehouse,
}


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_a_lost_warehouse_blocks_every_day_and_plan_apply_rebuilds_it(home, loss):
    warehouse = home / "warehouse.duckdb"
    LOSSES[loss](warehouse)
    decision = _gate(home, "retrieval_index", WEEK[2], EXIT_BLOCKED)
    codes = {(r["code"], r["asset"]) for r in decision["reasons"]}
    assert codes == {
        ("WAREHOUSE_MISSING", "ticket_fact"),
        ("WAREHOUSE_MISSING", "ticket_kpi_daily"),
    }
    found = {"truncated": "empty", "deleted": "gone", "replaced": "replaced"}[loss]
    assert {r["detail"]["found"] for r in decision["reasons"]} == {found}
    grid = cells_by_key(status_json(home))
    for day in WEEK:
        cell = grid[("ticket_fact", day)]
        assert not cell["consumable"] and "WAREHOUSE_MISSING" in cell["reasons"], day
    assert not warehouse.exists() or loss != "deleted"  # status and gate never create it
    (item,) = _plan(home)
    assert (item["action"], item["asset"]) == ("backfill", "ticket_events")
    assert (item["start"], item["end"], item["reasons"]) == (
        WEEK[0],
        WEEK[-1],
        ["WAREHOUSE_MISSING"],
    )
    assert "--ingest" in item["command"]
    if loss != "truncated":
        return  # one rebuild is enough to show it (a week takes a while)
    factory(home, "plan", "--apply")
    assert _plan(home) == []
    for consumer in ("retrieval_index", "ticket_chunking_job"):
        assert _gate(home, consumer, WEEK[2], EXIT_OK)["decision"] == "release"
    assert all(c["consumable"] for c in status_json(home) if c["asset"] == "ticket_fact")


# --------------------------------------------------------------------------
# nothing becomes visible without its evidence


def _run_killed_before_evidence(home: Path, day: str) -> None:
    """`factory run --partition DAY`, the process dying as it writes the
    evidence (after dbt built the day)."""

    def crash(*args, **kwargs):
        raise OSError("killed: the evidence could not be written")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("data_factory.runs.build.write_evidence", crash)
        result = CliRunner().invoke(main, ["--home", str(home), "run", "--partition", day])
    assert result.exit_code != 0


def test_a_rebuild_whose_evidence_is_not_written_is_failed_not_the_old_numbers(home):
    day = WEEK[-1]
    before = cells_by_key(status_json(home))[("ticket_fact", day)]
    assert before["consumable"]
    _run_killed_before_evidence(home, day)
    grid = cells_by_key(status_json(home))
    for asset in ("ticket_events", "ticket_fact", "ticket_kpi_daily"):
        cell = grid[(asset, day)]
        assert (cell["status"], cell["consumable"]) == ("failed", False), asset
        assert cell["reasons"] == ["EVIDENCE_NOT_WRITTEN"], asset
    assert grid[("ticket_fact", WEEK[-2])]["consumable"]  # other days are untouched
    decision = _gate(home, "ticket_chunking_job", day, EXIT_BLOCKED)
    assert {r["code"] for r in decision["reasons"]} == {"EVIDENCE_NOT_WRITTEN"}
    # the state store rebuilt from the evidence (and the intent left behind) says the same
    factory(home, "state", "rebuild")
    assert cells_by_key(status_json(home))[("ticket_fact", day)]["status"] == "failed"
    # the planner rebuilds the day; its evidence supersedes the intent
    items = _plan(home)
    assert {(i["action"], i["reasons"][0]) for i in items} == {("backfill", "EVIDENCE_NOT_WRITTEN")}
    factory(home, "plan", "--apply")
    assert _plan(home) == []
    assert _gate(home, "ticket_chunking_job", day, EXIT_OK)["decision"] == "release"


def test_a_run_killed_while_dbt_builds_leaves_failed_cells_that_plan_rebuilds(home):
    """A real `factory run` process, killed (SIGKILL, no clean-up of any
    kind) once dbt has started running ticket_fact, after its intent and
    before its evidence: the day's cells are failed with
    EVIDENCE_NOT_WRITTEN, the gate blocks, and `plan --apply` rebuilds the
    day to the rows it had."""
    day = WEEK[-1]
    before = cells_by_key(status_json(home))[("ticket_fact", day)]
    assert before["consumable"] and before["rows"] > 0
    earlier = set((home / "runs").glob("*/run/*/models/marts/ticket_fact.sql"))
    process = subprocess.Popen(
        [sys.executable, "-m", "data_factory.cli", "run", "--partition", day],
        env={**os.environ, "FACTORY_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started_model = None
    deadline = time.monotonic() + 300
    while started_model is None and process.poll() is None and time.monotonic() < deadline:
        # dbt writes the SQL it executes under the run's folder as it runs each model
        found = set((home / "runs").glob("*/run/*/models/marts/ticket_fact.sql")) - earlier
        started_model = next(iter(found), None)
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL, "the run ended before it could be killed"
    assert started_model is not None
    assert list((home / "intents").glob("*.json")), "the killed run left no intent"

    grid = cells_by_key(status_json(home))
    for asset in ("ticket_events", "ticket_fact", "ticket_kpi_daily"):
        cell = grid[(asset, day)]
        assert (cell["status"], cell["consumable"]) == ("failed", False), asset
        assert "EVIDENCE_NOT_WRITTEN" in cell["reasons"], asset
    decision = _gate(home, "ticket_chunking_job", day, EXIT_BLOCKED)
    assert "EVIDENCE_NOT_WRITTEN" in {r["code"] for r in decision["reasons"]}

    factory(home, "plan", "--apply")
    assert _plan(home) == []
    after = cells_by_key(status_json(home, "--verify"))[("ticket_fact", day)]
    assert (after["status"], after["rows"]) == ("materialized", before["rows"])
    assert _gate(home, "ticket_chunking_job", day, EXIT_OK)["decision"] == "release"


def test_a_new_day_whose_evidence_is_not_written_is_failed(home):
    factory(home, "generate", "--start", "2026-11-08", "--days", "1", "--tickets-per-day", "100")
    _run_killed_before_evidence(home, "2026-11-08")
    cell = cells_by_key(status_json(home))[("ticket_fact", "2026-11-08")]
    assert (cell["status"], cell["reasons"]) == ("failed", ["EVIDENCE_NOT_WRITTEN"])


def test_an_intent_counts_once_its_process_is_gone_not_while_it_runs(home):
    """A killed process leaves its intent; a running one's intent is a build
    in flight, which readers leave alone."""
    intent = _fake_intent(home)
    path = home / "intents" / f"{intent['run_id']}.json"
    for pid, counted in ((os.getppid(), False), (_dead_pid(), True)):
        path.write_text(json.dumps({**intent, "pid": pid}))
        factory(home, "state", "rebuild")
        cell = cells_by_key(status_json(home))[("ticket_fact", WEEK[-1])]
        assert (cell["status"] == "failed") is counted, pid
        assert ("EVIDENCE_NOT_WRITTEN" in cell["reasons"]) is counted, pid


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def _fake_intent(home: Path) -> dict:
    """The intent a `factory run` of the last day writes, as if it had died."""
    from data_factory.core.paths import FactoryPaths
    from data_factory.evidence.intents import intent_cells, write_intent
    from data_factory.project.parsed import load_manifest

    paths = FactoryPaths(home)
    write_intent(
        paths,
        run_id="r20991231T000000000000Z-killed-0000",
        command="run",
        started_at="2099-12-31T00:00:00Z",
        partitions=[WEEK[-1]],
        vars_={"partition": WEEK[-1]},
        cells=intent_cells(load_manifest(paths, parse_if_missing=False), None, True),
    )
    return json.loads(next((home / "intents").glob("*.json")).read_text())


def test_a_refused_export_changes_nothing_in_the_warehouse(home):
    """A corrected export with `export_version: 1.5` is refused before any
    write (the manifest is validated whole first): the day's rows and
    fingerprint stay what the evidence says, and the KPI days stay fresh."""
    day = WEEK[2]
    manifest_path = home / "landing" / "tickets" / f"dt={day}" / "_manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["export_version"] = 1.5
    manifest_path.write_text(json.dumps(manifest))
    factory(home, "run", "--partition", day, expect=None)
    grid = cells_by_key(status_json(home, "--verify"))
    assert not any("WAREHOUSE_CONTENT_CHANGED" in c["reasons"] for c in grid.values())
    assert not any("EVIDENCE_NOT_WRITTEN" in c["reasons"] for c in grid.values())
    for later in WEEK[3:]:
        assert grid[("ticket_kpi_daily", later)]["status"] == "materialized", later
