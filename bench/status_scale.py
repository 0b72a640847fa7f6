"""Figure 5, status at scale: `factory status --format json` over 10 assets x
365 days of evidence made from a real run's, against the start-up of the same
CLI doing nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from bench.figure import Figure, interleave
from bench.processes import factory_cmd, measured, say, timed
from bench.sizes import STATUS_END, day_list, shift
from bench.suite import Bench

KEY = "status"
TITLE = "Status at scale"


def synthesize_evidence(template: dict, home: Path, days: list[str]) -> int:
    """One valid evidence file per day, made from a real run's evidence, so
    the state store sees `len(days)` days of every asset of the project."""
    from data_factory.evidence.store import write_evidence

    source = json.loads(template["evidence"].read_text())
    old_day = source["partitions"][0]
    text = json.dumps(source)
    for index, day in enumerate(days):
        document = json.loads(text.replace(old_day, day))
        run_id = f"rbench-{day}-{index:04d}"
        moment = f"{shift(day, 1)}T02:00:00.000Z"
        document.update({"run_id": run_id, "started_at": moment, "finished_at": moment})
        document["report"] = {"path": "", "sha256": ""}
        write_evidence(document, home / "evidence" / f"{run_id}.json")
    (home / "runs" / "_parse").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template["parse_manifest"], home / "runs" / "_parse" / "manifest.json")
    return len({(a["asset"]) for a in source["assets"]})


def measure(bench: Bench, fig: Figure) -> None:
    template = bench.template()
    work = bench.workdir("status")
    days = day_list(shift(STATUS_END, 1 - bench.sizes.status_days), bench.sizes.status_days)
    say(f"  status: {len(days)} evidence files")
    assets = synthesize_evidence(template, work, days)
    rebuild_s, _ = timed(factory_cmd(work, "state", "rebuild"), label="factory state rebuild")
    out = work / "status.json"

    def status_side(rep: int) -> float:
        seconds, _ = measured(
            factory_cmd(work, "status", "--format", "json"),
            home=work,
            label="factory status",
            stdout_path=out,
        )
        return seconds

    def floor_side(rep: int) -> float:
        seconds, _ = measured(factory_cmd(work, "--help"), home=work, label="factory --help")
        return seconds

    reps = bench.cheap_repetitions
    names = ("factory status --format json", "factory --help")
    samples = interleave(
        dict.fromkeys(names, reps),
        dict(zip(names, (status_side, floor_side), strict=False)),
        "status",
    )
    cells = json.loads(out.read_text())
    cells = cells if isinstance(cells, list) else cells.get("cells", [])
    fig.inputs.update(
        {
            "assets": assets,
            "days": len(days),
            "evidence_files": len(days),
            "rows": len(cells),
            "cells": len(cells),
        }
    )
    status_s = fig.side(
        names[0],
        samples[names[0]],
        what="`factory status --format json` as a process, stdout to a file",
    )
    floor_s = fig.side(
        names[1], samples[names[1]], what="the same CLI doing nothing: Python and CLI start-up"
    )
    fig.breakdown = {"state_rebuild_s": round(rebuild_s, 3)}
    fig.target(
        "factory status",
        status_s,
        "<=",
        0.5,
        unit="s",
        definition="median wall seconds of the whole `factory status` process",
    )
    fig.target(
        "status/start-up",
        status_s / floor_s,
        None,
        None,
        unit="x",
        definition="status seconds divided by `factory --help` seconds (informative)",
    )
    bench.done_with(work)


WORKERS: dict = {}
