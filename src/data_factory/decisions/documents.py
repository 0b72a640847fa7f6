"""Decision and approval evidence documents: built, written and applied."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path

from data_factory.core.clock import utc_now_iso
from data_factory.core.paths import FactoryPaths
from data_factory.evidence.document import new_document
from data_factory.evidence.signing import Signer
from data_factory.evidence.store import write_evidence
from data_factory.state.index import apply_evidence_file


def approval_entry(approval: dict) -> dict:
    """An approval as the evidence schema's `approval` object."""
    return {
        key: approval[key]
        for key in (
            "consumer",
            "partition",
            "approved_by",
            "approved_at",
            "reason",
            "overrides",
            "key_id",
            "cells",
        )
        if key in approval
    }


def document_id(label: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{label}-{stamp}-{secrets.token_hex(2)}"


def document(
    *,
    kind: str,
    run_id: str,
    command: str,
    partition: str,
    status: str,
    reason_codes: set[str],
    approvals: list[dict],
    decision: dict,
    manifest: dict,
) -> dict:
    now = utc_now_iso()
    document = new_document(
        run_id=run_id,
        kind=kind,
        status=status,
        started_at=now,
        finished_at=now,
        manifest=manifest,
        partitions=[partition],
        invocation={"command": command},
    )
    document.update(reason_codes=sorted(reason_codes), approvals=approvals, decision=decision)
    return document


def record(
    paths: FactoryPaths, written: dict, manifest: dict, signer: Signer | None = None
) -> Path:
    """Sign (with `signer`, by default the run key), write and index."""
    path = write_evidence(written, paths.evidence / f"{written['run_id']}.json", signer=signer)
    apply_evidence_file(paths, [path], manifest=manifest)
    return path
