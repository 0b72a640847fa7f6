"""The last parsed dbt manifest and the project's var defaults."""

from __future__ import annotations

import json
import time
from pathlib import Path

from data_factory.core.console import say
from data_factory.core.errors import FactoryError
from data_factory.core.paths import PROJECT_DIR, FactoryPaths


def load_manifest(paths: FactoryPaths, parse_if_missing: bool = True) -> dict:
    """The manifest of the last dbt parse of a CLI call
    (``data/runs/_parse/manifest.json``); parse the project when there is
    none yet. dbt rewrites that file in place, so a torn read is retried."""
    path = paths.runs / "_parse" / "manifest.json"
    if not path.exists() and parse_if_missing:
        from data_factory.project.dbt_runner import DbtProject

        say("  no parsed dbt manifest yet: parsing the project once")
        DbtProject(paths).parse()
    for attempt in range(3):
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FactoryError(
                "DBT_MANIFEST_MISSING",
                f"no dbt manifest at {path}; run `factory build` or `factory run` once",
            ) from None
        except json.JSONDecodeError:
            if attempt == 2:
                raise FactoryError("DBT_MANIFEST_MISSING", f"{path} is not readable JSON") from None
            time.sleep(0.2)
    raise AssertionError("unreachable")


def _project_file(project_dir: Path = PROJECT_DIR) -> dict:
    import yaml

    try:
        document = yaml.safe_load((project_dir / "dbt_project.yml").read_text()) or {}
    except (OSError, yaml.YAMLError):
        return {}
    return document if isinstance(document, dict) else {}


def project_var_defaults(project_dir: Path = PROJECT_DIR) -> dict:
    """`vars:` of dbt_project.yml: the value a run used when it passed none."""
    found = _project_file(project_dir).get("vars") or {}
    return found if isinstance(found, dict) else {}


def project_profile_name() -> str:
    """The `profile:` dbt_project.yml names in profiles/profiles.yml."""
    return str(_project_file().get("profile") or "default")
