"""Figure 6, the gate's fingerprint re-check: before `factory gate` releases
a consumer for a day it recomputes, in the warehouse, the fingerprints of
the cells it releases (decisions.recheck). Measured in one process on a day
of the full size (20,000 tickets), for the consumer that needs the most
(retrieval_index: ticket_fact and ticket_kpi_daily of the day), against the
rest of the gate's decision from the state store (evaluate), and the whole
`factory gate` process for scale. The re-check includes opening the
warehouse read-only (about 30 ms of DuckDB's own on this machine), shown
apart."""

from __future__ import annotations

import time
from pathlib import Path

from bench.figure import Figure
from bench.homes import generate
from bench.processes import factory_cmd, measured, run, run_worker, say
from bench.sizes import GATE_DAY
from bench.suite import Bench

KEY = "gate"
TITLE = "Gate re-check per consumer-day"
CONSUMER = "retrieval_index"


def measure(bench: Bench, fig: Figure) -> None:
    work = bench.workdir("gate")
    generate(work, GATE_DAY, 1, bench.sizes.gate_tickets)
    run(factory_cmd(work, "run", "--partition", GATE_DAY), label="factory run")
    recheck, opening, decide, gate_process = [], [], [], []
    rows = cells = 0
    for rep in range(bench.cheap_repetitions):
        result = run_worker("gate_recheck", str(work), GATE_DAY, CONSUMER, home=work)
        recheck.append(result["recheck_s"])
        opening.append(result["open_s"])
        decide.append(result["evaluate_s"])
        rows, cells = result["rows"], result["cells"]
        seconds, _ = measured(
            factory_cmd(work, "gate", CONSUMER, "--partition", GATE_DAY),
            home=work,
            label="factory gate",
        )
        gate_process.append(seconds)
        say(f"  [gate] rep {rep + 1}: re-check {recheck[-1]:.4f} s, evaluate {decide[-1]:.4f} s")
    fig.inputs.update(
        {
            "partition": GATE_DAY,
            "tickets_per_day": bench.sizes.gate_tickets,
            "consumer": CONSUMER,
            "cells": cells,
            "rows": rows,
        }
    )
    value = fig.side(
        "fingerprint re-check",
        recheck,
        what="decisions.recheck.release_problems for the consumer's cells of the day, in-process",
    )
    fig.side(
        "of which opening and closing the warehouse (info)",
        opening,
        what="open_reader + close alone: DuckDB's read-only open of the file",
    )
    fig.side(
        "decision from the state (info)",
        decide,
        what="the consumer's cells read from the state and decisions.gate.evaluate, in-process",
    )
    gate_s = fig.side(
        "factory gate (info)",
        gate_process,
        what="`factory gate` as a process: start-up, state, re-check, decision evidence",
    )
    fig.target(
        "re-check per consumer-day",
        value,
        "<=",
        0.05,
        unit="s",
        definition="median seconds of recomputing and comparing the released cells' fingerprints",
    )
    fig.target(
        "re-check/factory gate",
        value / gate_s,
        None,
        None,
        unit="x",
        definition="the re-check's share of a whole `factory gate` process (informative)",
    )
    bench.done_with(work)


def worker_gate_recheck(home: str, day: str, consumer_name: str) -> dict:
    """The re-check and the decision, timed in this process (a first call
    warms the connection and the caches, as a long-lived gate would be)."""
    from data_factory.core.paths import FactoryPaths
    from data_factory.decisions.gate import evaluate, required_cells
    from data_factory.decisions.recheck import release_problems
    from data_factory.project.consumers import find_consumer
    from data_factory.project.parsed import load_manifest
    from data_factory.warehouse.connect import open_reader

    paths = FactoryPaths(Path(home))
    manifest = load_manifest(paths, parse_if_missing=False)
    consumer = find_consumer(manifest, consumer_name)
    cells = required_cells(paths, consumer, day, manifest)
    problems = release_problems(paths, manifest, consumer, day, cells)
    if problems:
        raise RuntimeError(f"the re-check found problems on a clean day: {problems}")
    started = time.perf_counter()
    release_problems(paths, manifest, consumer, day, cells)
    recheck_s = time.perf_counter() - started
    started = time.perf_counter()
    engine, _ = open_reader(paths, manifest)
    engine.close()
    open_s = time.perf_counter() - started
    started = time.perf_counter()
    evaluate(paths, consumer, day, manifest, cells=required_cells(paths, consumer, day, manifest))
    evaluate_s = time.perf_counter() - started
    released = [c for c in cells if c["fingerprint"] and c["unique_id"] in consumer.requires]
    return {
        "recheck_s": recheck_s,
        "open_s": open_s,
        "evaluate_s": evaluate_s,
        "cells": len(released),
        "rows": sum(c["fingerprint"]["rows"] for c in released),
    }


WORKERS = {"gate_recheck": worker_gate_recheck}
