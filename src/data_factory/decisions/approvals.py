"""Approvals: an owner releases a blocked consumer for one day (see
decisions.gate for when an approval applies)."""

from __future__ import annotations

from data_factory.core.clock import utc_now_iso
from data_factory.core.errors import EXIT_USAGE, FactoryError
from data_factory.core.paths import FactoryPaths
from data_factory.decisions.documents import document, document_id, record
from data_factory.decisions.gate import Decision, Words, evaluate, prepare
from data_factory.project.consumers import approvers


def approve(
    paths: FactoryPaths, name: str, partition: str, by: str, reason: str, *, words: Words
) -> tuple[dict, Decision]:
    """Release a blocked consumer for one day on an owner's word. The
    approval records the block it overrides (each reason with `words` for
    it, as the evidence schema keeps a text)."""
    by, reason = (by or "").strip(), (reason or "").strip()
    if not by or not reason:
        error = FactoryError(
            "APPROVER_NOT_OWNER", "an approval needs --by NAME and a --reason TEXT"
        )
        error.exit_code = EXIT_USAGE
        raise error
    manifest, consumer, partition = prepare(paths, name, partition)
    owners = approvers(consumer, manifest)
    if by.casefold() not in owners:
        listed = "; ".join(f"{n} ({', '.join(roles)})" for n, roles in sorted(owners.values()))
        raise FactoryError(
            "APPROVER_NOT_OWNER",
            f"{by} may not approve {consumer.name}: only an owner named for the consumer or for "
            f"an asset it depends on may. Owners: {listed or 'none are named in the project'}",
        )
    decision = evaluate(paths, consumer, partition, manifest)
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
    approval = {
        "consumer": consumer.name,
        "partition": partition,
        "approved_by": owners[by.casefold()][0],
        "approved_at": utc_now_iso(),
        "reason": reason,
        "overrides": sorted({r["code"] for r in decision.reasons}),
    }
    written = document(
        kind="approval",
        run_id=document_id(f"approve-{consumer.name}-{partition}"),
        command=f"approve {consumer.name} --partition {partition} --by {by}",
        partition=partition,
        status="success",
        reason_codes=set(approval["overrides"]),
        approvals=[approval],
        decision=decision.document_block(words),
        manifest=manifest,
    )
    path = record(paths, written, manifest)
    return {
        **approval,
        "evidence": str(path),
        "run_id": written["run_id"],
        "block": decision.reasons,
    }, decision
