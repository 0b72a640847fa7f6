"""The command line's one error boundary: a FactoryError anywhere below a
command becomes `Error: CODE: message` and its documented exit code."""

from __future__ import annotations

from click.testing import CliRunner

from data_factory.cli.main import main
from data_factory.core.errors import EXIT_INPUT_REJECTED, EXIT_OK, EXIT_USAGE


def factory(home, *args):
    return CliRunner().invoke(main, ["--home", str(home), *args])


def test_help_and_version_answer_without_a_project_run(tmp_path):
    short = factory(tmp_path, "-h")
    assert short.exit_code == EXIT_OK
    assert "Daily operation, right after `make demo`" in short.output
    assert "Exit codes:" in short.output
    assert factory(tmp_path, "--version").output.startswith("factory, version ")


def test_retry_with_nothing_failed_says_so_with_its_own_code(tmp_path):
    result = factory(tmp_path, "retry")
    assert result.exit_code == EXIT_INPUT_REJECTED
    assert "NOTHING_TO_RETRY: no failed run to retry" in result.output
    assert "Traceback" not in result.output


def test_retry_of_an_unknown_run_names_the_id(tmp_path):
    result = factory(tmp_path, "retry", "r-no-such-run")
    assert result.exit_code == EXIT_INPUT_REJECTED
    assert "RUN_UNKNOWN" in result.output and "r-no-such-run" in result.output


def test_a_half_range_is_a_usage_error(tmp_path):
    result = factory(tmp_path, "run", "--start", "2026-11-01")
    assert result.exit_code == EXIT_USAGE
    assert "--start and --end go together" in result.output


def test_an_impossible_day_is_a_usage_error_before_anything_runs(tmp_path):
    result = factory(tmp_path, "gate", "retrieval_index", "--partition", "2026-02-30")
    assert result.exit_code == EXIT_USAGE
    assert "INVALID_PARTITION" in result.output
    assert not (tmp_path / "evidence").exists()


def test_validate_reports_each_bad_file_and_exits_3(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = factory(tmp_path, "validate", str(broken))
    assert result.exit_code == EXIT_INPUT_REJECTED
    assert f"INVALID {broken}" in result.output
    assert "EVIDENCE_INVALID: 1 of 1 evidence file(s) are invalid" in result.output
