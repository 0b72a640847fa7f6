"""`factory docs` tells each step once, as dbt's events reach it, with the
seconds since it started."""

from __future__ import annotations

from types import SimpleNamespace

from data_factory.project.docs_site import step_teller


def dbt_event(name: str) -> SimpleNamespace:
    return SimpleNamespace(info=SimpleNamespace(name=name, msg=""))


def test_each_step_is_told_once_with_the_seconds_since_the_start():
    told: list[str] = []
    now = iter([10.0, 10.0, 13.4, 20.3, 21.0])
    begin, on_event = step_teller(told.append, clock=lambda: next(now))
    begin("loading dbt")
    for name in ("MainReportVersion", "NodeFinished", "FoundStats", "FoundStats"):
        on_event(dbt_event(name))
    on_event(dbt_event("CatalogWritten"))
    assert told == [
        "  docs    0.0 s  loading dbt",
        "  docs    3.4 s  parsing the project",
        "  docs   10.3 s  compiling every model and check",
        "  docs   11.0 s  site written",
    ]
