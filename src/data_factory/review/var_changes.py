"""Vars whose defaults a change edits, and the nodes that read them.

dbt's `state:modified` does not see a var's new default in
dbt_project.yml (dbt-core 1.11 declares `state_modified_compare_vars` but
compares nothing with it), so a review counts it here: a node reads a var
when its own SQL calls `var('NAME')` or its meta names the var (a window
or a switch, read through `project.roles`). A var read only inside a macro
is not seen."""

from __future__ import annotations

import re
from pathlib import Path

from data_factory.project.parsed import project_var_defaults
from data_factory.project.roles import roles_of


def changed_vars(base_dir: Path, head_dir: Path) -> dict[str, tuple]:
    """name -> (base default, head default), for every var that differs."""
    before, after = project_var_defaults(base_dir), project_var_defaults(head_dir)
    return {
        name: (before.get(name), after.get(name))
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


def var_readers(manifest: dict, names: list[str]) -> list[str]:
    """The unique ids of the models that read any of the vars."""
    if not names:
        return []
    alternatives = "|".join(map(re.escape, names))
    call = re.compile(rf"""var\(\s*['"]({alternatives})['"]""")
    roles = roles_of(manifest)
    declared = {uid for uid, var in roles.window_vars.items() if var in names}
    declared |= {
        uid
        for uid, node in (manifest.get("nodes") or {}).items()
        if roles.keys.get(uid) in {a for a, var in roles.switch_vars.items() if var in names}
    }
    return sorted(
        uid
        for uid, node in (manifest.get("nodes") or {}).items()
        if node.get("resource_type") == "model"
        and (uid in declared or call.search(node.get("raw_code") or ""))
    )
