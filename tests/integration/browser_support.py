"""Headless Chromium for the tests of the pages people look at (the status
page, the docs site), and their screenshots, kept after the run."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from data_factory.core.paths import PROJECT_DIR

# Screenshots a reviewer opens after CI: beside the clone, never committed
# (data/ is ignored), one file per page so a later run replaces it.
ARTIFACTS = PROJECT_DIR / "data" / "ci-artifacts"


def chromium() -> str | None:
    return (
        shutil.which("chromium")
        or shutil.which("chromium-browser")
        or shutil.which("google-chrome")
    )


def require_chromium() -> None:
    if chromium() is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")


def headless(*args: str, profile: Path) -> subprocess.CompletedProcess:
    """Chromium with a fresh profile and no network of its own."""
    return subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )


def screenshot(url: str, shot: Path, *, size: str, budget_ms: int, profile: Path) -> Path:
    """A PNG of the page at `url`, checked to hold a picture, and kept in
    data/ci-artifacts/ (under the same name) for a reviewer to open."""
    result = headless(
        f"--virtual-time-budget={budget_ms}",
        f"--window-size={size}",
        f"--screenshot={shot}",
        url,
        profile=profile,
    )
    assert result.returncode == 0 and shot.stat().st_size > 10_000, result.stderr[-2000:]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    kept = ARTIFACTS / shot.name
    shutil.copyfile(shot, kept)
    return kept
