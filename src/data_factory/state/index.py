"""Applying evidence files to the state store."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from data_factory.core.console import say
from data_factory.core.errors import FactoryError
from data_factory.core.paths import FactoryPaths
from data_factory.evidence.files import (
    LoadedEvidence,
    evidence_file_name,
    evidence_files,
    evidence_path,
    load_evidence,
    order_key,
)
from data_factory.evidence.ledger import entry_of, read_head
from data_factory.project.parsed import load_manifest
from data_factory.project.windows import WindowRules
from data_factory.state.admission import approval_problems, chain_refusals, indexed_entries
from data_factory.state.db import STATE_TABLES, UNPARTITIONED, write_transaction
from data_factory.state.decisions import index_decision
from data_factory.state.derive import derive_state
from data_factory.state.intents import index_intents

APPLIED_KINDS = ("factory_run", "approval", "decision")


Warn = Callable[[str], None]


def _forget_run(connection: sqlite3.Connection, run_id: str) -> None:
    for table in (
        "evidence",
        "asset_records",
        "landing_inputs",
        "node_checksums",
        "approvals",
        "last_decisions",
    ):
        connection.execute(f"delete from {table} where run_id = ?", [run_id])


def _apply_document(
    connection: sqlite3.Connection, loaded: LoadedEvidence, file_name: str, rules: WindowRules
) -> None:
    document = loaded.document
    assert document is not None
    run_id = document["run_id"]
    key = order_key(document)
    _forget_run(connection, run_id)
    connection.execute(
        "insert into evidence values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run_id,
            document["kind"],
            file_name,
            loaded.sha256,
            document["started_at"],
            document["finished_at"],
            key,
            document["status"],
            json.dumps(document["partitions"]),
            (document.get("ledger") or {}).get("sequence"),
            (document.get("ledger") or {}).get("previous_sha256"),
            (document.get("signature") or {}).get("key_id"),
        ],
    )
    connection.execute("delete from rejected_evidence where file_name = ?", [file_name])
    kind = document["kind"]
    # of a decision document, only the last one per consumer and day is read back
    if kind == "factory_run":
        _apply_run(connection, document, key, rules)
    elif kind == "decision":
        index_decision(connection, document, key)
    elif kind == "approval":
        block = (document.get("decision") or {}).get("reasons") or []
        for approval in document["approvals"]:
            connection.execute(
                "insert or replace into approvals values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    run_id,
                    approval["consumer"],
                    approval["partition"],
                    approval["approved_by"],
                    approval["approved_at"],
                    approval["reason"],
                    json.dumps(approval["overrides"]),
                    json.dumps(block, sort_keys=True),
                    key,
                    approval.get("key_id"),
                    json.dumps(approval.get("cells") or [], sort_keys=True),
                ],
            )


def _apply_run(
    connection: sqlite3.Connection, document: dict, key: str, rules: WindowRules
) -> None:
    run_id = document["run_id"]
    checksums = document["code"]["node_checksums"]
    run_vars = document["invocation"].get("vars") or {}
    warehouse_id = (document.get("warehouse") or {}).get("id")
    for uid, checksum in checksums.items():
        connection.execute(
            "insert or replace into node_checksums values (?, ?, ?, ?)",
            [run_id, uid, checksum, key],
        )
    for item in document["inputs"]:
        connection.execute(
            "insert or replace into landing_inputs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                item["partition"],
                item["status"],
                item["manifest_sha256"],
                item["landed_rows"],
                item["rejected_rows"],
                json.dumps(item["rejected_by_reason"], sort_keys=True),
                json.dumps(item["unknown_fields"]),
                json.dumps(item["reason_codes"]),
                item["message"],
            ],
        )
    for entry in document["assets"]:
        partition = entry["partition"] or UNPARTITIONED
        upstream_checksums = {u: checksums[u] for u in entry["depends_on"] if u in checksums}
        connection.execute(
            "insert or replace into asset_records values "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                entry["unique_id"],
                partition,
                entry["asset"],
                entry["resource_type"],
                entry["status"],
                key,
                document["finished_at"],
                entry["rows"],
                entry["checksum"],
                json.dumps(entry["checks"], sort_keys=True),
                json.dumps(entry["reason_codes"]),
                json.dumps(rules.reads(entry["unique_id"], entry["depends_on"])),
                json.dumps(upstream_checksums, sort_keys=True),
                rules.window_days(entry["unique_id"], run_vars) if partition else 0,
                entry["message"],
                int(entry["unique_id"] in rules.views),
                json.dumps(entry["fingerprint"], sort_keys=True)
                if entry.get("fingerprint")
                else None,
                warehouse_id,
            ],
        )


@dataclass
class ApplyReport:
    applied: list[str] = field(default_factory=list)  # file names
    run_ids: list[str] = field(default_factory=list)  # their runs
    reapplied: bool = False  # a run already in the store was applied again
    rejected: list[tuple[str, list[str]]] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)


def _report_rejected(report: ApplyReport, warn: Warn) -> None:
    for name, problems in report.rejected:
        warn(f"  evidence {name} is invalid and was not applied to the state store:")
        for problem in problems[:5]:
            warn(f"    - {problem}")
    for name, why in report.ignored:
        warn(f"  evidence {name} was not applied: {why}")


def _apply_files(
    connection: sqlite3.Connection,
    paths: FactoryPaths,
    candidates: Iterable[Path],
    rules: WindowRules,
    report: ApplyReport,
    manifest: dict | None,
    head: dict | None = None,
) -> None:
    """Index the candidates that verify: each on its own (schema, sha256,
    signature), in the ledger (state.admission), and an approval's signer an
    owner; every other is recorded as rejected, with why."""
    loaded_all = [(evidence_file_name(paths, path), load_evidence(path)) for path in candidates]
    in_chain, broken = chain_refusals(
        indexed_entries(connection),
        [(name, loaded.sha256, loaded.document) for name, loaded in loaded_all],
        head,
    )
    if broken:
        report.rejected.append(("(the ledger)", broken))
    loaded_files = []
    for name, loaded in loaded_all:
        if loaded.valid:
            loaded.problems += in_chain.get(name, [])
            loaded.problems += approval_problems(loaded.document, manifest)
        if not loaded.valid:
            report.rejected.append((name, loaded.problems))
            entry = entry_of(name, loaded.sha256, loaded.document)
            connection.execute(
                "insert or replace into rejected_evidence values (?, ?, ?, ?, ?, ?)",
                [
                    name,
                    loaded.sha256,
                    json.dumps(loaded.problems),
                    entry.run_id,
                    entry.sequence,
                    entry.previous_sha256,
                ],
            )
            continue
        loaded_files.append((order_key(loaded.document), name, loaded))
    seen: dict[str, str] = {}
    for _, name, loaded in sorted(loaded_files, key=lambda item: (item[0], item[1])):
        document = loaded.document
        run_id = document["run_id"]
        if run_id in seen and seen[run_id] != name:
            report.ignored.append((name, f"run id {run_id} is already recorded by {seen[run_id]}"))
            continue
        existing = connection.execute(
            "select file_name from evidence where run_id = ?", [run_id]
        ).fetchone()
        still_there = existing and evidence_path(paths, existing["file_name"]).exists()
        if still_there and existing["file_name"] != name:
            report.ignored.append(
                (name, f"run id {run_id} is already recorded by {existing['file_name']}")
            )
            continue
        seen[run_id] = name
        report.run_ids.append(run_id)
        report.reapplied = report.reapplied or existing is not None
        if document["kind"] not in APPLIED_KINDS:
            # dbt_artifacts evidence describes any dbt target directory; it is
            # kept and validated but says nothing about this factory's partitions
            report.ignored.append((name, f"kind {document['kind']} does not change asset state"))
        _apply_document(connection, loaded, name, rules)
        report.applied.append(name)


def unindexed_in(connection: sqlite3.Connection, paths: FactoryPaths) -> list[Path]:
    indexed = {
        row["file_name"]: row["file_sha256"]
        for row in connection.execute("select file_name, file_sha256 from evidence")
    }
    rejected = {
        row["file_name"]: row["file_sha256"]
        for row in connection.execute("select file_name, file_sha256 from rejected_evidence")
    }
    found = []
    for path in evidence_files(paths):
        name = evidence_file_name(paths, path)
        if name in indexed:
            continue
        if name in rejected:
            sha = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""
            if sha == rejected[name]:
                continue
        found.append(path)
    return found


def _rules(paths: FactoryPaths, manifest: dict | None) -> tuple[WindowRules, dict | None]:
    if manifest is None:
        try:
            manifest = load_manifest(paths)
        except FactoryError as exc:
            say(f"  state: no dbt manifest ({exc.message}); windows read as same-day")
            manifest = None
    return WindowRules.from_manifest(manifest), manifest


def apply_evidence_file(
    paths: FactoryPaths,
    written: list[Path] = (),
    *,
    manifest: dict | None = None,
    warn: Warn = say,
) -> ApplyReport:
    """Apply written evidence files to the state store in one transaction,
    together with any other file of data/evidence/ it has not indexed yet
    (a run that crashed after writing its evidence, or a store that was
    deleted)."""
    report = ApplyReport()
    rules, manifest = _rules(paths, manifest)  # before the write lock: it may read a manifest
    with write_transaction(paths) as connection:
        fresh = connection.execute("select count(*) from evidence").fetchone()[0] == 0
        candidates = unindexed_in(connection, paths)
        pending = {c.resolve() for c in candidates}
        for path in map(Path, written):
            if path.resolve() in pending:
                continue
            known = connection.execute(
                "select 1 from evidence where file_name = ?", [evidence_file_name(paths, path)]
            ).fetchone()
            if not known:
                candidates.append(path)
        if candidates or fresh:
            _apply_files(connection, paths, candidates, rules, report, manifest)
        # builds whose evidence was never written (state.intents)
        unwritten = index_intents(connection, paths, rules)
        report.run_ids += unwritten
        if candidates or fresh or unwritten:
            derive_state(connection, None if fresh or report.reapplied else report.run_ids)
    _report_rejected(report, warn)
    return report


def record_run_evidence(
    paths: FactoryPaths, written: list[Path], manifest: dict | None = None
) -> None:
    """What a run calls right after its evidence files (one per day it
    built) were validated and written.
    It never fails the run: the evidence is on disk, and the next apply or
    `factory state rebuild` indexes whatever this one could not."""
    try:
        apply_evidence_file(paths, written, manifest=manifest)
    except Exception as exc:
        say(
            f"  state store not updated ({exc}); `factory state rebuild` will index "
            + ", ".join(map(str, written))
        )


def sync(paths: FactoryPaths, *, manifest: dict | None = None, warn: Warn = say) -> ApplyReport:
    """Bring the store up to date with data/evidence/ (creating it if needed)."""
    return apply_evidence_file(paths, manifest=manifest, warn=warn)


def rebuild(paths: FactoryPaths, *, manifest: dict | None = None, warn: Warn = say) -> ApplyReport:
    """Recreate the state store from data/evidence/ alone."""
    if paths.state.exists():
        try:
            probe = sqlite3.connect(str(paths.state))
            try:
                probe.execute("pragma quick_check").fetchone()
            finally:
                probe.close()
        except sqlite3.DatabaseError as exc:
            warn(f"  state: {paths.state} is damaged ({exc}); recreating it")
            for suffix in ("", "-wal", "-shm"):
                Path(str(paths.state) + suffix).unlink(missing_ok=True)
    report = ApplyReport()
    rules, manifest = _rules(paths, manifest)
    with write_transaction(paths) as connection:
        for table in STATE_TABLES:
            connection.execute(f"delete from {table}")
        _apply_files(
            connection,
            paths,
            evidence_files(paths),
            rules,
            report,
            manifest,
            head=read_head(paths.evidence),
        )
        report.run_ids += index_intents(connection, paths, rules)
        derive_state(connection)
    _report_rejected(report, warn)
    return report
