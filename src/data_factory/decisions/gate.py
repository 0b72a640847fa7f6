"""Decisions: may a consumer use day D, and who may release it when it may not.

A consumer is a dbt exposure, enabled or disabled. It needs the assets it
depends on (``depends_on``) plus those named in ``config.meta.requires`` (kept
by a disabled exposure, whose ``depends_on`` is empty). For day D the gate
looks at each needed asset's cell in the state store:

* asset switched off now, or its cell ``not_available``: UPSTREAM_NOT_AVAILABLE;
* no cell, or ``missing``: PARTITION_MISSING;
* not consumable: the cell's own reasons (CHECK_FAILED naming the checks,
  BUILD_ERROR, UPSTREAM_*, STALE_*, EVIDENCE_*), each naming asset and day.

Reasons are facts (decisions.reasons); the caller puts them into words
(render.explain), also for the text the evidence schema keeps with each.

No reason: ``release``. Otherwise ``block``, unless an approval still applies.

Approvals (decisions.approvals). Only an owner may approve: a name in
``config.meta.owners`` of the exposure or of an asset it needs (or the owner
of their dbt group), signing with a key the project's allowed_signers lists
for that name. Only a blocked consumer/day can be approved. The approval
names the block reasons it overrides (code, asset, day, failing checks,
cause) and the content of the cells they concern (decisions.approval_scope).
It applies while every current block reason is one it names and those cells
keep their content: a new reason blocks again, a rebuild that changes a
covered cell's fingerprint voids it (the decision lists it in `lapsed`,
"approved X, now Y"), an identical rebuild keeps it. When the block clears
by itself the approval is simply no longer needed. An approval changes no
asset status: a failed asset stays failed.

A gate decision is written as an evidence document (kind ``decision``) when
it differs from the last one recorded for that consumer and day
(state.decisions); the same decision again writes nothing. Every approval is
written (kind ``approval``), signed by the owner's key. The state store
indexes both (``factory state rebuild`` restores them)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from data_factory.core.errors import EXIT_USAGE, FactoryError
from data_factory.core.partitions import parse_partition
from data_factory.core.paths import FactoryPaths
from data_factory.decisions.approval_scope import applicable_approval
from data_factory.decisions.documents import (
    approval_entry,
    document,
    document_id,
    record,
)
from data_factory.decisions.reasons import evidence_reason, make_reason
from data_factory.decisions.recheck import release_problems
from data_factory.project.consumers import Consumer, asset_index, consumers, find_consumer
from data_factory.project.manifest import asset_key
from data_factory.project.parsed import load_manifest
from data_factory.state.decisions import decision_digest, last_decision
from data_factory.state.index import sync
from data_factory.state.read import read_cells, recorded_approvals

NON_BLOCKING = ("CHECK_WARNED", "NOT_SELECTED")


Words = Callable[[dict], str]  # a reason in words (render.explain.explain)


@dataclass
class Decision:
    consumer: str
    partition: str
    decision: str
    requires: list[str]
    reasons: list[dict]
    overridden: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    approval: dict | None = None
    evidence: list[str] = field(default_factory=list)
    recorded_in: str | None = None
    lapsed: list[dict] = field(default_factory=list)  # approvals a changed cell voided
    unchanged: bool = False  # the same as the last recorded decision: nothing written

    @property
    def blocked(self) -> bool:
        return self.decision == "block"

    def to_dict(self) -> dict:
        return {
            "consumer": self.consumer,
            "partition": self.partition,
            "decision": self.decision,
            "requires": self.requires,
            "reasons": self.reasons,
            "overridden": self.overridden,
            "warnings": self.warnings,
            "approval": self.approval,
            "evidence": self.evidence,
            "decision_evidence": self.recorded_in,
            "lapsed_approvals": self.lapsed,
            "recorded": not self.unchanged,
        }

    def document_block(self, words: Words) -> dict:
        """The decision as the evidence schema's `decision` object."""

        def recorded(reasons: list[dict]) -> list[dict]:
            return [evidence_reason(r, words(r)) for r in reasons]

        return {
            "consumer": self.consumer,
            "partition": self.partition,
            "decision": self.decision,
            "requires": self.requires,
            "reasons": recorded(self.reasons),
            "overridden": recorded(self.overridden),
            "warnings": recorded(self.warnings),
        }


def _cell_reasons(consumer: Consumer, cell: dict, key: str) -> list[dict]:
    common = {
        "consumer": consumer.name,
        "asset": key,
        "partition": cell["partition"],
        "status": cell["status"],
        "run_id": cell["run_id"],
        "evidence": cell["evidence"],
    }
    found = []
    for detail in cell["reason_details"]:
        code = detail["code"]
        if code in NON_BLOCKING or code not in cell["reasons"]:
            continue
        checks = cell["checks"]["blocking"] if code == "CHECK_FAILED" else []
        found.append(
            make_reason(code, checks=checks, cause=detail.get("cause"), detail=detail, **common)
        )
    if not found:
        code = {"failed": "BUILD_ERROR", "blocked": "UPSTREAM_BLOCKED"}.get(
            cell["status"], "CHECK_FAILED"
        )
        found.append(make_reason(code, **common))
    return found


def _requirement(
    consumer: Consumer,
    uid: str,
    key: str,
    cell: dict | None,
    partition: str,
    enabled: dict,
    disabled: dict,
) -> tuple[list[dict], list[dict]]:
    """Block reasons and warnings for one asset the consumer needs."""
    run = {"run_id": cell["run_id"], "evidence": cell["evidence"]} if cell else {}
    about = {"consumer": consumer.name, "asset": key, "partition": partition, **run}
    if uid not in enabled:
        status = "switched_off" if uid in disabled else "not_in_project"
        return [make_reason("UPSTREAM_NOT_AVAILABLE", status=status, **about)], []
    if cell is None or cell["status"] == "missing":
        return [make_reason("PARTITION_MISSING", status="missing", **about)], []
    if cell["status"] == "not_available":
        return [make_reason("UPSTREAM_NOT_AVAILABLE", status="not_available", **about)], []
    reasons = [] if cell["consumable"] else _cell_reasons(consumer, cell, key)
    warnings = (
        [
            make_reason(
                "CHECK_WARNED",
                status=cell["status"],
                checks=cell["checks"]["warnings"],
                **{**about, "partition": cell["partition"]},
            )
        ]
        if cell["checks"]["warnings"]
        else []
    )
    return reasons, warnings


def _release_on_approval(decision: Decision, approval: dict) -> None:
    decision.decision = "release"
    decision.overridden = decision.reasons
    decision.approval = approval
    decision.reasons = [
        make_reason(
            "APPROVAL_OVERRIDE",
            consumer=decision.consumer,
            partition=decision.partition,
            run_id=approval["run_id"],
            evidence=approval["evidence"],
            detail={
                "approved_by": approval["approved_by"],
                "approved_at": approval["approved_at"],
                "reason": approval["reason"],
                "overrides": sorted({r["code"] for r in decision.overridden}),
            },
        )
    ]


def required_cells(
    paths: FactoryPaths, consumer: Consumer, partition: str, manifest: dict
) -> list[dict]:
    """The state's cells of the assets `consumer` needs, on `partition` (and
    the unpartitioned ones); none when there is no state store yet."""
    enabled, disabled, _ = asset_index(manifest)
    keys = [
        asset_key(enabled.get(uid) or disabled.get(uid) or {"unique_id": uid, "name": uid})
        for uid in consumer.requires
    ]
    try:
        return read_cells(
            paths, assets=list(consumer.requires) + keys, since=partition, until=partition
        )
    except FactoryError as exc:
        if exc.reason_code != "STATE_MISSING":
            raise
        return []


def _recheck(
    paths: FactoryPaths, decision: Decision, consumer: Consumer, manifest: dict, cells: list[dict]
) -> None:
    """Before a release, the warehouse must still hold what the evidence of
    the released cells says (decisions.recheck); an approval never covers it."""
    if decision.blocked:
        return
    found = release_problems(paths, manifest, consumer, decision.partition, cells)
    if found:
        decision.decision = "block"
        decision.reasons = [*decision.overridden, *found]
        decision.overridden, decision.approval = [], None


def evaluate(
    paths: FactoryPaths,
    consumer: Consumer,
    partition: str,
    manifest: dict,
    cells: list[dict] | None = None,
    approvals: list[dict] | None = None,
) -> Decision:
    """The decision for one consumer and day, from the state store as it is
    now. Records nothing. `cells` and `approvals` may be given when many
    decisions are evaluated at once (the status grid)."""
    enabled, disabled, _ = asset_index(manifest)
    keys = {
        uid: asset_key(enabled.get(uid) or disabled.get(uid) or {"unique_id": uid, "name": uid})
        for uid in consumer.requires
    }
    if cells is None:
        cells = required_cells(paths, consumer, partition, manifest)
    index = {(c["unique_id"], c["partition"]): c for c in cells}
    decision = Decision(
        consumer=consumer.name,
        partition=partition,
        decision="release",
        requires=[keys[u] for u in consumer.requires],
        reasons=[],
    )
    evidence: set[str] = set()
    for uid in consumer.requires:
        cell = index.get((uid, partition)) or index.get((uid, None))
        reasons, warnings = _requirement(
            consumer, uid, keys[uid], cell, partition, enabled, disabled
        )
        decision.reasons += reasons
        decision.warnings += warnings
        evidence.update(r["evidence"] for r in reasons if r["evidence"])
        if cell and cell["evidence"]:
            evidence.add(cell["evidence"])
    if decision.reasons:
        decision.decision = "block"
        approval, decision.lapsed = applicable_approval(
            paths, consumer.name, partition, decision.reasons, cells, approvals
        )
        if approval:
            _release_on_approval(decision, approval)
            evidence.add(approval["evidence"])
    decision.evidence = sorted(evidence)
    return decision


def consumer_grid(
    paths: FactoryPaths, manifest: dict, cells: list[dict], partitions: list[str]
) -> list[dict]:
    """What the gate would decide for every consumer and day of the grid,
    without recording anything: the consumer rows of `factory status`."""
    try:
        approvals = recorded_approvals(paths)
    except FactoryError:
        approvals = []
    rows = []
    for consumer in sorted(consumers(manifest).values(), key=lambda c: c.name):
        for partition in partitions:
            decision = evaluate(
                paths, consumer, partition, manifest, cells=cells, approvals=approvals
            )
            rows.append(
                {
                    "consumer": consumer.name,
                    "partition": partition,
                    "decision": decision.decision,
                    "reasons": sorted({r["code"] for r in decision.reasons}),
                    "details": decision.reasons,
                    "approved_by": decision.approval["approved_by"] if decision.approval else None,
                    "approval_run_id": decision.approval["run_id"] if decision.approval else None,
                    "overridden": decision.overridden,
                }
            )
    return rows


def prepare(paths: FactoryPaths, name: str, partition: str) -> tuple[dict, Consumer, str]:
    try:
        partition = parse_partition(partition, "--partition")
    except FactoryError as exc:
        exc.exit_code = EXIT_USAGE
        raise
    # a reader: it uses the last parse and never parses the project itself
    manifest = load_manifest(paths, parse_if_missing=False)
    consumer = find_consumer(manifest, name)
    sync(paths, manifest=manifest)
    return manifest, consumer, partition


def gate(paths: FactoryPaths, name: str, partition: str, *, words: Words) -> Decision:
    """Decide release or block for a consumer on a day, and record it (each
    reason with `words` for it, as the evidence schema keeps a text)."""
    manifest, consumer, partition = prepare(paths, name, partition)
    cells = required_cells(paths, consumer, partition, manifest)
    decision = evaluate(paths, consumer, partition, manifest, cells=cells)
    _recheck(paths, decision, consumer, manifest, cells)
    block = decision.document_block(words)
    last = last_decision(paths, consumer.name, partition)
    if last and last["digest"] == decision_digest(block):
        # a consumer that polls: the same decision is recorded once
        decision.unchanged, decision.recorded_in = True, last["evidence"]
        return decision
    codes = {r["code"] for r in decision.reasons + decision.overridden}
    written = document(
        kind="decision",
        run_id=document_id(f"gate-{consumer.name}-{partition}"),
        command=f"gate {consumer.name} --partition {partition}",
        partition=partition,
        status="success" if decision.decision == "release" else "failed",
        reason_codes=codes,
        approvals=[approval_entry(decision.approval)] if decision.approval else [],
        decision=block,
        manifest=manifest,
    )
    decision.recorded_in = str(record(paths, written, manifest))
    return decision


def active_approvals(
    paths: FactoryPaths, partition: str, manifest: dict | None = None
) -> list[dict]:
    """Approvals that release a consumer on `partition` right now, as the
    evidence schema's approval objects. A run records them in its evidence.
    Never raises: a run must not fail because the state store cannot say."""
    try:
        if not paths.state.exists():
            return []
        recorded = recorded_approvals(paths, partition=partition)
        if not recorded:
            return []
        manifest = manifest or load_manifest(paths, parse_if_missing=False)
        known = consumers(manifest)
        found = []
        for name in sorted({a["consumer"] for a in recorded}):
            if name not in known:
                continue
            decision = evaluate(paths, known[name], partition, manifest)
            if decision.approval:
                found.append(approval_entry(decision.approval))
        return found
    except Exception as exc:
        print(f"  approvals for {partition} not read ({exc})", file=sys.stderr)
        return []
