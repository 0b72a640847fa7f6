"""Content fingerprints of asset x partition, computed in the warehouse.

A fingerprint is ``{"algorithm": "md5-sum64/v1", "rows": N, "hash": H}``:
the row count, and H, the sum modulo 2**64 of one 64-bit number per row,
written as 16 hex digits. A row's number is the first 8 bytes of the md5 of
its canonical text, read as an unsigned little-endian integer (DuckDB's
``md5_number_upper``; on Spark the same bytes through ``conv``). A sum does
not depend on the order of the rows, so it is one aggregate over the
partition's rows: the cost of a day is O(day).

The canonical text of a row: its columns sorted by name, each value as
text, joined by chr(31), NULL written chr(30). Values are made the same on
both engines: timestamps as microseconds since the epoch, floats and
decimals as decimal(38,9) in plain notation (`0.000000000`), booleans as
`true` / `false`, everything else cast to string. Columns a model lists in
``meta: {fingerprint_ignores: [...]}`` (lineage: which run landed a row,
and when) are left out, so a rebuild of the same content gives the same
fingerprint.

`python_fingerprint` is the same definition in Python (hashlib), for the
tests that hold the two engines to it.

md5 over the text of every row costs about 0.15-0.3 s for a day of 20,000
tickets (120,000 rows) on two cores; the gate must answer in 50 ms. So on
DuckDB a fingerprint also carries `quick`: the sum mod 2**64 of DuckDB's own
`hash(col, ...)` of the same columns (no text is built; about 20 ms for that
day), named with the DuckDB version. A re-check on the same engine and
version compares rows and `quick` (`mode="quick"`); elsewhere it computes
md5-sum64/v1 again. Staleness and the engines' equivalence use md5-sum64/v1.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from data_factory.project.manifest import asset_nodes, node_meta, partition_column
from data_factory.warehouse.engine import Engine

ALGORITHM = "md5-sum64/v1"

_MOD = 2**64

_BETWEEN = "between cast(:first as date) and cast(:last as date)"

_FLOATS = ("double", "float", "real", "decimal", "numeric")


def _kind(column_type: str) -> str:
    if column_type.startswith("timestamp"):
        return "timestamp"
    if column_type.startswith(_FLOATS):
        return "number"
    if column_type in ("boolean", "bool"):
        return "boolean"
    return "text"


def _value(column: str, column_type: str, dialect: str) -> str:
    quoted = f"`{column}`" if dialect == "spark" else f'"{column}"'
    kind = _kind(column_type)
    if kind == "timestamp":
        text = f"cast({'unix_micros' if dialect == 'spark' else 'epoch_us'}({quoted}) as string)"
    elif kind == "number" and dialect == "spark":
        # Spark writes a decimal as Java's BigDecimal.toString, which turns
        # to scientific notation below 1e-6 (0 at scale 9 is "0E-9") unless
        # the session's ANSI mode is on (dbt-spark's session has it off);
        # format_number is plain in every mode, with grouping commas to drop
        text = f"replace(format_number(cast({quoted} as decimal(38, 9)), 9), ',', '')"
    elif kind == "number":
        text = f"cast(cast({quoted} as decimal(38, 9)) as string)"
    elif kind == "boolean":
        text = f"case when {quoted} then 'true' when not {quoted} then 'false' end"
    else:
        text = f"cast({quoted} as string)"
    return f"coalesce({text}, chr(30))"


def _kept(columns: list[tuple[str, str]], ignore: Iterable[str]) -> list[tuple[str, str]]:
    skipped = {c.lower() for c in ignore}
    return sorted((c for c in columns if c[0].lower() not in skipped), key=lambda c: c[0])


def quick_number_sql(columns: list[tuple[str, str]], ignore: Iterable[str] = ()) -> str:
    """DuckDB's own 64-bit hash of a row's kept columns (see `quick`)."""
    kept = _kept(columns, ignore)
    return "hash(" + (", ".join(f'"{name}"' for name, _ in kept) or "''") + ")"


def row_number_sql(columns: list[tuple[str, str]], dialect: str, ignore: Iterable[str] = ()) -> str:
    """The SQL of one row's 64-bit number (see the module docstring)."""
    kept = _kept(columns, ignore)
    values = ", ".join(_value(name, kind, dialect) for name, kind in kept) or "''"
    text = f"concat_ws(chr(31), {values})"
    if dialect == "spark":
        digest = f"md5({text})"
        # bytes 8..1 of the digest, so conv reads them little-endian, as DuckDB does
        swapped = ", ".join(f"substr({digest}, {i}, 2)" for i in range(15, 0, -2))
        return f"cast(conv(concat({swapped}), 16, 10) as decimal(20, 0))"
    return f"md5_number_upper({text})"


def _hex(total: int | str | None) -> str:
    return f"{int(total or 0) % _MOD:016x}"


def fingerprint(
    rows: int, total: int | str | None, quick: tuple[str, int | str | None] | None = None
) -> dict:
    found = {
        "algorithm": ALGORITHM,
        "rows": int(rows),
        "hash": None if total == "" else _hex(total),
    }
    if quick is not None:
        found["quick"] = {"algorithm": quick[0], "hash": _hex(quick[1])}
    return found


def same_content(recorded: dict | None, now: dict | None) -> bool:
    """Do two fingerprints say the same content? By `quick` when both carry
    one of the same algorithm, else by md5-sum64/v1."""
    if recorded is None or now is None or recorded["rows"] != now["rows"]:
        return False
    mine, theirs = recorded.get("quick"), now.get("quick")
    if mine and theirs and mine["algorithm"] == theirs["algorithm"]:
        return mine["hash"] == theirs["hash"]
    return now["hash"] is not None and recorded["hash"] == now["hash"]


def content_key(recorded: dict) -> tuple:
    """What staleness compares: md5-sum64/v1 alone (a new DuckDB version
    changes `quick`, not the content)."""
    return (recorded.get("algorithm"), recorded.get("rows"), recorded.get("hash"))


def python_fingerprint(rows: Iterable[list[str | None]]) -> dict:
    """The fingerprint of rows given as their values' canonical texts, in
    column-name order (None for NULL), with hashlib."""
    count, total = 0, 0
    for values in rows:
        text = "\x1f".join("\x1e" if v is None else v for v in values)
        total += int.from_bytes(hashlib.md5(text.encode()).digest()[:8], "little")
        count += 1
    return fingerprint(count, total)


def ignored_columns(node: dict) -> list[str]:
    found = node_meta(node).get("fingerprint_ignores") or []
    return [str(c) for c in found] if isinstance(found, list) else []


def relation_fingerprints(
    engine: Engine,
    relation: str,
    column: str | None,
    partitions: list[str],
    ignore: Iterable[str] = (),
    *,
    mode: str = "full",
) -> dict[str | None, dict]:
    """Fingerprint per partition of `relation` (partitions with no rows get
    the empty fingerprint), or of the whole relation when `column` is None.
    mode "full": md5-sum64/v1, and `quick` where the engine has one;
    "quick": only rows and `quick` (hash None), where the engine has one."""
    columns = engine.columns(relation)
    quick = engine.quick_algorithm
    sums = []
    if mode == "full" or quick is None:
        sums.append(f"cast(sum({row_number_sql(columns, engine.dialect, ignore)}) as string)")
    else:
        sums.append("''")
    sums.append(f"cast(sum({quick_number_sql(columns, ignore)}) as string)" if quick else "null")
    aggregates = ", ".join(["count(*)", *sums])

    def made(rows, total, quick_total) -> dict:
        return fingerprint(rows, total, (quick, quick_total) if quick else None)

    if column is None:
        ((rows, total, quick_total),) = engine.rows(f"select {aggregates} from {relation}")
        return {None: made(rows, total, quick_total)}
    found = engine.rows(
        f"select cast({column} as string), {aggregates} "
        f"from {relation} where {column} {_BETWEEN} group by 1",
        {"first": min(partitions), "last": max(partitions)},
    )
    by_day = {str(day): made(*values) for day, *values in found}
    empty = made(0, 0 if mode == "full" or quick is None else "", 0)
    return {p: by_day.get(p) or empty for p in partitions}


def fingerprint_assets(
    engine: Engine, manifest: dict, partitions: list[str], asset_ids: list[str]
) -> dict[tuple[str, str | None], dict]:
    """Fingerprints per (asset, partition) of the given assets' tables as
    they are now. Views are skipped (their rows are their inputs'), as are
    relations that do not exist."""
    found: dict[tuple[str, str | None], dict] = {}
    nodes = asset_nodes(manifest)
    for uid in asset_ids:
        node = nodes.get(uid) or {}
        if (node.get("config") or {}).get("materialized") == "view":
            continue
        relation = node.get("relation_name")
        if not relation or not engine.exists(relation):
            continue
        # a partitioned table without partitions given is taken whole, as a count would
        column = partition_column(node) if partitions else None
        days = partitions if column else []
        prints = relation_fingerprints(engine, relation, column, days, ignored_columns(node))
        for partition, value in prints.items():
            found[(uid, partition)] = value
    return found


def current_fingerprints(engine: Engine, manifest: dict, cells: list[dict]):
    """(cell, its fingerprint in the warehouse now, or None if its table is
    gone) for cells given as {unique_id, partition, fingerprint (recorded)}:
    one aggregate per asset over the days asked, whatever their number (the
    gate's re-check, `factory verify`)."""
    nodes = asset_nodes(manifest)
    by_asset: dict[str, list[dict]] = {}
    for cell in cells:
        by_asset.setdefault(cell["unique_id"], []).append(cell)
    for uid, group in by_asset.items():
        node = nodes.get(uid) or {}
        relation = node.get("relation_name")
        if not relation or not engine.exists(relation):
            for cell in group:
                yield cell, None
            continue
        days = sorted(c["partition"] for c in group if c["partition"])
        column = partition_column(node) if days else None
        # the engine's own row hash when every cell recorded one of this engine
        # and version (a fraction of md5's cost), else md5-sum64/v1 again
        quick = engine.quick_algorithm is not None and all(
            (c["fingerprint"].get("quick") or {}).get("algorithm") == engine.quick_algorithm
            for c in group
        )
        now = relation_fingerprints(
            engine, relation, column, days, ignored_columns(node), mode="quick" if quick else "full"
        )
        for cell in group:
            yield cell, now.get(cell["partition"] if column else None)
