"""The status page people read (issue item 7): a label for every day, a glyph
in every square and in the legend, evidence as links that work from wherever
the page was written, and each square's root cause and warnings, checked in
headless Chromium on a month with a few faults."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
from browser_support import headless, require_chromium, screenshot
from test_state_support import (
    FACT_CHECK_ON_CHANNEL,
    cells_by_key,
    correct_one_event,
    factory,
    status_json,
)

from data_factory.core.errors import EXIT_INPUT_REJECTED
from data_factory.render.status_html import LOOKS
from data_factory.render.status_table import GLYPHS

MONTH = [(date(2026, 10, 1) + timedelta(days=n)).isoformat() for n in range(30)]
CORRECTED = "2026-10-29"  # re-run after one event changed: the KPI day after it goes stale
REJECTED = "2026-10-22"  # malformed lines, rejected and kept
CHECK_FAILS = "2026-10-26"  # a channel outside the accepted values: blocks what reads it
REFUSED = "2026-10-28"  # a wrong sha256 in the manifest: the export is refused
WEEK_SINCE = "2026-10-24"


@pytest.fixture(scope="module")
def month(tmp_path_factory) -> dict:
    """Thirty small days (20 tickets a day): the first twenty clean, built in
    one chunk; the last ten with the faults, run day by day (the refused export
    exits 3). Then the month's page inside the home and the last week's page in
    a folder of its own."""
    root = tmp_path_factory.mktemp("status-page")
    home = root / "home"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FACTORY_HOME", str(home))
        faults = f"malformed_lines@{REJECTED},bad_enum@{CHECK_FAILS},bad_checksum@{REFUSED}"
        factory(
            home,
            "generate",
            "--start",
            MONTH[0],
            "--days",
            "30",
            "--tickets-per-day",
            "20",
            "--faults",
            faults,
        )
        clean, faulty = MONTH[:20], MONTH[20:]  # a backfill chunks only days it does not ingest
        factory(home, "ingest", "--start", clean[0], "--end", clean[-1])
        factory(home, "backfill", "--start", clean[0], "--end", clean[-1], "--chunk-days", "20")
        factory(home, "run", "--start", faulty[0], "--end", faulty[-1], expect=EXIT_INPUT_REJECTED)
        correct_one_event(home, CORRECTED)
        factory(home, "run", "--partition", CORRECTED)
        month_page = home / "pages" / "month.html"
        month_page.parent.mkdir()
        factory(home, "status", "--format", "html", "--out", str(month_page))
        week_page = root / "shared" / "week.html"
        week_page.parent.mkdir()
        factory(home, "status", "--since", WEEK_SINCE, "--format", "html", "--out", str(week_page))
        cells = cells_by_key(status_json(home))
    return {"home": home, "month": month_page, "week": week_page, "cells": cells, "root": root}


def _dom(page: Path, profile: Path, key: str = "") -> str:
    require_chromium()
    url = page.as_uri() + (f"#{key}" if key else "")
    result = headless("--virtual-time-budget=3000", "--dump-dom", url, profile=profile)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def _panel(dom: str) -> str:
    return dom.split('id="details"', 1)[1].split("</aside>", 1)[0]


def _section(panel: str, title: str) -> str:
    """The part of the panel under a section title, up to the next one."""
    assert f">{title}</div>" in panel, f"no section {title!r} in the panel"
    rest = panel.split(f">{title}</div>", 1)[1]
    return html.unescape(re.split(r'class="section"|<dl>', rest, maxsplit=1)[0])


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", fragment))


def test_the_faults_made_the_cells_the_page_is_checked_on(month):
    cells = month["cells"]
    assert cells[("ticket_events", REJECTED)]["consumable"]
    assert "ROWS_REJECTED" in cells[("ticket_events", REJECTED)]["reasons"]
    assert cells[("ticket_fact", CHECK_FAILS)]["checks"]["blocking"]
    assert cells[("ticket_events", REFUSED)]["status"] == "failed"
    assert cells[("ticket_kpi_daily", "2026-10-27")]["status"] == "blocked"
    assert cells[("ticket_kpi_daily", "2026-10-30")]["status"] == "stale"


def test_every_day_column_is_labelled_with_its_date_and_weekday(month, tmp_path):
    dom = _dom(month["month"], tmp_path / "profile")
    axis = dom.split('class="row axis"', 1)[1].split('<div class="row">', 1)[0]
    labels = re.findall(r'<time [^>]*datetime="([^"]+)" title="([^"]+)">(.*?)</time>', axis)
    assert [day for day, _, _ in labels] == MONTH
    for day, title, shown in labels:
        weekday = date.fromisoformat(day).strftime("%A")
        assert title == f"{weekday} {day}"
        assert f"<span>{day[-2:]}</span>" in shown and f"<small>{weekday[:2]}</small>" in shown
    assert "<b>Oct</b>" in labels[0][2] and "<b></b>" in labels[1][2]


def test_every_square_and_the_legend_carry_the_terminal_glyph_of_their_status(month, tmp_path):
    dom = _dom(month["month"], tmp_path / "profile")
    squares = re.findall(r'<button class="cell[^"]*"[^>]*data-kind="([a-z_]+)"[^>]*>([^<]*)<', dom)
    assert len(squares) >= 7 * len(MONTH)
    for kind, glyph in squares:
        assert glyph == LOOKS[kind][2], kind
    seen = {kind for kind, _ in squares}
    assert {"ok", "warned", "check_failed", "failed", "blocked", "stale"} <= seen
    for kind in ("ok", "warned", "check_failed", "failed", "blocked", "stale", "missing"):
        assert LOOKS[kind][2] == GLYPHS[kind][0]  # one vocabulary with `factory status`
    legend = dom.split('class="legend"', 1)[1].split("</div>", 1)[0]
    for kind, (_, _, glyph, meaning) in LOOKS.items():
        found = re.search(rf'data-kind="{kind}"><i [^>]*>([^<]*)</i>([^<]*)</span>', legend)
        assert found, kind
        assert found.group(1) == glyph and html.unescape(found.group(2)) == meaning


def test_an_evidence_link_reaches_the_evidence_file_from_the_page_folder(month, tmp_path):
    key = ("ticket_fact", CHECK_FAILS)
    dom = _dom(month["week"], tmp_path / "profile", "@".join(key))
    (href,) = re.findall(r'<a href="([^"]+)"[^>]*class="evidence"', _panel(dom))
    assert not href.startswith(("file:", "/"))  # relative, so a copied folder keeps working
    reached = (month["week"].parent / unquote(html.unescape(href))).resolve()
    assert reached == Path(month["cells"][key]["evidence"]).resolve()
    assert reached.is_file()


def test_the_panel_of_a_blocked_cell_names_its_root_and_the_roots_reason(month, tmp_path):
    dom = _dom(month["week"], tmp_path / "profile", "ticket_kpi_daily@2026-10-27")
    roots = _text(_section(_panel(dom), "root cause"))
    assert f"ticket_fact {CHECK_FAILS} is materialized (CHECK_FAILED)" in roots
    assert f"error-severity check failed: {FACT_CHECK_ON_CHANNEL}" in roots
    assert f'href="#ticket_fact@{CHECK_FAILS}"' in _panel(dom)  # the root is a click away


def test_the_panel_of_a_stale_cell_names_what_changed(month, tmp_path):
    dom = _dom(month["week"], tmp_path / "profile", "ticket_kpi_daily@2026-10-30")
    roots = _text(_section(_panel(dom), "root cause"))
    assert "ticket_kpi_daily 2026-10-30 is stale (" in roots and "STALE_UPSTREAM_REBUILT" in roots
    assert f"ticket_fact {CORRECTED} was rebuilt" in roots
    # it also reads the days that broke: their cells are roots too
    assert f"ticket_fact {CHECK_FAILS} is materialized (CHECK_FAILED)" in roots


def test_the_panel_of_a_day_with_rejected_lines_counts_them_by_reason(month, tmp_path):
    detail = next(
        d
        for d in month["cells"][("ticket_events", REJECTED)]["reason_details"]
        if d["code"] == "ROWS_REJECTED"
    )
    dom = _dom(month["month"], tmp_path / "profile", f"ticket_events@{REJECTED}")
    warnings = _text(_section(_panel(dom), "warnings (advisory, do not block)"))
    rejected = detail["rejected"]
    assert rejected >= 3
    assert f"{rejected} line(s) rejected and kept ({rejected} MALFORMED_JSON)" in warnings


def test_screenshots_of_a_week_and_of_a_month(month, tmp_path):
    require_chromium()
    for page, key, size in (
        (month["week"], "ticket_kpi_daily@2026-10-30", "1500,700"),
        (month["month"], f"ticket_events@{REJECTED}", "1500,900"),
    ):
        screenshot(
            f"{page.as_uri()}#{key}",
            tmp_path / f"status-{page.stem}.png",
            size=size,
            budget_ms=3000,
            profile=tmp_path / f"profile-{page.stem}",
        )
