"""`python -m bench`: the benchmark suite (see the package docstring)."""

import sys

from bench.cli import main
from bench.processes import EXIT_FIGURE_FAILED, BenchError, say

try:
    sys.exit(main(sys.argv[1:]))
except BenchError as exc:
    say(f"bench: {exc}")
    sys.exit(EXIT_FIGURE_FAILED)
