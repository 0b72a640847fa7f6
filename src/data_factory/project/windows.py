"""Which models read a window of their upstream's partitions."""

from __future__ import annotations

from dataclasses import dataclass, field

from data_factory.project.parsed import project_var_defaults
from data_factory.project.roles import roles_of


@dataclass
class WindowRules:
    """Which models read a window of their upstream's partitions."""

    window_vars: dict[str, str] = field(default_factory=dict)  # unique_id -> var name
    var_defaults: dict = field(default_factory=dict)

    @classmethod
    def from_manifest(cls, manifest: dict | None) -> WindowRules:
        return cls(
            window_vars=dict(roles_of(manifest).window_vars), var_defaults=project_var_defaults()
        )

    def window_days(self, unique_id: str, run_vars: dict) -> int:
        var = self.window_vars.get(unique_id)
        if not var:
            return 0
        value = run_vars.get(var, self.var_defaults.get(var, 0))
        try:
            return max(int(value), 0)
        except (TypeError, ValueError):
            return 0
