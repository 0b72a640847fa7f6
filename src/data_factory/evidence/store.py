"""Evidence files on disk: chained, signed, hashed, validated against the
JSON Schema, written atomically, read back and checked."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path

import jsonschema_rs

from data_factory.core.errors import FactoryError
from data_factory.core.paths import FACTORY_ROOT
from data_factory.evidence.artifacts import load_json_object
from data_factory.evidence.ledger import append
from data_factory.evidence.signing import (
    Signer,
    Trust,
    run_signer,
    sign_document,
    trust_near,
    verify_signature,
)

SCHEMA_PATH = FACTORY_ROOT / "schemas" / "run_evidence.schema.json"


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
    for error in sorted(
        _validator().iter_errors(document), key=lambda e: [str(p) for p in e.instance_path]
    ):
        location = "/".join(str(p) for p in error.instance_path) or "(root)"
        problems.append(f"{location}: {error.message}")
    return problems


# sha256 of the bytes of each evidence file this process validated and wrote:
# reading one of them back needs no second validation.
_WRITTEN: dict[Path, str] = {}


def validated_here(path: Path, file_sha256: str) -> bool:
    """True when this process validated and wrote exactly these bytes."""
    return _WRITTEN.get(Path(path).resolve()) == file_sha256


def write_evidence(
    evidence: dict, path: Path, *, signer: Signer | None = None, chained: bool = True
) -> Path:
    """Chain, sign (with `signer`, by default the run key of the home the
    file goes into), hash, validate and atomically write; raise if it does
    not validate. `chained`: the file takes the next place in the ledger of
    its folder (evidence.ledger); a document written elsewhere (`factory
    evidence --out`) has `ledger: null`."""
    path = Path(path)
    signer = signer or run_signer(path.parent.parent)

    def write(ledger: dict | None) -> tuple[str, str]:
        evidence["report"] = {"path": str(path), "sha256": ""}
        evidence["ledger"] = ledger
        sign_document(evidence, signer)
        evidence["report"]["sha256"] = content_sha256(evidence)
        data = (json.dumps(evidence, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
        problems = schema_problems(json.loads(data))  # exactly what goes to disk
        if problems:
            raise FactoryError(
                "EVIDENCE_INVALID",
                "the evidence does not validate against its schema, so it was not written: "
                + "; ".join(problems[:5]),
            )
        _write_atomically(path, data)
        return path.name, hashlib.sha256(data).hexdigest()

    if chained:
        append(path.parent, write)
    else:
        write(None)
    return path


def _write_atomically(path: Path, data: bytes) -> None:
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


def document_problems(document: dict, trust: Trust) -> list[str]:
    """Schema, then content sha256, then signature: the checks of one
    document on its own (the ledger checks it among the others)."""
    problems = [f"EVIDENCE_INVALID: {p}" for p in schema_problems(document)]
    if problems:
        return problems
    if document["report"]["sha256"] != content_sha256(document):
        return [
            "EVIDENCE_HASH_MISMATCH: content sha256 differs from report.sha256; the file "
            "was changed after it was written"
        ]
    problem = verify_signature(document, trust)
    return [problem] if problem else []


def validate_evidence_file(path: Path, trust: Trust | None = None) -> list[str]:
    """Problems found in an evidence file; empty when it is valid."""
    try:
        document = load_json_object(Path(path))
    except FactoryError as exc:
        return [exc.message]
    return document_problems(document, trust or trust_near(path))
