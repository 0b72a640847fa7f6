"""Which models read a window of their upstream's partitions."""

from __future__ import annotations

from dataclasses import dataclass, field

from data_factory.core.partitions import is_partition
from data_factory.project.parsed import project_var_defaults
from data_factory.project.roles import roles_of


def history_start(manifest: dict | None) -> str | None:
    """The first day of the landing's history, as the project declares it
    (the var its rows table names in meta.history_start_var), or None."""
    table = roles_of(manifest).landing_table("rows")
    var = table.history_start_var if table else None
    value = str(project_var_defaults().get(var, "")) if var else ""
    return value if is_partition(value) else None


@dataclass
class WindowRules:
    """Which models read a window of their upstream's partitions."""

    window_vars: dict[str, str] = field(default_factory=dict)  # unique_id -> var name
    self_dependent: frozenset[str] = frozenset()  # day D reads its own day D - 1
    var_defaults: dict = field(default_factory=dict)
    # views hold no rows: they read their upstream when queried, so a rebuild
    # of that upstream never leaves them behind (they are never stale by it)
    views: frozenset[str] = frozenset()

    @classmethod
    def from_manifest(cls, manifest: dict | None) -> WindowRules:
        nodes = (manifest or {}).get("nodes") or {}
        return cls(
            window_vars=dict(roles_of(manifest).window_vars),
            self_dependent=roles_of(manifest).self_dependent,
            var_defaults=project_var_defaults(),
            views=frozenset(
                uid
                for uid, node in nodes.items()
                if (node.get("config") or {}).get("materialized") == "view"
            ),
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

    def reads(self, unique_id: str, depends_on: list[str]) -> list[str]:
        """What a build of the model reads: its upstreams in dbt's graph and,
        for a self-dependent model, itself (its previous day; state.derive)."""
        if unique_id in self.self_dependent and unique_id not in depends_on:
            return [*depends_on, unique_id]
        return list(depends_on)
