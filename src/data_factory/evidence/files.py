"""The evidence files of a home: listed, named, loaded and checked."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from data_factory.core.paths import FactoryPaths
from data_factory.evidence.signing import Trust, trust_near
from data_factory.evidence.store import document_problems, validated_here


def order_key(document: dict) -> str:
    """Runs are ordered by when they started, then by run id."""
    started = str(document.get("started_at") or "")
    try:
        moment = datetime.fromisoformat(started.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        started = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        pass
    return f"{started}|{document.get('run_id')}"


@dataclass
class LoadedEvidence:
    path: Path
    sha256: str
    document: dict | None
    problems: list[str]

    @property
    def valid(self) -> bool:
        return self.document is not None and not self.problems


def load_evidence(path: Path, trust: Trust | None = None) -> LoadedEvidence:
    """Read one evidence file and check it the way `factory validate` does:
    JSON Schema, the sha256 of its content against report.sha256, then its
    signature against `trust` (by default: the allowed signers and the
    development key of the home the file is in)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return LoadedEvidence(path, "", None, [f"cannot be read: {exc}"])
    sha = hashlib.sha256(data).hexdigest()
    try:
        document = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return LoadedEvidence(path, sha, None, [f"EVIDENCE_INVALID: not valid JSON: {exc}"])
    if not isinstance(document, dict):
        return LoadedEvidence(path, sha, None, ["EVIDENCE_INVALID: not a JSON object"])
    if validated_here(path, sha):
        return LoadedEvidence(path, sha, document, [])
    return LoadedEvidence(
        path, sha, document, document_problems(document, trust or trust_near(path))
    )


def evidence_files(paths: FactoryPaths) -> list[Path]:
    if not paths.evidence.is_dir():
        return []
    return sorted(
        p
        for p in paths.evidence.glob("*.json")
        if p.is_file() and not p.name.startswith(".")  # .tmp-* are writes in flight
    )


def evidence_file_name(paths: FactoryPaths, path: Path) -> str:
    """Evidence inside data/evidence/ is stored by name, so a copied or moved
    data directory keeps a working state store."""
    path = Path(path)
    if path.parent == paths.evidence:  # the common case, without touching the disk
        return path.name
    path = path.resolve()
    try:
        return str(path.relative_to(paths.evidence.resolve()))
    except ValueError:
        return str(path)


def evidence_path(paths: FactoryPaths, file_name: str | None) -> Path | None:
    if not file_name:
        return None
    candidate = Path(file_name)
    return candidate if candidate.is_absolute() else paths.evidence / candidate
