"""The evidence's `inputs` entry of a day: from an ingest report, or from
the error that refused the ingest."""

from __future__ import annotations

import hashlib
from pathlib import Path

from data_factory.core.errors import FactoryError


def input_from_report(report) -> dict:
    return {
        "partition": report.partition,
        "status": report.status,
        "manifest_path": report.manifest_path,
        "manifest_sha256": report.manifest_sha256,
        "export_version": report.export_version,
        "files": report.files,
        "manifest_lines": report.manifest_lines,
        "landed_rows": report.landed_rows,
        "rejected_rows": report.rejected_rows,
        "rejected_by_reason": report.rejected_by_reason,
        "unknown_fields": report.unknown_fields,
        "ingest_run_id": report.run_id,
        "reason_codes": sorted(set(report.reason_codes)),
        "message": None,
    }


def failed_input(
    partition: str, error: FactoryError, run_id: str, manifest: Path | None = None
) -> dict:
    """The input entry of a refused day. It keeps the sha256 of the manifest
    it refused, when there is one: the planner waits for another export while
    the manifest is still that one (recovery.plan, await_export)."""
    try:
        sha = hashlib.sha256(manifest.read_bytes()).hexdigest() if manifest else None
    except OSError:
        sha = None
    return {
        "partition": partition,
        "status": "failed",
        "manifest_path": str(manifest) if sha else None,
        "manifest_sha256": sha,
        "export_version": None,
        "files": [],
        "manifest_lines": None,
        "landed_rows": None,
        "rejected_rows": None,
        "rejected_by_reason": {},
        "unknown_fields": [],
        "ingest_run_id": run_id,
        "reason_codes": [error.reason_code],
        "message": error.message,
    }
