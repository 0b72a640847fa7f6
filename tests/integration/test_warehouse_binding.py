"""Evidence is bound to the data: fingerprints and the warehouse's identity
in build evidence; the gate re-checks them; staleness follows content."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from test_state_support import (
    WEEK,
    cells_by_key,
    clean_week_home,
    copy_home,
    evidence_documents,
    factory,
    status_json,
)

from data_factory.warehouse.fingerprint import ALGORITHM


@pytest.fixture(scope="module")
def clean_home(tmp_path_factory) -> Path:
    return clean_week_home(tmp_path_factory)


@pytest.fixture
def home(clean_home, tmp_path, monkeypatch) -> Path:
    copied = copy_home(clean_home, tmp_path / "home")
    monkeypatch.setenv("FACTORY_HOME", str(copied))
    return copied


def _warehouse_id(home: Path) -> str:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        ((found,),) = connection.execute(
            "select value from factory_meta where key = 'warehouse_id'"
        ).fetchall()
    return found


def test_build_evidence_records_fingerprints_and_the_warehouse_id(clean_home):
    runs = [d for _, d in evidence_documents(clean_home) if d["invocation"]["command"] == "run"]
    assert runs
    warehouse_id = _warehouse_id(clean_home)
    for document in runs:
        assert document["warehouse"] == {"id": warehouse_id, "engine": "duckdb"}
        by_asset = {a["asset"]: a for a in document["assets"]}
        for name in ("ticket_fact", "ticket_kpi_daily", "customers"):
            fingerprint = by_asset[name]["fingerprint"]
            assert fingerprint["algorithm"] == ALGORITHM
            assert fingerprint["rows"] == by_asset[name]["rows"] > 0
            assert len(fingerprint["hash"]) == 16
        # a view's rows are its inputs'; a source is not built by dbt
        assert by_asset["stg_helpdesk__ticket_events"]["fingerprint"] is None
        assert by_asset["ticket_events"]["fingerprint"] is None
    prints = {d["partitions"][0]: _fact(d)["fingerprint"]["hash"] for d in runs}
    assert len(set(prints.values())) == len(WEEK)  # each day its own content


def _fact(document: dict) -> dict:
    return next(a for a in document["assets"] if a["asset"] == "ticket_fact")


def test_a_rerun_of_an_unchanged_day_gives_the_same_fingerprint(home):
    before = _fact(evidence_documents(home)[-1][1])
    factory(home, "run", "--partition", WEEK[-1])
    after = _fact(evidence_documents(home)[-1][1])
    assert after["fingerprint"] == before["fingerprint"]
    assert cells_by_key(status_json(home))[("ticket_fact", WEEK[-1])]["consumable"]
