"""Gate reasons as facts.

A reason is a dict: its code, the consumer it is about, the needed asset and
day, that asset's `status` as the gate saw it (a cell status, or
`switched_off` / `not_in_project` when the project disables or lacks it), the
failing checks, the run whose evidence recorded it (and that file), the
structured `cause` of a stale reason, and `detail`, the facts behind it (the
cell's reason detail, or for APPROVAL_OVERRIDE the approval). It holds no
English: render.explain words it.

An approval names the reasons it overrides by their facts, never their words
(decisions.approval_scope), so a reason reworded since still matches.
"""

from __future__ import annotations

import json

# Fields of a reason as the evidence schema's `decision_reason` holds it
# (besides `text`, the words, and `cause`, stored as canonical JSON text).
EVIDENCE_FIELDS = ("code", "asset", "partition", "checks", "run_id", "evidence")


def make_reason(
    code: str,
    *,
    consumer: str,
    asset: str | None = None,
    partition: str | None = None,
    status: str | None = None,
    checks: list[str] | None = None,
    run_id: str | None = None,
    evidence: str | None = None,
    cause: dict | None = None,
    detail: dict | None = None,
) -> dict:
    return {
        "code": code,
        "consumer": consumer,
        "asset": asset,
        "partition": partition,
        "status": status,
        "checks": sorted(checks or []),
        "run_id": run_id,
        "evidence": evidence,
        "cause": cause,
        "detail": detail,
    }


def cause_key(cause: dict | str | None) -> tuple | None:
    """What identifies a cause: the node it points at (by unique id), and
    the checksum that node has now, or the days rebuilt and the run that
    rebuilt them. Asset names are labels and left out.

    A cause read back from evidence is its JSON text; one recorded before
    causes were structured is `unique_id@checksum` or `unique_id@day,day@run`.
    Each gives the same key as the structured cause it stands for."""
    if cause is None:
        return None
    if isinstance(cause, str):
        cause = _parsed(cause)
        if isinstance(cause, tuple):
            return cause
    if "roots" in cause:  # a block through what a cell reads: the root cells and their runs
        return tuple((r["unique_id"], r["partition"], r["run_id"]) for r in cause["roots"])
    node = cause.get("node") or cause.get("upstream") or {}
    days = node.get("days")
    return (
        node.get("unique_id"),
        cause.get("checksum"),
        tuple(days) if days is not None else None,
        cause.get("run_id"),
    )


def _parsed(text: str) -> dict | tuple:
    try:
        found = json.loads(text)
    except ValueError:
        found = None
    if isinstance(found, dict):
        return found
    node, *rest = text.split("@")  # the layout before causes were structured
    if len(rest) == 2:
        return (node, None, tuple(rest[0].split(",")), rest[1])
    return (node, rest[0] if rest else None, None, None)


def evidence_reason(reason: dict, text: str) -> dict:
    """A reason as the evidence schema's `decision_reason`: its facts, the
    cause as canonical JSON text, and the words given for it."""
    cause = reason.get("cause")
    return {
        **{field: reason.get(field) for field in EVIDENCE_FIELDS},
        "cause": json.dumps(cause, sort_keys=True) if cause is not None else None,
        "text": text,
    }
