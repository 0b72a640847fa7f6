"""What a user can get wrong on the command line, or find lying around in a
home (issue 10, findings 11 and 12): a clear message and the documented exit
code, never a traceback. No dbt runs: each is answered before it would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from artifacts_fixture import manifest, run_results
from click.testing import CliRunner

from data_factory.cli.main import main
from data_factory.core.errors import EXIT_INPUT_REJECTED, EXIT_OK, EXIT_USAGE
from data_factory.core.paths import FactoryPaths
from data_factory.state.db import connect_writer


def factory(home: Path, *args: str):
    return CliRunner().invoke(main, ["--home", str(home), *args], catch_exceptions=False)


def _clean(result) -> None:
    assert "Traceback" not in result.output


# ---------------------------------------------------------------- finding 11


def test_validate_given_a_directory_says_so(tmp_path):
    (tmp_path / "evidence").mkdir()
    result = factory(tmp_path, "validate", str(tmp_path / "evidence"))
    _clean(result)
    assert result.exit_code == EXIT_USAGE, result.output
    assert f"{tmp_path / 'evidence'} is a directory" in result.output
    assert "*.json" in result.output  # what to give instead


@pytest.mark.parametrize("stray", ["[]", "{}", '{"kind": "factory_run"}', "null", "{broken"])
def test_a_stray_json_file_in_the_evidence_does_not_crash_retry(tmp_path, stray):
    (tmp_path / "evidence").mkdir()
    (tmp_path / "evidence" / "stray.json").write_text(stray)
    result = factory(tmp_path, "retry")
    _clean(result)
    assert result.exit_code == EXIT_INPUT_REJECTED, result.output
    assert "NOTHING_TO_RETRY" in result.output
    result = factory(tmp_path, "retry", "r-some-run")
    _clean(result)
    assert "RUN_UNKNOWN" in result.output


def _state_store(home: Path) -> None:
    """An empty state store, made without dbt."""
    connect_writer(FactoryPaths(home)).close()


@pytest.mark.parametrize("output", ["table", "json", "html"])
@pytest.mark.parametrize("where", ["missing folder", "under a file"])
def test_status_with_an_unwritable_out_says_so(tmp_path, output, where):
    _state_store(tmp_path)
    (tmp_path / "a-file").write_text("")
    out = tmp_path / ("missing" if where == "missing folder" else "a-file") / "status.out"
    result = factory(tmp_path, "status", "--format", output, "--out", str(out))
    _clean(result)
    assert result.exit_code == EXIT_USAGE, result.output
    assert f"cannot write {out}" in result.output and "--out" in result.output


def test_evidence_with_an_unwritable_out_says_so(tmp_path):
    target = tmp_path / "target"
    target.mkdir()
    (target / "manifest.json").write_text(json.dumps(manifest()))
    (target / "run_results.json").write_text(json.dumps(run_results()))
    (tmp_path / "a-file").write_text("")
    out = tmp_path / "a-file" / "evidence.json"
    result = factory(tmp_path, "evidence", "--target-dir", str(target), "--out", str(out))
    _clean(result)
    assert result.exit_code == EXIT_USAGE, result.output
    assert f"cannot write {out}" in result.output
    good = tmp_path / "evidence.json"
    result = factory(tmp_path, "evidence", "--target-dir", str(target), "--out", str(good))
    assert result.exit_code == EXIT_OK, result.output


# ---------------------------------------------------------------- finding 12


@pytest.mark.parametrize(
    ("command", "words"),
    [
        (("backfill", "--start", "2026-11-07", "--end", "2026-11-01"), "after end"),
        (("backfill", "--start", "2026-11-x", "--end", "2026-11-07"), "YYYY-MM-DD"),
        (("backfill", "--start", "2026-02-30", "--end", "2026-03-01"), "not a real calendar day"),
        (("run", "--start", "2026-11-07", "--end", "2026-11-01"), "after end"),
        (("plan", "--start", "2026-11-07", "--end", "2026-11-01"), "after end"),
        (("plan", "--start", "2026-11-32"), "not a real calendar day"),
    ],
    ids=lambda value: " ".join(value[:1] + value[2:3]) if isinstance(value, tuple) else None,
)
def test_a_bad_range_of_days_is_a_usage_error_everywhere(tmp_path, command, words):
    result = factory(tmp_path, *command)
    _clean(result)
    assert result.exit_code == EXIT_USAGE, result.output
    assert words in result.output
    assert not (tmp_path / "evidence").exists()
