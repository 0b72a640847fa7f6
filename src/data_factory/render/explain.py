"""Reasons in words: the one place the factory's reason facts become English.

The state store keeps, for every cell, one detail per reason code (see
state.derive); the gate returns block reasons about the cells a consumer
needs (see decisions.reasons). Both are facts with a code; `explain_detail`
and `explain` turn them into the sentences of `factory status` (table, JSON
`text`, HTML) and of `factory gate` / `factory approve`. Matching an
approval never reads these words.
"""

from __future__ import annotations

from data_factory.core.reasons import describe


def _label(asset: str | None, partition: str | None) -> str:
    return f"{asset} {partition}" if partition else str(asset)


def _checks(checks: list[dict]) -> str:
    return ", ".join(
        f"{c['name']} ({_failing(c['failures'])})" if c.get("failures") else c["name"]
        for c in checks
    )


def _failing(count: int) -> str:
    """What dbt counted: rows the check's query returned (for accepted_values,
    distinct bad values; `factory failures` shows them)."""
    return f"{count:,} failing row" + ("" if count == 1 else "s")


def _upstream(cell: dict) -> str:
    label = _label(cell["asset"], cell["partition"])
    if cell["outcome"] == "failed":
        return f"{label} failed"
    if cell["outcome"] == "check_failed":
        return f"{label} has a failing error-severity check: " + _checks(cell["checks"])
    return f"{label} is blocked"


def explain_root(root: dict) -> str:
    """One root cell a chain names (state.chain: asset, partition, status, reasons)."""
    codes = ", ".join(root["reasons"])
    return f"{_label(root['asset'], root['partition'])} is {root['status']} ({codes})"


def _roots(detail: dict) -> str:
    roots = (detail.get("cause") or {}).get("roots") or []
    named = [explain_root(r) for r in roots[:3]]
    more = f" and {len(roots) - 3} more" if len(roots) > 3 else ""
    return "; ".join(named) + more


def _reads(detail: dict) -> str:
    return ", ".join(
        f"{u['asset']} {_days(u['days'])}" if u["days"] else u["asset"] for u in detail["upstream"]
    )


def _landing(detail: dict) -> str | None:
    code = detail["code"]
    if code == "ROWS_REJECTED" and detail.get("rejected") is not None:
        why = ", ".join(f"{n:,} {reason}" for reason, n in sorted(detail["by_reason"].items()))
        return f"{detail['rejected']:,} line(s) rejected and kept" + (f" ({why})" if why else "")
    if code == "SCHEMA_DRIFT" and detail.get("fields"):
        return "unknown fields landed without them: " + ", ".join(detail["fields"])
    if code == "EXPORT_REFUSED" and "run_id" in detail:
        return (
            f"a later export was refused by run {detail['run_id']} "
            f"({', '.join(detail['refused_for'])}); the day keeps what was landed before"
            + (f": {detail['message']}" if detail.get("message") else "")
        )
    if code == "LANDING_MISSING" and "asset" in detail:
        return f"nothing was ever landed for {_label(detail['asset'], detail['partition'])}"
    if detail.get("message"):
        return f"{code}: {detail['message']}"
    return None


def _days(days: list[str]) -> str:
    shown = ", ".join(days[:5])
    return shown + (f" and {len(days) - 5} more" if len(days) > 5 else "")


def _stale(detail: dict) -> str:
    code, cause, built_by = detail["code"], detail["cause"], detail["built_by"]
    if code == "STALE_CODE_CHANGED":
        return (
            f"the model code changed (checksum {detail['built_with'][:12]} -> "
            f"{cause['checksum'][:12]}, seen in run {detail['seen_in']}) since run {built_by} "
            "built this partition"
        )
    upstream = cause["upstream"]
    if code == "STALE_UPSTREAM_CHANGED":
        return (
            f"{upstream['asset']} changed (checksum {detail['built_with'][:12]} -> "
            f"{cause['checksum'][:12]}, seen in run {detail['seen_in']}) after run {built_by} "
            "built this partition"
        )
    name, days, via, window = upstream["asset"], upstream["days"], detail["via"], detail["window"]
    through = f" (its input {_label(via['asset'], via['partition'])} was rebuilt)" if via else ""
    reads = f"; it reads {name} over {window['from']}..{window['to']}" if window else ""
    return (
        f"{name} {_days(days)} {'was' if len(days) == 1 else 'were'} rebuilt{through} "
        f"by run {cause['run_id']} after run {built_by} built this partition{reads}"
    )


def _evidence(detail: dict) -> str:
    if detail.get("problem"):
        return detail["problem"]  # the validator's own message, code first
    if detail.get("gone"):
        return f"EVIDENCE_INVALID: {detail['file']} is gone"
    return (
        "EVIDENCE_HASH_MISMATCH: the file changed since the state store indexed it; "
        "run `factory state rebuild`"
    )


def _fingerprint(found: dict | None) -> str:
    if found is None:
        return "no table"
    digest = found.get("hash") or (found.get("quick") or {}).get("hash")
    return f"{found['rows']} rows, hash {digest}"


def _warehouse(detail: dict) -> str:
    code, where = detail["code"], detail.get("warehouse")
    if code == "WAREHOUSE_CONTENT_CHANGED":
        cell = _label(detail["cell"]["asset"], detail["cell"]["partition"])
        return (
            f"the warehouse no longer holds what the evidence of {cell} "
            f"recorded: expected {_fingerprint(detail['expected'])}, "
            f"found {_fingerprint(detail['found'])}"
        )
    if code == "WAREHOUSE_LOCKED":
        return (
            f"a run is writing the warehouse {where}: the fingerprints could not be re-checked; "
            "ask again when it ends"
        )
    found = detail["found"]
    if found == "replaced":
        return (
            f"the warehouse {where} was replaced: it holds id {detail['found_id'] or 'none'}, "
            f"this day was built into {detail['expected_id']}"
        )
    state = {"gone": "is gone", "empty": "is empty (0 bytes)"}.get(found, "cannot be opened")
    return f"the warehouse {where} {state}: the rows this evidence describes are not there"


def _not_written(detail: dict) -> str:
    return (
        f"run {detail['run_id']} ({detail['command']}) started building this day at "
        f"{detail['started_at']}, but its evidence was never written (refused or interrupted); "
        "the warehouse may hold rows no evidence describes"
    )


def explain_detail(detail: dict) -> str:
    """One reason detail of a cell (status JSON `reason_details`) in words."""
    code = detail["code"]
    if code == "CHECK_FAILED":
        return "error-severity check failed: " + _checks(detail["checks"])
    if code == "CHECK_WARNED":
        return "warn-severity check found rows (advisory, does not block): " + _checks(
            detail["checks"]
        )
    if code == "UPSTREAM_NOT_CONSUMABLE":
        return f"it reads {_reads(detail)}, which is not consumable; root: {_roots(detail)}"
    if code.startswith("UPSTREAM_") and "upstream" in detail:
        causes = [_upstream(cell) for cell in detail["upstream"]]
        roots = {
            (r["unique_id"], r["partition"]) for r in (detail.get("cause") or {}).get("roots", [])
        }
        direct = {(c["unique_id"], c["partition"]) for c in detail["upstream"]}
        root = f"; root: {_roots(detail)}" if roots - direct else ""
        return "not attempted: " + ("; ".join(causes) or "an asset it needs did not build") + root
    if code == "BUILD_ERROR":
        return "the build errored" + (f": {detail['message']}" if detail.get("message") else "")
    if code == "ASSET_DISABLED":
        return f"{detail['asset']} is switched off in the project configuration (not a failure)"
    if code == "PARTITION_MISSING":
        return f"no evidence records a build of {_label(detail['asset'], detail['partition'])}" + (
            " (it was only ever left out of a selection)" if detail.get("only_skipped") else ""
        )
    if code.startswith("STALE_") and "cause" in detail:
        return _stale(detail)
    if code.startswith("EVIDENCE_") and "file" in detail:
        return _evidence(detail)
    if code.startswith("WAREHOUSE_") and ("found" in detail or "warehouse" in detail):
        return _warehouse(detail)
    if code == "EVIDENCE_NOT_WRITTEN" and "run_id" in detail:
        return _not_written(detail)
    return _landing(detail) or describe(code)


def explain_landing_problem(problem: dict) -> str:
    """A landing folder that is not a day of the project (landing.landed)."""
    if problem["code"] == "LANDING_FOLDER_NOT_A_DAY":
        return (
            f"LANDING_FOLDER_NOT_A_DAY: {problem['folder']} is not named dt=YYYY-MM-DD with a "
            "real day; it is never planned or built (rename or remove it)"
        )
    return (
        f"LANDING_OUTSIDE_HISTORY: {problem['folder']} is dated {problem['day']}, before the "
        f"history the project declares (it starts {problem['history_start']}); it is never "
        "planned or built (remove it, or move the history start var if the day is real)"
    )


def _not_available(reason: dict) -> str:
    asset, day, consumer = reason["asset"], reason["partition"], reason["consumer"]
    if reason["status"] == "not_available":
        return (
            f"{asset} {day} is not_available: it was switched off when run {reason['run_id']} "
            f"built the day; {consumer} needs it"
        )
    where = {"switched_off": "is switched off in the project"}.get(
        reason["status"], "is not in the project"
    )
    return f"{asset} {where} (an optional asset that is not enabled); {consumer} needs it for {day}"


def explain(reason: dict) -> str:
    """One gate reason (block, warning or approval override) in words."""
    code, label = reason["code"], _label(reason["asset"], reason["partition"])
    if code == "APPROVAL_OVERRIDE":
        approval = reason["detail"]
        return (
            f"released by the approval of {approval['approved_by']} at "
            f"{approval['approved_at']}: {approval['reason']} "
            f"(overrides {', '.join(approval['overrides'])})"
        )
    if reason.get("detail"):
        return f"{label} is {reason['status']}: {explain_detail(reason['detail'])}"
    if code == "PARTITION_MISSING":
        return f"{label}: no evidence records a build of this day"
    if code == "UPSTREAM_NOT_AVAILABLE":
        return _not_available(reason)
    if code == "CHECK_WARNED":
        return f"{label}: warn-severity check found rows (does not block): " + ", ".join(
            reason["checks"]
        )
    return f"{label} is {reason['status']} and not consumable"


def with_text(reasons: list[dict]) -> list[dict]:
    """Gate reasons as JSON shows them: each with its `text`."""
    return [{**reason, "text": explain(reason)} for reason in reasons]


def cells_with_text(cells: list[dict]) -> list[dict]:
    """Status cells as JSON shows them: each reason detail with its `text`."""
    return [
        {
            **cell,
            "reason_details": [
                {**detail, "text": explain_detail(detail)} for detail in cell["reason_details"]
            ],
        }
        for cell in cells
    ]
