"""What the status page's panel says about a cell beyond its record: the root
cause of a cell that is not consumable (the cells state.chain names as roots,
each with its own reasons) and the warnings its evidence records (rejected
lines, drift, warn-severity checks and the other advisory codes). The words
are render.explain's, the same as `factory status` prints."""

from __future__ import annotations

from data_factory.core.reasons import WARNING_CODES
from data_factory.render.explain import explain_detail, explain_root

CHAIN_CODE = "UPSTREAM_NOT_CONSUMABLE"


def cell_key(asset: str, partition: str | None) -> str:
    """How the page names a cell (data-key, and the #fragment that selects it)."""
    return f"{asset}@{partition}" if partition else asset


def _own_details(cell: dict) -> list[dict]:
    skipped = WARNING_CODES | {CHAIN_CODE}
    return [d for d in cell["reason_details"] if d["code"] not in skipped]


def _chain_roots(cell: dict) -> list[dict]:
    found: dict[tuple, dict] = {}
    for detail in cell["reason_details"]:
        for root in (detail.get("cause") or {}).get("roots") or []:
            found[(root["asset"], root["partition"])] = root
    return [found[key] for key in sorted(found, key=lambda k: (k[1] or "", k[0]))]


def root_causes(cell: dict, cells: dict[tuple, dict]) -> list[dict]:
    """The roots of a cell that is not consumable, as {key, text, why}: the
    cells named by its chain, and the cell itself when it is not consumable on
    its own account (no chain root, or stale: out of date by itself too).
    `cells` is the page's cells by (asset, partition), to give each root's why."""
    if cell["consumable"] or cell["status"] == "not_available":
        return []
    roots = _chain_roots(cell)
    if not roots or cell["status"] == "stale":
        own = sorted({d["code"] for d in _own_details(cell)}) or [cell["status"].upper()]
        roots = [{**cell, "reasons": own}, *roots]
    found = []
    for root in roots:
        source = cells.get((root["asset"], root["partition"]))
        found.append(
            {
                "key": cell_key(root["asset"], root["partition"]),
                "text": explain_root(root),
                "why": [explain_detail(d) for d in _own_details(source)] if source else [],
            }
        )
    return found


def warnings(cell: dict) -> list[str]:
    """The advisory facts of a cell's evidence, in words (they never block)."""
    found = [explain_detail(d) for d in cell["reason_details"] if d["code"] in WARNING_CODES]
    named = {d["code"] for d in cell["reason_details"]}
    if cell["checks"]["warnings"] and "CHECK_WARNED" not in named:
        checks = [{"name": name} for name in cell["checks"]["warnings"]]
        found.append(explain_detail({"code": "CHECK_WARNED", "checks": checks}))
    return found
