"""Usage errors that need the dbt project to be recognised (issue 10,
finding 12): a --select that matches nothing exits 2 naming it, and nothing
is built or recorded; a reversed range exits 2 where a home has state."""

from __future__ import annotations

from conftest import event, write_export

from data_factory.core.errors import EXIT_USAGE

DAY = "2026-11-01"

# (arguments, what the message must name)
NOTHING_SELECTED = [
    (("build", "--partition", DAY, "--select", "ticket_fakt"), "--select ticket_fakt"),
    (("run", "--partition", DAY, "-s", "ticket_fakt"), "--select ticket_fakt"),
    (("build", "--partition", DAY, "-s", "ticket_fact", "-s", "tag:nope"), "--select tag:nope"),
    (("backfill", "--start", DAY, "--end", DAY, "-s", "ticket_fakt"), "--select ticket_fakt"),
    (
        ("build", "--partition", DAY, "-s", "ticket_fact", "--exclude", "ticket_fact"),
        "selects no node",
    ),
]


def _evidence(paths) -> list[str]:
    return sorted(p.name for p in paths.evidence.glob("*.json"))


def test_a_selection_that_matches_nothing_is_a_usage_error_and_records_nothing(cli, paths):
    write_export(paths, DAY, [event(event_id=f"e{n}") for n in range(5)])
    cli("ingest", "--partition", DAY)
    evidence = _evidence(paths)
    warehouse = paths.warehouse.stat().st_mtime_ns
    for args, named in NOTHING_SELECTED:
        result = cli(*args, expect=EXIT_USAGE)
        assert named in result.stderr, (args, result.stderr)
        assert "matches no node" in result.stderr or "selects no node" in result.stderr
        assert _evidence(paths) == evidence, args  # nothing recorded as skipped
    assert paths.warehouse.stat().st_mtime_ns == warehouse


def test_a_reversed_range_for_the_planner_is_a_usage_error(cli, paths):
    write_export(paths, DAY, [event(event_id="e1")])
    cli("ingest", "--partition", DAY)
    cli("state", "rebuild")
    result = cli("plan", "--start", "2026-11-07", "--end", "2026-11-01", expect=EXIT_USAGE)
    assert "after end" in result.stderr
    assert "nothing to recover" not in result.stdout
