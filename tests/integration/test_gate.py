"""Gate and approvals: may a consumer use a day, why not, and who may release it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_state_support import (
    FACT_CHECK_ON_CHANNEL,
    WEEK,
    allowed_signers,
    cells_by_key,
    copy_home,
    evidence_documents,
    factory,
    new_key,
    remove_state,
    status_json,
)

from data_factory.core.errors import EXIT_BLOCKED, EXIT_INPUT_REJECTED, EXIT_USAGE

BAD_DAY = "2026-11-04"


@pytest.fixture(scope="module")
def faulty_home(clean_home, tmp_path_factory) -> Path:
    """The clean week, then day 4 re-exported with a channel 'fax' (not an
    accepted value: an error-severity check fails) and run again."""
    home = copy_home(clean_home, tmp_path_factory.mktemp("faulty") / "home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FACTORY_HOME", str(home))
        factory(
            home,
            "generate",
            "--start",
            BAD_DAY,
            "--days",
            "1",
            "--tickets-per-day",
            "100",
            "--faults",
            f"bad_enum@{BAD_DAY}",
            "--export-version",
            "2",
        )
        factory(home, "run", "--partition", BAD_DAY, expect=EXIT_BLOCKED)
    return home


OWNERS_AND_OTHERS = ("mei.chen", "raj.patel", "lena.park", "sofia.ruiz", "omar.haddad", "mallory")


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> dict[str, Path]:
    """A key for each name, every one listed for approvals in the
    allowed-signers file the factory reads (FACTORY_ALLOWED_SIGNERS)."""
    folder = tmp_path_factory.mktemp("keys")
    found = {name: new_key(folder, name) for name in OWNERS_AND_OTHERS}
    allowed_signers(folder / "allowed_signers", found)
    return found


@pytest.fixture(autouse=True)
def listed_keys(keys, monkeypatch) -> None:
    monkeypatch.setenv("FACTORY_ALLOWED_SIGNERS", str(keys["mallory"].parent / "allowed_signers"))


@pytest.fixture
def home(faulty_home, tmp_path, monkeypatch) -> Path:
    copied = copy_home(faulty_home, tmp_path / "home")
    monkeypatch.setenv("FACTORY_HOME", str(copied))
    return copied


def gate_json(home: Path, consumer: str, day: str, expect: int) -> dict:
    return json.loads(
        factory(
            home, "gate", consumer, "--partition", day, "--format", "json", expect=expect
        ).stdout
    )


def test_clean_week_gate_releases_and_records_the_decision(clean_home, tmp_path, monkeypatch):
    home = copy_home(clean_home, tmp_path / "home")
    monkeypatch.setenv("FACTORY_HOME", str(home))
    for consumer in ("ticket_chunking_job", "retrieval_index"):
        decision = gate_json(home, consumer, "2026-11-03", expect=0)
        assert decision["decision"] == "release" and decision["reasons"] == []
        assert decision["evidence"] and all(Path(p).exists() for p in decision["evidence"])
    assert decision["requires"] == ["ticket_fact", "ticket_kpi_daily"]
    recorded = [d for _, d in evidence_documents(home, "decision")]
    assert [(d["decision"]["consumer"], d["decision"]["decision"]) for d in recorded] == [
        ("ticket_chunking_job", "release"),
        ("retrieval_index", "release"),
    ]
    factory(home, "validate", decision["decision_evidence"])
    text = factory(home, "gate", "ticket_chunking_job", "--partition", "2026-11-03").stdout
    assert text.startswith("ticket_chunking_job 2026-11-03: RELEASE")


def test_unknown_consumer_or_day_is_a_usage_error(clean_home):
    result = factory(clean_home, "gate", "chunker", "--partition", "2026-11-03", expect=EXIT_USAGE)
    assert "CONSUMER_UNKNOWN" in result.stderr
    assert "retrieval_index, ticket_chunking_job" in result.stderr
    result = factory(
        clean_home, "gate", "retrieval_index", "--partition", "2026-11-31", expect=EXIT_USAGE
    )
    assert "not a real calendar day" in result.stderr


def test_a_check_failure_blocks_the_fact_day_its_kpi_day_and_the_gate(home):
    grid = cells_by_key(status_json(home))
    fact = grid[("ticket_fact", BAD_DAY)]
    assert fact["status"] == "materialized" and not fact["consumable"]
    assert "CHECK_FAILED" in fact["reasons"]
    failing = [
        name for name in fact["checks"]["blocking"] if name.startswith(FACT_CHECK_ON_CHANNEL)
    ]
    assert failing and fact["checks"]["failed"] >= 1
    kpi = grid[("ticket_kpi_daily", BAD_DAY)]
    # not attempted: the fact day failed a check, and the day's open set (which
    # reads it) was not attempted either
    assert kpi["status"] == "blocked"
    assert kpi["reasons"] == ["UPSTREAM_BLOCKED", "UPSTREAM_CHECK_FAILED"]
    (cause,) = [d for d in kpi["reason_details"] if d["code"] == "UPSTREAM_CHECK_FAILED"]
    assert f"ticket_fact {BAD_DAY} has a failing error-severity check" in cause["text"]
    for day in ("2026-11-03", "2026-11-05"):
        assert grid[("ticket_fact", day)]["consumable"]

    decision = gate_json(home, "ticket_chunking_job", BAD_DAY, expect=EXIT_BLOCKED)
    assert decision["decision"] == "block"
    (reason,) = decision["reasons"]
    assert (reason["code"], reason["asset"], reason["partition"]) == (
        "CHECK_FAILED",
        "ticket_fact",
        BAD_DAY,
    )
    assert failing[0] in reason["checks"] and failing[0] in reason["text"]
    assert reason["evidence"] == fact["evidence"] and fact["evidence"] in decision["evidence"]

    text = factory(
        home, "gate", "retrieval_index", "--partition", BAD_DAY, expect=EXIT_BLOCKED
    ).stdout
    assert text.startswith(f"retrieval_index {BAD_DAY}: BLOCK")
    assert f"CHECK_FAILED: ticket_fact {BAD_DAY}" in text and failing[0] in text
    assert f"UPSTREAM_CHECK_FAILED: ticket_kpi_daily {BAD_DAY} is blocked" in text
    gate_json(home, "ticket_chunking_job", "2026-11-03", expect=0)


def test_only_an_owner_may_approve_and_the_approval_releases_the_gate(home, keys):
    refused = factory(
        home,
        "approve",
        "ticket_chunking_job",
        "--partition",
        BAD_DAY,
        "--key",
        str(keys["mallory"]),
        "--reason",
        "ship it",
        expect=EXIT_INPUT_REJECTED,
    )
    assert "APPROVER_NOT_OWNER" in refused.stderr and "mallory may not approve" in refused.stderr
    assert "mei.chen" in refused.stderr and "lena.park" in refused.stderr
    # omar owns the KPI mart, which the chunking job does not need
    factory(
        home,
        "approve",
        "ticket_chunking_job",
        "--partition",
        BAD_DAY,
        "--key",
        str(keys["omar.haddad"]),
        "--reason",
        "x",
        expect=EXIT_INPUT_REJECTED,
    )
    not_blocked = factory(
        home,
        "approve",
        "ticket_chunking_job",
        "--partition",
        "2026-11-03",
        "--key",
        str(keys["mei.chen"]),
        "--reason",
        "x",
        expect=EXIT_INPUT_REJECTED,
    )
    assert "is not blocked" in not_blocked.stderr
    assert evidence_documents(home, "approval") == []

    approved = json.loads(
        factory(
            home,
            "approve",
            "ticket_chunking_job",
            "--partition",
            BAD_DAY,
            "--key",
            str(keys["mei.chen"]),
            "--reason",
            "fax channel is a known export bug; chunking ignores channel",
            "--format",
            "json",
        ).stdout
    )
    assert approved["approved_by"] == "mei.chen" and approved["overrides"] == ["CHECK_FAILED"]
    ((path, document),) = evidence_documents(home, "approval")
    assert document["approvals"][0]["approved_by"] == "mei.chen"
    assert document["decision"]["reasons"][0]["asset"] == "ticket_fact"
    factory(home, "validate", str(path))

    decision = gate_json(home, "ticket_chunking_job", BAD_DAY, expect=0)
    assert decision["decision"] == "release"
    assert [r["code"] for r in decision["reasons"]] == ["APPROVAL_OVERRIDE"]
    assert "mei.chen" in decision["reasons"][0]["text"]
    assert [r["code"] for r in decision["overridden"]] == ["CHECK_FAILED"]
    assert decision["approval"]["approved_by"] == "mei.chen"
    # the approval is for this consumer only
    gate_json(home, "retrieval_index", BAD_DAY, expect=EXIT_BLOCKED)
    again = factory(
        home,
        "approve",
        "ticket_chunking_job",
        "--partition",
        BAD_DAY,
        "--key",
        str(keys["raj.patel"]),
        "--reason",
        "x",
        expect=EXIT_INPUT_REJECTED,
    )
    assert "already released by the approval of mei.chen" in again.stderr

    # an approval never makes the asset consumable
    fact = cells_by_key(status_json(home))[("ticket_fact", BAD_DAY)]
    assert fact["status"] == "materialized" and not fact["consumable"]
    assert [(a["consumer"], a["approved_by"], a["active"]) for a in fact["approvals"]] == [
        ("ticket_chunking_job", "mei.chen", True)
    ]
    table = factory(home, "status").stdout
    chunking = next(line for line in table.splitlines() if line.startswith("⇒ ticket_chunking_job"))
    assert "✓✓✓A✓✓✓" in chunking


def test_the_next_run_records_the_approval_and_an_identical_rebuild_keeps_it(home, keys):
    factory(
        home,
        "approve",
        "ticket_chunking_job",
        "--partition",
        BAD_DAY,
        "--key",
        str(keys["lena.park"]),
        "--reason",
        "known export bug",
    )
    factory(home, "build", "--partition", BAD_DAY, "--select", "ticket_kpi_daily")
    _, document = evidence_documents(home)[-1]
    assert [(a["consumer"], a["approved_by"]) for a in document["approvals"]] == [
        ("ticket_chunking_job", "lena.park")
    ]
    gate_json(home, "ticket_chunking_job", BAD_DAY, expect=0)  # same block, still approved

    # the same export again: the same content fails the same check, and the
    # approval, which holds for that content, still releases
    factory(home, "run", "--partition", BAD_DAY, expect=EXIT_BLOCKED)
    decision = gate_json(home, "ticket_chunking_job", BAD_DAY, expect=0)
    assert decision["approval"]["approved_by"] == "lena.park"
    fact = cells_by_key(status_json(home))[("ticket_fact", BAD_DAY)]
    assert [a["active"] for a in fact["approvals"]] == [True]


def test_rebuild_restores_decisions_approvals_and_an_identical_grid(home, keys):
    factory(
        home,
        "approve",
        "retrieval_index",
        "--partition",
        BAD_DAY,
        "--key",
        str(keys["sofia.ruiz"]),
        "--reason",
        "index without KPIs for one day",
    )
    gate_json(home, "retrieval_index", BAD_DAY, expect=0)
    before = factory(home, "status", "--format", "json").stdout
    remove_state(home)
    factory(home, "state", "rebuild")
    assert factory(home, "status", "--format", "json").stdout == before
    decision = gate_json(home, "retrieval_index", BAD_DAY, expect=0)
    assert decision["approval"]["approved_by"] == "sofia.ruiz"
    assert {r["code"] for r in decision["overridden"]} == {
        "CHECK_FAILED",
        "UPSTREAM_BLOCKED",
        "UPSTREAM_CHECK_FAILED",
    }


def test_with_the_mart_switched_off_only_consumers_needing_it_are_blocked(
    clean_home, tmp_path, monkeypatch
):
    home = copy_home(clean_home, tmp_path / "home")
    monkeypatch.setenv("FACTORY_HOME", str(home))
    factory(
        home, "run", "--start", "2026-11-06", "--end", "2026-11-07", "--disable", "ticket_kpi_daily"
    )
    grid = cells_by_key(status_json(home))
    for day in WEEK[5:]:
        kpi = grid[("ticket_kpi_daily", day)]
        assert (kpi["status"], kpi["consumable"], kpi["reasons"]) == (
            "not_available",
            False,
            ["ASSET_DISABLED"],
        )
        assert grid[("ticket_fact", day)]["consumable"]
    assert grid[("ticket_kpi_daily", "2026-11-05")]["status"] == "materialized"

    decision = gate_json(home, "retrieval_index", "2026-11-07", expect=EXIT_BLOCKED)
    (reason,) = decision["reasons"]
    assert (reason["code"], reason["asset"]) == ("UPSTREAM_NOT_AVAILABLE", "ticket_kpi_daily")
    assert decision["requires"] == ["ticket_fact", "ticket_kpi_daily"]
    gate_json(home, "ticket_chunking_job", "2026-11-07", expect=0)
    table = factory(home, "status", "--asset", "ticket_kpi_daily").stdout
    assert "~~~~~nn" in table  # the built days warn: their 30-day window is not complete


def test_a_warn_check_never_blocks_but_stays_visible(clean_home, tmp_path, monkeypatch):
    home = copy_home(clean_home, tmp_path / "home")
    monkeypatch.setenv("FACTORY_HOME", str(home))
    day = "2026-11-06"
    factory(
        home,
        "generate",
        "--start",
        day,
        "--days",
        "1",
        "--tickets-per-day",
        "100",
        "--faults",
        f"unknown_agent@{day}",
        "--export-version",
        "2",
    )
    factory(home, "run", "--partition", day)  # a warning is not a failure: exit 0
    fact = cells_by_key(status_json(home))[("ticket_fact", day)]
    assert (fact["status"], fact["consumable"]) == ("materialized", True)
    assert fact["reasons"] == ["CHECK_WARNED"] and fact["checks"]["warned"] == 1
    (warning,) = fact["checks"]["warnings"]
    assert warning.startswith("relationships_ticket_fact_agent_id")
    row = next(
        line
        for line in factory(home, "status").stdout.splitlines()
        if line.startswith("ticket_fact ")
    )
    assert "■■■■■~■" in row
    decision = gate_json(home, "ticket_chunking_job", day, expect=0)
    assert decision["reasons"] == [] and decision["warnings"][0]["checks"] == [warning]
