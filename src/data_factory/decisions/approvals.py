"""Approvals: an owner releases a blocked consumer for one day, signing the
approval with their key (see decisions.gate for when an approval applies,
decisions.approval_scope for what it holds for).

The approver's name comes from the key: its principal in the project's
allowed_signers (namespace factory-approval), which must be an owner of the
consumer or of an asset it needs. A typed name is never trusted."""

from __future__ import annotations

from pathlib import Path

from data_factory.core.clock import utc_now_iso
from data_factory.core.errors import EXIT_USAGE, FactoryError
from data_factory.core.paths import FactoryPaths
from data_factory.decisions.approval_scope import cells_by_asset, concerned_cells
from data_factory.decisions.documents import document, document_id, record
from data_factory.decisions.gate import Decision, Words, evaluate, prepare, required_cells
from data_factory.evidence.signers import APPROVAL_NAMESPACE, key_id, load_allowed_signers
from data_factory.evidence.signing import approval_signer, load_private_key
from data_factory.project.consumers import Consumer, approvers


def _usage(code: str, message: str) -> FactoryError:
    error = FactoryError(code, message)
    error.exit_code = EXIT_USAGE
    return error


def _principal(consumer: Consumer, manifest: dict, kid: str, key_path: Path) -> str:
    """The owner the key speaks for: its principal in allowed_signers."""
    signers = load_allowed_signers()
    entry = signers.lookup(kid, APPROVAL_NAMESPACE)
    if entry is None:
        raise FactoryError(
            "APPROVER_KEY_NOT_ALLOWED",
            f"the key {key_path} ({kid}) is not listed for approvals in {signers.path}; an "
            "owner gets a key listed by a pull request adding a line "
            '`NAME namespaces="factory-approval" ssh-ed25519 AAAA...` to that file',
        )
    owners = approvers(consumer, manifest)
    for principal in entry.principals:
        if principal.casefold() in owners:
            return principal
    listed = "; ".join(f"{n} ({', '.join(roles)})" for n, roles in sorted(owners.values()))
    raise FactoryError(
        "APPROVER_NOT_OWNER",
        f"{', '.join(entry.principals)} may not approve {consumer.name}: only an owner named "
        "for the consumer or for an asset it depends on may. Owners: "
        f"{listed or 'none are named in the project'} (the key {kid} is listed for "
        f"{', '.join(entry.principals)} in {signers.path})",
    )


def approve(
    paths: FactoryPaths,
    name: str,
    partition: str,
    key_path: Path,
    reason: str,
    *,
    covers: tuple[str, ...] = (),
    words: Words,
) -> tuple[dict, Decision]:
    """Release a blocked consumer for one day on an owner's signed word. The
    approval names the block reasons it overrides (`covers`, by default all
    current ones; each with `words` for it, as the evidence schema keeps a
    text) and the content of the cells they concern."""
    reason = (reason or "").strip()
    if not reason:
        raise _usage("INVALID_OPTION", "an approval needs a --reason TEXT")
    private_key = load_private_key(key_path)
    kid = key_id(private_key.public_key())
    manifest, consumer, partition = prepare(paths, name, partition)
    approver = _principal(consumer, manifest, kid, Path(key_path))
    cells = required_cells(paths, consumer, partition, manifest)
    decision = evaluate(paths, consumer, partition, manifest, cells=cells)
    if decision.approval:
        raise FactoryError(
            "APPROVAL_NOT_NEEDED",
            f"{consumer.name} {partition} is already released by the approval of "
            f"{decision.approval['approved_by']} at {decision.approval['approved_at']}",
        )
    if not decision.blocked:
        raise FactoryError(
            "APPROVAL_NOT_NEEDED",
            f"{consumer.name} {partition} is not blocked (the gate releases it); "
            "nothing to approve",
        )
    current = sorted({r["code"] for r in decision.reasons})
    unknown = sorted(set(covers) - set(current))
    if unknown:
        raise _usage(
            "INVALID_OPTION",
            f"--covers {', '.join(unknown)}: not a current block reason of {consumer.name} "
            f"{partition} (current: {', '.join(current)})",
        )
    overrides = sorted(set(covers)) or current
    decision.reasons = [r for r in decision.reasons if r["code"] in overrides]
    approval = {
        "consumer": consumer.name,
        "partition": partition,
        "approved_by": approver,
        "approved_at": utc_now_iso(),
        "reason": reason,
        "overrides": overrides,
        "key_id": kid,
        "cells": concerned_cells(decision.reasons, cells_by_asset(cells)),
    }
    written = document(
        kind="approval",
        run_id=document_id(f"approve-{consumer.name}-{partition}"),
        command=f"approve {consumer.name} --partition {partition} --key {kid}",
        partition=partition,
        status="success",
        reason_codes=set(overrides),
        approvals=[approval],
        decision=decision.document_block(words),
        manifest=manifest,
    )
    path = record(paths, written, manifest, signer=approval_signer(private_key, approver))
    return {
        **approval,
        "evidence": str(path),
        "run_id": written["run_id"],
        "block": decision.reasons,
        "still_blocked_by": sorted(set(current) - set(overrides)),
    }, decision
