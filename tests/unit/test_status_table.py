"""The status grid at the width of the terminal it is printed on: one line
per asset when the days fit, whole weeks folded into blocks when they do
not, one asset after another on a narrow terminal; problems said once for
all the days they share, wrapped under their first line."""

from __future__ import annotations

import re
from datetime import date, timedelta

from rich.console import Console

from data_factory.render.status_table import render_table

ASSETS = ("order_events", "order_fact", "order_kpi_daily")
CHECKS = {
    "passed": 3,
    "warned": 0,
    "failed": 0,
    "errored": 0,
    "not_run": 0,
    "blocking": [],
    "warnings": [],
}
WARNED = {
    "code": "CHECK_WARNED",
    "checks": [{"name": "order_window_complete", "failures": 1}],
}


def days(n: int) -> list[str]:
    return [(date(2026, 11, 1) + timedelta(days=i)).isoformat() for i in range(n)]


def report(n: int, warned_asset: str | None = None) -> dict:
    partitions = days(n)
    cells = [
        {
            "asset": asset,
            "partition": day,
            "status": "materialized",
            "consumable": True,
            "checks": {**CHECKS, "warnings": ["w"] if asset == warned_asset else []},
            "reasons": ["CHECK_WARNED"] if asset == warned_asset else [],
            "reason_details": [WARNED] if asset == warned_asset else [],
            "approvals": [],
            "rows": 1200,
        }
        for asset in ASSETS
        for day in partitions
    ]
    return {"cells": cells, "partitions": partitions, "consumers": []}


def shown(given: dict, width: int) -> list[str]:
    console = Console(width=width, record=True, color_system=None)
    render_table(given, console)
    return console.export_text().splitlines()


def marks(line: str) -> int:
    return len(re.findall("[■~]", line))


def test_a_fortnight_fits_80_columns_one_line_per_asset():
    lines = shown(report(14), 80)
    fact = [line for line in lines if line.startswith("order_fact ")]
    assert len(fact) == 1 and marks(fact[0]) == 14
    assert "14/14 consumable, 16,800 rows" in fact[0]  # numbers for people
    assert max(map(len, lines)) <= 80


def test_sixty_days_fold_into_blocks_of_whole_weeks_at_80_columns():
    lines = shown(report(60), 80)
    assert max(map(len, lines)) <= 80
    fact = [line for line in lines if line.startswith("order_fact ")]
    assert len(fact) > 1 and sum(map(marks, fact)) == 60
    assert all(marks(line) % 7 == 0 for line in fact[:-1])  # blocks are whole weeks
    assert sum("consumable" in line for line in fact) == 1  # the tail, once, at the end
    digits = [line for line in lines if line.strip() and set(line.strip()) <= set("0123456789 ")]
    assert len(digits) == 2 * len(fact)  # each block has its day labels (tens, ones)


def test_sixty_days_stay_one_line_per_asset_at_200_columns():
    lines = shown(report(60), 200)
    fact = [line for line in lines if line.startswith("order_fact ")]
    assert len(fact) == 1 and marks(fact[0]) == 60


def test_a_narrow_terminal_lists_one_asset_after_another():
    lines = shown(report(7), 40)
    assert max(map(len, lines)) <= 40
    at = lines.index(next(line for line in lines if line.startswith("order_fact")))
    assert "7/7 consumable" in lines[at]
    assert lines[at + 1].startswith("  11-01 ") and marks(lines[at + 1]) == 7


def test_a_warning_shared_by_many_days_is_said_once_and_wrapped():
    lines = shown(report(30, warned_asset="order_kpi_daily"), 80)
    warnings = [line for line in lines if line.startswith("  warning ")]
    assert len(warnings) == 1
    assert "order_kpi_daily 2026-11-01..2026-11-30 (30 days)" in warnings[0]
    follow = lines[lines.index(warnings[0]) + 1]
    assert follow.startswith("      ") and max(map(len, lines)) <= 80
    assert "(1 failing row)" in " ".join(lines)


def test_the_legend_explains_the_marks_on_screen_and_points_to_the_rest():
    legend = " ".join(shown(report(7), 200)).split("legend:", 1)[1]
    assert "■ materialized and consumable" in legend
    assert "stale" not in legend and "F failed" not in legend
    assert "runbooks/statuses-and-reasons.md" in legend


def _status(tmp_path, monkeypatch, **env: str) -> str:
    from click.testing import CliRunner
    from evidence_fixture import FACT, KPI, SEED, Home, cells_of

    from data_factory.cli.main import main

    home = Home(tmp_path / "home")
    home.build("run-1", cells_of(SEED, FACT, KPI))
    for name in ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["--home", str(home.paths.home), "status"])
    assert result.exit_code == 0, result.output
    return result.stdout


COLOUR = re.compile(r"\x1b\[[0-9;]*3[0-7]m")  # a foreground colour


def test_colour_only_on_a_terminal_and_never_with_no_color(tmp_path, monkeypatch):
    assert "\x1b[" not in _status(tmp_path / "pipe", monkeypatch)  # not a terminal
    assert COLOUR.search(_status(tmp_path / "tty", monkeypatch, FORCE_COLOR="1"))
    plain = _status(tmp_path / "no-color", monkeypatch, FORCE_COLOR="1", NO_COLOR="1")
    assert not COLOUR.search(plain) and "order_fact" in plain
