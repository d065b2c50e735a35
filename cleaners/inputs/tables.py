"""Reads tables: CSV, TSV (a header row names the columns) and Parquet files, one document
per data row, or the reason the table (no body column, unreadable) or a row (too large) is not
one.
"""

from __future__ import annotations

import csv
import io
import math
from typing import IO, Any, Callable, Iterator

from cleaners.config import InputFields
from cleaners.inputs.documents import GZIP_ERRORS, BadInput, Part
from cleaners.inputs.rows import _named, _no_body_field

def _table_columns(uri: str, names: list[str], fields: InputFields, kind: str) -> BadInput | None:
    """The one reject of a table that has no body column (checked once, not per row)."""
    if fields.html in names or fields.text in names:
        return None
    has = f"the table's columns are {_named(names)}" if names else "the table has no columns"
    return BadInput(uri, None, "malformed_table", f"the {kind} table has " + _no_body_field("no column", has, "column", fields))


def _too_large(uri: str, number: int, row: dict, fields: InputFields, max_bytes: int) -> BadInput | None:
    for key in (fields.html, fields.text):
        body = row.get(key)
        size = len(body.encode("utf-8")) if isinstance(body, str) else 0
        if size > max_bytes:
            return BadInput(uri, number, "too_large", f"row {number}: the {key!r} cell has {size} bytes, over the limit of {max_bytes} (limits.max_bytes)", None, size)
    return None


def _delimited_rows(
    uri: str, content: IO[bytes], delimiter: str, fields: InputFields, max_bytes: int, part: Part, build: Callable[[int, Any, int], Any]
) -> Iterator[Any]:
    """``build(row number, row as a dict, 0)`` of each non-blank data row of a CSV or TSV
    file in ``part`` (the header row names the columns; rows are numbered from 1, as a
    dataframe's rows are), or the reason the table or a row is not readable.

    Rows are not seeked to: a part reads the rows before it (a quoted cell may span lines,
    so a byte offset could only come from parsing them anyway)."""
    kind = "TSV" if delimiter == "\t" else "CSV"
    _allow_fields_of(max_bytes)
    text = io.TextIOWrapper(content, encoding="utf-8-sig", errors="strict", newline="")
    reader = csv.reader(text, delimiter=delimiter)
    number = 0
    try:
        names = next(reader, None)
        if names is None:
            return
        missing = _table_columns(uri, names, fields, kind)
        if missing is not None:
            yield missing
            return
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            number += 1
            if part.ended_before(number):
                return
            if part.holds(number):
                row = dict(zip(names, cells))
                yield build(number, _too_large(uri, number, row, fields, max_bytes) or row, 0)
    except GZIP_ERRORS as exc:
        yield BadInput(uri, number + 1, "corrupt_gzip", f"the gzip stream breaks at row {number + 1}: {type(exc).__name__}: {exc}")
    except (csv.Error, UnicodeDecodeError) as exc:
        yield BadInput(uri, number + 1, "malformed_table", f"row {number + 1} of the {kind} file cannot be read ({type(exc).__name__}: {exc}); the rest of the file is skipped")


def _allow_fields_of(max_bytes: int) -> None:
    """Lets the csv module read cells up to ``max_bytes`` characters (its default limit,
    128 KiB, is smaller than many pages); a larger cell is then a ``too_large`` row."""
    if csv.field_size_limit() < max_bytes + 1:
        csv.field_size_limit(max_bytes + 1)


#: Parquet rows are read in batches of this many.
_PARQUET_BATCH = 256


def _parquet_rows(
    uri: str, stream: IO[bytes], fields: InputFields, max_bytes: int, part: Part, build: Callable[[int, Any, int], Any]
) -> Iterator[Any]:
    """``build(row number, row as a dict, 0)`` of each row of a Parquet file in ``part``
    (rows numbered from 1), or the reason the file is not readable. Values that JSON cannot
    hold (timestamps, decimals) become strings; the body's column may hold strings or bytes
    (UTF-8)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.ParquetFile(stream)
        names = list(table.schema_arrow.names)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        yield BadInput(uri, None, "malformed_table", f"not a readable Parquet file ({type(exc).__name__}: {exc})"[:500])
        return
    missing = _table_columns(uri, names, fields, "Parquet")
    if missing is not None:
        yield missing
        return
    number = 0
    try:
        for batch in table.iter_batches(batch_size=_PARQUET_BATCH):
            if part.ended_before(number + 1):
                return
            if number + batch.num_rows < part.first:
                number += batch.num_rows  # before the part: not converted
                continue
            for values in batch.to_pylist():
                number += 1
                if part.ended_before(number):
                    return
                if part.holds(number):
                    row = {name: _plain(value) for name, value in values.items()}
                    yield build(number, _too_large(uri, number, row, fields, max_bytes) or row, 0)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        yield BadInput(uri, number + 1, "malformed_table", f"row {number + 1} of the Parquet file cannot be read ({type(exc).__name__}: {exc}); the rest of the file is skipped"[:500])


def _plain(value: object) -> object:
    """A Parquet value as JSON can hold it: bytes as UTF-8 text (replacing what is not),
    other non-JSON values (dates, decimals) as their string."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # NaN and infinity are no JSON numbers
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return str(value)
