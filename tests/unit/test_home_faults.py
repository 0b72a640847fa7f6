"""A home the factory cannot use (issue 10, finding 11): read-only, or with a
warehouse file that is not a DuckDB database. Every writing command says so
with its own reason code and exit code, changes nothing, and never shows a
traceback. No dbt runs: each is refused before it would."""

from __future__ import annotations

import builtins
import errno
import io
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from data_factory.cli.main import main
from data_factory.core.errors import EXIT_HOME_UNUSABLE

DAY = "2026-11-01"

WRITING_COMMANDS = [
    ("generate", "--start", DAY, "--days", "1", "--tickets-per-day", "10"),
    ("ingest", "--partition", DAY),
    ("run", "--partition", DAY),
    ("build", "--partition", DAY),
    ("backfill", "--start", DAY, "--end", DAY),
    ("replay", "--partition", DAY),
    ("retry",),
    ("state", "rebuild"),
]


def factory(home: Path, *args: str):
    return CliRunner().invoke(main, ["--home", str(home), *args], catch_exceptions=False)


def _tree(home: Path) -> dict[str, tuple[int, int]]:
    return {
        str(path.relative_to(home)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(home.rglob("*"))
    }


def _inside(home: Path, path) -> bool:
    if not isinstance(path, (str, os.PathLike)):
        return False
    return os.path.abspath(os.fspath(path)).startswith(str(home))


def _refuse_writes_under(home: Path, monkeypatch) -> None:
    """A read-only file system under `home`, for a process that chmod does
    not stop (root): every Python write there fails with EROFS."""

    def refuse(path):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fspath(path))

    def guard(function, is_write=lambda *args, **kwargs: True):
        def guarded(path, *args, **kwargs):
            if _inside(home, path) and is_write(*args, **kwargs):
                refuse(path)
            return function(path, *args, **kwargs)

        return guarded

    def mkdir(path, *args, **kwargs):
        if _inside(home, path) and not os.path.lexists(path):
            refuse(path)
        return real_mkdir(path, *args, **kwargs)  # EEXIST, as on a read-only file system

    def opens_for_writing(mode="r", *args, **kwargs):
        return any(flag in mode for flag in "wax+")

    def os_open_writes(flags, *args, **kwargs):
        return bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))

    real_mkdir = os.mkdir
    monkeypatch.setattr(os, "mkdir", mkdir)
    for name in ("replace", "rename", "unlink", "rmdir"):
        monkeypatch.setattr(os, name, guard(getattr(os, name)))
    monkeypatch.setattr(os, "open", guard(os.open, os_open_writes))
    monkeypatch.setattr(builtins, "open", guard(builtins.open, opens_for_writing))
    monkeypatch.setattr(io, "open", guard(io.open, opens_for_writing))


@pytest.fixture
def read_only_home(tmp_path, monkeypatch):
    """A home with a landed day, then made read-only: chmod 0555 on every
    folder, and for root (whom chmod does not stop) EROFS on every write."""
    home = tmp_path / "home"
    assert factory(home, *WRITING_COMMANDS[0]).exit_code == 0
    folders = [home, *(p for p in home.rglob("*") if p.is_dir())]
    for folder in folders:
        folder.chmod(0o555)
    if os.geteuid() == 0:
        _refuse_writes_under(home, monkeypatch)
    yield home
    monkeypatch.undo()
    for folder in folders:
        folder.chmod(0o755)


@pytest.mark.parametrize("command", WRITING_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_read_only_home_is_refused_with_its_own_code(read_only_home, command):
    before = _tree(read_only_home)
    result = factory(read_only_home, *command)
    assert result.exit_code == EXIT_HOME_UNUSABLE, result.output
    assert "HOME_NOT_WRITABLE" in result.output
    assert str(read_only_home) in result.output
    assert "Traceback" not in result.output
    assert _tree(read_only_home) == before


@pytest.mark.parametrize(
    "command", [c for c in WRITING_COMMANDS if c[0] in ("ingest", "run", "build", "replay")]
)
def test_a_warehouse_that_is_not_a_duckdb_database_is_unreadable_not_locked(tmp_path, command):
    home = tmp_path / "home"
    assert factory(home, *WRITING_COMMANDS[0]).exit_code == 0
    (home / "warehouse.duckdb").write_bytes(os.urandom(4096))
    result = factory(home, *command)
    assert result.exit_code == EXIT_HOME_UNUSABLE, result.output
    assert "WAREHOUSE_UNREADABLE" in result.output
    assert "WAREHOUSE_LOCKED" not in result.output
    assert "Traceback" not in result.output
    # nothing was recorded against the day: its input is not at fault
    assert not list((home / "evidence").glob("*.json"))


def test_a_write_refused_after_the_command_began_is_reported_too(tmp_path, monkeypatch):
    """A disk that fills up half-way: the error boundary names the file."""
    home = tmp_path / "home"
    real_replace = os.replace

    def full_disk(source, target, *args, **kwargs):
        if _inside(home, target):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), os.fspath(target))
        return real_replace(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "replace", full_disk)
    result = factory(home, *WRITING_COMMANDS[0])
    assert result.exit_code == EXIT_HOME_UNUSABLE, result.output
    assert "HOME_NOT_WRITABLE" in result.output and "No space left on device" in result.output
    assert "Traceback" not in result.output


def test_the_exit_code_of_an_unusable_home_is_documented():
    text = " ".join(CliRunner().invoke(main, ["--help"]).output.split())
    assert "6 the home cannot be used" in text
    assert "HOME_NOT_WRITABLE" in text and "WAREHOUSE_UNREADABLE" in text


def test_a_new_home_says_how_to_fill_it_not_how_to_rebuild_it(tmp_path):
    result = factory(tmp_path / "new", "status")
    assert result.exit_code == 3
    assert "nothing has been built" in result.stderr and "make demo" in result.stderr
    assert "state rebuild" not in result.stderr
