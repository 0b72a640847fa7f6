"""The evidence's `inputs` entry of a day: from an ingest report, or from
the error that refused the ingest."""

from __future__ import annotations

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


def failed_input(partition: str, error: FactoryError, run_id: str) -> dict:
    return {
        "partition": partition,
        "status": "failed",
        "manifest_path": None,
        "manifest_sha256": None,
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
