"""`factory status --format html`: the grid as one self-contained page.

One partition health bar per asset (one square per day), a row per consumer
with what the gate would decide, and the unpartitioned reference data.
Every day column is labelled (month, day, weekday); every square carries the
glyph of the terminal grid on a colour of render.status_palette. Clicking a
square shows its evidence summary: the root cause of a cell that is not
consumable, its warnings, status, reasons, checks, rows, run id and a link to
its evidence file (relative to the page's folder). Everything is inline (CSS,
JS, data), so the page works offline, from a CI artifact or an e-mail
attachment. Opening the page with ``#asset@YYYY-MM-DD`` selects that cell.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from datetime import date
from pathlib import Path

from data_factory.core.clock import utc_now_iso
from data_factory.render.cell_panel import cell_key, root_causes, warnings
from data_factory.render.explain import cells_with_text, with_text
from data_factory.render.page_links import file_href
from data_factory.render.status_page_assets import CSS, JS
from data_factory.render.status_palette import PALETTE
from data_factory.render.status_table import DECISION_GLYPHS, GLYPHS, cell_kind, decision_kind


def _looks() -> dict[str, tuple[str, str, str, str]]:
    """kind -> (background, ink, glyph, meaning): the terminal's glyphs and
    words (render.status_table), the page's palette (render.status_palette)."""
    words = {**GLYPHS, **DECISION_GLYPHS}
    return {kind: (*PALETTE[kind], words[kind][0], words[kind][2]) for kind in PALETTE}


LOOKS = _looks()


def _button(index: int, key: str, kind: str, title: str, week: bool, approved: bool = False) -> str:
    classes = "cell" + (" week" if week else "") + (" appr" if approved else "")
    background, ink, glyph, _ = LOOKS[kind]
    return (
        f'<button class="{classes}" data-i="{index}" data-key="{html.escape(key)}" '
        f'data-kind="{kind}" style="background:{background};color:{ink}" '
        f'title="{html.escape(title)}" aria-label="{html.escape(title)}">{glyph}</button>'
    )


def _empty_cell(asset: str, partition: str) -> dict:
    return {
        "asset": asset,
        "partition": partition,
        "status": "missing",
        "consumable": False,
        "reasons": ["PARTITION_MISSING"],
        "reason_details": [],
        "approvals": [],
        "run_id": None,
        "evidence": None,
        "rows": None,
        "materialized_at": None,
        "code_checksum": None,
        "checks": {
            "passed": 0,
            "warned": 0,
            "failed": 0,
            "errored": 0,
            "not_run": 0,
            "blocking": [],
            "warnings": [],
        },
    }


def _axis(partitions: list[str]) -> str:
    """A label for every day column: the month where it starts (and on the
    first column), the day of the month, two letters of the weekday."""
    ticks, month = [], None
    for position, partition in enumerate(partitions):
        day = date.fromisoformat(partition)
        shown_month = day.strftime("%b") if day.month != month else ""
        month = day.month
        classes = "tick" + (" week" if position and position % 7 == 0 else "")
        classes += " weekend" if day.weekday() >= 5 else ""
        ticks.append(
            f'<time class="{classes}" datetime="{partition}" '
            f'title="{day.strftime("%A %Y-%m-%d")}"><b>{shown_month}</b>'
            f"<span>{day.day:02d}</span><small>{day.strftime('%a')[:2]}</small></time>"
        )
    return (
        '<div class="row axis"><div class="name">day</div>'
        f'<div class="bar">{"".join(ticks)}</div></div>'
    )


def _row(name: str, tally: str, buttons: list[str]) -> str:
    return (
        f'<div class="row"><div class="name" title="{html.escape(name)}">{html.escape(name)}'
        f'<small>{tally}</small></div><div class="bar">{"".join(buttons)}</div></div>'
    )


class _Items:
    """What each square shows when clicked (by its data-i): the cell or the
    decision, and for a cell its root cause, warnings and evidence link."""

    def __init__(self, cells: list[dict], page_dir: Path | None):
        self.list: list[dict] = []
        self.page_dir = page_dir
        self.cells = {(c["asset"], c["partition"]): c for c in cells}

    def cell(self, cell: dict, title: str) -> int:
        kind = cell_kind(cell)
        evidence = cell.get("evidence")
        self.list.append(
            {
                "type": "cell",
                "kind": kind,
                "label": LOOKS[kind][3],
                "title": title,
                "cell": cell,
                "roots": root_causes(cell, self.cells),
                "warnings": warnings(cell),
                "evidence_href": file_href(evidence, self.page_dir) if evidence else None,
            }
        )
        return len(self.list) - 1

    def decision(self, decision: dict, title: str) -> int:
        kind = decision_kind(decision)
        self.list.append(
            {
                "type": "decision",
                "kind": kind,
                "label": LOOKS[kind][3],
                "title": title,
                "decision": decision,
            }
        )
        return len(self.list) - 1


def _asset_rows(partitions: list[str], items: _Items) -> list[str]:
    rows = []
    for asset in sorted({asset for asset, partition in items.cells if partition}):
        buttons, consumable = [], 0
        for position, partition in enumerate(partitions):
            cell = items.cells.get((asset, partition)) or _empty_cell(asset, partition)
            consumable += bool(cell["consumable"])
            index = items.cell(cell, f"{asset} · {partition}")
            kind = items.list[index]["kind"]
            approved = any(a.get("active") for a in cell.get("approvals", []))
            buttons.append(
                _button(
                    index,
                    cell_key(asset, partition),
                    kind,
                    f"{asset} {partition}: {LOOKS[kind][3]}",
                    position % 7 == 0 and position > 0,
                    approved,
                )
            )
        rows.append(_row(asset, f"{consumable}/{len(partitions)}", buttons))
    return rows


def _consumer_rows(decisions: list[dict], partitions: list[str], items: _Items) -> list[str]:
    by_consumer: dict[str, dict[str, dict]] = {}
    for decision in decisions:
        by_consumer.setdefault(decision["consumer"], {})[decision["partition"]] = decision
    rows = []
    for consumer, days in sorted(by_consumer.items()):
        buttons, released = [], 0
        for position, partition in enumerate(partitions):
            decision = days[partition]
            released += decision["decision"] == "release"
            index = items.decision(decision, f"{consumer} · {partition}")
            kind = items.list[index]["kind"]
            buttons.append(
                _button(
                    index,
                    f"{consumer}@{partition}",
                    kind,
                    f"{consumer} {partition}: {LOOKS[kind][3]}",
                    position % 7 == 0 and position > 0,
                )
            )
        rows.append(_row(f"⇒ {consumer}", f"{released}/{len(partitions)}", buttons))
    return rows


def _reference_chips(cells: list[dict], items: _Items) -> list[str]:
    chips = []
    for cell in [c for c in cells if not c["partition"]]:
        index = items.cell(cell, cell["asset"])
        button = _button(index, cell["asset"], items.list[index]["kind"], cell["asset"], False)
        chips.append(f'<span class="chip">{button}{html.escape(cell["asset"])}</span>')
    return chips


def _legend() -> str:
    swatches = "".join(
        f'<span data-kind="{kind}"><i style="background:{background};color:{ink}">{glyph}</i>'
        f"{html.escape(meaning)}</span>"
        for kind, (background, ink, glyph, meaning) in LOOKS.items()
    )
    approved = PALETTE["approved"][0]
    return swatches + (
        '<span><i style="background:#fff;border:1px solid #adb5bd;'
        f'box-shadow:inset 0 -4px 0 {approved}">'
        "</i>an owner's approval overrides a block on this cell</span>"
    )


def render_page(report: dict, title: str = "Asset state", page_dir: Path | None = None) -> str:
    """The page; `page_dir` is the folder it is written to (its evidence links
    are relative to it), None when it goes to stdout (file URIs then)."""
    cells, partitions = cells_with_text(report["cells"]), report["partitions"]
    decisions = [
        {**row, "details": with_text(row["details"]), "overridden": with_text(row["overridden"])}
        for row in report.get("consumers", [])
    ]
    items = _Items(cells, page_dir)
    rows_html = _asset_rows(partitions, items)
    consumer_html = _consumer_rows(decisions, partitions, items)
    chips = _reference_chips(cells, items)
    counts = Counter(c["status"] for c in cells)
    consumable_total = sum(bool(c["consumable"]) for c in cells)
    span = f"{partitions[0]} .. {partitions[-1]}" if partitions else "no partitions"
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    facts = (
        f"{len(partitions)} day(s): {span} · {consumable_total} of {len(cells)} cells "
        f"consumable · {summary} · generated {utc_now_iso()}"
    )
    consumers = (
        '<div class="section">consumers (what the gate decides)</div>' + "".join(consumer_html)
        if consumer_html
        else ""
    )
    reference = (
        '<div class="section">reference data (unpartitioned)</div><div class="chips">'
        + "".join(chips)
        + "</div>"
        if chips
        else ""
    )
    payload = json.dumps(
        {"items": items.list, "colours": {k: v[:2] for k, v in PALETTE.items()}}, sort_keys=True
    ).replace("</", "<\\/")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{CSS}</style>
</head>
<body>
<header>
<h1>{html.escape(title)}</h1>
<p class="sub">{html.escape(facts)}</p>
</header>
<div class="legend">{_legend()}</div>
<main>
<section class="grid">
<div class="section">assets (one square per day)</div>
{_axis(partitions)}
{"".join(rows_html)}
{consumers}
{reference}
</section>
<aside id="details"><h2>Evidence summary</h2>
<p class="muted">Click a square to see its root cause, warnings, status, reasons, checks, rows,
run id and evidence file.</p>
</aside>
</main>
<script type="application/json" id="grid-data">{payload}</script>
<script>{JS}</script>
</body>
</html>
"""
