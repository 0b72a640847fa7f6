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

COLOURS = {
    "ok": ("#2f9e44", "materialized, consumable"),
    "warned": ("#94d82d", "materialized, consumable, warn check found rows"),
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
    "check_failed": "!",
    "failed": "F",
    "blocked": "B",
    "stale": "S",
    "invalid": "?",
    "approved": "A",
    "block": "✗",
    "not_available": "n",
}

_CSS = """
*{box-sizing:border-box}
body{
  margin:0;
  font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
  color:#212529;
  background:#f8f9fa;
}
header{padding:16px 24px;background:#fff;border-bottom:1px solid #dee2e6}
h1{margin:0;font-size:20px}
.sub{margin:4px 0 0;color:#495057}
.legend{
  display:flex;
  flex-wrap:wrap;
  gap:6px 14px;
  padding:10px 24px;
  background:#fff;
  border-bottom:1px solid #dee2e6;
  font-size:12px;
}
.legend span{display:inline-flex;align-items:center;gap:5px}
.legend i{display:inline-block;width:12px;height:12px;border-radius:2px}
main{display:flex;gap:20px;padding:16px 24px;align-items:flex-start}
.grid{
  background:#fff;
  border:1px solid #dee2e6;
  border-radius:6px;
  padding:12px 14px;
  overflow-x:auto;
  flex:1 1 auto;
}
.row{display:flex;align-items:center;margin:3px 0}
.name{
  width:270px;
  flex:none;
  font-family:ui-monospace,SFMono-Regular,Menlo,monospace;
  font-size:12px;
  white-space:nowrap;
  overflow:hidden;
  text-overflow:ellipsis;
}
.name small{color:#868e96;margin-left:6px}
.bar{display:flex;gap:2px}
.cell{
  width:16px;
  height:20px;
  border:0;
  border-radius:2px;
  padding:0;
  cursor:pointer;
  color:#fff;
  font:bold 10px/20px ui-monospace,monospace;
  text-align:center;
}
.cell.week{margin-left:5px}
.cell:focus{outline:2px solid #1c7ed6;outline-offset:1px}
.cell.sel{outline:3px solid #212529;outline-offset:1px}
.cell.appr{box-shadow:inset 0 -4px 0 #15aabf}
.axis .tick{
  width:16px;
  font-size:10px;
  color:#868e96;
  text-align:left;
  white-space:nowrap;
  overflow:visible;
}
.section{
  margin:12px 0 4px;
  font-size:12px;
  font-weight:600;
  color:#495057;
  text-transform:uppercase;
  letter-spacing:.04em;
}
.chips{display:flex;flex-wrap:wrap;gap:6px}
.chip{
  display:inline-flex;
  align-items:center;
  gap:6px;
  border:1px solid #dee2e6;
  border-radius:12px;
  padding:2px 10px 2px 4px;
  background:#fff;
  cursor:pointer;
  font:12px ui-monospace,monospace;
}
.chip .cell{width:14px;height:14px;line-height:14px}
aside{
  width:420px;
  flex:none;
  min-width:0;
  overflow-wrap:anywhere;
  background:#fff;
  border:1px solid #dee2e6;
  border-radius:6px;
  padding:14px 16px;
  position:sticky;
  top:12px;
}
aside h2{margin:0 0 6px;font-size:16px;font-family:ui-monospace,monospace}
.badge{
  display:inline-block;
  padding:1px 8px;
  border-radius:10px;
  color:#fff;
  font-size:12px;
  font-weight:600;
}
dl{display:grid;grid-template-columns:120px 1fr;gap:4px 10px;margin:10px 0;font-size:13px}
dt{color:#868e96}
dd{margin:0;word-break:break-all}
ul{margin:4px 0 8px;padding-left:18px}
li{margin:2px 0;overflow-wrap:anywhere}
code{font:12px ui-monospace,monospace;background:#f1f3f5;padding:0 3px;border-radius:3px}
.muted{color:#868e96}
"""

_JS = """
(function () {
  var data = JSON.parse(document.getElementById('grid-data').textContent);
  var panel = document.getElementById('details');

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== null && text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }
  function field(dl, label, value) {
    if (value === null || value === undefined || value === '') return;
    dl.appendChild(el('dt', label));
    dl.appendChild(el('dd', String(value)));
  }
  function list(title, entries) {
    var part = document.createDocumentFragment();
    if (!entries || !entries.length) return part;
    part.appendChild(el('div', title, 'section'));
    var ul = el('ul');
    entries.forEach(function (entry) {
      var li = el('li');
      if (entry instanceof Node) li.appendChild(entry); else li.textContent = entry;
      ul.appendChild(li);
    });
    part.appendChild(ul);
    return part;
  }
  function reason(code, text) {
    var span = el('span');
    span.appendChild(el('code', code));
    span.appendChild(document.createTextNode(' ' + text));
    return span;
  }
  function approval(a) {
    return a.consumer + ': approved by ' + a.approved_by + ' at ' + a.approved_at + ' (' +
      (a.active ? 'applies now' : 'no longer applies') + '): ' + a.reason;
  }
  function showCell(c, dl) {
    var k = c.checks;
    field(dl, 'status', c.status);
    field(dl, 'consumable', c.consumable ? 'yes' : 'no');
    field(dl, 'rows', c.rows);
    field(dl, 'last materialized', c.materialized_at);
    field(dl, 'run id', c.run_id);
    field(dl, 'evidence', c.evidence);
    field(dl, 'code checksum', c.code_checksum ? c.code_checksum.slice(0, 16) : null);
    if (c.reads_window_days) field(dl, 'reads window', c.reads_window_days + ' day(s) back');
    field(dl, 'checks', k.passed + ' passed, ' + k.warned + ' warned, ' + k.failed + ' failed, ' +
      k.errored + ' errored, ' + k.not_run + ' not run');
    panel.appendChild(dl);
    panel.appendChild(list('reasons', (c.reason_details || []).map(function (r) {
      return reason(r.code, r.text);
    })));
    panel.appendChild(list('blocking checks (error severity)', k.blocking));
    panel.appendChild(list('warnings (warn severity, do not block)', k.warnings));
    panel.appendChild(list('approvals', (c.approvals || []).map(approval)));
  }
  function showDecision(d, dl) {
    field(dl, 'consumer', d.consumer);
    field(dl, 'day', d.partition);
    field(dl, 'decision', d.decision);
    field(dl, 'approved by', d.approved_by);
    panel.appendChild(dl);
    function asReason(r) { return reason(r.code, r.text); }
    panel.appendChild(list('reasons', d.details.map(asReason)));
    panel.appendChild(list('overridden block', d.overridden.map(asReason)));
    if (!d.details.length) {
      panel.appendChild(el('p', 'Every asset it needs is consumable.', 'muted'));
    }
  }
  function render(item) {
    panel.textContent = '';
    panel.appendChild(el('h2', item.title));
    var badge = el('span', item.label, 'badge');
    badge.style.background = data.colours[item.kind] || '#868e96';
    panel.appendChild(badge);
    if (item.type === 'cell') showCell(item.cell, el('dl'));
    else showDecision(item.decision, el('dl'));
  }
  function select(button) {
    document.querySelectorAll('.cell.sel').forEach(function (b) { b.classList.remove('sel'); });
    button.classList.add('sel');
    render(data.items[+button.dataset.i]);
    if (history.replaceState) history.replaceState(null, '', '#' + button.dataset.key);
  }
  document.querySelectorAll('button.cell').forEach(function (button) {
    button.addEventListener('click', function (event) { event.stopPropagation(); select(button); });
  });
  document.querySelectorAll('.chip').forEach(function (chip) {
    chip.addEventListener('click', function () { select(chip.querySelector('.cell')); });
  });
  if (location.hash.length > 1) {
    var key = decodeURIComponent(location.hash.slice(1));
    var buttons = document.querySelectorAll('button.cell');
    for (var i = 0; i < buttons.length; i++) {
      if (buttons[i].dataset.key === key) { buttons[i].click(); break; }
    }
  }
})();
"""


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
<style>{_CSS}</style>
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
<script>{_JS}</script>
</body>
</html>
"""
