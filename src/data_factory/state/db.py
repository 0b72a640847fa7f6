"""The state store's tables and connections (SQLite in WAL mode)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from data_factory.core.errors import FactoryError
from data_factory.core.paths import FactoryPaths

# 2: no decisions table; 3: reason details are facts, no text; 4: fingerprints
# and warehouse ids of builds; 5: landing inputs, views; 6: ledger places,
# approvals' keys and cells, the last decision of each consumer and day
STATE_SCHEMA_VERSION = "6"


WRITE_BUSY_TIMEOUT_S = 10.0


READ_BUSY_TIMEOUT_S = 2.0


UNPARTITIONED = ""  # SQLite key of an asset without partitions (a seed)


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
    partitions_json text not null,
    ledger_sequence integer,
    ledger_previous text,
    signature_key_id text
);
create table if not exists rejected_evidence (
    file_name text primary key,
    file_sha256 text not null,
    problems_json text not null,
    run_id text,
    ledger_sequence integer,
    ledger_previous text
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
    is_view integer not null,
    fingerprint_json text,
    warehouse_id text,
    primary key (run_id, unique_id, partition)
);
create index if not exists asset_records_cell on asset_records (unique_id, partition);
create table if not exists landing_inputs (
    run_id text not null,
    partition text not null,
    status text not null,
    manifest_sha256 text,
    landed_rows integer,
    rejected_rows integer,
    rejected_by_reason_json text not null,
    unknown_fields_json text not null,
    reason_codes_json text not null,
    message text,
    primary key (run_id, partition)
);
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
    order_key text not null,
    key_id text,
    cells_json text not null
);
create table if not exists last_decisions (
    consumer text not null,
    partition text not null,
    digest text not null,
    run_id text not null,
    order_key text not null,
    primary key (consumer, partition)
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
    fingerprint_json text,
    warehouse_id text,
    primary key (unique_id, partition)
);
"""


STATE_TABLES = (
    "evidence",
    "rejected_evidence",
    "asset_records",
    "landing_inputs",
    "node_checksums",
    "approvals",
    "last_decisions",
    "asset_state",
)


RETIRED_TABLES = ("decisions",)  # tables of older layouts, dropped when a store is rebuilt


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
            for table in STATE_TABLES + RETIRED_TABLES:
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
        if not any(paths.evidence.glob("*.json")):  # a new home: nothing has run here
            raise FactoryError(
                "STATE_MISSING",
                f"nothing has been built in {paths.home} yet: `make demo` builds a week of "
                "generated exports, or `factory generate --start D --days N` then "
                "`factory run --start D --end D2`",
            )
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
            f"the state store {paths.state} cannot be read ({exc}); run `factory state rebuild`",
        ) from None
    return connection


@contextmanager
def write_transaction(paths: FactoryPaths) -> Iterator[sqlite3.Connection]:
    """One write transaction (`begin immediate`: writers queue, readers go on),
    committed when the block ends, rolled back if it raises."""
    connection = connect_writer(paths)
    try:
        connection.execute("begin immediate")
        try:
            yield connection
            connection.execute("commit")
        except BaseException:
            connection.execute("rollback")
            raise
    finally:
        connection.close()
