"""The benchmark suite runs end to end on tiny sizes and writes complete
results: every figure measured, every side sampled, every target valued. A
figure that did not run (any status but "measured") fails here. Timings are
noisy on shared machines, so nothing here asserts a duration, a ratio's value
or whether a target was met."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from bench import report

PROJECT_DIR = Path(__file__).resolve().parents[2]
BENCH = [sys.executable, "-m", "bench"]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """`python -m bench --quick` under its own FACTORY_HOME, as bench-quick runs it."""
    home = tmp_path_factory.mktemp("bench-home")
    env = {**os.environ, "FACTORY_HOME": str(home)}
    result = subprocess.run(
        [*BENCH, "--quick"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return home, result


def test_quick_suite_exits_zero_and_writes_results(quick_run):
    home, result = quick_run
    assert result.returncode == 0, result.stderr[-4000:]
    assert (home / "bench" / "results.json").is_file()
    assert not (home / "bench" / "work").exists(), "work directories are removed after the run"


def test_results_hold_every_figure_with_inputs_sides_medians_and_ratio(quick_run):
    home, _ = quick_run
    results = json.loads((home / "bench" / "results.json").read_text())
    assert results["mode"] == "quick"
    assert results["machine"]["cores"] >= 1 and results["machine"]["memory_gib"] > 0
    assert [f["number"] for f in results["figures"]] == [1, 2, 3, 4, 5, 6, 7, 8]
    for figure in results["figures"]:
        assert figure["status"] == "measured", (figure["number"], figure["status"], figure["error"])
        assert figure["error"] is None
        assert figure["inputs"]["rows"] > 0
        assert len(figure["sides"]) >= 2
        for name, side in figure["sides"].items():
            assert side["samples"], (figure["number"], name)
            assert all(sample > 0 for sample in side["samples"])
            assert side["median"] == pytest.approx(statistics.median(side["samples"]), abs=1e-3)
        assert isinstance(figure["ratio"], float) and figure["ratio"] > 0
        assert figure["target"]
        assert isinstance(figure["met"], bool)
        for target in figure["targets"]:
            assert isinstance(target["value"], float) and target["value"] > 0, target
            if target["op"] is not None:
                assert isinstance(target["met"], bool)


def test_figure_inputs_name_their_sizes(quick_run):
    home, _ = quick_run
    figures = {
        f["key"]: f for f in json.loads((home / "bench" / "results.json").read_text())["figures"]
    }
    assert figures["ingest"]["inputs"]["days"] >= 1
    assert figures["ingest"]["inputs"]["tickets_per_day"] > 0
    short, long = figures["history"]["inputs"]["days"]
    assert short < long
    backfill = figures["backfill"]["inputs"]
    assert backfill["identical_tables"] is True
    assert backfill["partitions_compared"] == {
        "marts.ticket_fact": backfill["days"],
        "marts.ticket_kpi_daily": backfill["days"],
    }
    assert set(figures["backfill"]["sides"]) == {
        "factory backfill",
        "factory backfill, new home (info)",
        "shell loop of dbt build",
        "duckdb replay (limit)",
        "duckdb replay + checks (info)",
    }
    assert figures["evidence"]["inputs"]["nodes"] == 400
    assert "dbt-artifacts-parser" in figures["evidence"]["sides"]
    status = figures["status"]["inputs"]
    assert status["assets"] == 12  # 3 sources, 5 seeds, 4 models
    assert status["cells"] > status["days"]


def test_figure_2_times_the_stages_of_a_build_through_the_hook(quick_run):
    """The `stages` hook of runs.build.run_partition reports every stage of
    the timed build, and the stages fit inside the whole (other_s, the rest, is not negative)."""
    home, _ = quick_run
    (history,) = [
        f
        for f in json.loads((home / "bench" / "results.json").read_text())["figures"]
        if f["key"] == "history"
    ]
    assert set(history["breakdown"]) == {"short", "long"}
    for stages in history["breakdown"].values():
        for stage in ("dbt_s", "counts_s", "evidence_s", "state_s"):
            assert stages[stage] > 0, (stage, stages)
        assert stages["other_s"] >= 0
        assert stages["dbt_s"] > stages["evidence_s"]


def test_stdout_is_the_table(quick_run):
    _, result = quick_run
    lines = result.stdout.splitlines()
    assert lines[0].startswith("quick run ")
    assert lines[1].split() == ["#", "figure", "measure", "value", "target", "met"]
    table = lines[2 : lines.index("")]
    assert [line.split()[0] for line in table if not line.startswith(" ")] == [
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
        "7",
        "8",
    ]
    assert all(line.rstrip().split()[-1] in ("yes", "no", "-") for line in table)


def test_readme_block_replaces_only_the_text_between_markers(quick_run):
    home, _ = quick_run
    results = json.loads((home / "bench" / "results.json").read_text())
    readme = "# Project\n\nintro\n\n## Scaling out\n\nspark text\n"
    added = report.readme_with_block(readme, "first table")
    assert added.index("## Benchmarks") < added.index("## Scaling out")
    assert added.endswith("## Scaling out\n\nspark text\n")
    replaced = report.readme_with_block(added, report.markdown_block(results))
    assert "first table" not in replaced
    assert replaced.count(report.README_START) == 1 and replaced.count("## Benchmarks") == 1
    assert replaced.replace(report.markdown_block(results), "first table") == added
    for number in range(1, 7):
        assert f"\n| {number} | " in replaced


def test_readme_refuses_quick_results(quick_run, tmp_path):
    home, _ = quick_run
    readme = tmp_path / "README.md"
    readme.write_text("# Project\n")
    result = subprocess.run(
        [
            *BENCH,
            "--readme-only",
            "--out",
            str(home / "bench" / "results.json"),
            "--readme",
            str(readme),
        ],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "last full run" in result.stderr
    assert readme.read_text() == "# Project\n"
