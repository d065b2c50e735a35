"""Reads JSONL files: one document per non-blank line (a JSON object), or the reason a line
is not one (not JSON, no body field, too large, lone surrogates or too deep nesting fixed or
refused), or where the gzip stream breaks. A part's lines before it are read past, not parsed.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import IO, Any, Callable, Iterator

from cleaners.config import InputFields
from cleaners.inputs.documents import _CHUNK, GZIP_ERRORS, BadInput, InputDocument, Part
from cleaners.inputs.rows import _body_field, _named, _no_body_field, _row_document

def _jsonl_lines(uri: str, content: IO[bytes], max_bytes: int, part: Part, build: Callable[[int, bytes, int], Any], number: int = 0) -> Iterator[Any]:
    """``build(line number, line, offset)`` of each non-blank line in ``part`` (``line`` is a
    BadInput for an oversized one), or the reason the file breaks. Lines before the part
    are read past, not parsed. ``number``: of the line before the reader's position."""
    offset = content.tell() if number else 0
    while True:
        start = offset
        try:
            line = content.readline(max_bytes + 1)
        except GZIP_ERRORS as exc:
            yield BadInput(uri, number + 1, "corrupt_gzip", f"the gzip stream breaks at line {number + 1}: {type(exc).__name__}: {exc}")
            return
        if not line:
            return
        number += 1
        offset += len(line)
        if part.ended_before(number):
            return
        if len(line) > max_bytes and not line.endswith(b"\n"):
            try:
                size = len(line) + _skip_rest_of_line(content)
                offset = start + size
            except GZIP_ERRORS as exc:
                yield BadInput(uri, number, "corrupt_gzip", f"the gzip stream breaks inside line {number}: {type(exc).__name__}: {exc}")
                return
            if part.holds(number):
                yield build(number, BadInput(uri, number, "too_large", f"line {number} has {size} bytes, over the limit of {max_bytes} (limits.max_bytes)", None, size), start)
            continue
        if part.holds(number) and line.strip():
            yield build(number, line, start)


def _skip_rest_of_line(content: IO[bytes]) -> int:
    skipped = 0
    while chunk := content.readline(_CHUNK):
        skipped += len(chunk)
        if chunk.endswith(b"\n"):
            break
    return skipped


def _jsonl_document(
    uri: str, number: int, line: bytes | BadInput, _offset: int, fields: InputFields, told: dict[frozenset[str], int]
) -> InputDocument | BadInput:
    """The row as a document, or the reason it is not one (``line`` may be that already).

    A row without the body's field names the fields it has and the config key once for each
    set of field names in the file (``told``: the first line of each); the other such rows
    point at that line, so a file of ten thousand exported rows gives one explanation."""
    if isinstance(line, BadInput):
        return line

    def bad(message: str) -> BadInput:
        return BadInput(uri, number, "malformed_jsonl", f"line {number}: {message}", hashlib.sha256(line).hexdigest(), len(line))

    try:
        row = json.loads(line)
    except (ValueError, RecursionError) as exc:  # JSON and UTF-8 errors, huge integers, deep nesting
        return bad(f"not JSON ({type(exc).__name__}: {exc})"[:500])
    if not isinstance(row, dict):
        return bad(f"a JSON {type(row).__name__}, not an object")
    if _body_field(row, fields) is None:
        names = [str(name) for name in row]
        first = told.setdefault(frozenset(names), number)
        if first != number:
            return bad(f"no non-empty string field {fields.html!r} or {fields.text!r} (the same fields as line {first}, whose reject names them)")
        has = f"the row's fields are {_named(names)}" if names else "the row is an empty object"
        return bad(_no_body_field("no non-empty string field", has, "field", fields))
    try:
        row = _checked_row(row, surrogates=_SURROGATE_ESCAPE.search(line) is not None)
    except ValueError as exc:
        return bad(str(exc))
    return _row_document(uri, number, row, 0, fields, "jsonl")


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
#: The JSON escape every lone surrogate comes from (UTF-8 bytes cannot encode one): without
#: it in the line, no string of the row needs the surrogate scan.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
#: Deeper JSON than this in a row is refused: the record could not be written (the JSON
#: serialiser stops at a few hundred levels), and no crawler's metadata needs it.
MAX_JSON_DEPTH = 64


def _checked_row(row: dict, surrogates: bool = True) -> dict:
    """``row``, in place, with each lone surrogate (a JSON escape such as ``"\\ud800"`` that
    is half a character: valid JSON, not text) replaced by U+FFFD in strings and keys
    (``surrogates``: the line holds such an escape; else only the depth is checked).

    UTF-8 cannot hold one: written as is, the body was no valid UTF-8 (and decoded under a
    wrong guessed charset), and a field in ``extra`` made the record unwritable. Walked with
    a stack, not recursion: raises ``ValueError`` beyond :data:`MAX_JSON_DEPTH` levels.
    """
    stack: list[tuple[dict | list, int]] = [(row, 1)]
    while stack:
        container, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
        keys = list(container) if isinstance(container, dict) else range(len(container))
        for key in keys:
            value = container[key]
            if surrogates and isinstance(value, str) and not value.isascii():
                container[key] = _LONE_SURROGATE.sub("\ufffd", value)
            elif isinstance(value, (dict, list)):
                stack.append((value, depth + 1))
        if surrogates and isinstance(container, dict):
            for key in [k for k in container if not k.isascii() and _LONE_SURROGATE.search(k)]:
                container[_LONE_SURROGATE.sub("\ufffd", key)] = container.pop(key)
    return row
