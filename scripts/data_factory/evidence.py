"""dbt artifacts (run_results.json + manifest.json) -> run evidence.

Evidence is the source of truth of the factory. It is validated against
`schemas/run_evidence.schema.json` before it is written, carries a sha256 of
its own content, and is written atomically, so a reader never sees half a
file and a file that exists is a file that validated.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tempfile
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import jsonschema_rs

from .errors import FactoryError
from .paths import PROJECT_DIR

SCHEMA_VERSION = "1.0"
SCHEMA_PATH = PROJECT_DIR / "schemas" / "run_evidence.schema.json"
FACTORY_VERSION = "0.1.0"

SUPPORTED_ARTIFACTS = {
    "run-results": {"v4", "v5", "v6"},
    "manifest": {"v10", "v11", "v12"},
}
ASSET_TYPES = ("model", "seed", "snapshot")

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


# --------------------------------------------------------------------------
# reading artifacts


def artifact_version(document: dict, kind: str, path: Path | str) -> str:
    url = (document.get("metadata") or {}).get("dbt_schema_version") or ""
    match = re.search(rf"/{kind}/(v\d+)\.json$", url)
    version = match.group(1) if match else (url or "no dbt_schema_version")
    if version not in SUPPORTED_ARTIFACTS[kind]:
        supported = ", ".join(sorted(SUPPORTED_ARTIFACTS[kind]))
        raise FactoryError(
            "ARTIFACT_VERSION_UNSUPPORTED",
            f"{path} is a dbt {kind} artifact of version {version}; this factory reads "
            f"{supported}",
        )
    return version


def _load_json(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except FileNotFoundError:
        raise FactoryError("EVIDENCE_INVALID", f"{path} does not exist") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FactoryError("EVIDENCE_INVALID", f"{path} is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise FactoryError("EVIDENCE_INVALID", f"{path} is not a JSON object")
    return document


def load_artifacts(target_dir: Path) -> tuple[dict, dict]:
    target_dir = Path(target_dir)
    run_results = _load_json(target_dir / "run_results.json")
    manifest = _load_json(target_dir / "manifest.json")
    artifact_version(run_results, "run-results", target_dir / "run_results.json")
    artifact_version(manifest, "manifest", target_dir / "manifest.json")
    return run_results, manifest


# --------------------------------------------------------------------------
# code identity


@lru_cache(maxsize=1)
def git_identity(project_dir: Path = PROJECT_DIR) -> tuple[str | None, bool | None]:
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=project_dir, capture_output=True,
            text=True, check=True, timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=project_dir,
            capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()
        return (sha if re.fullmatch(r"[0-9a-f]{40}", sha) else None), bool(dirty)
    except (OSError, subprocess.SubprocessError):
        return None, None


# --------------------------------------------------------------------------
# manifest reading helpers


def node_meta(node: dict) -> dict:
    config = node.get("config") or {}
    return {**(node.get("meta") or {}), **(config.get("meta") or {})}


def partition_column(node: dict) -> str | None:
    return node_meta(node).get("partition_column")


def asset_nodes(manifest: dict) -> dict[str, dict]:
    """Every asset of the project: sources, seeds, models and snapshots."""
    nodes = {
        uid: node
        for uid, node in (manifest.get("nodes") or {}).items()
        if node.get("resource_type") in ASSET_TYPES
    }
    nodes.update(manifest.get("sources") or {})
    return nodes


def disabled_assets(manifest: dict) -> dict[str, dict]:
    found = {}
    for uid, versions in (manifest.get("disabled") or {}).items():
        for node in versions:
            if node.get("resource_type") in ASSET_TYPES + ("source",):
                found[uid] = node
    return found


def asset_key(node: dict) -> str:
    if node.get("resource_type") == "source":
        return node.get("name") or node["unique_id"]
    return node.get("alias") or node.get("name") or node["unique_id"]


def checks_by_asset(manifest: dict) -> dict[str, list[dict]]:
    """Data tests and unit tests, grouped by the asset they check."""
    grouped: dict[str, list[dict]] = {}
    candidates = [
        node for node in (manifest.get("nodes") or {}).values()
        if node.get("resource_type") == "test"
    ] + list((manifest.get("unit_tests") or {}).values())
    for test in candidates:
        attached = test.get("attached_node")
        targets = [attached] if attached else [
            uid for uid in (test.get("depends_on") or {}).get("nodes", [])
            if uid.split(".")[0] in ASSET_TYPES + ("source",)
        ]
        if not attached and (test.get("depends_on") or {}).get("nodes"):
            # a generic test on a source has no attached_node; keep the first
            targets = targets[:1]
        for uid in targets:
            grouped.setdefault(uid, []).append(test)
    return grouped


def upstream_assets(node: dict, assets: dict[str, dict]) -> list[str]:
    return sorted(
        uid for uid in (node.get("depends_on") or {}).get("nodes", []) if uid in assets
    )


# --------------------------------------------------------------------------
# building evidence


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _check_entry(test: dict, result: dict | None) -> dict:
    is_unit = test.get("resource_type") == "unit_test"
    severity = "error" if is_unit else str((test.get("config") or {}).get("severity", "error")).lower()
    status = _CHECK_STATUS.get(str(result.get("status")).lower(), "errored") if result else "not_run"
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
        if result else None,
    }


def is_blocking(check: dict) -> bool:
    return check["severity"] == "error" and check["status"] in ("failed", "errored")


def derive_assets(
    manifest: dict,
    run_results: dict,
    partitions: list[str],
    row_counts: dict[tuple[str, str | None], int] | None = None,
    input_status: dict[str, str] | None = None,
    not_attempted_reason: str | None = None,
) -> list[dict]:
    """One entry per (asset, partition) of the project, in the DESIGN.md
    status vocabulary. `input_status` maps partition -> landing status for
    source assets ingested in this run."""
    row_counts = row_counts or {}
    input_status = input_status or {}
    results = {r["unique_id"]: r for r in run_results.get("results", [])}
    assets = asset_nodes(manifest)
    checks = checks_by_asset(manifest)

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
            if not_attempted_reason:
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
        if any(c["status"] == "warned" or (c["severity"] == "warn" and c["status"] == "failed")
               for c in own_checks):
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
            entries.append({
                "asset": asset_key(node),
                "unique_id": uid,
                "resource_type": node.get("resource_type"),
                "partition": partition,
                "status": entry_status,
                "rows": row_counts.get((uid, partition)),
                "execution_time_s": round(float(result["execution_time"]), 4)
                if result.get("execution_time") is not None else None,
                "checksum": (node.get("checksum") or {}).get("checksum"),
                "depends_on": upstream_assets(node, assets),
                "checks": own_checks,
                "reason_codes": sorted(set(entry_reasons)),
                "message": message[:500] if message and entry_status in ("failed", "blocked") else None,
            })

    for uid, node in sorted(disabled_assets(manifest).items()):
        column = partition_column(node)
        for partition in (list(partitions) if column and partitions else [None]):
            entries.append({
                "asset": asset_key(node),
                "unique_id": uid,
                "resource_type": node.get("resource_type"),
                "partition": partition,
                "status": "not_available",
                "rows": None,
                "execution_time_s": None,
                "checksum": (node.get("checksum") or {}).get("checksum"),
                "depends_on": [],
                "checks": [],
                "reason_codes": ["ASSET_DISABLED"],
                "message": None,
            })
    return entries


def run_status(evidence: dict) -> str:
    bad_asset = any(
        a["status"] in ("failed", "blocked") or any(is_blocking(c) for c in a["checks"])
        for a in evidence["assets"]
    )
    bad_input = any(i["status"] == "failed" for i in evidence["inputs"])
    unbalanced = any(not r["balanced"] for r in evidence["reconciliation"])
    return "failed" if bad_asset or bad_input or unbalanced else "success"


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
    reconciliation: list[dict] | None = None,
    selection: list[str] | None = None,
    target: str | None = None,
    not_attempted_reason: str | None = None,
    approvals: list[dict] | None = None,
    dbt_args: list[str] | None = None,
) -> dict:
    inputs = inputs or []
    metadata = manifest.get("metadata") or {}
    args = run_results.get("args") or {}
    git_sha, git_dirty = git_identity()
    assets = derive_assets(
        manifest,
        run_results,
        partitions,
        row_counts=row_counts,
        input_status={i["partition"]: i["status"] for i in inputs if i["status"] != "not_ingested"},
        not_attempted_reason=not_attempted_reason,
    )
    reasons = set()
    for collection in (assets, inputs):
        for item in collection:
            reasons.update(item["reason_codes"])
    reasons.discard("NOT_SELECTED")
    if reconciliation and any(not r["balanced"] for r in reconciliation):
        reasons.add("RECONCILIATION_FAILED")
    evidence = {
        "schema_version": SCHEMA_VERSION,
        "run_id": run_id,
        "kind": kind,
        "status": "success",
        "started_at": started_at,
        "finished_at": utc_now_iso(),
        "invocation": {
            "tool": "factory",
            "command": command,
            "dbt_command": args.get("which"),
            "dbt_args": list(dbt_args) if dbt_args is not None else (
                str(args.get("invocation_command", "")).split()),
            "vars": args.get("vars") if isinstance(args.get("vars"), dict) else {},
            "selection": selection,
            "target": target or args.get("target"),
            "adapter": metadata.get("adapter_type"),
            "dbt_version": metadata.get("dbt_version") or (run_results.get("metadata") or {}).get("dbt_version"),
            "dbt_invocation_id": (run_results.get("metadata") or {}).get("invocation_id"),
            "project_name": metadata.get("project_name"),
            "factory_version": FACTORY_VERSION,
        },
        "code": {
            "git_sha": git_sha,
            "git_dirty": git_dirty,
            "manifest_schema": metadata.get("dbt_schema_version"),
            "node_checksums": {
                a["unique_id"]: a["checksum"] for a in assets if a["checksum"]
            },
        },
        "partitions": list(partitions),
        "inputs": inputs,
        "assets": assets,
        "reconciliation": reconciliation or [],
        "reason_codes": sorted(reasons),
        "approvals": approvals or [],
        "report": {"path": "", "sha256": ""},
    }
    evidence["status"] = run_status(evidence)
    return evidence


# --------------------------------------------------------------------------
# hashing, validation, writing


@lru_cache(maxsize=1)
def _validator():
    """The evidence schema (draft 2020-12, formats checked), compiled once.
    jsonschema-rs checks the schema itself too, and validates an evidence
    document in tens of microseconds where the pure-Python validator took
    milliseconds (a 30-day backfill validates 30 of them)."""
    schema = json.loads(SCHEMA_PATH.read_text())
    return jsonschema_rs.validator_for(schema, validate_formats=True)


def content_sha256(evidence: dict) -> str:
    unsigned = {**evidence, "report": {**evidence["report"], "sha256": ""}}
    canonical = json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def schema_problems(document: dict) -> list[str]:
    problems = []
    for error in sorted(_validator().iter_errors(document),
                        key=lambda e: [str(p) for p in e.instance_path]):
        location = "/".join(str(p) for p in error.instance_path) or "(root)"
        problems.append(f"{location}: {error.message}")
    return problems


# sha256 of the bytes of each evidence file this process validated and wrote:
# reading one of them back needs no second validation.
_WRITTEN: dict[Path, str] = {}


def validated_here(path: Path, file_sha256: str) -> bool:
    """True when this process validated and wrote exactly these bytes."""
    return _WRITTEN.get(Path(path).resolve()) == file_sha256


def write_evidence(evidence: dict, path: Path) -> Path:
    """Sign, validate and atomically write; raise if it does not validate."""
    path = Path(path)
    evidence["report"] = {"path": str(path), "sha256": ""}
    evidence["report"]["sha256"] = content_sha256(evidence)
    data = (json.dumps(evidence, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
    problems = schema_problems(json.loads(data))  # exactly what goes to disk
    if problems:
        raise FactoryError(
            "EVIDENCE_INVALID",
            "the evidence does not validate against its schema, so it was not written: "
            + "; ".join(problems[:5]),
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_name, path)
        _WRITTEN[path.resolve()] = hashlib.sha256(data).hexdigest()
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return path


def validate_evidence_file(path: Path) -> list[str]:
    """Problems found in an evidence file; empty when it is valid."""
    try:
        document = _load_json(Path(path))
    except FactoryError as exc:
        return [exc.message]
    problems = schema_problems(document)
    recorded = (document.get("report") or {}).get("sha256") if isinstance(document.get("report"), dict) else None
    if not problems and recorded != content_sha256(document):
        problems.append(
            "EVIDENCE_HASH_MISMATCH: content sha256 differs from report.sha256; the file "
            "was changed after it was written"
        )
    return problems


def evidence_from_target_dir(target_dir: Path, run_id: str | None = None) -> dict:
    """Evidence for any dbt project's target/ directory."""
    run_results, manifest = load_artifacts(target_dir)
    metadata = run_results.get("metadata") or {}
    vars_ = (run_results.get("args") or {}).get("vars") or {}
    partitions = []
    if isinstance(vars_, dict) and vars_.get("partition"):
        from .partitions import parse_partition

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
