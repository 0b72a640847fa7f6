"""`factory status --format html`: the grid as one self-contained page.

One partition health bar per asset (one square per day), a row per consumer
with what the gate would decide, and the unpartitioned reference data.
Clicking a square shows its evidence summary: status, reasons, checks, rows,
run id and evidence path. Everything is inline (CSS, JS, data), so the page
works offline, from a CI artifact or an e-mail attachment. Opening the page
with ``#asset@YYYY-MM-DD`` in the address selects that cell.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from datetime import date

from data_factory.core.clock import utc_now_iso
from data_factory.render.explain import cells_with_text, with_text
from data_factory.render.status_page_assets import CSS, JS

COLOURS = {
    "ok": ("#2f9e44", "materialized, consumable"),
    "warned": ("#94d82d", "materialized, consumable, with a warning (checks or landing)"),
    "check_failed": ("#e03131", "error-severity check failed"),
    "failed": ("#a61e4d", "failed"),
    "blocked": ("#f76707", "blocked"),
    "stale": ("#fab005", "stale"),
    "missing": ("#dee2e6", "missing"),
    "not_available": ("#4dabf7", "not_available (switched off)"),
    "invalid": ("#862e9c", "evidence does not validate"),
    "release": ("#2f9e44", "gate releases"),
    "approved": ("#15aabf", "released on an owner's approval"),
    "block": ("#e03131", "gate blocks"),
}
MARKS = {
    "warned": "w",
    "check_failed": "!",
    "failed": "F",
    "blocked": "B",
    "stale": "S",
    "invalid": "?",
    "approved": "A",
    "block": "✗",
    "not_available": "n",
}


def _kind(cell: dict) -> str:
    from data_factory.render.status_table import cell_kind

    return cell_kind(cell)


def _decision_kind(row: dict) -> str:
    from data_factory.render.status_table import decision_kind

    return decision_kind(row)


def _button(index: int, key: str, kind: str, title: str, week: bool, approved: bool = False) -> str:
    classes = "cell" + (" week" if week else "") + (" appr" if approved else "")
    colour = COLOURS[kind][0]
    return (
        f'<button class="{classes}" data-i="{index}" data-key="{html.escape(key)}" '
        f'style="background:{colour}" title="{html.escape(title)}" '
        f'aria-label="{html.escape(title)}">{MARKS.get(kind, "")}</button>'
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
    ticks = []
    for position, partition in enumerate(partitions):
        label = date.fromisoformat(partition).strftime("%b %d") if position % 7 == 0 else ""
        week = position and position % 7 == 0
        ticks.append(
            f'<div class="tick" style="{"margin-left:5px" if week else ""}">'
            f"{html.escape(label)}</div>"
        )
    return (
        '<div class="row axis"><div class="name"></div>'
        f'<div class="bar">{"".join(ticks)}</div></div>'
    )


def _row(name: str, tally: str, buttons: list[str]) -> str:
    return (
        f'<div class="row"><div class="name" title="{html.escape(name)}">{html.escape(name)}'
        f'<small>{tally}</small></div><div class="bar">{"".join(buttons)}</div></div>'
    )


def _asset_rows(cells: list[dict], partitions: list[str], items: list[dict]) -> list[str]:
    index = {(c["asset"], c["partition"]): c for c in cells if c["partition"]}
    rows = []
    for asset in sorted({asset for asset, _ in index}):
        buttons, consumable = [], 0
        for position, partition in enumerate(partitions):
            cell = index.get((asset, partition)) or _empty_cell(asset, partition)
            kind = _kind(cell)
            consumable += bool(cell["consumable"])
            label = COLOURS[kind][1]
            items.append(
                {
                    "type": "cell",
                    "kind": kind,
                    "label": label,
                    "title": f"{asset} · {partition}",
                    "cell": cell,
                }
            )
            approved = any(a.get("active") for a in cell.get("approvals", []))
            buttons.append(
                _button(
                    len(items) - 1,
                    f"{asset}@{partition}",
                    kind,
                    f"{asset} {partition}: {label}",
                    position % 7 == 0 and position > 0,
                    approved,
                )
            )
        rows.append(_row(asset, f"{consumable}/{len(partitions)}", buttons))
    return rows


def _consumer_rows(decisions: list[dict], partitions: list[str], items: list[dict]) -> list[str]:
    by_consumer: dict[str, dict[str, dict]] = {}
    for decision in decisions:
        by_consumer.setdefault(decision["consumer"], {})[decision["partition"]] = decision
    rows = []
    for consumer, days in sorted(by_consumer.items()):
        buttons, released = [], 0
        for position, partition in enumerate(partitions):
            decision = days[partition]
            kind = _decision_kind(decision)
            released += decision["decision"] == "release"
            label = COLOURS[kind][1]
            items.append(
                {
                    "type": "decision",
                    "kind": kind,
                    "label": label,
                    "title": f"{consumer} · {partition}",
                    "decision": decision,
                }
            )
            buttons.append(
                _button(
                    len(items) - 1,
                    f"{consumer}@{partition}",
                    kind,
                    f"{consumer} {partition}: {label}",
                    position % 7 == 0 and position > 0,
                )
            )
        rows.append(_row(f"⇒ {consumer}", f"{released}/{len(partitions)}", buttons))
    return rows


def _reference_chips(cells: list[dict], items: list[dict]) -> list[str]:
    chips = []
    for cell in [c for c in cells if not c["partition"]]:
        kind = _kind(cell)
        items.append(
            {
                "type": "cell",
                "kind": kind,
                "label": COLOURS[kind][1],
                "title": cell["asset"],
                "cell": cell,
            }
        )
        button = _button(len(items) - 1, cell["asset"], kind, cell["asset"], False)
        chips.append(f'<span class="chip">{button}{html.escape(cell["asset"])}</span>')
    return chips


def render_page(report: dict, title: str = "Asset state") -> str:
    cells, partitions = cells_with_text(report["cells"]), report["partitions"]
    decisions = [
        {**row, "details": with_text(row["details"]), "overridden": with_text(row["overridden"])}
        for row in report.get("consumers", [])
    ]
    items: list[dict] = []  # what each square shows when clicked, by data-i
    rows_html = _asset_rows(cells, partitions, items)
    consumer_html = _consumer_rows(decisions, partitions, items)
    chips = _reference_chips(cells, items)
    axis = [_axis(partitions)]
    counts = Counter(c["status"] for c in cells)
    consumable_total = sum(bool(c["consumable"]) for c in cells)
    span = f"{partitions[0]} .. {partitions[-1]}" if partitions else "no partitions"
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    legend = "".join(
        f'<span><i style="background:{colour}"></i>{html.escape(meaning)}</span>'
        for colour, meaning in COLOURS.values()
    ) + (
        '<span><i style="background:#fff;box-shadow:inset 0 -4px 0 #15aabf;'
        'border:1px solid #ced4da">'
        "</i>an approval overrides a block on this cell</span>"
    )
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
        {"items": items, "colours": {k: v[0] for k, v in COLOURS.items()}}, sort_keys=True
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
<div class="legend">{legend}</div>
<main>
<section class="grid">
<div class="section">assets (one square per day)</div>
{"".join(axis)}
{"".join(rows_html)}
{consumers}
{reference}
</section>
<aside id="details"><h2>Evidence summary</h2>
<p class="muted">Click a square to see its status, reasons, checks, rows, run id and evidence
file.</p>
</aside>
</main>
<script type="application/json" id="grid-data">{payload}</script>
<script>{JS}</script>
</body>
</html>
"""
