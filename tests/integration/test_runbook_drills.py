"""Runbook drills: every command block of every runbook, executed on
generated data with the matching fault injected. A runbook whose commands
stop working fails here. Each line must exit 0, or the code its trailing
`# exits N` comment announces."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from test_state_support import (
    WEEK,
    allowed_signers,
    cells_by_key,
    copy_home,
    factory,
    new_key,
    status_json,
)

from data_factory.core.paths import PROJECT_DIR

RUNBOOKS = PROJECT_DIR / "runbooks"
BIN = Path(sys.executable).parent
DAY = "2026-11-03"


def command_lines(runbook: str) -> list[tuple[str, int]]:
    text = (RUNBOOKS / runbook).read_text()
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            expected = re.search(r"#\s*exits\s+(\d+)\s*$", line)
            command = re.sub(r"\s+#\s*exits\s+\d+\s*$", "", line)
            lines.append((command, int(expected.group(1)) if expected else 0))
    return lines


def drill(home: Path, runbook: str) -> None:
    env = {
        **os.environ,
        "FACTORY_HOME": str(home),
        "PATH": f"{BIN}:{os.environ['PATH']}",
        "DO_NOT_TRACK": "1",
    }
    # runbooks speak of data/...: give the shell a directory where data/ is the home
    workdir = home.parent / f"{home.name}-workdir"
    workdir.mkdir(exist_ok=True)
    if not (workdir / "data").exists():
        (workdir / "data").symlink_to(home)
    for command, expected in command_lines(runbook):
        done = subprocess.run(
            command, shell=True, cwd=workdir, env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == expected, (
            f"{runbook}: `{command}` exited {done.returncode}, expected {expected}\n"
            f"stdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-3000:]}"
        )


def small_week(tmp_path: Path, faults: str = "", days: int = 7, name: str = "home") -> Path:
    home = tmp_path / name
    factory(
        home,
        "generate",
        "--start",
        WEEK[0],
        "--days",
        str(days),
        "--tickets-per-day",
        "100",
        *(["--faults", faults] if faults else []),
    )
    return home


def consumable(home: Path, asset: str, day: str) -> bool:
    return cells_by_key(status_json(home))[(asset, day)]["consumable"]


def test_every_runbook_is_drilled():
    drilled = {
        "daily-run.md",
        "failed-check.md",
        "bad-or-corrected-export.md",
        "missing-days.md",
        "model-change-stale.md",
        "optional-dependency-off.md",
        "approving-a-release.md",
        "evidence-changed.md",  # drilled in test_verify.py
    }
    with_commands = {p.name for p in RUNBOOKS.glob("*.md") if command_lines(p.name)}
    assert with_commands == drilled


def test_daily_run(tmp_path, monkeypatch):
    home = small_week(tmp_path, days=3)
    monkeypatch.setenv("FACTORY_HOME", str(home))
    factory(home, "run", "--start", WEEK[0], "--end", "2026-11-02")
    drill(home, "daily-run.md")
    assert consumable(home, "ticket_kpi_daily", DAY)


def test_failed_check_stays_blocked(tmp_path, monkeypatch):
    home = small_week(tmp_path, f"bad_enum@{DAY}", days=4)
    monkeypatch.setenv("FACTORY_HOME", str(home))
    factory(home, "run", "--start", WEEK[0], "--end", WEEK[3], expect=1)
    drill(home, "failed-check.md")
    cells = cells_by_key(status_json(home))
    assert cells[("ticket_fact", DAY)]["checks"]["blocking"]
    assert cells[("ticket_kpi_daily", DAY)]["status"] == "blocked"
    plan = json.loads(factory(home, "plan", "--format", "json", expect=1).stdout)
    assert [(i["action"], i["asset"], i["start"]) for i in plan] == [
        ("investigate", "ticket_fact", DAY)
    ]


def test_bad_export_is_replayed(tmp_path, monkeypatch):
    home = small_week(tmp_path, f"bad_checksum@{DAY}", days=5)
    monkeypatch.setenv("FACTORY_HOME", str(home))
    factory(home, "run", "--start", WEEK[0], "--end", WEEK[4], expect=3)
    plan = json.loads(factory(home, "plan", "--format", "json", expect=1).stdout)
    # the broken export is still there: nothing to run until another one arrives
    assert plan[0]["action"] == "await_export" and plan[0]["start"] == DAY
    assert "MANIFEST_CHECKSUM_MISMATCH" in plan[0]["reasons"]
    drill(home, "bad-or-corrected-export.md")
    for asset in ("ticket_fact", "ticket_kpi_daily"):
        assert consumable(home, asset, DAY)
    assert consumable(home, "ticket_kpi_daily", WEEK[4])


def test_missing_days_are_backfilled(tmp_path, monkeypatch):
    home = small_week(tmp_path)
    monkeypatch.setenv("FACTORY_HOME", str(home))
    factory(home, "run", "--start", WEEK[0], "--end", DAY)
    drill(home, "missing-days.md")
    cells = cells_by_key(status_json(home))
    assert all(cells[("ticket_fact", day)]["consumable"] for day in WEEK)
    assert all(cells[("ticket_kpi_daily", day)]["consumable"] for day in WEEK)


def test_stale_history_is_rebuilt(tmp_path_factory, tmp_path, monkeypatch):
    from test_state_support import clean_week_home, correct_one_event

    home = copy_home(clean_week_home(tmp_path_factory), tmp_path / "home")
    monkeypatch.setenv("FACTORY_HOME", str(home))
    correct_one_event(home, DAY)  # an upstream day rebuilt with other content
    factory(home, "run", "--partition", DAY)
    stale = {
        d
        for (a, d), c in cells_by_key(status_json(home)).items()
        if a == "ticket_kpi_daily" and c["status"] == "stale"
    }
    assert stale == set(WEEK[3:])
    drill(home, "model-change-stale.md")
    assert all(consumable(home, "ticket_kpi_daily", day) for day in WEEK)


def test_optional_dependency_off(tmp_path, monkeypatch):
    home = small_week(tmp_path)
    monkeypatch.setenv("FACTORY_HOME", str(home))
    factory(home, "run", "--start", WEEK[0], "--end", WEEK[-1], "--disable", "ticket_kpi_daily")
    assert cells_by_key(status_json(home))[("ticket_kpi_daily", DAY)]["status"] == "not_available"
    drill(home, "optional-dependency-off.md")
    assert consumable(home, "ticket_kpi_daily", DAY)


def test_approving_a_release(tmp_path, monkeypatch):
    """mei.chen's SSH key is in ~/.ssh and listed in the allowed signers; the
    intern's key is not listed."""
    user = tmp_path / "user"
    mei = new_key(user / ".ssh", "id_ed25519")
    new_key(user / ".ssh", "intern_ed25519")
    signers = allowed_signers(tmp_path / "allowed_signers", {"mei.chen": mei})
    monkeypatch.setenv("HOME", str(user))
    monkeypatch.setenv("FACTORY_ALLOWED_SIGNERS", str(signers))
    home = small_week(tmp_path, f"bad_enum@{DAY}", days=3)
    monkeypatch.setenv("FACTORY_HOME", str(home))
    factory(home, "run", "--start", WEEK[0], "--end", DAY, expect=1)
    drill(home, "approving-a-release.md")
    assert not consumable(home, "ticket_fact", DAY)  # an approval never repairs the asset


def test_make_drill_breaks_a_day_and_ends_green(tmp_path):
    """`make drill`'s script, as a newcomer runs it at 80 columns: each step
    exits as announced, the broken grid shows the failed check, dbt's own
    log stays in its file, and every cell ends consumable."""
    home = tmp_path / "drill"
    done = subprocess.run(
        ["bash", str(PROJECT_DIR / "scripts" / "drill.sh")],
        env={
            **os.environ,
            "FACTORY": str(BIN / "factory"),
            "DRILL_HOME": str(home),
            "COLUMNS": "80",
        },
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout + done.stderr
    steps = re.split(r"\n(?:\x1b\[1m)?\[\d+\] ", out)
    broken = next(step for step in steps if step.startswith("The broken grid"))
    assert re.search(r"^ticket_fact +■■!■ ", broken, flags=re.M)
    assert max(len(line) for line in broken.splitlines()[2:]) <= 80
    replan = next(step for step in steps if step.startswith("With a new manifest"))
    assert re.search(rf"^1\. replay .*{DAY}.*EXPORT_CHANGED", replan, flags=re.M), replan
    assert f"run:    factory replay --partition {DAY}" in replan
    assert "Got 1 result, configured to fail" not in out  # dbt's log is in its file
    assert "dbt log" in out
    assert all(cell["consumable"] for cell in status_json(home))
