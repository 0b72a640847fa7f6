"""Signed evidence, the ledger and signed approvals: a forgery never becomes a
consumable cell or a released consumer; an approval holds only for what it
names; the same gate decision is recorded once.

One home, two small days (the second with a channel the contract refuses,
so an error-severity check blocks it), built once and copied per test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_state_support import (
    allowed_signers,
    cells_by_key,
    copy_home,
    evidence_documents,
    factory,
    new_key,
    status_json,
)

from data_factory.core.errors import EXIT_BLOCKED, EXIT_INPUT_REJECTED, EXIT_OK, EXIT_USAGE
from data_factory.evidence.store import content_sha256

GOOD_DAY, BAD_DAY = "2026-11-01", "2026-11-02"
CONSUMER = "ticket_chunking_job"  # owned by mei.chen in the project


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("keys")
    return {name: new_key(folder, name) for name in ("mei.chen", "mallory", "stranger")}


@pytest.fixture(autouse=True)
def signers(keys, tmp_path, monkeypatch) -> Path:
    """mei.chen (an owner) and mallory (not one) are listed; stranger is not."""
    listed = {name: keys[name] for name in ("mei.chen", "mallory")}
    path = allowed_signers(tmp_path / "allowed_signers", listed)
    monkeypatch.setenv("FACTORY_ALLOWED_SIGNERS", str(path))
    monkeypatch.delenv("FACTORY_SIGNING_KEY", raising=False)
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("signed") / "home"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FACTORY_HOME", str(home))
        patch.delenv("FACTORY_SIGNING_KEY", raising=False)
        factory(
            home,
            "generate",
            "--start",
            GOOD_DAY,
            "--days",
            "2",
            "--tickets-per-day",
            "30",
            "--faults",
            f"bad_enum@{BAD_DAY}",
        )
        factory(home, "run", "--start", GOOD_DAY, "--end", BAD_DAY, expect=EXIT_BLOCKED)
    return home


@pytest.fixture
def home(built, tmp_path, monkeypatch) -> Path:
    copied = copy_home(built, tmp_path / "home")
    monkeypatch.setenv("FACTORY_HOME", str(copied))
    return copied


def run_evidence(home: Path, day: str) -> tuple[Path, dict]:
    (found,) = [(p, d) for p, d in evidence_documents(home) if d["partitions"] == [day]]
    return found


def forge(path: Path, document: dict) -> None:
    """What a forger without the key can do: edit and re-hash."""
    document["report"]["sha256"] = content_sha256(document)
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")


def approve(home: Path, key: Path, *extra: str, expect: int = EXIT_OK):
    return factory(
        home,
        "approve",
        CONSUMER,
        "--partition",
        BAD_DAY,
        "--key",
        str(key),
        "--reason",
        "fax is a known test account",
        *extra,
        expect=expect,
    )


def gate(home: Path, day: str = BAD_DAY, expect: int = EXIT_BLOCKED) -> dict:
    result = factory(home, "gate", CONSUMER, "--partition", day, "--format", "json", expect=expect)
    return json.loads(result.stdout)


def test_every_document_is_signed_and_chained(home):
    documents = sorted(
        (json.loads(p.read_text()) for p in (home / "evidence").glob("*.json")),
        key=lambda d: d["ledger"]["sequence"],
    )
    assert [d["ledger"]["sequence"] for d in documents] == [1, 2]
    assert documents[0]["ledger"]["previous_sha256"] is None
    assert {d["signature"]["principal"] for d in documents} == {"factory-development"}
    assert (home / "keys" / "factory_dev_ed25519").exists()
    result = factory(home, "validate", *map(str, sorted((home / "evidence").glob("*.json"))))
    assert result.stdout.count("signed by this home's development run key only") == 2


def test_a_forged_row_count_is_refused_and_never_consumable(home):
    path, document = run_evidence(home, GOOD_DAY)
    for entry in document["assets"]:
        if entry["asset"] == "ticket_fact":
            entry["rows"] = 999_999
    forge(path, document)

    result = factory(home, "validate", str(path), expect=EXIT_INPUT_REJECTED)
    assert "EVIDENCE_SIGNATURE_INVALID" in result.stdout and "does not match" in result.stdout
    fact = cells_by_key(status_json(home))[("ticket_fact", GOOD_DAY)]
    assert not fact["consumable"] and "EVIDENCE_SIGNATURE_INVALID" in fact["reasons"]

    rebuilt = factory(home, "state", "rebuild")
    assert f"refused: {path.name}" in rebuilt.stdout
    assert "EVIDENCE_SIGNATURE_INVALID" in rebuilt.stderr
    cells = status_json(home)
    assert all(c["rows"] != 999_999 for c in cells)
    assert ("ticket_fact", GOOD_DAY) not in {
        (c["asset"], c["partition"]) for c in cells if c["consumable"]
    }
    gate(home, GOOD_DAY, expect=EXIT_BLOCKED)


def test_a_deleted_evidence_file_breaks_the_chain(home):
    first, _ = run_evidence(home, GOOD_DAY)
    second, _ = run_evidence(home, BAD_DAY)
    first.unlink()
    rebuilt = factory(home, "state", "rebuild")
    assert f"refused: {second.name}" in rebuilt.stdout
    assert "EVIDENCE_CHAIN_BROKEN" in rebuilt.stderr and "was deleted" in rebuilt.stderr


def test_the_newest_file_deleted_is_seen_by_the_ledger_head(home):
    second, _ = run_evidence(home, BAD_DAY)
    second.unlink()
    rebuilt = factory(home, "state", "rebuild")
    assert "EVIDENCE_CHAIN_BROKEN" in rebuilt.stderr
    assert "the newest files were deleted" in rebuilt.stderr


def test_reordered_evidence_files_are_refused(home):
    first, _ = run_evidence(home, GOOD_DAY)
    second, _ = run_evidence(home, BAD_DAY)
    first_bytes, second_bytes = first.read_bytes(), second.read_bytes()
    first.write_bytes(second_bytes)
    second.write_bytes(first_bytes)
    rebuilt = factory(home, "state", "rebuild")
    assert "2 file(s) refused" in rebuilt.stdout
    assert "files were renamed or swapped" in rebuilt.stderr
    assert not [c for c in status_json(home) if c["partition"] and c["consumable"]]


def test_an_inserted_evidence_file_is_refused(built, home, tmp_path):
    """A validly signed file from a copy of the home (same run key) copied
    back in: it claims a place the home's own file holds."""
    other = copy_home(built, tmp_path / "other")
    factory(other, "gate", CONSUMER, "--partition", BAD_DAY, expect=EXIT_BLOCKED)
    factory(home, "gate", CONSUMER, "--partition", GOOD_DAY)
    ((inserted, _),) = evidence_documents(other, "decision")
    ((own, _),) = evidence_documents(home, "decision")
    (home / "evidence" / inserted.name).write_bytes(inserted.read_bytes())
    factory(home, "validate", str(home / "evidence" / inserted.name))  # its signature holds
    rebuilt = factory(home, "state", "rebuild")
    assert f"1 file(s) refused: {inserted.name}" in rebuilt.stdout
    assert "a file was inserted" in rebuilt.stderr and own.name not in rebuilt.stdout


def test_a_typed_name_without_a_key_is_refused(home):
    result = factory(
        home,
        "approve",
        CONSUMER,
        "--partition",
        BAD_DAY,
        "--by",
        "mei.chen",
        "--reason",
        "needed",
        expect=EXIT_USAGE,
    )
    assert "APPROVER_KEY_REQUIRED" in result.stderr and "--key" in result.stderr
    assert "--by mei.chen is a typed name" in result.stderr
    assert "Traceback" not in result.output
    assert not evidence_documents(home, "approval")


def test_a_key_not_allowed_for_the_consumer_is_refused(home, keys, signers):
    result = approve(home, keys["stranger"], expect=EXIT_INPUT_REJECTED)
    assert "APPROVER_KEY_NOT_ALLOWED" in result.stderr and str(signers) in result.stderr
    result = approve(home, keys["mallory"], expect=EXIT_INPUT_REJECTED)
    assert "APPROVER_NOT_OWNER" in result.stderr and "mallory" in result.stderr
    assert "mei.chen" in result.stderr  # who may
    assert not evidence_documents(home, "approval")
    gate(home)


def test_an_approval_signed_by_an_owner_releases_and_names_what_it_holds_for(home, keys):
    blocked = gate(home)
    codes = sorted({r["code"] for r in blocked["reasons"]})
    approved = json.loads(approve(home, keys["mei.chen"], "--format", "json").stdout)
    assert approved["approved_by"] == "mei.chen" and approved["overrides"] == codes
    assert approved["key_id"].startswith("SHA256:")
    fact = cells_by_key(status_json(home))[("ticket_fact", BAD_DAY)]
    assert {"asset": "ticket_fact", "partition": BAD_DAY} in [
        {k: c[k] for k in ("asset", "partition")} for c in approved["cells"]
    ]
    (cell,) = [c for c in approved["cells"] if c["asset"] == "ticket_fact"]
    assert cell["content"].startswith(fact["fingerprint"]["hash"])
    ((_, document),) = evidence_documents(home, "approval")
    assert document["signature"]["principal"] == "mei.chen"
    assert document["signature"]["namespace"] == "factory-approval"
    released = gate(home, expect=EXIT_OK)
    assert released["approval"]["approved_by"] == "mei.chen"
    factory(home, "state", "rebuild")
    assert gate(home, expect=EXIT_OK)["approval"]["approved_by"] == "mei.chen"


def test_a_forged_approval_is_refused(home, keys):
    approve(home, keys["mei.chen"])
    ((path, document),) = evidence_documents(home, "approval")
    document["approvals"][0]["approved_by"] = "mallory"
    forge(path, document)
    rebuilt = factory(home, "state", "rebuild")
    assert f"refused: {path.name}" in rebuilt.stdout
    assert "EVIDENCE_SIGNATURE_INVALID" in rebuilt.stderr
    assert gate(home)["approval"] is None


def test_an_approval_signed_by_a_listed_key_that_owns_nothing_is_not_indexed(home, keys):
    """mallory signs an approval document herself (her key is listed, so the
    signature verifies); the store refuses it: she owns nothing."""
    from data_factory.evidence.signing import approval_signer, load_private_key
    from data_factory.evidence.store import write_evidence

    approve(home, keys["mei.chen"])
    ((path, document),) = evidence_documents(home, "approval")
    path.unlink()  # replaced by mallory's, in the same place of the ledger
    (home / "evidence" / ".ledger-head").unlink()
    document["approvals"][0]["approved_by"] = "mallory"
    document.pop("ledger")
    write_evidence(
        document, path, signer=approval_signer(load_private_key(keys["mallory"]), "mallory")
    )
    rebuilt = factory(home, "state", "rebuild")
    assert f"refused: {path.name}" in rebuilt.stdout
    assert "APPROVER_NOT_OWNER" in rebuilt.stderr and "signed by mallory" in rebuilt.stderr
    assert gate(home)["approval"] is None


def test_an_identical_rebuild_keeps_the_approval(home, keys):
    approve(home, keys["mei.chen"])
    factory(home, "build", "--partition", BAD_DAY, expect=EXIT_BLOCKED)
    released = gate(home, expect=EXIT_OK)
    assert released["approval"]["approved_by"] == "mei.chen"
    assert released["lapsed_approvals"] == []


def test_a_content_change_after_approval_voids_it(home, keys):
    approved = json.loads(approve(home, keys["mei.chen"], "--format", "json").stdout)
    (was,) = [c["content"] for c in approved["cells"] if c["asset"] == "ticket_fact"]
    factory(
        home,
        "generate",
        "--start",
        BAD_DAY,
        "--tickets-per-day",
        "30",
        "--faults",
        f"bad_enum@{BAD_DAY},missing_fields@{BAD_DAY}",  # fewer rows, the same failing check
        "--export-version",
        "2",
    )
    factory(home, "run", "--partition", BAD_DAY, expect=EXIT_BLOCKED)
    blocked = gate(home)
    assert blocked["approval"] is None
    (lapse,) = blocked["lapsed_approvals"]
    assert lapse["approval"]["approved_by"] == "mei.chen"
    (cell,) = [c for c in lapse["cells"] if c["asset"] == "ticket_fact"]
    assert cell["approved"] == was and cell["now"] != was
    text = factory(home, "gate", CONSUMER, "--partition", BAD_DAY, expect=EXIT_BLOCKED).stdout
    assert f"ticket_fact {BAD_DAY}: approved {was}, now {cell['now']}" in text


def test_a_new_reason_blocks_again(home, keys):
    result = approve(home, keys["mei.chen"], "--covers", "NOT_A_REASON", expect=EXIT_USAGE)
    assert "not a current block reason" in result.stderr
    approved = json.loads(
        approve(home, keys["mei.chen"], "--covers", "check_failed", "--format", "json").stdout
    )
    assert approved["overrides"] == ["CHECK_FAILED"]
    assert gate(home, expect=EXIT_OK)["approval"]["approved_by"] == "mei.chen"
    path, document = run_evidence(home, BAD_DAY)
    document["invocation"]["command"] += " (edited)"
    forge(path, document)  # the day's evidence no longer verifies: a reason the approval never saw
    blocked = gate(home)
    assert blocked["approval"] is None and blocked["lapsed_approvals"] == []
    assert "EVIDENCE_SIGNATURE_INVALID" in {r["code"] for r in blocked["reasons"]}


def test_the_same_decision_is_recorded_once(home):
    first = factory(home, "gate", CONSUMER, "--partition", GOOD_DAY)
    assert "decision recorded in" in first.stderr
    again = factory(home, "gate", CONSUMER, "--partition", GOOD_DAY)
    assert "decision unchanged since" in again.stderr and "nothing new recorded" in again.stderr
    assert len(evidence_documents(home, "decision")) == 1
    gate(home)  # another day: its own record
    assert len(evidence_documents(home, "decision")) == 2
