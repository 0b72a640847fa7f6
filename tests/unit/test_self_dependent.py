"""A self-dependent model (its day D reads its own day D - 1, as a carried
open set does) in the state store: a rebuild of day D makes every later day
stale until each is rebuilt in order, a broken day blocks every later one,
the same content stales nothing, and a long history derives. Hand-made
evidence, no dbt."""

from __future__ import annotations

import inspect
import sys

import pytest
from evidence_fixture import (
    BACKLOG,
    DAYS,
    FACT,
    OPEN,
    SEED,
    Home,
    asset_entry,
    cells_of,
    run_document,
)

from data_factory.core.partitions import day_range
from data_factory.render.explain import explain_detail
from data_factory.state.index import apply_evidence_file

D1, D2, D3, D4 = DAYS


def _print(content: str) -> dict:
    return {
        "algorithm": "md5-sum64/v1",
        "rows": 10,
        "hash": content.encode().hex()[:16].rjust(16, "0"),
    }


def _printed(uid: str, day: str, content: str | None = None) -> dict:
    return asset_entry(uid, day, fingerprint=_print(content or f"{uid[-4:]}{day}"))


@pytest.fixture
def chain(tmp_path) -> Home:
    """The seed, the fact and the open set built for four days, fingerprinted."""
    home = Home(tmp_path / "home")
    home.build(
        "run-1",
        [asset_entry(SEED, None), *(_printed(uid, day) for uid in (FACT, OPEN) for day in DAYS)],
    )
    return home


def by_day(*statuses: str) -> dict[str, str]:
    return dict(zip(DAYS, statuses, strict=True))


def test_a_fresh_chain_is_consumable(chain):
    assert chain.statuses("open_orders") == by_day(*["materialized"] * 4)
    assert all(c["consumable"] for c in chain.grid().values())


def test_a_changed_day_stales_every_later_day_until_each_is_rebuilt_in_order(chain):
    chain.build("run-2", [_printed(OPEN, D2, "changed")])
    assert chain.statuses("open_orders") == by_day("materialized", "materialized", "stale", "stale")
    day3 = chain.grid()[("open_orders", D3)]
    (detail,) = [d for d in day3["reason_details"] if d["code"] == "STALE_UPSTREAM_REBUILT"]
    assert detail["cause"]["upstream"]["days"] == [D2]
    assert explain_detail(detail).startswith(f"open_orders {D2} was rebuilt by run run-2")
    # day 4 never read day 2 itself: the change reached it through day 3
    day4 = chain.grid()[("open_orders", D4)]
    (detail,) = [d for d in day4["reason_details"] if d["code"] == "STALE_UPSTREAM_REBUILT"]
    assert detail["cause"]["upstream"]["days"] == [D3]
    assert detail["via"]["partition"] == D2

    chain.build("run-3", [_printed(OPEN, D3, "changed too")])
    assert chain.statuses("open_orders") == by_day(*["materialized"] * 3, "stale")
    chain.build("run-4", [_printed(OPEN, D4, "changed as well")])
    assert all(c["consumable"] for c in chain.grid().values())


def test_a_rebuild_with_the_same_content_stales_nothing(chain):
    same = chain.grid()[("open_orders", D2)]["fingerprint"]
    chain.build("run-2", [asset_entry(OPEN, D2, fingerprint=same)])
    assert all(c["consumable"] for c in chain.grid().values())


def test_a_failed_day_makes_every_later_day_unconsumable_with_it_as_a_root(chain):
    """The failed build may have changed day 2 (no fingerprint says it did
    not), so the later days are stale, and they read a broken day."""
    chain.build("run-2", [asset_entry(OPEN, D2, status="failed", reason_codes=["BUILD_ERROR"])])
    grid = chain.grid()
    assert not grid[("open_orders", D2)]["consumable"]
    for day in (D3, D4):
        cell = grid[("open_orders", day)]
        assert not cell["consumable"], day
        assert {"STALE_UPSTREAM_REBUILT", "UPSTREAM_NOT_CONSUMABLE"} <= set(cell["reasons"]), day
        (chained,) = [d for d in cell["reason_details"] if d["code"] == "UPSTREAM_NOT_CONSUMABLE"]
        roots = [(r["asset"], r["partition"]) for r in chained["cause"]["roots"]]
        assert ("open_orders", D2) in roots, day
    assert grid[("open_orders", D1)]["consumable"]


def test_the_first_day_reads_nothing_before_it(chain):
    cell = chain.grid()[("open_orders", D1)]
    assert cell["consumable"] and cell["reasons"] == []


def test_a_new_day_at_the_end_of_a_long_chain_derives_and_a_change_on_day_one_reaches_it(
    tmp_path,
):
    """A run that adds day 201 derives only that day's cells, and the open
    set of that day reads all 200 days before it, through the chain. Were
    they derived by recursion into the day before, that would go a Python
    frame or more per day down the chain: over a recursion limit of 150
    frames more than this test already uses. Deriving the days it reads
    first, oldest day first, does not."""
    home = Home(tmp_path / "home")
    days = day_range("2026-01-01", "2026-07-20")
    assert len(days) == 201
    home.build("run-1", [asset_entry(SEED, None), *cells_of(FACT, OPEN, BACKLOG, days=days[:-1])])
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 150)
    try:
        home.build("run-2", cells_of(FACT, OPEN, BACKLOG, days=days[-1:]))
    finally:
        sys.setrecursionlimit(limit)
    assert all(c["consumable"] for c in home.grid().values())
    home.build("run-3", [asset_entry(OPEN, days[0])])
    statuses = home.statuses("open_orders")
    assert statuses[days[0]] == "materialized"
    assert {statuses[day] for day in days[1:]} == {"stale"}
    assert not any(c["consumable"] for c in home.grid().values() if c["asset"] == "backlog_kpi")


def test_a_new_day_derives_its_own_cells_not_the_history_it_reads(tmp_path, monkeypatch):
    """The days before the new one are settled: nothing new reaches them, so
    their stored state stands and only the new day's cells are derived (the
    fixture still checks the result equals a full derivation)."""
    from data_factory.state import derive

    home = Home(tmp_path / "home")
    days = day_range("2026-01-01", "2026-04-10")
    home.build("run-1", [asset_entry(SEED, None), *cells_of(FACT, OPEN, BACKLOG, days=days[:-1])])
    derived: list[tuple[str, str]] = []
    own_cell = derive._Derivation._own_cell

    def counted(self, uid, partition):
        derived.append((uid, partition))
        return own_cell(self, uid, partition)

    monkeypatch.setattr(derive._Derivation, "_own_cell", counted)
    path = home.write(run_document("run-2", 2, cells_of(FACT, OPEN, BACKLOG, days=days[-1:])))
    apply_evidence_file(home.paths, [path], manifest=home.manifest)
    assert {partition for _, partition in derived} == {days[-1]}
    monkeypatch.undo()
    home.assert_matches_a_full_derivation()
