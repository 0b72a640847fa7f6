"""dbt artifacts (run_results.json + manifest.json): loaded, and their
schema versions checked."""

from __future__ import annotations

import json
import re
from pathlib import Path

from data_factory.core.errors import FactoryError

SUPPORTED_ARTIFACTS = {
    "run-results": {"v4", "v5", "v6"},
    "manifest": {"v10", "v11", "v12"},
}


def artifact_version(document: dict, kind: str, path: Path | str) -> str:
    url = (document.get("metadata") or {}).get("dbt_schema_version") or ""
    match = re.search(rf"/{kind}/(v\d+)\.json$", url)
    version = match.group(1) if match else (url or "no dbt_schema_version")
    if version not in SUPPORTED_ARTIFACTS[kind]:
        supported = ", ".join(sorted(SUPPORTED_ARTIFACTS[kind]))
        raise FactoryError(
            "ARTIFACT_VERSION_UNSUPPORTED",
            f"{path} is a dbt {kind} artifact of version {version}; this factory reads {supported}",
        )
    return version


def load_json_object(path: Path) -> dict:
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
    run_results = load_json_object(target_dir / "run_results.json")
    manifest = load_json_object(target_dir / "manifest.json")
    artifact_version(run_results, "run-results", target_dir / "run_results.json")
    artifact_version(manifest, "manifest", target_dir / "manifest.json")
    return run_results, manifest
