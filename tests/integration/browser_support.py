"""Headless Chromium for the tests of the pages people look at (the status
page, the docs site), and a place to keep their screenshots after the run."""

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


def keep_artifact(shot: Path) -> Path:
    """Copy a screenshot to data/ci-artifacts/ and return where it went."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    kept = ARTIFACTS / shot.name
    shutil.copyfile(shot, kept)
    return kept
