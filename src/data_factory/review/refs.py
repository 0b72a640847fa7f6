"""The base ref of a review, checked out beside the head as a git worktree."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from data_factory.core.errors import EXIT_USAGE, FactoryError


def _git(repository: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["git", "-C", str(repository), *args], capture_output=True, text=True, check=False
    )


def _usage_error(reason: str, message: str) -> FactoryError:
    error = FactoryError(reason, message)
    error.exit_code = EXIT_USAGE
    return error


def resolve_ref(project_dir: Path, ref: str) -> str:
    """The commit `ref` names in the project's repository, or a usage error
    (exit 2) saying why there is none."""
    top = _git(project_dir, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise _usage_error(
            "NOT_A_GIT_REPOSITORY",
            f"the project {project_dir} is not in a git repository, so there is no base to "
            "compare with",
        )
    found = _git(project_dir, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if found.returncode != 0 or not found.stdout.strip():
        raise _usage_error(
            "REF_UNKNOWN",
            f"{ref!r} names no commit of {top.stdout.strip()}; give a branch, tag or sha "
            "(in CI, fetch the full history: actions/checkout with fetch-depth: 0)",
        )
    return found.stdout.strip()


@contextmanager
def base_checkout(project_dir: Path, commit: str) -> Iterator[Path]:
    """The project as it is at `commit`, in a temporary git worktree that is
    removed afterwards; yields the project's folder inside it (the project
    may sit in a sub-folder of its repository)."""
    top = Path(_git(project_dir, "rev-parse", "--show-toplevel").stdout.strip())
    inside = project_dir.resolve().relative_to(top.resolve())
    with tempfile.TemporaryDirectory(prefix="factory-ci-base-") as folder:
        worktree = Path(folder) / "base"
        added = _git(top, "worktree", "add", "--detach", "--quiet", str(worktree), commit)
        if added.returncode != 0:
            raise FactoryError(
                "BASE_CHECKOUT_FAILED", f"git worktree add {commit}: {added.stderr.strip()}"
            )
        try:
            yield worktree / inside
        finally:
            _git(top, "worktree", "remove", "--force", str(worktree))
