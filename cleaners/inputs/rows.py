"""Reads a row (a JSONL object or a table's row, as a dict) into a document: the body's
field, the mapped fields and the others in ``extra``; and the reject that says a row or a
table has no body field. Shared by :mod:`cleaners.inputs.jsonl` and :mod:`cleaners.inputs.tables`.
"""

from __future__ import annotations

from cleaners.config import InputFields
from cleaners.inputs.documents import BadInput, InputDocument

#: How many of a row's field names a reject names.
_FIELDS_SHOWN = 12


def _named(names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:_FIELDS_SHOWN])
    return shown + (f" and {len(names) - _FIELDS_SHOWN} more" if len(names) > _FIELDS_SHOWN else "")


def _no_body_field(lack: str, has: str, what: str, fields: InputFields) -> str:
    """Why a row or a table holds no document (``lack``), with the fields it has (``has``)
    and the config key that names the body's field: a crawler's export ("content", "body")
    must not look like bad data."""
    return (
        f"{lack} {fields.html!r} or {fields.text!r}; {has}. If one of them holds the page or the article, "
        f'name it in the config: [input.fields] html = "<{what}>" or text = "<{what}>"'
    )


def _body_field(row: dict, fields: InputFields) -> tuple[str, str] | None:
    """The field holding the row's document and its format (the HTML first), if any."""
    for key, fmt in ((fields.html, "html"), (fields.text, "text")):
        body = row.get(key)
        if isinstance(body, str) and body.strip():
            return key, fmt
    return None


def _row_document(uri: str, number: int, row: dict | BadInput, _offset: int, fields: InputFields, container: str) -> InputDocument | BadInput:
    """A JSONL row's or a table row's document: the body's field, the mapped fields, and the
    others (non-empty) in ``source.extra``."""
    if isinstance(row, BadInput):
        return row
    body = _body_field(row, fields)
    if body is None:  # a table's row: the table has the column (checked once), this row's cells are empty
        return BadInput(uri, number, "empty", f"row {number}: the {fields.html!r} and {fields.text!r} cells are empty")
    key, fmt = body
    known = {fields.html, fields.text, fields.url, fields.id, fields.published}
    return InputDocument(
        uri=uri,
        raw=row[key].encode("utf-8"),
        format=fmt,
        url=_str_or_none(row.get(fields.url)),
        member=number,
        container=container,
        record_id=_str_or_none(row.get(fields.id)),
        date=_str_or_none(row.get(fields.published)),
        # a table's empty cells and nulls are no values (a JSONL row's are kept as written)
        extra={k: v for k, v in sorted(row.items()) if k not in known and (container == "jsonl" or v not in (None, ""))},
        from_string=True,
    )


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)
