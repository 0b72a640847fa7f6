"""What an approval holds for, and when it no longer does.

An approval names the block reasons it overrides (each reason's code,
asset, day, failing checks and structured cause: `approval_key`) and the
content of every cell those reasons concern when it was given
(`cell_content`: the cell's fingerprint, rows and hash; a cell without
content, failed or never built, is held by the run that recorded it). It
applies to a block when every current reason is one it names and each of
their cells still has the content it had. So a new reason blocks again; a
rebuild that changes a covered cell's content voids it (the gate says
"approved X, now Y"); a rebuild with an identical fingerprint keeps it.
"""

from __future__ import annotations

from data_factory.core.errors import FactoryError
from data_factory.core.paths import FactoryPaths
from data_factory.decisions.reasons import cause_key
from data_factory.state.read import recorded_approvals


def approval_key(reason: dict) -> tuple:
    """A reason as an approval names it: the run that recorded it is left
    out (the cell's content stands for it), and so are the words."""
    return (
        reason["code"],
        reason.get("asset"),
        reason.get("partition"),
        tuple(sorted(reason.get("checks") or [])),
        cause_key(reason.get("cause")),
    )


def names(block: list[dict], reasons: list[dict]) -> bool:
    """Does an approval of `block` name every one of the current `reasons`?"""
    named = {approval_key(r) for r in block}
    return all(approval_key(r) in named for r in reasons)


def cell_content(cell: dict | None) -> str:
    """A cell's content as an approval records it and the gate compares it."""
    if cell is None:
        return "no cell"
    found = cell.get("fingerprint") or {}
    if found.get("hash"):
        return f"{found['hash']} ({found['rows']} rows)"
    return f"{cell['status']}, no content, run {cell['run_id']}"


def cells_by_asset(cells: list[dict]) -> dict[tuple[str, str | None], dict]:
    return {(c["asset"], c["partition"]): c for c in cells}


def concerned_cells(reasons: list[dict], cells: dict[tuple[str, str | None], dict]) -> list[dict]:
    """The cells `reasons` concern, with their content now (an approval's `cells`)."""
    found: dict[tuple, dict] = {}
    for reason in reasons:
        if reason.get("asset"):
            where = (reason["asset"], reason.get("partition"))
            found.setdefault(
                where,
                {
                    "asset": where[0],
                    "partition": where[1],
                    "content": cell_content(cells.get(where)),
                },
            )
    return [found[k] for k in sorted(found, key=lambda k: (k[0], k[1] or ""))]


def approval_holds(
    approval: dict, reasons: list[dict], cells: dict[tuple[str, str | None], dict]
) -> tuple[bool, list[dict]]:
    """Does `approval` release a block of `reasons`? And when it names every
    reason but a cell changed since: the lapses, {asset, partition,
    approved, now} each."""
    overrides = set(approval["overrides"])
    if not (all(r["code"] in overrides for r in reasons) and names(approval["block"], reasons)):
        return False, []
    approved = {(c["asset"], c["partition"]): c["content"] for c in approval.get("cells") or []}
    lapses = []
    for cell in concerned_cells(reasons, cells):
        was = approved.get((cell["asset"], cell["partition"]))
        if was != cell["content"]:
            lapses.append(
                {
                    **{k: cell[k] for k in ("asset", "partition")},
                    "approved": was,
                    "now": cell["content"],
                }
            )
    return not lapses, lapses


def applicable_approval(
    paths: FactoryPaths,
    consumer: str,
    partition: str,
    reasons: list[dict],
    cells: list[dict],
    approvals: list[dict] | None = None,
) -> tuple[dict | None, list[dict]]:
    """The newest approval that holds for `reasons` (decisions.approval_scope),
    and the approvals that named them but lapsed: {approval, cells}."""
    if approvals is not None:
        recorded = [
            a for a in approvals if a["consumer"] == consumer and a["partition"] == partition
        ]
    else:
        try:
            recorded = recorded_approvals(paths, partition=partition, consumer=consumer)
        except FactoryError:
            return None, []
    by_asset = cells_by_asset(cells)
    lapsed = []
    for approval in reversed(recorded):  # newest first
        holds, lapses = approval_holds(approval, reasons, by_asset)
        if holds:
            return approval, []
        if lapses:
            lapsed.append({"approval": _approval_summary(approval), "cells": lapses})
    return None, lapsed


def _approval_summary(approval: dict) -> dict:
    return {k: approval.get(k) for k in ("run_id", "approved_by", "approved_at", "evidence")}
