"""Deriving the current status of every (asset, partition) from the
recorded tables.

A cell's `details` are facts, one dict per reason code: the code and what
it is about (checks with their failing rows, upstream cells, causes of
staleness with the node, days, checksum and run they point at). They hold no
English; render.explain puts them into words."""

from __future__ import annotations

import json
import sqlite3

from data_factory.core.partitions import day_range, shift
from data_factory.state.chain import Chain
from data_factory.state.content import BUILT_STATUSES, content_changes, is_view
from data_factory.state.db import UNPARTITIONED
from data_factory.state.facts import (
    cell_ref,
    check_facts,
    check_summary,
    landing_facts,
    missing_cell,
    refusal_facts,
)
from data_factory.state.incremental import affected, settle


def _days(partition: str, window: int) -> list[str]:
    """The days a build of `partition` reads through a window of `window` days."""
    return day_range(shift(partition, -window), partition)


class _Derivation:
    """Computes asset_state from the recorded tables."""

    def __init__(self, connection: sqlite3.Connection):
        self.records: dict[tuple[str, str], list[sqlite3.Row]] = {}
        by_run: dict[tuple[str, str, str], sqlite3.Row] = {}
        for row in connection.execute("select * from asset_records order by order_key, run_id"):
            self.records.setdefault((row["unique_id"], row["partition"]), []).append(row)
            by_run[(row["run_id"], row["unique_id"], row["partition"])] = row
        self.by_run = by_run
        self.files = {
            row["run_id"]: (row["file_name"], row["file_sha256"])
            for row in connection.execute("select run_id, file_name, file_sha256 from evidence")
        }
        self.current_checksum: dict[str, tuple[str, str]] = {}
        for row in connection.execute("select * from node_checksums order by order_key, run_id"):
            self.current_checksum[row["unique_id"]] = (row["checksum"], row["run_id"])
        self.latest: dict[tuple[str, str], sqlite3.Row] = {}
        self.built: dict[tuple[str, str], sqlite3.Row] = {}
        self.last_materialized: dict[tuple[str, str], sqlite3.Row] = {}
        self.identity: dict[str, tuple[str, str]] = {}
        self.inputs = {
            (row["run_id"], row["partition"]): row
            for row in connection.execute("select * from landing_inputs")
        }
        self.refused_later: dict[tuple[str, str], sqlite3.Row] = {}
        for cell, rows in self.records.items():
            for row in rows:  # oldest first
                self.identity[row["unique_id"]] = (row["asset"], row["resource_type"])
                if row["status"] == "skipped":
                    continue
                earlier = self.latest.get(cell)
                if (
                    earlier is not None
                    and self._refused_input(row)
                    and not self._refused_input(earlier)
                ):
                    # a later export of the day was refused and nothing was
                    # written: the day keeps what it holds (and says so)
                    self.refused_later[cell] = row
                    continue
                self.refused_later.pop(cell, None)
                self.latest[cell] = row
                if row["status"] in BUILT_STATUSES:
                    self.built[cell] = row
                if row["status"] == "materialized":
                    self.last_materialized[cell] = row
        self.partitions = sorted({p for (_, p) in self.records if p != UNPARTITIONED})
        self.partitioned = {uid for (uid, p) in self.records if p != UNPARTITIONED}
        # where an asset's history starts: a window reaching before its first
        # recorded day reads nothing there, and is not broken by it
        self.first_day: dict[str, str] = {}
        for uid, partition in self.latest:
            if partition != UNPARTITIONED and partition < self.first_day.get(uid, "9999"):
                self.first_day[uid] = partition
        self._newest: dict[tuple[str, str], sqlite3.Row | None] = {}
        self._read_memo: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
        self.chain = Chain(lambda key: self._own_cell(*key), self.chain_reads)
        self.changed = content_changes(self.records)  # state.content

    def _refused_input(self, row: sqlite3.Row) -> bool:
        """Did this record's run stop at a refused export of its day, having
        written nothing (its landing cell failed, or it was not attempted)?"""
        item = self.inputs.get((row["run_id"], row["partition"]))
        refused = item is not None and item["status"] == "failed" and item["landed_rows"] is None
        return refused and row["status"] in ("failed", "blocked")

    def settle_chain(self, settled) -> None:
        """The chain, taking the cells `settled` returns as they are stored."""
        self.chain = Chain(lambda key: self._own_cell(*key), self.chain_reads, settled)

    def cells(self) -> list[tuple[str, str]]:
        found = []
        for uid in sorted(self.identity):
            if uid in self.partitioned:
                found += [(uid, p) for p in self.partitions]
            else:
                found.append((uid, UNPARTITIONED))
        return found

    def _reads(self, row: sqlite3.Row) -> list[tuple[str, str]]:
        """The partitioned upstream partitions a recorded build reads
        (memoized per record: staleness, the chain, newest_input and
        `affected` all ask, and a long history asks for every day)."""
        if not row["partition"]:
            return []
        key = (row["run_id"], row["unique_id"], row["partition"])
        if key not in self._read_memo:
            days = _days(row["partition"], row["window_days"] or 0)
            previous = [shift(row["partition"], -1)]  # a self-dependent model's read of itself
            self._read_memo[key] = [
                (upstream, day)
                for upstream in json.loads(row["depends_on_json"])
                if upstream in self.partitioned
                for day in (previous if upstream == row["unique_id"] else days)
            ]
        return self._read_memo[key]

    def read_closure(self, cells: list[tuple[str, str]]) -> set[tuple[str, str]]:
        """The cells, and every cell they read, directly or further up."""
        found, frontier = set(cells), list(cells)
        while frontier:
            row = self.latest.get(frontier.pop())
            for read in self._reads(row) if row is not None else []:
                if read not in found and read in self.latest:
                    found.add(read)
                    frontier.append(read)
        return found

    def chain_reads(self, cell: tuple[str, str]) -> list[tuple[str, str]]:
        """Every cell a cell's latest record reads: the partitioned upstream
        days (its window, from the upstream's first recorded day on) and the
        unpartitioned upstream assets (seeds)."""
        row = self.latest.get(cell)
        if row is None:
            return []
        reads = [(uid, day) for uid, day in self._reads(row) if day >= self.first_day.get(uid, day)]
        return reads + [
            (uid, UNPARTITIONED)
            for uid in json.loads(row["depends_on_json"])
            if uid not in self.partitioned and uid in self.identity
        ]

    def newest_input(self, uid: str, partition: str) -> sqlite3.Row | None:
        """The most recent content change that reached (uid, partition): its
        own (state.content), or one of an input it reads (directly or further
        up) after its last build. A table rebuilt after its input changed has
        absorbed that change: only its own fingerprint says whether it moved.
        A view absorbs nothing."""
        cell = (uid, partition)
        if cell in self._newest:
            return self._newest[cell]
        self._newest[cell] = None  # a dbt DAG has no cycles; this guards anyway
        row = self.latest.get(cell)
        built = self.built.get(cell)
        through = built is None or is_view(built)
        best = self.changed.get(cell)
        for upstream in self._reads(row) if row is not None else []:
            candidate = self.newest_input(*upstream)
            if candidate is None or not (through or candidate["order_key"] > built["order_key"]):
                continue
            if best is None or candidate["order_key"] > best["order_key"]:
                best = candidate
        self._newest[cell] = best
        return best

    def _node(self, uid: str) -> dict:
        return {"asset": self.identity.get(uid, (uid.split(".")[-1], ""))[0], "unique_id": uid}

    def staleness(self, row: sqlite3.Row) -> list[dict]:
        """Why a materialized cell no longer matches what it reads. Each
        detail's `cause` is what the staleness points at (the node, and the
        checksum it has now or the days rebuilt and the run that rebuilt
        them): an approval of the block matches on it."""
        details = []
        uid = row["unique_id"]
        current = self.current_checksum.get(uid)
        if current and row["checksum"] and current[0] != row["checksum"]:
            details.append(
                {
                    "code": "STALE_CODE_CHANGED",
                    "cause": {"node": self._node(uid), "checksum": current[0]},
                    "built_with": row["checksum"],
                    "seen_in": current[1],
                    "built_by": row["run_id"],
                }
            )
        built_with = json.loads(row["upstream_checksums_json"])
        for upstream in json.loads(row["depends_on_json"]):
            if upstream in self.partitioned:
                continue
            now, then = self.current_checksum.get(upstream), built_with.get(upstream)
            if now and then and now[0] != then:
                details.append(
                    {
                        "code": "STALE_UPSTREAM_CHANGED",
                        "cause": {"upstream": self._node(upstream), "checksum": now[0]},
                        "built_with": then,
                        "seen_in": now[1],
                        "built_by": row["run_id"],
                    }
                )
        newer: dict[str, list[tuple[str, sqlite3.Row]]] = {}
        for upstream, day in [] if row["is_view"] else self._reads(row):
            changed = self.newest_input(upstream, day)  # content, not attempts
            if changed is not None and changed["order_key"] > row["order_key"]:
                newer.setdefault(upstream, []).append((day, changed))
        window = row["window_days"] or 0
        for upstream, hits in sorted(newer.items()):
            newest = max((c for _, c in hits), key=lambda c: c["order_key"])
            days = [day for day, _ in hits]
            details.append(
                {
                    "code": "STALE_UPSTREAM_REBUILT",
                    "cause": {
                        "upstream": {**self._node(upstream), "days": days},
                        "run_id": newest["run_id"],
                    },
                    # the input further up whose rebuild reached this cell, if not the upstream
                    "via": None
                    if newest["unique_id"] == upstream and newest["partition"] in days
                    else cell_ref(newest),
                    "window": {"from": _days(row["partition"], window)[0], "to": row["partition"]}
                    if window
                    else None,
                    "built_by": row["run_id"],
                }
            )
        return details

    def upstream_causes(self, row: sqlite3.Row) -> list[dict]:
        """What, in the same run, kept a blocked asset from being attempted:
        the upstream cells that failed, have a failing error-severity check
        (named), or are blocked themselves."""
        found = []
        for upstream in json.loads(row["depends_on_json"]):
            parent = self.by_run.get(
                (row["run_id"], upstream, row["partition"])
            ) or self.by_run.get((row["run_id"], upstream, UNPARTITIONED))
            if parent is None:
                continue
            checks = json.loads(parent["checks_json"])
            blocking = check_summary(checks)["blocking"]
            if parent["status"] == "failed":
                outcome = "failed"
            elif blocking:
                outcome = "check_failed"
            elif parent["status"] == "blocked":
                outcome = "blocked"
            else:
                continue
            found.append(
                {
                    **cell_ref(parent),
                    "outcome": outcome,
                    "checks": check_facts(checks, blocking) if outcome == "check_failed" else [],
                }
            )
        return found

    def _facts(self, code: str, row: sqlite3.Row, checks: list[dict], summary: dict) -> dict:
        """A recorded reason code with what it is about."""
        if code == "CHECK_FAILED":
            return {"code": code, "checks": check_facts(checks, summary["blocking"])}
        if code == "CHECK_WARNED":
            return {"code": code, "checks": check_facts(checks, summary["warnings"])}
        if code.startswith("UPSTREAM_") and row["status"] == "blocked":
            return {"code": code, "upstream": self.upstream_causes(row)}
        if code == "BUILD_ERROR":
            return {"code": code, "message": row["message"]}
        if code == "ASSET_DISABLED":
            return {"code": code, "asset": row["asset"]}
        if row["resource_type"] == "source":
            return landing_facts(code, self.inputs.get((row["run_id"], row["partition"])))
        return {"code": code}

    def cell(self, uid: str, partition: str) -> dict:
        """The cell as it is: its own record, then what it reads (state.chain)."""
        return self.chain.cell((uid, partition))

    def _own_cell(self, uid: str, partition: str) -> dict:
        asset, resource_type = self.identity[uid]
        materialized = self.last_materialized.get((uid, partition))
        base = {
            "unique_id": uid,
            "partition": partition,
            "asset": asset,
            "resource_type": resource_type,
            "materialized_at": materialized["finished_at"] if materialized else None,
        }
        row = self.latest.get((uid, partition))
        if row is None:
            # records exist, but each only says the cell was left out of a selection
            return missing_cell(base, only_skipped=bool(self.records.get((uid, partition))))
        checks = json.loads(row["checks_json"])
        summary = check_summary(checks)
        reasons = [r for r in json.loads(row["reasons_json"]) if r != "NOT_SELECTED"]
        details = [self._facts(code, row, checks, summary) for code in reasons]
        refused = self.refused_later.get((uid, partition))
        if refused is not None and resource_type == "source":
            reasons.append("EXPORT_REFUSED")
            details.append(
                refusal_facts(refused["run_id"], self.inputs[(refused["run_id"], partition)])
            )
        status = row["status"]
        stale = self.staleness(row) if status == "materialized" else []
        if stale:
            status = "stale"
            details += stale
            reasons += [d["code"] for d in stale]
        blocking = bool(summary["blocking"]) or "CHECK_FAILED" in reasons
        file_name, file_sha = self.files.get(row["run_id"], (None, None))
        return {
            **base,
            "status": status,
            "consumable": int(status == "materialized" and not blocking),
            "checks": summary,
            "reasons": sorted(set(reasons)),
            "details": details,
            "run_id": row["run_id"],
            "evidence_file": file_name,
            "evidence_sha256": file_sha,
            "rows": row["rows"],
            "checksum": row["checksum"],
            "window_days": row["window_days"] if partition else None,
        }


def derive_state(connection: sqlite3.Connection, applied_runs: list[str] | None = None) -> None:
    """Recompute asset_state: every cell, or, given the runs just applied,
    only the cells they can change (see _Derivation.affected)."""
    derivation = _Derivation(connection)
    cells = derivation.cells()
    targets = (
        None if applied_runs is None else affected(derivation, connection, applied_runs, cells)
    )
    rows = []
    wanted = cells if targets is None else sorted(targets)
    if targets is not None:
        settle(derivation, connection, targets)
    # Oldest day first, what a cell reads before the cell: a self-dependent
    # model's day reads every earlier day through its chain, and deriving
    # them in order keeps the (memoized) recursion of the chain and of
    # newest_input one day deep instead of one level per day of history.
    for key in sorted(derivation.read_closure(wanted), key=lambda c: (c[1], c[0])):
        derivation.newest_input(*key)
        if targets is None or key in targets:
            derivation.cell(*key)
    for uid, partition in wanted:
        cell = derivation.cell(uid, partition)
        # what the warehouse held after the build the cell shows (the gate re-checks it)
        built = derivation.by_run.get((cell["run_id"], uid, partition))
        rows.append(
            [
                uid,
                partition,
                cell["asset"],
                cell["resource_type"],
                cell["status"],
                cell["consumable"],
                json.dumps(cell["checks"], sort_keys=True),
                json.dumps(cell["reasons"]),
                json.dumps(cell["details"], sort_keys=True),
                cell["run_id"],
                cell["evidence_file"],
                cell["evidence_sha256"],
                cell["rows"],
                cell["checksum"],
                cell["materialized_at"],
                cell["window_days"],
                built["fingerprint_json"] if built is not None else None,
                built["warehouse_id"] if built is not None else None,
            ]
        )
    if targets is None:
        connection.execute("delete from asset_state")
    else:
        connection.executemany(
            "delete from asset_state where unique_id = ? and partition = ?", sorted(targets)
        )
    connection.executemany(
        "insert into asset_state values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
