"""dbt results -> one evidence entry per (asset, partition), in the status
vocabulary of the factory."""

from __future__ import annotations

from data_factory.project.manifest import (
    asset_key,
    asset_nodes,
    checks_by_asset,
    disabled_assets,
    partition_column,
    upstream_assets,
)

_CHECK_STATUS = {
    "pass": "passed",
    "success": "passed",
    "warn": "warned",
    "fail": "failed",
    "error": "errored",
    "runtime error": "errored",
    "skipped": "not_run",
    "no-op": "not_run",
}


def _check_entry(test: dict, result: dict | None) -> dict:
    is_unit = test.get("resource_type") == "unit_test"
    severity = (
        "error" if is_unit else str((test.get("config") or {}).get("severity", "error")).lower()
    )
    status = (
        _CHECK_STATUS.get(str(result.get("status")).lower(), "errored") if result else "not_run"
    )
    message = (result or {}).get("message")
    return {
        "name": test.get("name", test["unique_id"]),
        "unique_id": test["unique_id"],
        "kind": "unit_test" if is_unit else "data_test",
        "severity": "warn" if severity == "warn" else "error",
        "status": status,
        "failures": (result or {}).get("failures"),
        "message": message[:500] if isinstance(message, str) else None,
        "execution_time_s": round(float((result or {}).get("execution_time") or 0.0), 4)
        if result
        else None,
    }


def is_blocking(check: dict) -> bool:
    """An error-severity check that failed or errored: the asset is not consumable."""
    return check["severity"] == "error" and check["status"] in ("failed", "errored")


def is_warning(check: dict) -> bool:
    """A check that did not pass and does not block: a warn-severity check that
    found rows or errored, or one dbt reported as warned. The one rule behind
    CHECK_WARNED in evidence and `checks.warnings` in the state."""
    return check["status"] in ("warned", "failed", "errored") and not is_blocking(check)


def _readers_of_sources(assets: dict[str, dict]) -> set[str]:
    """The assets that read a source, directly or further down the DAG."""
    found = {uid for uid, node in assets.items() if node.get("resource_type") == "source"}
    grew = True
    while grew:
        before = len(found)
        found |= {uid for uid, node in assets.items() if set(upstream_assets(node, assets)) & found}
        grew = len(found) > before
    return found


def derive_assets(
    manifest: dict,
    run_results: dict,
    partitions: list[str],
    row_counts: dict[tuple[str, str | None], int] | None = None,
    fingerprints: dict[tuple[str, str | None], dict] | None = None,
    input_status: dict[str, str] | None = None,
    not_attempted_reason: str | None = None,
    input_reasons: dict[str, list[str]] | None = None,
) -> list[dict]:
    """One entry per (asset, partition) of the project, in the DESIGN.md
    status vocabulary. `input_status` maps partition -> landing status for
    source assets ingested in this run, `input_reasons` partition -> the
    ingest's reason codes, which the source cells of that day carry (the
    root cause, on the cell it belongs to). When the build was not attempted
    (`not_attempted_reason`), only the assets that read a landing source are
    blocked; the others (seeds) were not touched and keep their state.
    `fingerprints` (rows and content hash, warehouse.fingerprint) give the
    rows where `row_counts` does not."""
    fingerprints = fingerprints or {}
    row_counts = {**{key: f["rows"] for key, f in fingerprints.items()}, **(row_counts or {})}
    input_status = input_status or {}
    input_reasons = input_reasons or {}
    results = {r["unique_id"]: r for r in run_results.get("results", [])}
    assets = asset_nodes(manifest)
    checks = checks_by_asset(manifest)
    reads_landing = _readers_of_sources(assets)

    # First pass: each asset's own outcome, without partition detail.
    outcome: dict[str, tuple[str, list[str], str | None]] = {}
    for uid, node in assets.items():
        own_checks = [_check_entry(t, results.get(t["unique_id"])) for t in checks.get(uid, [])]
        result = results.get(uid)
        reasons: list[str] = []
        message = None
        if node.get("resource_type") == "source":
            statuses = set(input_status.values())
            if not statuses:
                status = "skipped"
                reasons.append("NOT_SELECTED")
            elif "failed" in statuses:
                status = "failed"
            else:
                status = "materialized"
        elif result is None:
            if not_attempted_reason and uid in reads_landing:
                status, reasons = "blocked", [not_attempted_reason]
            else:
                status, reasons = "skipped", ["NOT_SELECTED"]
        else:
            dbt_status = str(result.get("status")).lower()
            message = result.get("message")
            if dbt_status in ("success", "pass", "no-op"):
                status = "materialized"
            elif dbt_status == "skipped":
                status = "blocked"
            else:
                status = "failed"
                reasons.append("BUILD_ERROR")
        if any(is_blocking(c) for c in own_checks):
            reasons.append("CHECK_FAILED")
        if any(is_warning(c) for c in own_checks):
            reasons.append("CHECK_WARNED")
        outcome[uid] = (status, reasons, message if isinstance(message, str) else None)

    # Second pass: name the upstream cause of every blocked asset.
    def upstream_causes(uid: str, seen: set[str]) -> set[str]:
        causes: set[str] = set()
        for parent in upstream_assets(assets[uid], assets):
            if parent in seen:
                continue
            seen.add(parent)
            status, reasons, _ = outcome[parent]
            if status == "failed":
                causes.add("UPSTREAM_FAILED")
            elif "CHECK_FAILED" in reasons:
                causes.add("UPSTREAM_CHECK_FAILED")
            elif status == "blocked":
                causes |= upstream_causes(parent, seen) or {"UPSTREAM_BLOCKED"}
        return causes

    entries = []
    for uid, node in sorted(assets.items()):
        status, reasons, message = outcome[uid]
        if status == "blocked" and not any(r.startswith("UPSTREAM") for r in reasons):
            own_unit_failed = "CHECK_FAILED" in reasons
            causes = upstream_causes(uid, set())
            if not causes and not own_unit_failed:
                causes = {"UPSTREAM_BLOCKED"}
            reasons = sorted(set(reasons) | causes)
        own_checks = [_check_entry(t, results.get(t["unique_id"])) for t in checks.get(uid, [])]
        result = results.get(uid) or {}
        column = partition_column(node)
        node_partitions: list[str | None] = list(partitions) if column and partitions else [None]
        for partition in node_partitions:
            entry_status = status
            entry_reasons = list(reasons)
            if node.get("resource_type") == "source" and partition in input_status:
                entry_status = "failed" if input_status[partition] == "failed" else "materialized"
                entry_reasons = [r for r in entry_reasons if r != "NOT_SELECTED"]
                entry_reasons += input_reasons.get(partition, [])
            entries.append(
                {
                    "asset": asset_key(node),
                    "unique_id": uid,
                    "resource_type": node.get("resource_type"),
                    "partition": partition,
                    "status": entry_status,
                    "rows": row_counts.get((uid, partition)),
                    "fingerprint": fingerprints.get((uid, partition)),
                    "execution_time_s": round(float(result["execution_time"]), 4)
                    if result.get("execution_time") is not None
                    else None,
                    "checksum": (node.get("checksum") or {}).get("checksum"),
                    "depends_on": upstream_assets(node, assets),
                    "checks": own_checks,
                    "reason_codes": sorted(set(entry_reasons)),
                    "message": message[:500]
                    if message and entry_status in ("failed", "blocked")
                    else None,
                }
            )

    for uid, node in sorted(disabled_assets(manifest).items()):
        column = partition_column(node)
        for partition in list(partitions) if column and partitions else [None]:
            entries.append(
                {
                    "asset": asset_key(node),
                    "unique_id": uid,
                    "resource_type": node.get("resource_type"),
                    "partition": partition,
                    "status": "not_available",
                    "rows": None,
                    "fingerprint": None,
                    "execution_time_s": None,
                    "checksum": (node.get("checksum") or {}).get("checksum"),
                    "depends_on": [],
                    "checks": [],
                    "reason_codes": ["ASSET_DISABLED"],
                    "message": None,
                }
            )
    return entries
