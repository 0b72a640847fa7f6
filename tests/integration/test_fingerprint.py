"""Content fingerprints: DuckDB computes what the Python definition
(hashlib) says, independent of row order, and per partition."""

from __future__ import annotations

import duckdb
import pytest

from data_factory.warehouse.duckdb_engine import DuckDBEngine
from data_factory.warehouse.fingerprint import (
    ALGORITHM,
    python_fingerprint,
    relation_fingerprints,
    same_content,
)


class _MemoryEngine(DuckDBEngine):
    def __init__(self):
        self.connection = duckdb.connect()


ROWS = """
    (1, 'name one', 0.1, true, timestamp '2026-11-03 10:00:00', date '2026-11-03', null),
    (2, 'näme two', -2.5, false, timestamp '2026-11-03 11:30:00.123456', date '2026-11-03', 7),
    (3, null, null, null, null, date '2026-11-04', 8)
"""

# the canonical texts of those rows: columns sorted by name (Name, d, flag,
# id, run, ts, x), timestamps in microseconds, floats as decimal(38, 9)
TEXTS = {
    "2026-11-03": [
        ["name one", "2026-11-03", "true", "1", None, "1793700000000000", "0.100000000"],
        ["näme two", "2026-11-03", "false", "2", "7", "1793705400123456", "-2.500000000"],
    ],
    "2026-11-04": [[None, "2026-11-04", None, "3", "8", None, None]],
}


@pytest.fixture
def engine():
    engine = _MemoryEngine()
    engine.connection.execute(
        'create table t (id integer, "Name" varchar, x double, flag boolean, ts timestamp, '
        "d date, run integer)"
    )
    engine.connection.execute(f"insert into t values {ROWS}")
    yield engine
    engine.close()


def _md5(found: dict) -> dict:
    return {key: {k: v for k, v in value.items() if k != "quick"} for key, value in found.items()}


def test_duckdb_fingerprints_equal_the_python_definition(engine):
    found = _md5(
        relation_fingerprints(engine, "t", "d", ["2026-11-03", "2026-11-04", "2026-11-05"])
    )
    assert found == {
        "2026-11-03": python_fingerprint(TEXTS["2026-11-03"]),
        "2026-11-04": python_fingerprint(TEXTS["2026-11-04"]),
        "2026-11-05": {"algorithm": ALGORITHM, "rows": 0, "hash": "0" * 16},
    }
    assert found["2026-11-03"]["rows"] == 2
    assert len(found["2026-11-03"]["hash"]) == 16
    whole = _md5(relation_fingerprints(engine, "t", None, []))
    assert whole == {None: python_fingerprint(TEXTS["2026-11-03"] + TEXTS["2026-11-04"])}


def test_fingerprints_ignore_row_order_but_see_any_change(engine):
    before = relation_fingerprints(engine, "t", "d", ["2026-11-03"])
    engine.connection.execute("create table u as select * from t order by id desc")
    assert relation_fingerprints(engine, "u", "d", ["2026-11-03"]) == before
    engine.connection.execute("update u set x = 0.2 where id = 1")
    changed = relation_fingerprints(engine, "u", "d", ["2026-11-03"])
    assert changed["2026-11-03"]["rows"] == 2
    assert changed != before


def test_ignored_columns_do_not_change_the_fingerprint(engine):
    before = relation_fingerprints(engine, "t", "d", ["2026-11-03"], ignore=["run"])
    engine.connection.execute("update t set run = 99")
    assert relation_fingerprints(engine, "t", "d", ["2026-11-03"], ignore=["run"]) == before
    assert relation_fingerprints(engine, "t", "d", ["2026-11-03"]) != before


def test_the_quick_check_sees_the_same_content_and_any_change(engine):
    full = relation_fingerprints(engine, "t", "d", ["2026-11-03"])["2026-11-03"]
    quick = relation_fingerprints(engine, "t", "d", ["2026-11-03"], mode="quick")["2026-11-03"]
    assert quick["hash"] is None and quick["quick"] == full["quick"]
    assert full["quick"]["algorithm"].startswith("duckdb-hash-sum64/")
    assert same_content(full, quick)
    engine.connection.execute("update t set flag = not flag where id = 1")
    changed = relation_fingerprints(engine, "t", "d", ["2026-11-03"], mode="quick")["2026-11-03"]
    assert not same_content(full, changed)
