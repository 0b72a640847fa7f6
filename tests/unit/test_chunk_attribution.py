"""A chunk's warnings pinned to their days from the check's own failing
rows (runs.attribution), with a stand-in warehouse: which days warn, with
how many rows, and when the chunk must instead be rebuilt day by day."""

from __future__ import annotations

from data_factory.runs.attribution import results_by_day, warned_checks

CHECK = "test.shop.true_on_each_partition_order_kpi_window_complete"
OTHER = "test.shop.not_null_order_kpi_id"
DAYS = ["2026-11-01", "2026-11-02", "2026-11-03"]


def _manifest(named: bool = True) -> dict:
    meta = {"failing_rows_partition": "failing_partition"} if named else {}
    return {
        "nodes": {
            CHECK: {"unique_id": CHECK, "resource_type": "test", "config": {"meta": meta}},
            OTHER: {"unique_id": OTHER, "resource_type": "test", "config": {"meta": {}}},
        }
    }


def _results(check_status: str = "warn", other_status: str = "pass") -> dict:
    return {
        "results": [
            {"unique_id": "model.shop.order_kpi", "status": "success"},
            {
                "unique_id": CHECK,
                "status": check_status,
                "failures": 2,
                "compiled_code": "select kpi_date as failing_partition from kpi where not ok",
            },
            {"unique_id": OTHER, "status": other_status, "failures": 0},
        ]
    }


class _Warehouse:
    """Answers the grouped query with the rows per day it was given."""

    def __init__(self, found: dict[str, int]):
        self.found = found
        self.queries: list[str] = []

    def rows(self, sql: str, parameters=None) -> list[tuple]:
        self.queries.append(sql)
        return sorted(self.found.items())


def test_each_day_gets_its_own_rows_and_the_others_pass():
    warned = warned_checks(_results(), _manifest())
    assert warned == {CHECK: "failing_partition"}
    warehouse = _Warehouse({"2026-11-01": 1, "2026-11-03": 1})
    by_day = results_by_day(warehouse, _results(), warned, DAYS)
    check = {
        day: next(r for r in by_day[day]["results"] if r["unique_id"] == CHECK) for day in DAYS
    }
    assert [(check[d]["status"], check[d]["failures"]) for d in DAYS] == [
        ("warn", 1),
        ("pass", 0),
        ("warn", 1),
    ]
    assert "from (select kpi_date as failing_partition" in warehouse.queries[0]
    assert "group by" in warehouse.queries[0]
    # the other results are the chunk's, untouched
    assert all(by_day[d]["results"][0]["status"] == "success" for d in DAYS)


def test_anything_else_unclean_means_the_days_are_rebuilt_alone():
    assert warned_checks(_results(other_status="fail"), _manifest()) is None
    assert warned_checks(_results(other_status="warn"), _manifest()) is None
    assert warned_checks(_results(check_status="error"), _manifest()) is None
    # a warning check that does not name its rows' day cannot be pinned
    assert warned_checks(_results(), _manifest(named=False)) is None
