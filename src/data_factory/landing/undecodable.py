"""Export files that are not all UTF-8 text.

DuckDB reads a file as text only when every byte of it is UTF-8, so one bad
byte would refuse its whole day. Such a file is split here instead, the way
`raw_tables.split_lines_sql` splits the others (the same line numbers, the
byte order mark dropped, the text after the last newline a line unless it is
empty), and each line that does not decode keeps its reason: the parse
rejects it alone as INVALID_ENCODING, with the bad byte shown escaped.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import pyarrow as pa

BOM = codecs.BOM_UTF8


def is_utf8(path: str | Path) -> bool:
    """Whether the file is UTF-8 text (one that cannot be read counts as
    text: reading it fails elsewhere, with its own message)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    except OSError:
        return True
    return True


def decode_line(raw: bytes) -> tuple[str, str | None]:
    """The text of a line, and why it is not UTF-8 (None when it is)."""
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return raw.decode("utf-8", "backslashreplace"), (
            f"byte 0x{raw[exc.start]:02x} at byte {exc.start + 1} of the line is not valid "
            f"UTF-8 ({exc.reason})"
        )


def insert_lines(connection, files: list[tuple[str, str]]) -> None:
    """Split `files`, as (path, partition) pairs, into the temp table
    `physical_lines` that split_lines_sql created."""
    columns: dict[str, list] = {
        "partition_date": [],
        "source_file": [],
        "raw_line": [],
        "source_line": [],
        "part_count": [],
        "encoding_error": [],
    }
    for path, partition in files:
        data = Path(path).read_bytes()
        parts = data.removeprefix(BOM).split(b"\n")
        for number, raw in enumerate(parts, start=1):
            text, error = decode_line(raw)
            columns["partition_date"].append(partition)
            columns["source_file"].append(Path(path).name)
            columns["raw_line"].append(text)
            columns["source_line"].append(number)
            columns["part_count"].append(len(parts))
            columns["encoding_error"].append(error)
    connection.register("undecodable_lines", pa.table(columns))
    try:
        connection.execute(
            "insert into physical_lines by name select cast(partition_date as date) as "
            "partition_date, source_file, raw_line, cast(source_line as integer) as "
            "source_line, part_count, encoding_error from undecodable_lines"
        )
    finally:
        connection.unregister("undecodable_lines")
