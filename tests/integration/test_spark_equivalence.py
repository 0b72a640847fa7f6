"""The same project on Spark: identical facts and KPIs, idempotent replays.

Spark runs in this pytest process (dbt-spark's `session` method), so every
Spark build here shares one FACTORY_HOME: a JVM keeps the warehouse and
metastore it started with. The DuckDB builds get a home of their own.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import time
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

try:
    import dbt.adapters.spark  # noqa: F401
    import pyspark  # noqa: F401
except ImportError:
    pytest.skip(
        "pyspark / dbt-spark are not installed: pip install -e '.[spark]' "
        "(`make test` installs them)",
        allow_module_level=True,
    )

from test_state_support import KPI_COLUMNS

from data_factory.cli.main import main

DAYS = ("2026-11-01", "2026-11-02", "2026-11-03")
TICKETS_PER_DAY = "100"
# Faults whose lines are rejected or deduplicated, on every day: both engines
# must land, reject and drop exactly the same lines.
FAULTS = "duplicate_events,malformed_lines,wrong_types,out_of_day"
FACT = "marts.ticket_fact"
KPI = "marts.ticket_kpi_daily"
# Re-ingesting a day stamps new lineage on its rows; everything else must stay.
LINEAGE_COLUMNS = ("ingest_run_id", "ingested_at")
# dbt unit tests pin code, not data: the fixture's first Spark build runs
# them (and the test of the evidence asserts they passed); the later Spark
# builds leave them out, as the factory does after the first day of a call.
# On Spark they cost about two minutes a build here.
WITHOUT_UNIT_TESTS = ("--exclude", "resource_type:unit_test")


# --------------------------------------------------------------------------
# reading both warehouses


def _spark():
    from pyspark.sql import SparkSession

    return SparkSession.builder.getOrCreate()


def _rows(engine: str, home: Path, sql: str) -> list[tuple]:
    if engine == "spark":
        return [tuple(row) for row in _spark().sql(sql).collect()]
    # dbt-duckdb keeps its own connection open in this process: same config
    connection = duckdb.connect(str(home / "warehouse.duckdb"))
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def fact_rows_per_day(engine: str, home: Path) -> dict[str, int]:
    return dict(
        _rows(
            engine,
            home,
            f"select cast(event_date as string), count(*) from {FACT} group by 1 order by 1",
        )
    )


def kpis(engine: str, home: Path) -> dict[str, dict]:
    columns = (*KPI_COLUMNS, "window_start_date")
    rows = _rows(
        engine, home, f"select cast(kpi_date as string), {', '.join(columns)} from {KPI} order by 1"
    )
    return {row[0]: dict(zip(columns, row[1:], strict=True)) for row in rows}


def content_digest(
    engine: str, home: Path, table: str, column: str, skip: tuple[str, ...] = ()
) -> dict[str, tuple[int, str]]:
    """Rows and a sha256 over the sorted rows, per partition. Values are
    compared as the engine's own text, so no client time zone gets in."""
    if engine == "spark":
        names = [f.name for f in _spark().table(table).schema.fields]
    else:
        names = [
            r[0]
            for r in _rows(
                engine,
                home,
                f"select column_name from "
                f"information_schema.columns where table_schema || '.' || table_name "
                f"= '{table}' order by ordinal_position",
            )
        ]
    kept = sorted(n for n in names if n not in skip)
    by_day: dict[str, list[str]] = {}
    as_text = ", ".join(f"cast({name} as string)" for name in kept)
    for row in _rows(engine, home, f"select cast({column} as string), {as_text} from {table}"):
        by_day.setdefault(row[0], []).append(repr(row[1:]))
    return {
        day: (len(rows), hashlib.sha256("\n".join(sorted(rows)).encode()).hexdigest())
        for day, rows in by_day.items()
    }


def factory(home: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--home", str(home), *args], catch_exceptions=False)
    assert result.exit_code == 0, (
        f"factory {' '.join(args)} exited {result.exit_code}\n"
        f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-5000:]}"
    )
    return result.stdout


def latest_evidence(home: Path, partition: str) -> dict:
    documents = [json.loads(p.read_text()) for p in (home / "evidence").glob("*.json")]
    mine = [d for d in documents if d["partitions"] == [partition]]
    return max(mine, key=lambda d: d["started_at"])


# --------------------------------------------------------------------------
# the builds


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("spark-equivalence")
    duck_home, spark_home = root / "duckdb-home", root / "spark-home"
    factory(
        duck_home,
        "generate",
        "--start",
        DAYS[0],
        "--days",
        str(len(DAYS)),
        "--tickets-per-day",
        TICKETS_PER_DAY,
        "--faults",
        FAULTS,
    )
    shutil.copytree(duck_home / "landing", spark_home / "landing")
    factory(duck_home, "run", "--start", DAYS[0], "--end", DAYS[-1])
    started = time.monotonic()
    factory(spark_home, "run", "--target", "spark", "--start", DAYS[0], "--end", DAYS[-1])
    print(f"\nspark: 3 days built in {time.monotonic() - started:.1f} s")
    return duck_home, spark_home


def test_the_evidence_names_the_engine_and_both_reconcile_alike(built):
    duck_home, spark_home = built
    for day in DAYS:
        on_duckdb, on_spark = latest_evidence(duck_home, day), latest_evidence(spark_home, day)
        assert on_spark["status"] == on_duckdb["status"] == "success"
        assert on_spark["invocation"]["target"] == "spark"
        assert on_spark["invocation"]["adapter"] == "spark"
        assert on_duckdb["invocation"]["adapter"] == "duckdb"
        for key in ("manifest_lines", "landed_rows", "rejected_rows", "rejected_by_reason"):
            assert on_spark["inputs"][0][key] == on_duckdb["inputs"][0][key], key
        assert on_spark["inputs"][0]["rejected_rows"] > 0
        # the same numbers, taken the same way (one implementation, two engines)
        assert on_spark["reconciliation"] == on_duckdb["reconciliation"]
        assert on_spark["reconciliation"][0]["balanced"] is True
        assert on_spark["reconciliation"][0]["duplicates_dropped"] > 0
    first = latest_evidence(spark_home, DAYS[0])["assets"]
    units = [c for a in first for c in a["checks"] if c.get("kind") == "unit_test"]
    assert units and all(c["status"] == "passed" for c in units), units


def test_ticket_fact_has_the_same_rows_per_partition(built):
    duck_home, spark_home = built
    on_duckdb = fact_rows_per_day("duckdb", duck_home)
    assert sorted(on_duckdb) == list(DAYS) and all(on_duckdb.values())
    assert fact_rows_per_day("spark", spark_home) == on_duckdb
    assert content_digest(
        "spark", spark_home, FACT, "event_date", LINEAGE_COLUMNS
    ) == content_digest("duckdb", duck_home, FACT, "event_date", LINEAGE_COLUMNS)


def _assert_same_kpis(on_spark: dict, on_duckdb: dict) -> None:
    assert sorted(on_spark) == sorted(on_duckdb)
    for day, expected in on_duckdb.items():
        for column, value in expected.items():
            found = on_spark[day][column]
            if isinstance(value, float) or isinstance(found, float):
                assert found is not None and value is not None, (day, column, found, value)
                assert math.isclose(found, value, rel_tol=1e-9, abs_tol=1e-9), (
                    day,
                    column,
                    found,
                    value,
                )
            else:
                assert found == value, (day, column, found, value)


def test_kpis_are_the_same_on_both_engines(built):
    duck_home, spark_home = built
    on_duckdb = kpis("duckdb", duck_home)
    assert sorted(on_duckdb) == list(DAYS)
    assert any(row["first_response_p50_minutes"] for row in on_duckdb.values())
    assert any(row["reopen_rate"] for row in on_duckdb.values())
    _assert_same_kpis(kpis("spark", spark_home), on_duckdb)


def test_fingerprints_are_the_same_on_both_engines(built):
    """md5-sum64/v1 is one definition: DuckDB's md5_number_upper and Spark's
    conv of the same digest bytes give the same fingerprint per asset x day."""
    duck_home, spark_home = built
    for day in DAYS:
        on_duckdb, on_spark = latest_evidence(duck_home, day), latest_evidence(spark_home, day)
        # md5-sum64/v1 (DuckDB also records its own quick hash for the gate)
        duck = {a["asset"]: _md5_only(a["fingerprint"]) for a in on_duckdb["assets"]}
        spark = {a["asset"]: _md5_only(a["fingerprint"]) for a in on_spark["assets"]}
        assert duck["ticket_fact"] is not None and duck["ticket_fact"]["rows"] > 0
        assert spark == duck, day
        assert on_spark["warehouse"]["engine"] == "spark" and on_spark["warehouse"]["id"]


def _md5_only(fingerprint: dict | None) -> dict | None:
    return fingerprint and {k: v for k, v in fingerprint.items() if k != "quick"}


def test_rerunning_a_day_on_spark_changes_nothing(built):
    _, spark_home = built

    def facts(skip=()):
        return content_digest("spark", spark_home, FACT, "event_date", skip)

    def kpi_digest():
        return content_digest("spark", spark_home, KPI, "kpi_date")

    before, before_without_lineage, kpis_before = facts(), facts(LINEAGE_COLUMNS), kpi_digest()
    factory(spark_home, "build", "--target", "spark", "--partition", DAYS[1], *WITHOUT_UNIT_TESTS)
    assert facts() == before
    assert kpi_digest() == kpis_before

    # a replay re-ingests the day: only its lineage stamps may change
    factory(spark_home, "run", "--target", "spark", "--partition", DAYS[1], *WITHOUT_UNIT_TESTS)
    after = facts()
    assert after[DAYS[1]] != before[DAYS[1]], "the replay did not rebuild the day"
    assert {d: v for d, v in after.items() if d != DAYS[1]} == {
        d: v for d, v in before.items() if d != DAYS[1]
    }
    assert facts(LINEAGE_COLUMNS) == before_without_lineage
    assert kpi_digest() == kpis_before


def test_an_emptied_day_becomes_empty_on_both_engines(built):
    duck_home, spark_home = built
    for home in (duck_home, spark_home):
        factory(
            home,
            "generate",
            "--start",
            DAYS[2],
            "--tickets-per-day",
            TICKETS_PER_DAY,
            "--faults",
            "empty_day",
            "--export-version",
            "2",
        )
    factory(duck_home, "run", "--partition", DAYS[2])
    factory(spark_home, "run", "--target", "spark", "--partition", DAYS[2], *WITHOUT_UNIT_TESTS)
    on_duckdb = fact_rows_per_day("duckdb", duck_home)
    assert DAYS[2] not in on_duckdb
    assert fact_rows_per_day("spark", spark_home) == on_duckdb
    _assert_same_kpis(kpis("spark", spark_home), kpis("duckdb", duck_home))
    assert kpis("spark", spark_home)[DAYS[2]]["tickets_created"] == 0


def _gate(home: Path, consumer: str, day: str) -> tuple[int, dict]:
    result = CliRunner().invoke(
        main,
        ["--home", str(home), "gate", consumer, "--partition", day, "--format", "json"],
        catch_exceptions=False,
    )
    return result.exit_code, json.loads(result.stdout)


def test_the_gate_rechecks_fingerprints_on_spark(built):
    """On Spark the gate recomputes the released cells' fingerprints in the
    warehouse too: a row added behind the factory's back blocks the day
    with WAREHOUSE_CONTENT_CHANGED; a rebuild of the same content releases
    it again."""
    _, spark_home = built
    day = DAYS[0]
    code, decision = _gate(spark_home, "retrieval_index", day)
    assert (code, decision["decision"]) == (0, "release"), decision["reasons"]

    _spark().sql(f"insert into {KPI} select * from {KPI} where kpi_date = date'{day}'")
    code, decision = _gate(spark_home, "retrieval_index", day)
    assert (code, decision["decision"]) == (1, "block")
    changed = [r for r in decision["reasons"] if r["code"] == "WAREHOUSE_CONTENT_CHANGED"]
    assert [(r["asset"], r["partition"]) for r in changed] == [("ticket_kpi_daily", day)]
    assert changed[0]["detail"]["found"]["rows"] == changed[0]["detail"]["expected"]["rows"] + 1

    factory(spark_home, "build", "--target", "spark", "--partition", day, *WITHOUT_UNIT_TESTS)
    code, decision = _gate(spark_home, "retrieval_index", day)
    assert (code, decision["decision"]) == (0, "release"), decision["reasons"]
