"""The facts a cell's reason details hold: check counts and names, the
cells they point at, and what the ingest recorded of a landing day. No
English here; render.explain puts them into words."""

from __future__ import annotations

import json
import sqlite3

from data_factory.evidence.assets import is_blocking, is_warning

CHECK_STATUSES = ("passed", "warned", "failed", "errored", "not_run")


def check_summary(checks: list[dict]) -> dict:
    """Counts per check status, plus the names of the checks that block and
    of those that warn (evidence.assets.is_blocking, is_warning)."""
    summary: dict = dict.fromkeys(CHECK_STATUSES, 0)
    for check in checks:
        summary[check["status"]] = summary.get(check["status"], 0) + 1
    summary["blocking"] = sorted(c["name"] for c in checks if is_blocking(c))
    summary["warnings"] = sorted(c["name"] for c in checks if is_warning(c))
    return summary


def check_facts(checks: list[dict], names: list[str]) -> list[dict]:
    """The named checks with the rows each found (None when dbt gave no count)."""
    by_name = {c["name"]: c for c in checks}
    return [{"name": name, "failures": by_name.get(name, {}).get("failures")} for name in names]


def cell_ref(row: sqlite3.Row) -> dict:
    partition = row["partition"] or None
    return {"asset": row["asset"], "unique_id": row["unique_id"], "partition": partition}


def landing_facts(code: str, item: sqlite3.Row | None) -> dict:
    """What the ingest recorded about its day's reason code: how many lines
    were rejected and why, the fields that drifted, or why it refused."""
    if item is None:
        return {"code": code}
    if code == "ROWS_REJECTED":
        return {
            "code": code,
            "rejected": item["rejected_rows"],
            "by_reason": json.loads(item["rejected_by_reason_json"]),
        }
    if code == "SCHEMA_DRIFT":
        return {"code": code, "fields": json.loads(item["unknown_fields_json"])}
    return {"code": code, "message": item["message"]}


def refusal_facts(run_id: str, item: sqlite3.Row) -> dict:
    """EXPORT_REFUSED: the run whose export of the day was refused, and why."""
    return {
        "code": "EXPORT_REFUSED",
        "run_id": run_id,
        "refused_for": json.loads(item["reason_codes_json"]),
        "message": item["message"],
    }


def missing_cell(base: dict, *, only_skipped: bool) -> dict:
    """A cell no build records: PARTITION_MISSING, or LANDING_MISSING for a
    landing cell (a day that was never exported, or never ingested)."""
    code = "LANDING_MISSING" if base["resource_type"] == "source" else "PARTITION_MISSING"
    return {
        **base,
        "status": "missing",
        "consumable": 0,
        "checks": check_summary([]),
        "reasons": [code],
        "details": [
            {
                "code": code,
                "asset": base["asset"],
                "partition": base["partition"] or None,
                "only_skipped": only_skipped,
            }
        ],
        "run_id": None,
        "evidence_file": None,
        "evidence_sha256": None,
        "rows": None,
        "checksum": None,
        "window_days": None,
    }
