"""Words at the edge: the status table, the status JSON and the HTML page
put a cell's reason facts into the sentences of render.explain."""

from __future__ import annotations

import io
import json

from evidence_fixture import CONSUMER, DAYS, FACT, KPI, SEED, Home, asset_entry, cells_of
from rich.console import Console

from data_factory.decisions.gate import consumer_grid
from data_factory.render.explain import cells_with_text, explain_detail
from data_factory.render.status_html import render_page
from data_factory.render.status_table import render_table

D1, D2, D3, _ = DAYS
REBUILT = f"order_fact {D2} was rebuilt by run run-2 after run run-1 built this partition"


def stale_report(tmp_path) -> dict:
    """The grid after run-2 rebuilt fact day 2 (KPI days 2 and 3 stale), with
    the consumer rows `factory status` shows."""
    home = Home(tmp_path / "home")
    home.build("run-1", cells_of(SEED, FACT, KPI))
    home.build("run-2", [asset_entry(FACT, D2)])
    cells = [{**c, "approvals": []} for c in home.grid().values()]
    partitions = sorted({c["partition"] for c in cells if c["partition"]})
    rows = consumer_grid(home.paths, home.manifest, cells, partitions)
    return {"cells": cells, "partitions": partitions, "consumers": rows}


def test_json_cells_get_the_words_beside_the_facts(tmp_path):
    report = stale_report(tmp_path)
    shown = {(c["asset"], c["partition"]): c for c in cells_with_text(report["cells"])}
    (detail,) = shown[("order_kpi", D3)]["reason_details"]
    assert detail["text"].startswith(REBUILT)
    assert detail["cause"]["run_id"] == "run-2"  # the facts stay
    assert all("text" not in d for c in report["cells"] for d in c["reason_details"])


def test_the_table_lists_each_problem_cell_in_words(tmp_path):
    stream = io.StringIO()
    render_table(stale_report(tmp_path), Console(file=stream, width=400, color_system=None))
    lines = [line for line in stream.getvalue().splitlines() if line.startswith("  order_kpi")]
    assert [line.split(":")[0] for line in lines] == [f"  order_kpi {D2}", f"  order_kpi {D3}"]
    assert all(REBUILT in line for line in lines)


def test_the_page_carries_the_words_for_the_panel_of_a_cell(tmp_path):
    page = render_page(stale_report(tmp_path))
    payload = json.loads(page.split('id="grid-data">', 1)[1].split("</script>", 1)[0])
    (item,) = [i for i in payload["items"] if i["title"] == f"order_kpi · {D3}"]
    assert [d["text"] for d in item["cell"]["reason_details"]] == [
        explain_detail(d) for d in item["cell"]["reason_details"]
    ]
    assert REBUILT in item["cell"]["reason_details"][0]["text"]


def test_the_page_carries_the_words_for_the_panel_of_a_consumer_day(tmp_path):
    page = render_page(stale_report(tmp_path))
    payload = json.loads(page.split('id="grid-data">', 1)[1].split("</script>", 1)[0])
    (item,) = [i for i in payload["items"] if i["title"] == f"{CONSUMER} · {D3}"]
    assert item["decision"]["decision"] == "block"
    assert [d["text"] for d in item["decision"]["details"]] == [
        f"order_kpi {D3} is stale: {REBUILT}; it reads order_fact over {D2}..{D3}"
    ]
