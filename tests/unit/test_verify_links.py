"""The link logic of `factory verify` on hand-made homes: a landing folder
written here, evidence documents of evidence_fixture, the manifest of
artifacts_fixture (no dbt, no warehouse: the cells carry no fingerprint)."""

from __future__ import annotations

import hashlib
import json

import jsonschema
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from evidence_fixture import CONSUMER, FACT, KPI, SEED, asset_entry, kpi_manifest, run_document

from data_factory.core.errors import EXIT_USAGE, FactoryError
from data_factory.core.paths import FACTORY_ROOT, FactoryPaths
from data_factory.decisions.documents import document
from data_factory.evidence.signers import public_key_line
from data_factory.evidence.signing import Signer, approval_signer, run_signer, sign_document
from data_factory.evidence.store import content_sha256, write_evidence
from data_factory.verify.walk import verify

DAY = "2026-11-02"
BODY = b'{"event_id": "e1"}\n{"event_id": "e2"}\n{"event_id": "e3"}\n'


def land(paths: FactoryPaths, body: bytes = BODY) -> str:
    """A day folder with one file and its manifest; the manifest's sha256."""
    folder = paths.tickets_partition_dir(DAY)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "events-0001.jsonl").write_bytes(body)
    manifest = {
        "partition": DAY,
        "export_version": 1,
        "files": [
            {
                "name": "events-0001.jsonl",
                "sha256": hashlib.sha256(body).hexdigest(),
                "lines": body.count(b"\n"),
                "bytes": len(body),
            }
        ],
    }
    raw = json.dumps(manifest).encode()
    (folder / "_manifest.json").write_bytes(raw)
    return hashlib.sha256(raw).hexdigest()


def landed_input(sha: str, run_id: str, *, lines=3, landed=3, rejected=0) -> dict:
    return {
        "asset": "orders",
        "partition": DAY,
        "status": "landed",
        "manifest_path": "_manifest.json",
        "manifest_sha256": sha,
        "export_version": 1,
        "files": [],
        "manifest_lines": lines,
        "landed_rows": landed,
        "rejected_rows": rejected,
        "rejected_by_reason": {},
        "unknown_fields": [],
        "ingest_run_id": run_id,
        "reason_codes": [],
        "message": None,
    }


def write(paths: FactoryPaths, written: dict) -> None:
    write_evidence(written, paths.evidence / f"{written['run_id']}.json")


@pytest.fixture
def paths(tmp_path) -> FactoryPaths:
    """A home whose day was ingested and built in one run, every link whole."""
    paths = FactoryPaths(tmp_path / "home")
    sha = land(paths)
    assets = [asset_entry(FACT, DAY), asset_entry(KPI, DAY), asset_entry(SEED, None)]
    write(paths, run_document("run-1", 1, assets, [landed_input(sha, "run-1")]))
    return paths


def broken(paths: FactoryPaths, manifest: dict | None = None, **scope) -> dict:
    report = verify(paths, manifest or kpi_manifest(), **scope)
    return {(c.asset, c.partition): c.broken for c in report.cells if c.broken}


def test_every_link_holds_on_a_whole_chain(paths):
    report = verify(paths, kpi_manifest())
    assert report.holds
    assert [(c.asset, c.partition) for c in report.cells] == [
        ("regions", None),
        ("order_fact", DAY),
        ("order_kpi", DAY),
    ]


def test_one_byte_changed_in_a_landed_file_breaks_the_landing_link(paths):
    land_file = paths.tickets_partition_dir(DAY) / "events-0001.jsonl"
    land_file.write_bytes(BODY.replace(b"e2", b"e9"))
    found = broken(paths)
    assert set(found) == {("order_fact", DAY), ("order_kpi", DAY)}
    fact = found[("order_fact", DAY)]
    assert (fact.link, fact.code, fact.file) == (
        "landing",
        "MANIFEST_CHECKSUM_MISMATCH",
        str(land_file),
    )
    assert hashlib.sha256(BODY).hexdigest() in fact.expected


def test_a_new_manifest_is_an_export_the_ingest_never_recorded(paths):
    land(paths, BODY + b'{"event_id": "e4"}\n')
    fact = broken(paths)[("order_fact", DAY)]
    assert (fact.link, fact.code) == ("ingest", "EXPORT_CHANGED")


def test_an_ingest_run_without_evidence_is_named(tmp_path):
    paths = FactoryPaths(tmp_path / "home")
    sha = land(paths)
    write(paths, run_document("run-2", 2, [asset_entry(FACT, DAY)], [landed_input(sha, "gone")]))
    fact = broken(paths)[("order_fact", DAY)]
    assert (fact.link, fact.code) == ("ingest", "INGEST_EVIDENCE_MISSING")
    assert "gone" in fact.expected


def test_lines_that_are_not_landed_plus_rejected_break_the_ingest_link(tmp_path):
    paths = FactoryPaths(tmp_path / "home")
    sha = land(paths)
    forged = landed_input(sha, "run-1", landed=999)
    write(paths, run_document("run-1", 1, [asset_entry(FACT, DAY)], [forged]))
    fact = broken(paths)[("order_fact", DAY)]
    assert (fact.link, fact.code) == ("ingest", "EVIDENCE_COUNTS_INCONSISTENT")
    assert "999 landed" in fact.found


def test_a_build_whose_input_differs_from_the_ingest_it_names(tmp_path):
    paths = FactoryPaths(tmp_path / "home")
    sha = land(paths)
    write(paths, run_document("ingest-1", 1, [], [landed_input(sha, "ingest-1")]))
    differs = landed_input(sha, "ingest-1", landed=2, rejected=1)
    write(paths, run_document("build-1", 2, [asset_entry(FACT, DAY)], [differs]))
    fact = broken(paths)[("order_fact", DAY)]
    assert (fact.link, fact.code) == ("build", "EVIDENCE_INPUT_MISMATCH")


def test_rows_that_are_not_the_fingerprints_break_the_build_link(tmp_path):
    paths = FactoryPaths(tmp_path / "home")
    sha = land(paths)
    fingerprint = {"algorithm": "md5-sum64/v1", "rows": 10, "hash": "00000000000000ff"}
    forged = asset_entry(FACT, DAY, rows=999999, fingerprint=fingerprint)
    write(paths, run_document("run-1", 1, [forged], [landed_input(sha, "run-1")]))
    fact = broken(paths)[("order_fact", DAY)]
    assert (fact.link, fact.code) == ("build", "EVIDENCE_COUNTS_INCONSISTENT")


def test_an_edited_file_that_was_not_re_hashed(paths):
    path = paths.evidence / "run-1.json"
    path.write_text(path.read_text().replace('"rows": 10', '"rows": 11', 1))
    fact = broken(paths)[("order_fact", DAY)]
    # the run ingested the day too: its ingest link reads the document first
    assert (fact.link, fact.code, fact.file) == ("ingest", "EVIDENCE_HASH_MISMATCH", str(path))


def test_a_model_changed_since_the_build_breaks_the_code_link(paths):
    manifest = kpi_manifest()
    manifest["nodes"][KPI]["checksum"] = {"checksum": "sum-new"}
    found = broken(paths, manifest)
    assert set(found) == {("order_kpi", DAY)}
    assert (found[("order_kpi", DAY)].link, found[("order_kpi", DAY)].code) == (
        "code",
        "STALE_CODE_CHANGED",
    )


def test_the_first_broken_link_is_named_not_a_later_one(paths):
    (paths.tickets_partition_dir(DAY) / "events-0001.jsonl").write_bytes(b"")
    manifest = kpi_manifest()
    manifest["nodes"][KPI]["checksum"] = {"checksum": "sum-new"}
    assert broken(paths, manifest)[("order_kpi", DAY)].link == "landing"


@pytest.fixture
def owners(tmp_path, monkeypatch) -> dict[str, Signer]:
    """Approval keys for ana.lima (an owner of the consumer) and mallory
    (listed, owns nothing), in an allowed-signers file of the test's own."""
    keys = {name: Ed25519PrivateKey.generate() for name in ("ana.lima", "mallory")}
    signers = tmp_path / "allowed_signers"
    signers.write_text(
        "".join(
            f'{name} namespaces="factory-approval" {public_key_line(key.public_key())}\n'
            for name, key in keys.items()
        )
    )
    monkeypatch.setenv("FACTORY_ALLOWED_SIGNERS", str(signers))
    return {name: approval_signer(key, name) for name, key in keys.items()}


def approve_as(paths: FactoryPaths, owners: dict[str, Signer], by: str, **kwargs) -> None:
    written = approval_document(by, **kwargs)
    write_evidence(written, paths.evidence / f"{written['run_id']}.json", signer=owners[by])


def approval_document(by: str, run_id: str = "run-1") -> dict:
    reason = {
        "code": "CHECK_FAILED",
        "asset": "order_fact",
        "partition": DAY,
        "checks": [],
        "text": "a check failed",
        "run_id": run_id,
        "evidence": None,
        "cause": None,
    }
    approval = {
        "consumer": CONSUMER,
        "partition": DAY,
        "approved_by": by,
        "approved_at": "2026-11-10T10:00:00Z",
        "reason": "known issue",
        "overrides": ["CHECK_FAILED"],
    }
    block = {
        "consumer": CONSUMER,
        "partition": DAY,
        "decision": "block",
        "requires": ["order_fact", "order_kpi"],
        "reasons": [reason],
        "overridden": [],
        "warnings": [],
    }
    return document(
        kind="approval",
        run_id=f"approve-{by}",
        command="approve",
        partition=DAY,
        status="success",
        reason_codes={"CHECK_FAILED"},
        approvals=[approval],
        decision=block,
        manifest=kpi_manifest(),
    )


def test_an_approval_by_someone_who_owns_nothing_breaks_the_decisions_link(paths, owners):
    approve_as(paths, owners, "ana.lima")
    assert verify(paths, kpi_manifest()).holds
    approve_as(paths, owners, "mallory")
    found = broken(paths)
    assert set(found) == {("order_fact", DAY), ("order_kpi", DAY)}
    fact = found[("order_fact", DAY)]
    assert (fact.link, fact.code, fact.found) == ("decisions", "APPROVER_NOT_OWNER", "mallory")
    assert fact.file == str(paths.evidence / "approve-mallory.json")


def test_a_decision_naming_a_run_no_evidence_records(paths, owners):
    approve_as(paths, owners, "ana.lima", run_id="run-forged")
    fact = broken(paths)[("order_fact", DAY)]
    assert (fact.link, fact.code) == ("decisions", "DECISION_CELL_UNKNOWN")


def test_scope_filters_assets_and_days_and_refuses_an_unknown_asset(paths):
    report = verify(paths, kpi_manifest(), assets=("order_kpi",), partition=DAY)
    assert [(c.asset, c.partition) for c in report.cells] == [("order_kpi", DAY)]
    assert verify(paths, kpi_manifest(), since="2026-11-01").holds
    with pytest.raises(FactoryError) as refused:
        verify(paths, kpi_manifest(), assets=("nope",))
    assert refused.value.exit_code == EXIT_USAGE


def test_an_empty_home_or_an_unbuilt_day_verifies_nothing_and_does_not_hold(paths, tmp_path):
    report = verify(FactoryPaths(tmp_path / "empty"), kpi_manifest())
    assert report.cells == [] and not report.holds
    report = verify(paths, kpi_manifest(), partition="2026-12-01")
    assert report.cells == [] and not report.holds


def test_the_json_report_follows_its_schema(paths):
    (paths.tickets_partition_dir(DAY) / "events-0001.jsonl").write_bytes(b"x\n")
    (paths.evidence / "torn.json").write_text("{")
    report = verify(paths, kpi_manifest()).to_dict()
    schema = json.loads((FACTORY_ROOT / "schemas" / "verify_report.schema.json").read_text())
    jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(report)
    assert report["holds"] is False and report["unreadable_evidence"][0]["file"].endswith(
        "torn.json"
    )
    assert {b["code"] for b in report["broken"]} == {"MANIFEST_CHECKSUM_MISMATCH"}


def test_an_approval_not_signed_by_an_owners_key_breaks_the_decisions_link(paths):
    # written as plain evidence: signed by the home's run key, not an approval key
    write_evidence(approval_document("ana.lima"), paths.evidence / "approve-ana.lima.json")
    fact = broken(paths)[("order_fact", DAY)]
    assert (fact.link, fact.code) == ("decisions", "EVIDENCE_SIGNATURE_INVALID")
    assert "expected ssh-ed25519 factory-approval" in fact.found


def test_a_file_edited_and_re_signed_with_the_run_key_breaks_the_ledger_link(paths):
    """Whoever holds the run key can re-sign an edit: its place in the
    ledger (the head records the newest file's sha256) still shows it."""
    path = paths.evidence / "run-1.json"
    forged = json.loads(path.read_text())
    forged["finished_at"] = "2026-11-02T23:59:59Z"  # any edit: this one changes no count
    forged["report"]["sha256"] = ""
    sign_document(forged, run_signer(paths.home))
    forged["report"]["sha256"] = content_sha256(forged)
    path.write_text(json.dumps(forged, indent=2, sort_keys=True) + "\n")
    fact = broken(paths)[("order_fact", DAY)]
    assert (fact.link, fact.code) == ("ledger", "EVIDENCE_CHAIN_BROKEN"), fact
