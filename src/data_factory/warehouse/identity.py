"""The warehouse's identity: a random id kept in a small table of the
warehouse itself (`factory_meta`), created by the first build into it.

Each build's evidence records the id. A reader that finds another id, or no
warehouse at all, knows the tables the evidence describes are not the ones
it would read: the file was replaced, truncated or deleted."""

from __future__ import annotations

import secrets

from data_factory.warehouse.engine import Engine

TABLE = "factory_meta"

_KEY = "warehouse_id"


def read_identity(engine: Engine) -> str | None:
    """The warehouse's id, or None when it has none (never built into)."""
    if not engine.exists(TABLE):
        return None
    found = engine.rows(f"select value from {TABLE} where key = :key", {"key": _KEY})
    return str(found[0][0]) if found else None


def ensure_identity(engine: Engine) -> str:
    """The warehouse's id, created (random) when it has none yet."""
    known = read_identity(engine)
    if known:
        return known
    engine.rows(f"create table if not exists {TABLE} (key string, value string)")
    created = f"wh-{secrets.token_hex(8)}"
    engine.rows(f"insert into {TABLE} values (:key, :value)", {"key": _KEY, "value": created})
    return created
