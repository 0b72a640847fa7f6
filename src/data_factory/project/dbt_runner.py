"""Running dbt in-process: parse once, then invoke per partition.

The partition var is only read inside SQL bodies, so the manifest parsed once
serves every partition of a CLI call (about 0.25 s per invocation instead of
several seconds for a re-parse or a subprocess). Each invocation gets its own
target directory so its run_results.json is never overwritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from data_factory.core.errors import BuildFailed, FactoryError
from data_factory.core.paths import PROJECT_DIR, FactoryPaths

PROFILES_DIR = PROJECT_DIR / "profiles"  # of the default project
# dbt writes nothing to the terminal (its --quiet still prints errors, with
# ANSI colours, into the factory's own output); its full log stays in the
# run's logs/dbt.log, and --verbose shows each node through a callback.
QUIET = ["--log-level", "none", "--log-level-file", "debug"]

# What a parse reads: when none of it changed, the last parse's manifest.json
# is still the project's manifest.
PARSED_INPUTS = (
    "dbt_project.yml",
    "profiles/profiles.yml",
    "models",
    "macros",
    "seeds",
    "tests/dbt",
)
FINGERPRINT_NAME = "inputs.sha256"


@contextmanager
def dbt_environment(paths: FactoryPaths) -> Iterator[None]:
    """The environment dbt sees while it runs, and only then: the profile
    reads the warehouse location from FACTORY_HOME, and nothing is sent
    anywhere. The caller's environment is restored afterwards."""
    wanted = {
        "FACTORY_HOME": str(paths.home),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }
    saved = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def release_duckdb_handle() -> None:
    """dbt-duckdb keeps its database open in the process after an invocation;
    let it go (its public close_all_connections) so another process (a second
    CLI call, a reader) can open the warehouse file. The next invocation
    reopens it."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # another adapter only
        return
    DuckDBConnectionManager.close_all_connections()


@dataclass
class Invocation:
    args: list[str]
    target_dir: Path
    success: bool
    error: str | None
    result: object = None  # what dbt's command returned (for `ls`: the lines it lists)

    @property
    def run_results_path(self) -> Path:
        return self.target_dir / "run_results.json"


def _progress_printer(stream) -> Callable:
    def on_event(event) -> None:
        if event.info.name != "NodeFinished":
            return
        node = event.data.node_info
        status = node.node_status
        if node.resource_type in ("model", "seed", "test", "unit_test", "snapshot"):
            print(f"  dbt {node.resource_type:<9} {status:<8} {node.node_name}", file=stream)

    return on_event


class DbtProject:
    """One dbt project, parsed once per CLI call."""

    def __init__(
        self,
        paths: FactoryPaths,
        target: str | None = None,
        switches: dict[str, bool] | None = None,
        verbose: bool = False,
        project_dir: Path = PROJECT_DIR,
    ):
        """`switches`: optional assets to switch on (True) or off (False) for
        this call, by asset name; each names its var in meta.enabled_by_var.
        `project_dir`: another checkout of the project (`factory ci` parses
        and builds the base ref's worktree beside the head)."""
        self.paths = paths
        self.project_dir = project_dir
        self.target = target
        self.switches = dict(switches or {})
        self.parse_vars: dict = {}
        self.verbose = verbose
        self._manifest = None
        self._manifest_dict: dict | None = None
        self._reference_built = False

    def _common_args(self, target_dir: Path) -> list[str]:
        args = [
            "--project-dir",
            str(self.project_dir),
            "--profiles-dir",
            str(self.project_dir / "profiles"),
            "--target-path",
            str(target_dir),
        ]
        if self.target:
            args += ["--target", self.target]
        return args

    def _runner(self, manifest=None, on_event: Callable | None = None):
        from dbt.cli.main import dbtRunner

        callbacks = [_progress_printer(sys.stderr)] if self.verbose else []
        if on_event is not None:
            callbacks.append(on_event)
        return dbtRunner(manifest=manifest, callbacks=callbacks)

    @property
    def manifest(self):
        return self.ensure_parsed()

    def ensure_parsed(self):
        """The parsed manifest, parsing the project the first time."""
        if self._manifest is None:
            self.parse()
        return self._manifest

    def _resolve_switches(self) -> None:
        """Turn asset switches into the parse-time vars the project names for
        them (meta.enabled_by_var), from a parse with the project's defaults."""
        if not self.switches or self.parse_vars:
            return
        from data_factory.project.roles import roles_of

        switches, self.switches = self.switches, {}
        # the last parse with the default vars, when nothing changed since, else a parse
        known = roles_of(self._last_parse_if_current() or self.manifest_dict()).switch_vars
        self._manifest = self._manifest_dict = None
        unknown = sorted(set(switches) - set(known))
        if unknown:
            raise FactoryError(
                "INVALID_OPTION",
                f"{', '.join(unknown)} cannot be switched on or off: only an asset whose meta "
                f"names an enabled_by_var can; here: {', '.join(sorted(known)) or 'none'}",
            )
        self.parse_vars = {known[asset]: on for asset, on in switches.items()}

    def parse(self):
        self._resolve_switches()
        target_dir = self.parse_dir
        args = [
            "parse",
            *self._common_args(target_dir),
            *QUIET,
            "--log-path",
            str(target_dir / "logs"),
        ]
        if self.parse_vars:
            args += ["--vars", json.dumps(self.parse_vars)]
        with dbt_environment(self.paths):
            result = self._runner().invoke(args)
        if not result.success:
            raise BuildFailed(
                "DBT_PARSE_FAILED", f"dbt could not parse the project: {result.exception}"
            )
        self._manifest = result.result
        self._manifest_dict = None
        (target_dir / FINGERPRINT_NAME).write_text(self._inputs_fingerprint())
        return self._manifest

    def _inputs_fingerprint(self) -> str:
        """A digest of everything a parse depends on: the project files, the
        parse-time vars, the target, dbt's version and the data directory."""
        digest = hashlib.sha256()
        digest.update(
            json.dumps(
                [self.parse_vars, self.target, metadata.version("dbt-core"), str(self.paths.home)],
                sort_keys=True,
            ).encode()
        )
        for name in PARSED_INPUTS:
            root = self.project_dir / name
            files = sorted(root.rglob("*")) if root.is_dir() else [root]
            for path in files:
                if path.is_file():
                    digest.update(str(path.relative_to(self.project_dir)).encode() + b"\0")
                    digest.update(path.read_bytes() + b"\0")
        return digest.hexdigest()

    def _last_parse_if_current(self) -> dict | None:
        """The manifest the last parse wrote, if nothing it read has changed
        since; None otherwise. Commands that never run dbt (ingest) use it
        and skip the seconds a parse costs."""
        fingerprint = self.parse_dir / FINGERPRINT_NAME
        manifest = self.parse_dir / "manifest.json"
        try:
            if fingerprint.read_text() != self._inputs_fingerprint():
                return None
            return json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def once_per_process_exclusions(self) -> list[str]:
        """Unit tests pin code, and code does not change between the
        partitions of one CLI call: after one clean build they are left out
        (recorded as not_run). Seeds stay in: excluding them would also drop
        the relationships checks that read them."""
        return ["resource_type:unit_test"] if self._reference_built else []

    def note_build(self, run_results: dict) -> None:
        by_type: dict[str, list[str]] = {}
        for result in run_results.get("results", []):
            by_type.setdefault(result["unique_id"].split(".")[0], []).append(
                str(result.get("status")).lower()
            )
        seeds, units = by_type.get("seed", []), by_type.get("unit_test", [])
        if (
            seeds
            and units
            and all(s == "success" for s in seeds)
            and all(u == "pass" for u in units)
        ):
            self._reference_built = True

    def var(self, name: str, default=None):
        """A project var as this CLI call sees it (parse-time vars win)."""
        from data_factory.project.parsed import project_var_defaults

        if name in self.parse_vars:
            return self.parse_vars[name]
        return project_var_defaults(self.project_dir).get(name, default)

    @property
    def parse_dir(self) -> Path:
        return self.paths.runs / "_parse"

    def link_manifest(self, target_dir: Path) -> None:
        """Put the parsed manifest beside a run's run_results.json, so the
        run's target directory is a complete set of dbt artifacts."""
        source = self.parse_dir / "manifest.json"
        destination = target_dir / "manifest.json"
        if not source.exists() or destination.exists():
            return
        try:
            os.link(source, destination)
        except OSError:
            shutil.copyfile(source, destination)

    def manifest_dict(self, reuse_last_parse: bool = False) -> dict:
        """The manifest as a dict. With reuse_last_parse, a command that does
        not run dbt takes the last parse's manifest.json when it is current."""
        if self._manifest_dict is None and self._manifest is None and reuse_last_parse:
            self._manifest_dict = self._last_parse_if_current()
        if self._manifest_dict is None:
            self._manifest_dict = self.manifest.writable_manifest().to_dict(omit_none=True)
        return self._manifest_dict

    def invoke(
        self,
        command: str | list[str],
        target_dir: Path,
        vars: dict | None = None,
        select: list[str] | None = None,
        exclude: list[str] | None = None,
        extra: list[str] | None = None,
        reuse_manifest: bool = True,
        on_event: Callable | None = None,
    ) -> Invocation:
        """Run one dbt command. With reuse_manifest the parsed manifest is
        handed to dbt, so only the first call of a CLI run pays for parsing.
        on_event is told every event dbt fires (its runner's callbacks)."""
        merged = {**self.parse_vars, **(vars or {})}
        words = [command] if isinstance(command, str) else list(command)
        args = [*words, *self._common_args(target_dir), "--log-path", str(target_dir / "logs")]
        args += QUIET
        if merged:
            args += ["--vars", json.dumps(merged)]
        if select:
            args += ["--select", *select]
        if exclude:
            args += ["--exclude", *exclude]
        args += extra or []
        target_dir.mkdir(parents=True, exist_ok=True)
        runner = self._runner(self.manifest if reuse_manifest else None, on_event)
        with dbt_environment(self.paths):
            try:
                result = runner.invoke(args)
            finally:
                release_duckdb_handle()
        error = None if result.exception is None else str(result.exception)
        return Invocation(
            args=args,
            target_dir=target_dir,
            success=result.success,
            error=error,
            result=result.result,
        )

    def list_nodes(
        self,
        target_dir: Path,
        select: list[str],
        exclude: list[str] | None = None,
        state: Path | None = None,
    ) -> list[str]:
        """The unique ids of the nodes a dbt selection resolves to (`dbt ls`
        with this call's vars, printing nothing); `state`: the target folder
        of another parse that `state:` selectors compare with."""
        extra = ["--output", "json", "--output-keys", "unique_id", "--log-level", "none"]
        invocation = self.invoke(
            "ls",
            target_dir,
            select=select,
            exclude=exclude,
            extra=extra + (["--state", str(state)] if state else []),
        )
        if not invocation.success:
            raise FactoryError(
                "INVALID_OPTION",
                f"dbt could not resolve the selection {' '.join(select)}: {invocation.error}",
            )
        return [json.loads(line)["unique_id"] for line in invocation.result or []]
