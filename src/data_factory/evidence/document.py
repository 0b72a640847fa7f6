"""The run evidence document: built from dbt artifacts and the factory's
own counts."""

from __future__ import annotations

import re
import subprocess
from functools import lru_cache
from pathlib import Path

from data_factory.core.clock import utc_now_iso
from data_factory.core.paths import PROJECT_DIR
from data_factory.evidence.artifacts import load_artifacts
from data_factory.evidence.assets import derive_assets, is_blocking

SCHEMA_VERSION = "1.0"


FACTORY_VERSION = "0.1.0"


@lru_cache(maxsize=1)
def git_identity(project_dir: Path = PROJECT_DIR) -> tuple[str | None, bool | None]:
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=project_dir,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=project_dir,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        return (sha if re.fullmatch(r"[0-9a-f]{40}", sha) else None), bool(dirty)
    except (OSError, subprocess.SubprocessError):
        return None, None


def run_status(evidence: dict) -> str:
    bad_asset = any(
        a["status"] in ("failed", "blocked") or any(is_blocking(c) for c in a["checks"])
        for a in evidence["assets"]
    )
    bad_input = any(i["status"] == "failed" for i in evidence["inputs"])
    unbalanced = any(not r["balanced"] for r in evidence["reconciliation"])
    return "failed" if bad_asset or bad_input or unbalanced else "success"


def new_document(
    *,
    run_id: str,
    kind: str,
    started_at: str,
    finished_at: str,
    manifest: dict,
    partitions: list[str],
    invocation: dict | None = None,
    node_checksums: dict | None = None,
    status: str = "success",
) -> dict:
    """The one skeleton of every evidence document (runs, decisions,
    approvals): identity, invocation, code, partitions; the caller fills
    inputs, assets, reconciliation, reasons and approvals."""
    metadata = manifest.get("metadata") or {}
    git_sha, git_dirty = git_identity()
    return {
        "schema_version": SCHEMA_VERSION,
        "run_id": run_id,
        "kind": kind,
        "status": status,
        "started_at": started_at,
        "finished_at": finished_at,
        "invocation": {
            "tool": "factory",
            "command": None,
            "dbt_command": None,
            "dbt_args": [],
            "vars": {},
            "selection": None,
            "target": None,
            "adapter": metadata.get("adapter_type"),
            "dbt_version": metadata.get("dbt_version"),
            "dbt_invocation_id": None,
            "project_name": metadata.get("project_name"),
            "factory_version": FACTORY_VERSION,
            **(invocation or {}),
        },
        "code": {
            "git_sha": git_sha,
            "git_dirty": git_dirty,
            "manifest_schema": metadata.get("dbt_schema_version"),
            "node_checksums": node_checksums or {},
        },
        "partitions": list(partitions),
        "inputs": [],
        "assets": [],
        "reconciliation": [],
        "reason_codes": [],
        "approvals": [],
        "report": {"path": "", "sha256": ""},
    }


def build_evidence(
    *,
    run_id: str,
    kind: str,
    command: str,
    started_at: str,
    run_results: dict,
    manifest: dict,
    partitions: list[str],
    inputs: list[dict] | None = None,
    row_counts: dict | None = None,
    fingerprints: dict | None = None,
    reconciliation: list[dict] | None = None,
    selection: list[str] | None = None,
    target: str | None = None,
    not_attempted_reason: str | None = None,
    approvals: list[dict] | None = None,
    dbt_args: list[str] | None = None,
    warehouse: dict | None = None,
) -> dict:
    inputs = inputs or []
    metadata = manifest.get("metadata") or {}
    args = run_results.get("args") or {}
    assets = derive_assets(
        manifest,
        run_results,
        partitions,
        row_counts=row_counts,
        fingerprints=fingerprints,
        input_status={i["partition"]: i["status"] for i in inputs if i["status"] != "not_ingested"},
        not_attempted_reason=not_attempted_reason,
        input_reasons={i["partition"]: i["reason_codes"] for i in inputs},
    )
    reasons = set()
    for collection in (assets, inputs):
        for item in collection:
            reasons.update(item["reason_codes"])
    reasons.discard("NOT_SELECTED")
    if reconciliation and any(not r["balanced"] for r in reconciliation):
        reasons.add("RECONCILIATION_FAILED")
    evidence = new_document(
        run_id=run_id,
        kind=kind,
        started_at=started_at,
        finished_at=utc_now_iso(),
        manifest=manifest,
        partitions=partitions,
        invocation={
            "command": command,
            "dbt_command": args.get("which"),
            "dbt_args": list(dbt_args)
            if dbt_args is not None
            else (str(args.get("invocation_command", "")).split()),
            "vars": args.get("vars") if isinstance(args.get("vars"), dict) else {},
            "selection": selection,
            "target": target or args.get("target"),
            "dbt_version": metadata.get("dbt_version")
            or (run_results.get("metadata") or {}).get("dbt_version"),
            "dbt_invocation_id": (run_results.get("metadata") or {}).get("invocation_id"),
        },
        node_checksums={a["unique_id"]: a["checksum"] for a in assets if a["checksum"]},
    )
    evidence.update(
        inputs=inputs,
        assets=assets,
        reconciliation=reconciliation or [],
        reason_codes=sorted(reasons),
        approvals=approvals or [],
        warehouse=warehouse,
    )
    evidence["status"] = run_status(evidence)
    return evidence


def evidence_from_target_dir(target_dir: Path, run_id: str | None = None) -> dict:
    """Evidence for any dbt project's target/ directory."""
    run_results, manifest = load_artifacts(target_dir)
    metadata = run_results.get("metadata") or {}
    vars_ = (run_results.get("args") or {}).get("vars") or {}
    partitions = []
    if isinstance(vars_, dict) and vars_.get("partition"):
        from data_factory.core.partitions import parse_partition

        partitions = [parse_partition(str(vars_["partition"]))]
    return build_evidence(
        run_id=run_id or f"dbt-{metadata.get('invocation_id', 'unknown')}",
        kind="dbt_artifacts",
        command="evidence",
        started_at=metadata.get("generated_at") or utc_now_iso(),
        run_results=run_results,
        manifest=manifest,
        partitions=partitions,
    )
