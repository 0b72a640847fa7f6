"""Landing contracts: what `factory ingest` accepts of each export.

A landing source is declared in the dbt project, never in Python: its rows
table (a dbt source with ``meta: {landing_folder: F, landing_table: rows}``)
carries the contract in ``meta.landing_contract``, beside the rejected and
manifests tables of the same folder::

    landing_contract:
      format: ndjson                 # or csv (a header line, then one record a line)
      fields:                        # the raw table's columns, in this order
        - {name: id, type: string, required: true}
        - {name: score, type: string, accepted_values: [good, bad]}
        - {name: created_at, type: timestamp, required: true}
      dated_by: {field: created_at, rule: same_day}
      primary_key: [id]
      duplicates: keep               # or reject (later copies: DUPLICATE_KEY)
      rejected_share_threshold: 0.05

The contract travels in the manifest, so every reader of the last parse
sees the same one; a contract that does not hold together is refused here,
before any line is read (LANDING_CONTRACT_INVALID).
"""

from __future__ import annotations

from dataclasses import dataclass

from data_factory.core.errors import BuildFailed
from data_factory.project.roles import LandingTable, roles_of

FORMATS = ("ndjson", "csv")
# a field's type: its column type in the raw table
FIELD_TYPES = {
    "string": "varchar",
    "timestamp": "timestamp",
    "date": "date",
    "integer": "bigint",
    "number": "double",
    "boolean": "boolean",
}
DATING_RULES = ("same_day",)  # the dating field's day is the partition's
DUPLICATE_RULES = ("keep", "reject")
# columns every raw rows table carries after the contract's fields
LINEAGE_COLUMNS = (
    "partition_date",
    "source_file",
    "source_line",
    "manifest_sha256",
    "export_version",
    "ingest_run_id",
    "ingested_at",
)


@dataclass(frozen=True)
class ContractField:
    name: str
    type: str  # a key of FIELD_TYPES
    required: bool = False
    accepted_values: tuple[str, ...] | None = None


@dataclass(frozen=True)
class LandingContract:
    format: str
    fields: tuple[ContractField, ...]
    dated_by: str  # the field whose day must be the partition's
    primary_key: tuple[str, ...]
    duplicates: str
    rejected_share_threshold: float

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def header_lines(self) -> int:
        """Lines of each file that are no record (a CSV file's header)."""
        return 1 if self.format == "csv" else 0


@dataclass(frozen=True)
class LandingSource:
    """One export: its landing folder, the three raw tables the ingest fills
    (as `schema.table` in the warehouse) and its contract."""

    folder: str
    rows_table: str
    rejected_table: str
    manifests_table: str
    contract: LandingContract
    main: bool = False  # the landing the reconciled fact reads (the Spark landing copies it)


def landing_folders(manifest: dict) -> list[str]:
    """The landing folders the project declares, the main one first."""
    roles = roles_of(manifest)
    main = roles.landing_table("rows")
    folders = sorted({t.folder for t in roles.landing_tables if t.kind == "rows"})
    return sorted(folders, key=lambda folder: main is None or folder != main.folder)


def landing_source(manifest: dict, folder: str | None = None) -> LandingSource:
    """The landing source of `folder` (by default the main one: the landing
    the reconciled fact reads); raises LANDING_CONTRACT_INVALID when the
    project does not declare it whole."""
    roles = roles_of(manifest)
    rows = roles.landing_table("rows", folder)
    if rows is None:
        known = ", ".join(landing_folders(manifest)) or "none"
        raise BuildFailed(
            "LANDING_CONTRACT_INVALID",
            f"the project declares no landing source {folder!r} (a dbt source with "
            f"meta.landing_table: rows and meta.landing_folder: {folder}); declared: {known}",
        )
    tables = {}
    for kind in ("rejected", "manifests"):
        table = roles.landing_table(kind, rows.folder)
        if table is None:
            raise _invalid(rows, f"it has no source with meta.landing_table: {kind}")
        tables[kind] = table.table
    return LandingSource(
        folder=rows.folder,
        rows_table=rows.table,
        rejected_table=tables["rejected"],
        manifests_table=tables["manifests"],
        contract=parse_contract(rows, rows.contract),
        main=rows.folder == roles.main_landing_folder,
    )


def _invalid(rows: LandingTable, problem: str) -> BuildFailed:
    return BuildFailed(
        "LANDING_CONTRACT_INVALID",
        f"the landing contract of {rows.unique_id} (folder {rows.folder}) is invalid: {problem}",
    )


def _choice(rows: LandingTable, where: str, value, choices) -> str:
    if value not in choices:
        raise _invalid(rows, f"{where} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _field(rows: LandingTable, number: int, entry) -> ContractField:
    where = f"fields[{number}]"
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise _invalid(rows, f"{where} must be a mapping with a name, got {entry!r}")
    unknown = sorted(set(entry) - {"name", "type", "required", "accepted_values"})
    if unknown:
        raise _invalid(rows, f"{where} ({entry['name']}) has unknown keys {', '.join(unknown)}")
    if not entry["name"].isidentifier() or entry["name"] in LINEAGE_COLUMNS:
        raise _invalid(rows, f"{where}: {entry['name']!r} cannot name a column of the raw table")
    accepted = entry.get("accepted_values")
    if accepted is not None and (
        not isinstance(accepted, list)
        or not accepted
        or not all(isinstance(v, str) for v in accepted)
    ):
        raise _invalid(rows, f"{where}.accepted_values must be a non-empty list of strings")
    if accepted is not None and entry.get("type") != "string":
        raise _invalid(rows, f"{where}: accepted_values apply to string fields only")
    if not isinstance(entry.get("required", False), bool):
        raise _invalid(rows, f"{where}.required must be true or false")
    return ContractField(
        name=entry["name"],
        type=_choice(rows, f"{where}.type", entry.get("type"), tuple(FIELD_TYPES)),
        required=entry.get("required", False),
        accepted_values=tuple(accepted) if accepted else None,
    )


def parse_contract(rows: LandingTable, document) -> LandingContract:
    """The contract of a rows table's meta, checked whole."""
    if not isinstance(document, dict):
        raise _invalid(rows, "meta.landing_contract must be a mapping")
    if not isinstance(document.get("fields"), list) or not document["fields"]:
        raise _invalid(rows, "fields must be a non-empty list")
    fields = tuple(_field(rows, n, entry) for n, entry in enumerate(document["fields"]))
    names = [f.name for f in fields]
    if len(set(names)) != len(names):
        raise _invalid(rows, "a field is declared twice")
    dated_by = document.get("dated_by") or {}
    dating = dated_by.get("field") if isinstance(dated_by, dict) else None
    by_name = {f.name: f for f in fields}
    if dating not in by_name or by_name[dating].type not in ("timestamp", "date"):
        raise _invalid(rows, "dated_by.field must name a timestamp or date field")
    if not by_name[dating].required:
        raise _invalid(rows, f"the dating field {dating} must be required")
    _choice(rows, "dated_by.rule", dated_by.get("rule"), DATING_RULES)
    key = document.get("primary_key")
    if not isinstance(key, list) or not key or not all(k in by_name for k in key):
        raise _invalid(rows, "primary_key must list fields of the contract")
    threshold = document.get("rejected_share_threshold")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        raise _invalid(rows, "rejected_share_threshold must be a number between 0 and 1")
    if not 0 <= threshold <= 1:
        raise _invalid(rows, "rejected_share_threshold must be a number between 0 and 1")
    return LandingContract(
        format=_choice(rows, "format", document.get("format"), FORMATS),
        fields=fields,
        dated_by=dating,
        primary_key=tuple(key),
        duplicates=_choice(rows, "duplicates", document.get("duplicates"), DUPLICATE_RULES),
        rejected_share_threshold=float(threshold),
    )
