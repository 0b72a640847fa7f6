"""Errors the factory reports to users as a message and an exit code."""

from __future__ import annotations

# Exit codes of the `factory` command. They are part of the interface: CI
# and schedulers branch on them.
EXIT_OK = 0
EXIT_BLOCKED = 1  # a run built but a check failed, or a gate decided `block`
EXIT_USAGE = 2  # bad arguments (click's own convention)
EXIT_INPUT_REJECTED = 3  # landing or artifacts could not be accepted
EXIT_LOCKED = 4  # another run holds the warehouse
EXIT_BUILD_FAILED = 5  # dbt itself failed (compile error, database error)


class FactoryError(Exception):
    """A failure with a stable reason code and a message meant for people."""

    exit_code = EXIT_INPUT_REJECTED

    def __init__(self, reason_code: str, message: str):
        super().__init__(message)
        self.reason_code = reason_code
        self.message = message

    def __str__(self) -> str:
        return f"{self.reason_code}: {self.message}"


class WarehouseLocked(FactoryError):
    exit_code = EXIT_LOCKED


class BuildFailed(FactoryError):
    exit_code = EXIT_BUILD_FAILED
