"""One writer at a time: a second writer is told which run holds the warehouse."""

from __future__ import annotations

import subprocess
import sys

from conftest import event, write_export

from data_factory.core.errors import EXIT_LOCKED

HOLDER = """
import sys, time
from pathlib import Path
from data_factory.warehouse.locking import warehouse_lock
with warehouse_lock(Path(sys.argv[1]), "run-holding-42", "factory run"):
    print("held", flush=True)
    time.sleep(30)
"""


def test_second_writer_gets_locked_by_run_message(cli, paths):
    write_export(paths, "2026-11-01", [event()])
    paths.home.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(paths.warehouse)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        result = cli("ingest", "--partition", "2026-11-01", expect=EXIT_LOCKED)
        assert "locked by run run-holding-42" in result.stderr
        assert "WAREHOUSE_LOCKED" in result.stderr
    finally:
        holder.kill()
        holder.wait()
    cli("ingest", "--partition", "2026-11-01")
