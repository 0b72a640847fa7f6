"""Consumability follows what a cell reads.

A cell is consumable only when its own record allows it (materialized, no
failing error-severity check, not stale) *and* every cell it reads is
consumable: the same day upstream, every day of its window, the landing
cells of those days and the seeds it uses. A built cell over a broken read
becomes `blocked` with UPSTREAM_NOT_CONSUMABLE (a stale cell stays `stale`,
with that reason too: it is out of date on its own account); every blocked
cell names the root cells (those not consumable on their own account), with
their codes.

Kept apart from the derivation of a cell's own status (state.derive), which
gives this module two functions: the cell on its own, and what it reads."""

from __future__ import annotations

from collections.abc import Callable

Key = tuple[str, str]  # (unique_id, partition; "" for an unpartitioned asset)

CHAIN_CODE = "UPSTREAM_NOT_CONSUMABLE"

# built cells whose trust depends on what they read
_BUILT = ("materialized", "stale")


class Chain:
    def __init__(
        self,
        own: Callable[[Key], dict],
        reads: Callable[[Key], list[Key]],
        settled: Callable[[Key], dict | None] | None = None,
    ):
        self._own = own
        self._reads = reads
        # a cell already derived that nothing new reaches (state.derive): taken
        # as stored, so a new day does not derive the whole history it reads
        self._settled = settled or (lambda key: None)
        self._final: dict[Key, dict] = {}
        self._roots: dict[Key, list[dict]] = {}

    def cell(self, key: Key) -> dict:
        """The cell with the chain applied (memoized; a dbt DAG has no cycles)."""
        if key in self._final:
            return self._final[key]
        settled = self._settled(key)
        if settled is not None:
            self._final[key] = settled
            self._roots[key] = _stored_roots(settled)
            return settled
        cell = dict(self._own(key))
        self._final[key] = cell  # a guard against a cycle: read as it is on its own
        broken = [read for read in self._reads(key) if not self.cell(read)["consumable"]]
        roots = self._roots_of(broken)
        if broken and cell["status"] in _BUILT:
            cell.update(
                # a stale cell stays stale (its own record is out of date,
                # which the rebuild of the broken reads' days does not change)
                status="stale" if cell["status"] == "stale" else "blocked",
                consumable=0,
                reasons=sorted({*cell["reasons"], CHAIN_CODE}),
                details=[
                    *cell["details"],
                    {
                        "code": CHAIN_CODE,
                        "upstream": _grouped(broken, self.cell),
                        "cause": {"roots": roots},
                    },
                ],
            )
        elif broken and cell["status"] == "blocked":
            # blocked in its own run by an upstream cause: name the roots too
            cell["details"] = [
                {**d, "cause": {"roots": roots}} if d["code"].startswith("UPSTREAM_") else d
                for d in cell["details"]
            ]
        self._roots[key] = roots if broken and cell["status"] in ("blocked", "stale") else []
        self._final[key] = cell
        return cell

    def _roots_of(self, broken: list[Key]) -> list[dict]:
        found: dict[tuple, dict] = {}
        for key in broken:
            cell = self.cell(key)
            roots = list(self._roots.get(key) or [])
            if not roots or cell["status"] == "stale":  # stale: a root on its own account too
                roots.append(_root(key, cell))
            for root in roots:
                found[(root["unique_id"], root["partition"])] = root
        return [found[k] for k in sorted(found)]


def _stored_roots(cell: dict) -> list[dict]:
    """The roots a derived cell names (what `Chain.cell` kept for it)."""
    if cell["status"] not in ("blocked", "stale"):
        return []
    found = {
        (root["unique_id"], root["partition"]): root
        for detail in cell["details"]
        if detail["code"].startswith("UPSTREAM_")
        for root in (detail.get("cause") or {}).get("roots", [])
    }
    return [found[k] for k in sorted(found)]


def _own_codes(cell: dict) -> list[str]:
    return sorted(code for code in cell["reasons"] if code != CHAIN_CODE)


def _root(key: Key, cell: dict) -> dict:
    return {
        "asset": cell["asset"],
        "unique_id": key[0],
        "partition": key[1] or None,
        "status": cell["status"],
        "reasons": _own_codes(cell) or [cell["status"].upper()],
        "run_id": cell["run_id"],
    }


def _grouped(keys: list[Key], cell_of: Callable[[Key], dict]) -> list[dict]:
    """The broken reads, one entry per upstream asset with its days."""
    by_asset: dict[str, dict] = {}
    for uid, partition in keys:
        entry = by_asset.setdefault(
            uid, {"asset": cell_of((uid, partition))["asset"], "unique_id": uid, "days": []}
        )
        if partition:
            entry["days"].append(partition)
    return [by_asset[uid] for uid in sorted(by_asset)]
