"""One writer at a time on the warehouse, with a message naming the holder.

DuckDB allows a single writing process. Its own error names a PID; ours
names the factory run, so the person who hits it knows whom to wait for.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from data_factory.core.errors import WarehouseLocked


def _lock_path(warehouse: Path) -> Path:
    return warehouse.with_suffix(".lock")


def read_lock_holder(warehouse: Path) -> dict | None:
    path = _lock_path(warehouse)
    try:
        return json.loads(path.read_text() or "null")
    except (FileNotFoundError, json.JSONDecodeError):
        return None


@contextmanager
def warehouse_lock(warehouse: Path, run_id: str, command: str) -> Iterator[None]:
    path = _lock_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = read_lock_holder(warehouse) or {}
            raise WarehouseLocked(
                "WAREHOUSE_LOCKED",
                f"the warehouse {warehouse} is locked by run "
                f"{holder.get('run_id', '?')} ({holder.get('command', '?')}, "
                f"pid {holder.get('pid', '?')}, since {holder.get('started_at', '?')}); "
                "wait for it to finish, then try again",
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(
            json.dumps(
                {
                    "run_id": run_id,
                    "command": command,
                    "pid": os.getpid(),
                    "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
                }
            )
        )
        handle.flush()
        yield
