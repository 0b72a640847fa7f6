"""Notes for people: progress and warnings go to stderr, results to stdout."""

from __future__ import annotations

import sys


def say(message: str) -> None:
    """One line of progress or warning on stderr, flushed at once."""
    print(message, file=sys.stderr, flush=True)
