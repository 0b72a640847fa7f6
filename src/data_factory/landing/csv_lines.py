"""CSV exports: each file a header line, then one record a line.

DuckDB's CSV reader loads a file or refuses it; the contract wants every
line judged alone, with its line number, and the bad ones kept with their
reason. So a CSV file is split here, the way `raw_tables.split_lines_sql`
splits NDJSON (the same line numbers, the byte order mark dropped, the text
after the last newline a line unless it is empty), and each record becomes
the JSON object of its header's names, which the contract's parse then
checks like an NDJSON line. Python's `csv` module reads the quoting; an
empty value is a null. The header is no record: the manifest counts a CSV
file's records (its lines after the header).

A record is one line: a value with a newline inside quotes is not supported
(its parts are malformed lines).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa

from data_factory.landing.undecodable import BOM, decode_line


def _record(header: list[str], text: str) -> tuple[str | None, str | None]:
    """The line as a JSON object of the header's names, or why it is none."""
    if text == "":
        return None, "empty line"
    try:
        (values,) = csv.reader([text], strict=True)
    except (csv.Error, ValueError) as exc:
        return None, f"not a CSV record: {exc}"
    if len(values) != len(header):
        return None, f"{len(values)} values, but the header names {len(header)}"
    return json.dumps({n: v or None for n, v in zip(header, values, strict=True)}), None


def insert_lines(connection, files: list[tuple[str, str]]) -> None:
    """Split CSV `files`, as (path, partition) pairs, into the temp table
    `physical_lines` that split_lines_sql created: every line after each
    header, with its record (or record_error)."""
    columns: dict[str, list] = {
        name: []
        for name in (
            "partition_date",
            "source_file",
            "raw_line",
            "source_line",
            "part_count",
            "encoding_error",
            "record",
            "record_error",
        )
    }
    for path, partition in files:
        parts = Path(path).read_bytes().removeprefix(BOM).split(b"\n")
        header_text, _ = decode_line(parts[0].removesuffix(b"\r"))
        header = next(csv.reader([header_text]), [])
        for number, raw in enumerate(parts[1:], start=2):
            text, error = decode_line(raw.removesuffix(b"\r"))
            record, problem = (None, None) if error else _record(header, text)
            for name, value in (
                ("partition_date", partition),
                ("source_file", Path(path).name),
                ("raw_line", text),
                ("source_line", number),
                ("part_count", len(parts)),
                ("encoding_error", error),
                ("record", record),
                ("record_error", problem),
            ):
                columns[name].append(value)
    connection.register("csv_lines", pa.table(columns))
    try:
        connection.execute(
            "insert into physical_lines by name select cast(partition_date as date) as "
            "partition_date, source_file, raw_line, cast(source_line as integer) as "
            "source_line, part_count, encoding_error, record, record_error from csv_lines"
        )
    finally:
        connection.unregister("csv_lines")
