"""Which models read a window of their upstream's partitions."""

from __future__ import annotations

from dataclasses import dataclass, field

from data_factory.project.manifest import asset_nodes, disabled_assets
from data_factory.project.parsed import project_var_defaults


@dataclass
class WindowRules:
    """Which models read a window of their upstream's partitions."""

    window_vars: dict[str, str] = field(default_factory=dict)  # unique_id -> var name
    var_defaults: dict = field(default_factory=dict)

    @classmethod
    def from_manifest(cls, manifest: dict | None) -> WindowRules:
        rules = cls(var_defaults=project_var_defaults())
        if manifest:
            nodes = {**asset_nodes(manifest), **disabled_assets(manifest)}
            for uid, node in nodes.items():
                meta = {
                    **(node.get("meta") or {}),
                    **((node.get("config") or {}).get("meta") or {}),
                }
                if meta.get("reads_window_var"):
                    rules.window_vars[uid] = str(meta["reads_window_var"])
        return rules

    def window_days(self, unique_id: str, run_vars: dict) -> int:
        var = self.window_vars.get(unique_id)
        if not var:
            return 0
        value = run_vars.get(var, self.var_defaults.get(var, 0))
        try:
            return max(int(value), 0)
        except (TypeError, ValueError):
            return 0
