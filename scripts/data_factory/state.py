"""Asset state: which (asset, partition) the factory can trust now.

The state store is an index over the run evidence in ``data/evidence/``; the
evidence stays the source of truth. It lives in ``data/state.sqlite`` (SQLite
in WAL mode, so `status` and `gate` can read while a run writes) and holds:

``evidence``          every evidence file applied (run id, kind, order key, file sha256)
``rejected_evidence`` evidence files that did not validate, so they are reported once per change
``asset_records``     every (asset, partition) entry of every applied run evidence, as recorded
``node_checksums``    the dbt node checksums each run evidence saw (``code.node_checksums``)
``approvals``         every recorded approval, with the block reasons it overrides
``decisions``         every recorded gate decision
``asset_state``       derived: the current status of every (asset, partition) of the grid

Only ``asset_state`` is derived, and it is a pure function of the other
tables, which hold exactly what the evidence says. So applying the same files
in any order gives the same state, and ``factory state rebuild`` (apply every
valid file, oldest first) gives the same answer as the runs applying their own
evidence one by one. A run applies its evidence only after the evidence was
validated and written, so a crash in between never leaves a partition
``materialized``: the next apply or rebuild simply finds the state as it was.

Rules of the derived status (DESIGN.md vocabulary):

* The newest (by ``started_at``, then run id) non-``skipped`` record of a cell
  sets its status; ``skipped`` keeps the earlier state, and a cell that was
  only ever skipped is ``missing``.
* ``stale``: a ``materialized`` cell whose own model checksum differs from the
  newest evidence's checksum for that model (STALE_CODE_CHANGED); or one of
  whose partitioned upstream partitions was built (materialized or failed)
  by a later run (STALE_UPSTREAM_REBUILT). A model reads its upstream on the
  same day, or over ``[day - N, day]`` when its meta names a
  ``reads_window_var`` (N = the var the run used, else the dbt_project.yml
  default). Unpartitioned upstreams (seeds) are reloaded whole, so
  their rebuild is no signal; only a change of their checksum since the cell
  was built makes it stale (STALE_UPSTREAM_CHANGED). Building the cell again
  clears it.
* consumable = ``materialized``, no failed or errored error-severity check,
  not stale, and its evidence file still validates (checked when read).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterable

from .errors import FactoryError
from .evidence import (
    asset_nodes,
    content_sha256,
    disabled_assets,
    is_blocking,
    schema_problems,
    validated_here,
)
from .paths import PROJECT_DIR, FactoryPaths
from .reasons import describe

STATE_SCHEMA_VERSION = "1"
WRITE_BUSY_TIMEOUT_S = 10.0
READ_BUSY_TIMEOUT_S = 2.0
UNPARTITIONED = ""  # SQLite key of an asset without partitions (a seed)
APPLIED_KINDS = ("factory_run", "approval", "decision")
CHECK_STATUSES = ("passed", "warned", "failed", "errored", "not_run")
BUILT_STATUSES = ("materialized", "failed")  # the build ran and may have changed data

_DDL = """
create table if not exists state_meta (
    key text primary key,
    value text not null
);
create table if not exists evidence (
    run_id text primary key,
    kind text not null,
    file_name text not null,
    file_sha256 text not null,
    started_at text not null,
    finished_at text not null,
    order_key text not null,
    status text not null,
    partitions_json text not null
);
create table if not exists rejected_evidence (
    file_name text primary key,
    file_sha256 text not null,
    problems_json text not null
);
create table if not exists asset_records (
    run_id text not null,
    unique_id text not null,
    partition text not null,
    asset text not null,
    resource_type text not null,
    status text not null,
    order_key text not null,
    finished_at text not null,
    rows integer,
    checksum text,
    checks_json text not null,
    reasons_json text not null,
    depends_on_json text not null,
    upstream_checksums_json text not null,
    window_days integer not null,
    message text,
    primary key (run_id, unique_id, partition)
);
create index if not exists asset_records_cell on asset_records (unique_id, partition);
create table if not exists node_checksums (
    run_id text not null,
    unique_id text not null,
    checksum text not null,
    order_key text not null,
    primary key (run_id, unique_id)
);
create table if not exists approvals (
    run_id text primary key,
    consumer text not null,
    partition text not null,
    approved_by text not null,
    approved_at text not null,
    reason text not null,
    overrides_json text not null,
    block_json text not null,
    order_key text not null
);
create table if not exists decisions (
    run_id text primary key,
    consumer text not null,
    partition text not null,
    decision text not null,
    reasons_json text not null,
    decided_at text not null,
    order_key text not null
);
create table if not exists asset_state (
    unique_id text not null,
    partition text not null,
    asset text not null,
    resource_type text not null,
    status text not null,
    consumable integer not null,
    checks_json text not null,
    reasons_json text not null,
    details_json text not null,
    run_id text,
    evidence_file text,
    evidence_sha256 text,
    rows integer,
    checksum text,
    materialized_at text,
    window_days integer,
    primary key (unique_id, partition)
);
"""

_TABLES = ("evidence", "rejected_evidence", "asset_records", "node_checksums",
           "approvals", "decisions", "asset_state")

Warn = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# the dbt project as the state needs it


def load_manifest(paths: FactoryPaths, parse_if_missing: bool = True) -> dict:
    """The manifest of the last dbt parse of a CLI call
    (``data/runs/_parse/manifest.json``); parse the project when there is
    none yet. dbt rewrites that file in place, so a torn read is retried."""
    path = paths.runs / "_parse" / "manifest.json"
    if not path.exists() and parse_if_missing:
        from .dbt_invocation import DbtProject

        _stderr("  no parsed dbt manifest yet: parsing the project once")
        DbtProject(paths).parse()
    for attempt in range(3):
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FactoryError(
                "DBT_MANIFEST_MISSING",
                f"no dbt manifest at {path}; run `factory build` or `factory run` once",
            ) from None
        except json.JSONDecodeError:
            if attempt == 2:
                raise FactoryError(
                    "DBT_MANIFEST_MISSING", f"{path} is not readable JSON"
                ) from None
            time.sleep(0.2)
    raise AssertionError("unreachable")


def project_var_defaults() -> dict:
    """`vars:` of dbt_project.yml: the value a run used when it passed none."""
    import yaml

    try:
        document = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text()) or {}
    except (OSError, yaml.YAMLError):
        return {}
    found = document.get("vars") or {}
    return found if isinstance(found, dict) else {}


@dataclass
class WindowRules:
    """Which models read a window of their upstream's partitions."""

    window_vars: dict[str, str] = field(default_factory=dict)  # unique_id -> var name
    var_defaults: dict = field(default_factory=dict)

    @classmethod
    def from_manifest(cls, manifest: dict | None) -> "WindowRules":
        rules = cls(var_defaults=project_var_defaults())
        if manifest:
            nodes = {**asset_nodes(manifest), **disabled_assets(manifest)}
            for uid, node in nodes.items():
                meta = {**(node.get("meta") or {}), **((node.get("config") or {}).get("meta") or {})}
                if meta.get("reads_window_var"):
                    rules.window_vars[uid] = str(meta["reads_window_var"])
        return rules

    def window_days(self, unique_id: str, run_vars: dict) -> int:
        var = self.window_vars.get(unique_id)
        if not var:
            return 0
        value = run_vars.get(var, self.var_defaults.get(var, 0))
        try:
            return max(int(value), 0)
        except (TypeError, ValueError):
            return 0


# --------------------------------------------------------------------------
# connections


def _configure(connection: sqlite3.Connection) -> None:
    connection.row_factory = sqlite3.Row


def connect_writer(paths: FactoryPaths) -> sqlite3.Connection:
    """A connection that may write, with the tables in place. A store of an
    older layout is emptied (the caller rebuilds it from evidence)."""
    paths.home.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(
        str(paths.state), timeout=WRITE_BUSY_TIMEOUT_S, isolation_level=None
    )
    _configure(connection)
    try:
        connection.execute("pragma journal_mode=wal")
        connection.execute("pragma synchronous=normal")
        connection.executescript(_DDL)
        row = connection.execute(
            "select value from state_meta where key = 'schema_version'"
        ).fetchone()
        if row is None or row["value"] != STATE_SCHEMA_VERSION:
            # a new store, or one of another layout: start empty, and the
            # caller's apply indexes every evidence file (they are all new)
            connection.execute("begin immediate")
            for table in _TABLES:
                connection.execute(f"drop table if exists {table}")
            for statement in _DDL.split(";"):
                if statement.strip():
                    connection.execute(statement)
            connection.execute(
                "insert or replace into state_meta values ('schema_version', ?)",
                [STATE_SCHEMA_VERSION],
            )
            connection.execute("commit")
    except sqlite3.DatabaseError as exc:
        connection.close()
        raise FactoryError(
            "STATE_UNREADABLE",
            f"the state store {paths.state} cannot be used ({exc}); "
            "run `factory state rebuild` to recreate it from the evidence",
        ) from None
    return connection


def connect_reader(paths: FactoryPaths) -> sqlite3.Connection:
    """A read-only connection; it never waits long for a writer."""
    if not paths.state.exists():
        raise FactoryError(
            "STATE_MISSING",
            f"there is no state store at {paths.state}; run `factory state rebuild` "
            "to index the evidence in " + str(paths.evidence),
        )
    try:
        connection = sqlite3.connect(
            f"file:{paths.state}?mode=ro", uri=True, timeout=READ_BUSY_TIMEOUT_S
        )
        _configure(connection)
        connection.execute("select value from state_meta where key = 'schema_version'").fetchone()
    except sqlite3.OperationalError:
        # A WAL database opened read-only needs its -shm file; when no other
        # connection is open it may not exist yet, so fall back to a normal
        # connection that only ever reads.
        connection = sqlite3.connect(str(paths.state), timeout=READ_BUSY_TIMEOUT_S)
        _configure(connection)
    except sqlite3.DatabaseError as exc:
        raise FactoryError(
            "STATE_UNREADABLE",
            f"the state store {paths.state} cannot be read ({exc}); "
            "run `factory state rebuild`",
        ) from None
    return connection


# --------------------------------------------------------------------------
# reading and checking evidence files


def order_key(document: dict) -> str:
    """Runs are ordered by when they started, then by run id."""
    started = str(document.get("started_at") or "")
    try:
        moment = datetime.fromisoformat(started.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        started = moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
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


def load_evidence(path: Path) -> LoadedEvidence:
    """Read one evidence file and check it the way `factory validate` does:
    JSON Schema, then the sha256 of its content against report.sha256."""
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
    problems = [f"EVIDENCE_INVALID: {p}" for p in schema_problems(document)]
    if not problems and document["report"]["sha256"] != content_sha256(document):
        problems.append(
            "EVIDENCE_HASH_MISMATCH: content sha256 differs from report.sha256; the file "
            "was changed after it was written"
        )
    return LoadedEvidence(path, sha, document, problems)


def evidence_files(paths: FactoryPaths) -> list[Path]:
    if not paths.evidence.is_dir():
        return []
    return sorted(
        p for p in paths.evidence.glob("*.json")
        if p.is_file() and not p.name.startswith(".")  # .tmp-* are writes in flight
    )


def _file_name(paths: FactoryPaths, path: Path) -> str:
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


# --------------------------------------------------------------------------
# applying evidence


def _forget_run(connection: sqlite3.Connection, run_id: str) -> None:
    for table in ("evidence", "asset_records", "node_checksums", "approvals", "decisions"):
        connection.execute(f"delete from {table} where run_id = ?", [run_id])


def _apply_document(
    connection: sqlite3.Connection, loaded: LoadedEvidence, file_name: str, rules: WindowRules
) -> None:
    document = loaded.document
    assert document is not None
    run_id = document["run_id"]
    key = order_key(document)
    _forget_run(connection, run_id)
    connection.execute(
        "insert into evidence values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [run_id, document["kind"], file_name, loaded.sha256, document["started_at"],
         document["finished_at"], key, document["status"], json.dumps(document["partitions"])],
    )
    connection.execute("delete from rejected_evidence where file_name = ?", [file_name])
    kind = document["kind"]
    if kind == "factory_run":
        _apply_run(connection, document, key, rules)
    elif kind == "approval":
        block = (document.get("decision") or {}).get("reasons") or []
        for approval in document["approvals"]:
            connection.execute(
                "insert or replace into approvals values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [run_id, approval["consumer"], approval["partition"], approval["approved_by"],
                 approval["approved_at"], approval["reason"], json.dumps(approval["overrides"]),
                 json.dumps(block, sort_keys=True), key],
            )
    elif kind == "decision":
        decision = document.get("decision") or {}
        connection.execute(
            "insert into decisions values (?, ?, ?, ?, ?, ?, ?)",
            [run_id, decision.get("consumer", ""), decision.get("partition", ""),
             decision.get("decision", ""), json.dumps(decision.get("reasons") or [], sort_keys=True),
             document["finished_at"], key],
        )


def _apply_run(connection: sqlite3.Connection, document: dict, key: str, rules: WindowRules) -> None:
    run_id = document["run_id"]
    checksums = document["code"]["node_checksums"]
    run_vars = document["invocation"].get("vars") or {}
    for uid, checksum in checksums.items():
        connection.execute(
            "insert or replace into node_checksums values (?, ?, ?, ?)", [run_id, uid, checksum, key]
        )
    for entry in document["assets"]:
        partition = entry["partition"] or UNPARTITIONED
        upstream_checksums = {u: checksums[u] for u in entry["depends_on"] if u in checksums}
        connection.execute(
            "insert or replace into asset_records values "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run_id, entry["unique_id"], partition, entry["asset"], entry["resource_type"],
             entry["status"], key, document["finished_at"], entry["rows"], entry["checksum"],
             json.dumps(entry["checks"], sort_keys=True), json.dumps(entry["reason_codes"]),
             json.dumps(entry["depends_on"]), json.dumps(upstream_checksums, sort_keys=True),
             rules.window_days(entry["unique_id"], run_vars) if partition else 0,
             entry["message"]],
        )


@dataclass
class ApplyReport:
    applied: list[str] = field(default_factory=list)  # file names
    run_ids: list[str] = field(default_factory=list)  # their runs
    reapplied: bool = False  # a run already in the store was applied again
    rejected: list[tuple[str, list[str]]] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)


def _report_rejected(report: ApplyReport, warn: Warn) -> None:
    for name, problems in report.rejected:
        warn(f"  evidence {name} is invalid and was not applied to the state store:")
        for problem in problems[:5]:
            warn(f"    - {problem}")
    for name, why in report.ignored:
        warn(f"  evidence {name} was not applied: {why}")


def _apply_files(
    connection: sqlite3.Connection,
    paths: FactoryPaths,
    candidates: Iterable[Path],
    rules: WindowRules,
    report: ApplyReport,
) -> None:
    loaded_files = []
    for path in candidates:
        loaded = load_evidence(path)
        name = _file_name(paths, path)
        if not loaded.valid:
            report.rejected.append((name, loaded.problems))
            connection.execute(
                "insert or replace into rejected_evidence values (?, ?, ?)",
                [name, loaded.sha256, json.dumps(loaded.problems)],
            )
            continue
        loaded_files.append((order_key(loaded.document), name, loaded))
    seen: dict[str, str] = {}
    for _, name, loaded in sorted(loaded_files, key=lambda item: (item[0], item[1])):
        document = loaded.document
        run_id = document["run_id"]
        if run_id in seen and seen[run_id] != name:
            report.ignored.append((name, f"run id {run_id} is already recorded by {seen[run_id]}"))
            continue
        existing = connection.execute(
            "select file_name from evidence where run_id = ?", [run_id]
        ).fetchone()
        still_there = existing and evidence_path(paths, existing["file_name"]).exists()
        if still_there and existing["file_name"] != name:
            report.ignored.append(
                (name, f"run id {run_id} is already recorded by {existing['file_name']}"))
            continue
        seen[run_id] = name
        report.run_ids.append(run_id)
        report.reapplied = report.reapplied or existing is not None
        if document["kind"] not in APPLIED_KINDS:
            # dbt_artifacts evidence describes any dbt target directory; it is
            # kept and validated but says nothing about this factory's partitions
            report.ignored.append((name, f"kind {document['kind']} does not change asset state"))
        _apply_document(connection, loaded, name, rules)
        report.applied.append(name)


def _unindexed(connection: sqlite3.Connection, paths: FactoryPaths) -> list[Path]:
    indexed = {
        row["file_name"]: row["file_sha256"]
        for row in connection.execute("select file_name, file_sha256 from evidence")
    }
    rejected = {
        row["file_name"]: row["file_sha256"]
        for row in connection.execute("select file_name, file_sha256 from rejected_evidence")
    }
    found = []
    for path in evidence_files(paths):
        name = _file_name(paths, path)
        if name in indexed:
            continue
        if name in rejected:
            sha = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""
            if sha == rejected[name]:
                continue
        found.append(path)
    return found


def _rules(paths: FactoryPaths, manifest: dict | None) -> WindowRules:
    if manifest is None:
        try:
            manifest = load_manifest(paths)
        except FactoryError as exc:
            _stderr(f"  state: no dbt manifest ({exc.message}); windows read as same-day")
            manifest = None
    return WindowRules.from_manifest(manifest)


def apply_evidence_file(
    paths: FactoryPaths,
    written: list[Path] = (),
    *,
    manifest: dict | None = None,
    warn: Warn = _stderr,
) -> ApplyReport:
    """Apply written evidence files to the state store in one transaction, together with any other file of data/evidence/ it has
    not indexed yet (a run that crashed after writing its evidence, or a
    store that was deleted)."""
    connection = connect_writer(paths)
    report = ApplyReport()
    try:
        fresh = connection.execute("select count(*) from evidence").fetchone()[0] == 0
        rules = _rules(paths, manifest)
        connection.execute("begin immediate")
        try:
            candidates = _unindexed(connection, paths)
            pending = {c.resolve() for c in candidates}
            for path in map(Path, written):
                if path.resolve() in pending:
                    continue
                known = connection.execute("select 1 from evidence where file_name = ?",
                                           [_file_name(paths, path)]).fetchone()
                if not known:
                    candidates.append(path)
            if candidates or fresh:
                _apply_files(connection, paths, candidates, rules, report)
                _derive(connection, None if fresh or report.reapplied else report.run_ids)
            connection.execute("commit")
        except BaseException:
            connection.execute("rollback")
            raise
    finally:
        connection.close()
    _report_rejected(report, warn)
    return report


def record_run_evidence(paths: FactoryPaths, written: list[Path],
                        manifest: dict | None = None) -> None:
    """What a run calls right after its evidence files (one per day it
    built) were validated and written.
    It never fails the run: the evidence is on disk, and the next apply or
    `factory state rebuild` indexes whatever this one could not."""
    try:
        apply_evidence_file(paths, written, manifest=manifest)
    except Exception as exc:  # noqa: BLE001 - the evidence is safe on disk either way
        _stderr(f"  state store not updated ({exc}); `factory state rebuild` will index "
                + ", ".join(map(str, written)))


def sync(paths: FactoryPaths, *, manifest: dict | None = None, warn: Warn = _stderr) -> ApplyReport:
    """Bring the store up to date with data/evidence/ (creating it if needed)."""
    return apply_evidence_file(paths, manifest=manifest, warn=warn)


def rebuild(paths: FactoryPaths, *, manifest: dict | None = None, warn: Warn = _stderr) -> ApplyReport:
    """Recreate the state store from data/evidence/ alone."""
    if paths.state.exists():
        try:
            probe = sqlite3.connect(str(paths.state))
            try:
                probe.execute("pragma quick_check").fetchone()
            finally:
                probe.close()
        except sqlite3.DatabaseError as exc:
            warn(f"  state: {paths.state} is damaged ({exc}); recreating it")
            for suffix in ("", "-wal", "-shm"):
                Path(str(paths.state) + suffix).unlink(missing_ok=True)
    connection = connect_writer(paths)
    report = ApplyReport()
    try:
        rules = _rules(paths, manifest)
        connection.execute("begin immediate")
        try:
            for table in _TABLES:
                connection.execute(f"delete from {table}")
            _apply_files(connection, paths, evidence_files(paths), rules, report)
            _derive(connection)
            connection.execute("commit")
        except BaseException:
            connection.execute("rollback")
            raise
    finally:
        connection.close()
    _report_rejected(report, warn)
    return report


# --------------------------------------------------------------------------
# deriving the current state


def check_summary(checks: list[dict]) -> dict:
    """Counts per check status, plus the names of the checks that block
    (error severity, failed or errored) and that warn (warn severity, found
    rows or errored)."""
    summary: dict = {status: 0 for status in CHECK_STATUSES}
    for check in checks:
        summary[check["status"]] = summary.get(check["status"], 0) + 1
    summary["blocking"] = sorted(c["name"] for c in checks if is_blocking(c))
    summary["warnings"] = sorted(
        c["name"] for c in checks
        if c["status"] in ("warned", "failed", "errored") and not is_blocking(c)
    )
    return summary


def _days(partition: str, window: int) -> list[str]:
    last = date.fromisoformat(partition)
    return [(last - timedelta(days=n)).isoformat() for n in range(window, -1, -1)]


def _describe_checks(checks: list[dict], names: list[str]) -> str:
    by_name = {c["name"]: c for c in checks}
    parts = []
    for name in names:
        failures = by_name.get(name, {}).get("failures")
        parts.append(f"{name} ({failures} rows)" if failures else name)
    return ", ".join(parts)


def _label(asset: str, partition: str) -> str:
    return f"{asset} {partition}" if partition else asset


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
        for cell, rows in self.records.items():
            for row in rows:  # oldest first
                self.identity[row["unique_id"]] = (row["asset"], row["resource_type"])
                if row["status"] == "skipped":
                    continue
                self.latest[cell] = row
                if row["status"] in BUILT_STATUSES:
                    self.built[cell] = row
                if row["status"] == "materialized":
                    self.last_materialized[cell] = row
        self.partitions = sorted({p for (_, p) in self.records if p != UNPARTITIONED})
        self.partitioned = {uid for (uid, p) in self.records if p != UNPARTITIONED}
        self._newest: dict[tuple[str, str], sqlite3.Row | None] = {}

    def affected(self, connection: sqlite3.Connection, applied_runs: list[str],
                 cells: list[tuple[str, str]]) -> set[tuple[str, str]] | None:
        """The cells that applying `applied_runs` can change, or None when
        every cell must be derived again. A cell's derivation reads its own
        records, the checksums current for its model and the seeds it uses,
        and, for staleness, the builds of the partitions it reads (through
        windows, transitively). So: the cells the runs recorded, cells that
        did not exist before (a new day), and every cell reading one of
        those; everything, when a run changed a current checksum."""
        existing = {(row["unique_id"], row["partition"])
                    for row in connection.execute("select unique_id, partition from asset_state")}
        now = set(cells)
        if not existing or existing - now:
            return None
        applied = set(applied_runs)
        marks = ",".join("?" * len(applied))
        before: dict[str, str] = {}
        for row in connection.execute(
                f"select unique_id, checksum from node_checksums where run_id not in ({marks}) "
                "order by order_key, run_id", list(applied)):
            before[row["unique_id"]] = row["checksum"]
        if any(before.get(uid) != checksum for uid, (checksum, _) in self.current_checksum.items()):
            return None
        changed = {(uid, partition) for (run_id, uid, partition) in self.by_run
                   if run_id in applied} | (now - existing)
        readers: dict[tuple[str, str], set[tuple[str, str]]] = {}
        for cell in cells:
            row = self.latest.get(cell)
            for upstream in (self._reads(row) if row is not None else []):
                readers.setdefault(upstream, set()).add(cell)
        targets, frontier = set(changed), list(changed)
        while frontier:
            for reader in readers.get(frontier.pop(), ()):
                if reader not in targets:
                    targets.add(reader)
                    frontier.append(reader)
        return targets & now

    def cells(self) -> list[tuple[str, str]]:
        found = []
        for uid in sorted(self.identity):
            if uid in self.partitioned:
                found += [(uid, p) for p in self.partitions]
            else:
                found.append((uid, UNPARTITIONED))
        return found

    def _reads(self, row: sqlite3.Row) -> list[tuple[str, str]]:
        """The partitioned upstream partitions a recorded build reads."""
        if not row["partition"]:
            return []
        days = _days(row["partition"], row["window_days"] or 0)
        return [(upstream, day) for upstream in json.loads(row["depends_on_json"])
                if upstream in self.partitioned for day in days]

    def newest_input(self, uid: str, partition: str) -> sqlite3.Row | None:
        """The most recent build among everything (uid, partition) reads,
        directly or further up."""
        cell = (uid, partition)
        if cell in self._newest:
            return self._newest[cell]
        self._newest[cell] = None  # a dbt DAG has no cycles; this guards anyway
        row = self.latest.get(cell)
        best = None
        for upstream in (self._reads(row) if row is not None else []):
            for candidate in (self.built.get(upstream), self.newest_input(*upstream)):
                if candidate is not None and (best is None or candidate["order_key"] > best["order_key"]):
                    best = candidate
        self._newest[cell] = best
        return best

    def staleness(self, row: sqlite3.Row) -> list[dict]:
        details = []
        uid = row["unique_id"]
        current = self.current_checksum.get(uid)
        if current and row["checksum"] and current[0] != row["checksum"]:
            details.append({
                "code": "STALE_CODE_CHANGED",
                "text": f"the model code changed (checksum {row['checksum'][:12]} -> "
                        f"{current[0][:12]}, seen in run {current[1]}) since run "
                        f"{row['run_id']} built this partition",
                "cause": f"{uid}@{current[0]}",
            })
        built_with = json.loads(row["upstream_checksums_json"])
        for upstream in json.loads(row["depends_on_json"]):
            if upstream in self.partitioned:
                continue
            now, then = self.current_checksum.get(upstream), built_with.get(upstream)
            if now and then and now[0] != then:
                name = self.identity.get(upstream, (upstream.split(".")[-1], ""))[0]
                details.append({
                    "code": "STALE_UPSTREAM_CHANGED",
                    "text": f"{name} changed (checksum {then[:12]} -> {now[0][:12]}, seen in run "
                            f"{now[1]}) after run {row['run_id']} built this partition",
                    "cause": f"{upstream}@{now[0]}",
                })
        newer: dict[str, list[tuple[str, sqlite3.Row]]] = {}
        for upstream, day in self._reads(row):
            rebuilt = [c for c in (self.built.get((upstream, day)), self.newest_input(upstream, day))
                       if c is not None and c["order_key"] > row["order_key"]]
            if rebuilt:
                newer.setdefault(upstream, []).append(
                    (day, max(rebuilt, key=lambda c: c["order_key"])))
        for upstream, hits in sorted(newer.items()):
            name = self.identity.get(upstream, (upstream.split(".")[-1], ""))[0]
            days = [day for day, _ in hits]
            shown = ", ".join(days[:5]) + (f" and {len(days) - 5} more" if len(days) > 5 else "")
            newest = max((c for _, c in hits), key=lambda c: c["order_key"])
            via = "" if newest["unique_id"] == upstream else \
                f" (its input {_label(newest['asset'], newest['partition'])} was rebuilt)"
            window = row["window_days"] or 0
            reads = f"; it reads {name} over {_days(row['partition'], window)[0]}..{row['partition']}" \
                if window else ""
            details.append({
                "code": "STALE_UPSTREAM_REBUILT",
                "text": f"{name} {shown} {'was' if len(days) == 1 else 'were'} rebuilt{via} "
                        f"by run {newest['run_id']} after run {row['run_id']} built this "
                        f"partition{reads}",
                "cause": f"{upstream}@{','.join(days)}@{newest['run_id']}",
            })
        return details

    def upstream_causes(self, row: sqlite3.Row) -> list[str]:
        """What, in the same run, kept a blocked asset from being attempted."""
        found = []
        for upstream in json.loads(row["depends_on_json"]):
            parent = self.by_run.get((row["run_id"], upstream, row["partition"])) or \
                self.by_run.get((row["run_id"], upstream, UNPARTITIONED))
            if parent is None:
                continue
            label = _label(parent["asset"], parent["partition"])
            checks = json.loads(parent["checks_json"])
            blocking = check_summary(checks)["blocking"]
            if parent["status"] == "failed":
                found.append(f"{label} failed")
            elif blocking:
                found.append(f"{label} has a failing error-severity check: "
                             + _describe_checks(checks, blocking))
            elif parent["status"] == "blocked":
                found.append(f"{label} is blocked")
        return found

    def _explain(self, code: str, row: sqlite3.Row, checks: list[dict], summary: dict) -> str:
        """A recorded reason code in words, naming what it is about."""
        if code == "CHECK_FAILED":
            return "error-severity check failed: " + _describe_checks(checks, summary["blocking"])
        if code == "CHECK_WARNED":
            return ("warn-severity check found rows (advisory, does not block): "
                    + _describe_checks(checks, summary["warnings"]))
        if code.startswith("UPSTREAM_") and row["status"] == "blocked":
            causes = self.upstream_causes(row)
            return "not attempted: " + ("; ".join(causes) if causes else "an asset it needs did not build")
        if code == "BUILD_ERROR":
            return "the build errored" + (f": {row['message']}" if row["message"] else "")
        if code == "ASSET_DISABLED":
            return f"{row['asset']} is switched off in the project configuration (not a failure)"
        return describe(code)

    def _missing(self, base: dict) -> dict:
        uid, partition = base["unique_id"], base["partition"]
        only_skipped = bool(self.records.get((uid, partition)))
        text = f"no evidence records a build of {_label(base['asset'], partition)}" + (
            " (it was only ever left out of a selection)" if only_skipped else "")
        return {
            **base, "status": "missing", "consumable": 0, "checks": check_summary([]),
            "reasons": ["PARTITION_MISSING"], "details": [{"code": "PARTITION_MISSING", "text": text}],
            "run_id": None, "evidence_file": None, "evidence_sha256": None, "rows": None,
            "checksum": None, "window_days": None,
        }

    def cell(self, uid: str, partition: str) -> dict:
        asset, resource_type = self.identity[uid]
        materialized = self.last_materialized.get((uid, partition))
        base = {
            "unique_id": uid, "partition": partition, "asset": asset, "resource_type": resource_type,
            "materialized_at": materialized["finished_at"] if materialized else None,
        }
        row = self.latest.get((uid, partition))
        if row is None:
            return self._missing(base)
        checks = json.loads(row["checks_json"])
        summary = check_summary(checks)
        reasons = [r for r in json.loads(row["reasons_json"]) if r != "NOT_SELECTED"]
        details = [{"code": code, "text": self._explain(code, row, checks, summary)}
                   for code in reasons]
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


def _derive(connection: sqlite3.Connection, applied_runs: list[str] | None = None) -> None:
    """Recompute asset_state: every cell, or, given the runs just applied,
    only the cells they can change (see _Derivation.affected)."""
    derivation = _Derivation(connection)
    cells = derivation.cells()
    targets = None if applied_runs is None else derivation.affected(connection, applied_runs,
                                                                    cells)
    rows = []
    for uid, partition in (cells if targets is None else sorted(targets)):
        cell = derivation.cell(uid, partition)
        rows.append(
            [uid, partition, cell["asset"], cell["resource_type"], cell["status"],
             cell["consumable"], json.dumps(cell["checks"], sort_keys=True),
             json.dumps(cell["reasons"]), json.dumps(cell["details"], sort_keys=True),
             cell["run_id"], cell["evidence_file"], cell["evidence_sha256"], cell["rows"],
             cell["checksum"], cell["materialized_at"], cell["window_days"]])
    if targets is None:
        connection.execute("delete from asset_state")
    else:
        connection.executemany("delete from asset_state where unique_id = ? and partition = ?",
                               sorted(targets))
    connection.executemany(
        "insert into asset_state values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


# --------------------------------------------------------------------------
# reading the state


class _EvidenceCheck:
    """Does the evidence behind a cell still validate? A file whose bytes are
    unchanged since it was applied is valid; any other is checked again."""

    def __init__(self, paths: FactoryPaths):
        self.paths = paths
        self.cache: dict[str, list[str]] = {}

    def problems(self, file_name: str | None, recorded_sha: str | None) -> list[str]:
        if not file_name:
            return []
        if file_name not in self.cache:
            path = evidence_path(self.paths, file_name)
            try:
                sha = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                self.cache[file_name] = [f"EVIDENCE_INVALID: {path} is gone"]
                return self.cache[file_name]
            self.cache[file_name] = [] if sha == recorded_sha else (
                load_evidence(path).problems or
                ["EVIDENCE_HASH_MISMATCH: the file changed since the state store indexed it; "
                 "run `factory state rebuild`"])
        return self.cache[file_name]


def _public_cell(paths: FactoryPaths, row: sqlite3.Row, checker: _EvidenceCheck) -> dict:
    reasons = json.loads(row["reasons_json"])
    details = json.loads(row["details_json"])
    consumable = bool(row["consumable"])
    for problem in checker.problems(row["evidence_file"], row["evidence_sha256"]):
        code = problem.split(":", 1)[0]
        code = code if code in ("EVIDENCE_INVALID", "EVIDENCE_HASH_MISMATCH") else "EVIDENCE_INVALID"
        if code not in reasons:
            reasons.append(code)
        details.append({"code": code, "text": problem})
        consumable = False
    path = evidence_path(paths, row["evidence_file"])
    return {
        "asset": row["asset"],
        "partition": row["partition"] or None,
        "status": row["status"],
        "checks": json.loads(row["checks_json"]),
        "consumable": consumable,
        "run_id": row["run_id"],
        "evidence": str(path) if path else None,
        "reasons": sorted(set(reasons)),
        "reason_details": details,
        "rows": row["rows"],
        "materialized_at": row["materialized_at"],
        "code_checksum": row["checksum"],
        "unique_id": row["unique_id"],
        "resource_type": row["resource_type"],
        "reads_window_days": row["window_days"],
    }


def read_cells(
    paths: FactoryPaths,
    assets: Iterable[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    connection: sqlite3.Connection | None = None,
) -> list[dict]:
    """The grid, one dict per (asset, partition), sorted by asset then day.
    Unpartitioned assets (seeds) have partition None and pass any --since."""
    own = connection is None
    connection = connection or connect_reader(paths)
    try:
        rows = connection.execute(
            "select * from asset_state order by asset, partition"
        ).fetchall()
    except sqlite3.OperationalError as exc:
        raise FactoryError(
            "STATE_UNREADABLE",
            f"the state store {paths.state} cannot be read ({exc}); run `factory state rebuild`",
        ) from None
    finally:
        if own:
            connection.close()
    wanted = set(assets or [])
    checker = _EvidenceCheck(paths)
    cells = []
    for row in rows:
        if wanted and row["asset"] not in wanted and row["unique_id"] not in wanted:
            continue
        if row["partition"] and since and row["partition"] < since:
            continue
        if row["partition"] and until and row["partition"] > until:
            continue
        cells.append(_public_cell(paths, row, checker))
    return cells


def read_table(paths: FactoryPaths, sql: str, parameters: list | None = None) -> list[dict]:
    connection = connect_reader(paths)
    try:
        return [dict(row) for row in connection.execute(sql, parameters or [])]
    except sqlite3.OperationalError as exc:
        raise FactoryError(
            "STATE_UNREADABLE", f"the state store {paths.state} cannot be read ({exc})"
        ) from None
    finally:
        connection.close()


def _recorded(paths: FactoryPaths, table: str, json_columns: tuple[str, ...],
              partition: str | None, consumer: str | None) -> list[dict]:
    sql = f"select t.*, e.file_name from {table} t join evidence e using (run_id) where 1 = 1"
    parameters: list = []
    for column, value in (("partition", partition), ("consumer", consumer)):
        if value:
            sql += f" and t.{column} = ?"
            parameters.append(value)
    rows = read_table(paths, sql + " order by t.order_key", parameters)
    for row in rows:
        for column in json_columns:
            row[column] = json.loads(row.pop(f"{column}_json"))
        row["evidence"] = str(evidence_path(paths, row.pop("file_name")))
    return rows


def recorded_approvals(paths: FactoryPaths, partition: str | None = None,
                       consumer: str | None = None) -> list[dict]:
    return _recorded(paths, "approvals", ("overrides", "block"), partition, consumer)


def recorded_decisions(paths: FactoryPaths, consumer: str | None = None,
                       partition: str | None = None) -> list[dict]:
    return _recorded(paths, "decisions", ("reasons",), partition, consumer)


def run_partitions(paths: FactoryPaths) -> set[str]:
    """Every partition some applied factory run evidence covers."""
    found: set[str] = set()
    for row in read_table(paths, "select partitions_json from evidence where kind = 'factory_run'"):
        found.update(json.loads(row["partitions_json"]))
    return found


def unindexed_files(paths: FactoryPaths) -> list[Path]:
    """Evidence files the store has not seen (readers warn about them)."""
    if not paths.state.exists():
        return evidence_files(paths)
    connection = connect_reader(paths)
    try:
        return _unindexed(connection, paths)
    except sqlite3.OperationalError:
        return []
    finally:
        connection.close()
