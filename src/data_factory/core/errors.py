"""Errors the factory reports to users as a message and an exit code."""

from __future__ import annotations

import errno
import os
from pathlib import Path

# Exit codes of the `factory` command. They are part of the interface: CI
# and schedulers branch on them.
EXIT_OK = 0
EXIT_BLOCKED = 1  # a run built but a check failed, or a gate decided `block`
EXIT_USAGE = 2  # bad arguments (click's own convention)
EXIT_INPUT_REJECTED = 3  # landing or artifacts could not be accepted
EXIT_LOCKED = 4  # another run holds the warehouse
EXIT_BUILD_FAILED = 5  # dbt itself failed (compile error, database error)
# the home cannot be used as it is: it is not writable (HOME_NOT_WRITABLE), or
# its warehouse file is not a database (WAREHOUSE_UNREADABLE); a person must act
EXIT_HOME_UNUSABLE = 6
# `factory lineage --url`: the OpenLineage endpoint could not be reached or
# refused an event (LINEAGE_NOT_DELIVERED); the factory itself is fine
EXIT_NOT_DELIVERED = 7

# what an OSError says when the home refuses a write
NOT_WRITABLE_ERRNOS = frozenset(
    {errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EDQUOT}
)


class FactoryError(Exception):
    """A failure with a stable reason code and a message meant for people."""

    exit_code = EXIT_INPUT_REJECTED

    def __init__(self, reason_code: str, message: str):
        super().__init__(message)
        self.reason_code = reason_code
        self.message = message

    def __str__(self) -> str:
        return f"{self.reason_code}: {self.message}"


class HomeError(FactoryError):
    """The home, not a day's input, is at fault: the whole command stops, and
    nothing is recorded against the day it was working on."""


class WarehouseLocked(HomeError):
    exit_code = EXIT_LOCKED


class HomeUnusable(HomeError):
    exit_code = EXIT_HOME_UNUSABLE


class BuildFailed(FactoryError):
    exit_code = EXIT_BUILD_FAILED


class LineageNotDelivered(FactoryError):
    exit_code = EXIT_NOT_DELIVERED


def home_not_writable(home: Path, exc: OSError) -> HomeUnusable:
    where = exc.filename if exc.filename is not None else home
    return HomeUnusable(
        "HOME_NOT_WRITABLE",
        f"cannot write {where}: {exc.strerror or exc}. The factory home {home} must be "
        "writable by this user (a read-only mount, a full disk or wrong permissions); "
        "nothing was changed",
    )


def is_inside(home: Path, path) -> bool:
    if not isinstance(path, (str, os.PathLike)):
        return False
    try:
        Path(os.path.abspath(path)).relative_to(os.path.abspath(home))
    except ValueError:
        return False
    return True


def warehouse_open_error(home: Path, warehouse: Path, exc: Exception) -> HomeError:
    """What DuckDB's refusal to open the warehouse file means: another
    process holds it, the home is not writable, or the file is not a DuckDB
    database (damaged, truncated, overwritten)."""
    text = str(exc)
    if "Could not set lock" in text or "Conflicting lock" in text:
        return WarehouseLocked("WAREHOUSE_LOCKED", f"cannot open the warehouse {warehouse}: {text}")
    for code in (errno.EROFS, errno.EACCES, errno.ENOSPC):
        if os.strerror(code) in text:
            return home_not_writable(home, OSError(code, os.strerror(code), str(warehouse)))
    return HomeUnusable(
        "WAREHOUSE_UNREADABLE",
        f"the warehouse {warehouse} cannot be opened: {text}. It is damaged or not a "
        "DuckDB database; nothing was changed. Move it aside, then rebuild it from the "
        "landing: `factory backfill --ingest --start D1 --end D2`",
    )
