"""Reading input files into documents: plain text, HTML, JSONL, tables (CSV, TSV,
Parquet) and web archives (WARC, WET, ARC), gzip or not.

A file holds one document (``.txt``, ``.html``) or many (``.jsonl`` lines, table rows,
``.warc`` records). :func:`read_documents` yields, in file order, one :class:`InputDocument`
per document, one :class:`BadInput` per part that cannot be one (a malformed JSONL line, a
corrupt gzip stream) and one :class:`NotDocument` per member that is no document to clean (a
crawl's redirects, error pages, scripts and images), so that every input is accounted for.
A document inside a container is addressed by its ``member`` number: the 1-based line of a
JSONL file, the 1-based data row of a table, the 1-based record of a WARC file; a
whole-file document has ``member=None``.

A large container is read in :class:`Part`\ s (runs of members), each by a task of its
own: :func:`split_container` counts a file's documents without building them, and
``read_documents(..., part=)`` skips the members before a part without parsing them and
stops after its last.

Errors are split by cause. Corrupt or oversized *content* becomes a :class:`BadInput`
(a reject). *Storage* errors (``OSError`` from the filesystem: a dropped connection) are
raised, so the task reading the file is retried. Decompression is bounded: no read holds
more than ``max_bytes`` + 1 bytes of one document, whatever the compression ratio.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import math
import os
import re
import zlib
from dataclasses import dataclass, field
from functools import partial
from typing import IO, Any, Callable, Iterator

import fsspec
from fsspec.implementations.local import LocalFileSystem

from cleaners.inputs import gzindex
from cleaners.config import InputFields, InputOptions

#: Formats of one document per file, and formats of many documents per file.
DOCUMENT_FORMATS = ("text", "html")
TABLE_FORMATS = ("csv", "tsv", "parquet")
CONTAINER_FORMATS = ("jsonl", "warc") + TABLE_FORMATS

#: File name endings and the format they mean (after removing a ``.gz`` ending).
SUFFIX_FORMATS: dict[str, str] = {
    ".txt": "text",
    ".text": "text",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".warc": "warc",
    ".wet": "warc",  # Common Crawl's WET files (.warc.wet.gz): WARC conversion records of extracted text
    ".arc": "warc",  # the older Internet Archive format; warcio reads both
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
}
#: Formats a gzip file cannot hold (Parquet compresses inside and is read by seeking).
NOT_GZIPPED = ("parquet",)

GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
#: Content sniffing for names without a known ending: first bytes (lowercased, stripped).
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml", b"<!--")
#: Errors a corrupt or truncated gzip stream raises (``BadGzipFile`` is an ``OSError``,
#: which must not be mistaken for a storage error and retried).
GZIP_ERRORS = (gzip.BadGzipFile, EOFError, zlib.error, gzindex.ZranError)
#: Rejects that say the file's compressed stream breaks (after them, no index is built).
_BREAKS = ("corrupt_gzip", "malformed_warc")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class InputDocument:
    """One document's raw bytes, what they are, and where they came from."""

    uri: str
    raw: bytes
    format: str = "text"  # "text" or "html"
    url: str | None = None
    member: int | None = None
    container: str | None = None  # "jsonl" or "warc" for a document inside a container
    record_id: str | None = None
    date: str | None = None
    content_type: str | None = None  # the HTTP Content-Type of a WARC response (its charset)
    extra: dict = field(default_factory=dict)
    #: The container held the document as a string (a JSONL field): ``raw`` is its UTF-8,
    #: and the document is that string, never decoded again (whatever its ``<meta>`` says).
    from_string: bool = False


@dataclass(frozen=True)
class NotDocument:
    """A member of a container that is no document to clean: a crawl's redirect, error page,
    script, style sheet or image, its request and metadata records. It is skipped and
    counted by ``reason`` (``redirect``, ``http_status``, ``not_document``), not rejected:
    a real crawl holds far more of these than articles, and as rejects they hid the real
    failures."""

    uri: str
    member: int
    reason: str
    message: str
    url: str | None = None
    http_status: int | None = None
    location: str | None = None
    content_type: str | None = None


@dataclass(frozen=True)
class Part:
    """Members ``first`` to ``last`` of a container file (1-based, inclusive; ``last`` None:
    to the end of the file, so that a count that fell short never loses a member), and the
    byte ``offset`` of member ``first``: a reader seeks there instead of reading the rows
    before it. A gzip file is decompressed from its start by that seek, unless the part
    starts a gzip member (a WARC's usual one member per record): ``raw_offset``, where that
    member starts in the compressed file, lets the reader start decompressing there; or,
    in a file gzipped as one stream, ``gzip_index`` holds an access point near the part.

    A file-level problem (``member`` None: an empty file, a gzip stream that breaks at
    once) belongs to the part that starts the file."""

    first: int = 1
    last: int | None = None
    offset: int = 0  # where member ``first`` starts in the (decompressed) file: read from there
    raw_offset: int | None = None  # gzip files: where the gzip member holding it starts, if it starts one
    #: A file gzipped as one stream: the index slice to start decompressing near ``offset``
    #: (see :mod:`cleaners.inputs.gzindex`); about 5 KB, kept out of logs.
    gzip_index: bytes | None = field(default=None, repr=False)

    def holds(self, member: int | None) -> bool:
        if member is None:
            return self.first == 1
        return self.first <= member and (self.last is None or member <= self.last)

    def ended_before(self, member: int) -> bool:
        return self.last is not None and member > self.last


WHOLE_FILE = Part()


@dataclass(frozen=True)
class BadInput:
    """A file or container part that cannot become a document, and why."""

    uri: str
    member: int | None
    reason: str
    message: str
    sha256: str | None = None
    bytes: int | None = None


def strip_gz(name: str) -> str:
    lowered = name.lower()
    return lowered[:-3] if lowered.endswith(".gz") else lowered


def format_by_name(uri: str) -> str | None:
    """The format a file name announces, ``.gz`` or not; None when it says nothing."""
    name = strip_gz(uri.split("?", 1)[0])
    for suffix, fmt in SUFFIX_FORMATS.items():
        if name.endswith(suffix):
            return fmt
    return None


def sniff_format(head: bytes) -> str:
    """The format of decompressed content from its first bytes."""
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"warc/", b"filedesc://")):  # WARC, ARC
        return "warc"
    if start.startswith(b"{"):
        return "jsonl"
    if start.startswith(_HTML_STARTS):
        return "html"
    return "text"


def is_container(uri: str, override: str = "auto") -> bool:
    """Whether ``uri`` holds many documents, judged without reading it (for sharding)."""
    fmt = override if override != "auto" else format_by_name(uri)
    return fmt in CONTAINER_FORMATS


def _open(uri: str) -> Any:
    """``fsspec.open(uri, "rb")``, except for a local file with ``::`` in its name, which
    fsspec would read as a chained URL ("a::b.txt": open "b.txt", cached through "a")."""
    if "::" in uri and os.path.isfile(uri):
        return LocalFileSystem().open(uri, "rb")
    return fsspec.open(uri, "rb")


def read_documents(uri: str, options: InputOptions, max_bytes: int, part: Part = WHOLE_FILE) -> Iterator[InputDocument | BadInput | NotDocument]:
    """Every document of the file at ``uri`` (or the reason a member is not one), in order;
    of a container, only the members in ``part``."""
    yield from _items(uri, options, max_bytes, part, build=True)


def split_container(uri: str, options: InputOptions, max_bytes: int, size: int) -> list[tuple[Part, int]]:
    """The file's members in parts of ``size`` documents (the last may hold fewer), each
    with its number of documents and rejects. One read, no JSON parsing or payload read.

    A file of at most ``size`` of them, a one-document file, or one with a file-level
    problem is one part: :data:`WHOLE_FILE`. Storage errors (``OSError``) propagate.
    """
    starts: list[tuple[int, int]] = []  # (member, offset) of each part's first document
    count, broken = 0, False
    for item in _items(uri, options, max_bytes, WHOLE_FILE, build=False):
        if item is None or isinstance(item, BadInput) and item.member is None:  # one document, or a broken file
            return [(WHOLE_FILE, 1)]
        if count % size == 0:
            starts.append((item.member, 0) if isinstance(item, BadInput) else item)
        broken = broken or isinstance(item, BadInput) and item.reason in _BREAKS
        count += 1
    if len(starts) <= 1:
        return [(WHOLE_FILE, count)]
    starts[0] = (1, 0)
    ends = [member - 1 for member, _ in starts[1:]] + [None]
    raw, points = _seek_aids(uri, {offset for _, offset in starts}, broken) if len(starts) >= _SEEK_AID_PARTS else ({}, {})
    return [
        (Part(first, last, offset, raw.get(offset), points.get(offset)), min(size, count - i * size))
        for i, ((first, offset), last) in enumerate(zip(starts, ends))
    ]


#: From this many parts on, the split finds where their gzip members start, or builds
#: access points into a file gzipped as one stream: one more decompression of the file,
#: against each part decompressing the file up to its start (half the file on average) in
#: each of the two passes.
_SEEK_AID_PARTS = 3


def _seek_aids(uri: str, offsets: set[int], broken: bool) -> tuple[dict[int, int], dict[int, bytes]]:
    """Where each part of a gzip file can start decompressing: the compressed offset of
    the member it starts, or else an index slice (:mod:`cleaners.inputs.gzindex`). No index for a
    file whose stream breaks: indexed_gzip would read its cut-off end as the end. Not a
    gzip file, or not seekable: none."""
    with _open(uri) as handle:
        if handle.read(2) != GZIP_MAGIC or not handle.seekable():
            return {}, {}
        handle.seek(0)
        raw = _gzip_member_starts(handle, offsets)
        rest = offsets - set(raw) - {0}
        if broken or not rest:
            return raw, {}
        handle.seek(0)
        return raw, gzindex.access_points(handle, rest)


def _gzip_member_starts(handle: IO[bytes], offsets: set[int]) -> dict[int, int]:
    """For those decompressed ``offsets`` at which a gzip member of the file starts, the
    member's offset in the compressed file (``handle``: the file, at its start). The scan
    stops at the first offset inside a member (a file gzipped as one stream stops within
    its first part) or at a break: the offsets found before are sound, and the parts
    without one get access points or are read from the start."""
    found: dict[int, int] = {}
    pending = sorted(offsets - {0})  # the file's start needs no seek
    decompressor, out, position, member_ended = zlib.decompressobj(31), 0, 0, False
    try:
        while len(found) < len(pending) and out <= pending[len(found)] and (data := handle.read(_CHUNK)):
            while data and len(found) < len(pending) and out <= pending[len(found)]:
                if member_ended:  # a new member starts after any zero padding
                    stripped = data.lstrip(b"\0")
                    position, data = position + len(data) - len(stripped), stripped
                    if not data:
                        break
                    if out == pending[len(found)]:
                        found[out] = position
                    decompressor, member_ended = zlib.decompressobj(31), False
                out += len(decompressor.decompress(data, _CHUNK))  # bounded: a bomb stays small
                member_ended = decompressor.eof
                rest = decompressor.unused_data if member_ended else decompressor.unconsumed_tail
                position, data = position + len(data) - len(rest), rest
    except zlib.error:
        pass  # the reading pass reports the break; the offsets found so far are sound
    return found


def _items(uri: str, options: InputOptions, max_bytes: int, part: Part, build: bool) -> Iterator[Any]:
    """The documents of the file in ``part`` (``build``), or only ``(member, offset)`` of
    each (None for a one-document file)."""
    with _open(uri) as handle:
        stream = io.BufferedReader(handle, buffer_size=_CHUNK) if not hasattr(handle, "peek") else handle
        magic = stream.peek(2)[:2]
        named = options.format if options.format != "auto" else format_by_name(uri)
        if named == "parquet" or named is None and stream.peek(4)[:4] == PARQUET_MAGIC:  # read by seeking, never gzipped
            build_row = partial(_row_document, uri, fields=options.fields, container="parquet") if build else _where
            yield from _or_empty(uri, "Parquet", part, _parquet_rows(uri, stream, options.fields, max_bytes, part, build_row))
            return
        at_part = magic == GZIP_MAGIC and _seek_raw(stream, part)
        indexed = _indexed(stream, part) if magic == GZIP_MAGIC and not at_part else None
        # Decompressed here, not by warcio: GzipFile reads per-record gzip members (the WARC
        # convention) and a whole file gzipped at once alike; warcio refuses the latter.
        content: IO[bytes] = indexed or (gzip.GzipFile(fileobj=stream) if magic == GZIP_MAGIC else stream)
        fmt = options.format if options.format != "auto" else format_by_name(uri)
        head = b""
        if fmt is None or indexed is None:  # an indexed file was read whole by the split; a peek would decompress its start again
            try:
                head = content.peek(64)[:64] if hasattr(content, "peek") else b""
            except GZIP_ERRORS as exc:
                yield BadInput(uri, None, "corrupt_gzip", f"not a readable gzip stream: {type(exc).__name__}: {exc}")
                return
            fmt = fmt or sniff_format(head)
        if fmt not in CONTAINER_FORMATS:
            yield _whole_file(uri, content, fmt, max_bytes) if build else None
            return
        before = part.first - 1 if at_part else _seek_to(content, part)  # the member before the part
        if fmt == "jsonl":
            build_line = partial(_jsonl_document, uri, fields=options.fields, told={}) if build else _where
            yield from _or_empty(uri, "JSONL", part, _jsonl_lines(uri, content, max_bytes, part, build_line, before))
        elif fmt in TABLE_FORMATS:
            build_row = partial(_row_document, uri, fields=options.fields, container=fmt) if build else _where
            if fmt == "parquet":  # a gzipped Parquet file (rare): read through the decompressor
                rows = _parquet_rows(uri, content, options.fields, max_bytes, part, build_row)
            else:
                rows = _delimited_rows(uri, content, "\t" if fmt == "tsv" else ",", options.fields, max_bytes, part, build_row)
            yield from _or_empty(uri, fmt.upper() if fmt != "parquet" else "Parquet", part, rows)
        else:
            warc = _TruncationIsCorrupt(content) if content is not stream else content
            build_record = partial(_warc_document, uri, max_bytes=max_bytes) if build else _where
            arc = strip_gz(uri.split("?", 1)[0]).endswith(".arc") or head.lstrip().startswith(b"filedesc://")
            yield from _or_empty(uri, "WARC", part, _warc_records(uri, warc, part, build_record, before, arc))


def _seek_raw(stream: IO[bytes], part: Part) -> bool:
    """Moves a gzip file to the member the part starts, when the split found one."""
    if not part.raw_offset or not stream.seekable():
        return False
    stream.seek(part.raw_offset)
    return True


def _indexed(stream: IO[bytes], part: Part) -> IO[bytes] | None:
    """A reader that starts decompressing at the part's access point, when it has one that
    still fits the file (:mod:`cleaners.inputs.gzindex`)."""
    if part.gzip_index is None or not stream.seekable():
        return None
    return gzindex.open_at(stream, part.gzip_index)


def _seek_to(content: IO[bytes], part: Part) -> int:
    """Moves to the part's first member when its offset is known; returns the number of the
    member before it (0: reading from the start of the file)."""
    if part.offset <= 0 or not content.seekable():
        return 0
    content.seek(part.offset)
    return part.first - 1


def _where(number: int, _content: object, offset: int) -> tuple[int, int]:
    """Counting, not reading: a member's number and offset stand for the member."""
    return number, offset


def _or_empty(uri: str, kind: str, part: Part, items: Iterator[Any]) -> Iterator[Any]:
    """``items`` of the part, or one ``empty`` reject for the file when it holds nothing to
    report: an empty JSONL file (or one of blank lines), a WARC with no response or resource
    record. Like an empty text file, it is then accounted for, not silently absent from the
    run. Only the part that starts the file can say so.

    A reader that meets a break in the file reports it as the member it was reading; when
    that member is another part's (the line or record just after this part), that part
    reports it: the parts of a file give a break once, as a whole read does."""
    produced = False
    for item in items:
        produced = True
        if isinstance(item, BadInput) and item.member is not None and not part.holds(item.member):
            continue
        yield item
    if not produced and part.first == 1:
        what = {"JSONL": "not one non-blank line", "WARC": "no record but its header (warcinfo)"}.get(kind, "no row")
        yield BadInput(uri, None, "empty", f"the {kind} file holds {what}")


class _TruncationIsCorrupt:
    """A gzip stream on which a cut-off end raises ``BadGzipFile``, not ``EOFError``.

    warcio takes an ``EOFError`` from its stream for the archive's normal end: a truncated
    ``.warc.gz`` lost its last records without a word. As a ``BadGzipFile`` it becomes a
    ``malformed_warc`` reject that says where the file breaks, after the complete records."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        # read1: what one member's decompression gives, so the bytes before the cut still
        # arrive (a buffered read of 16 KiB lost them all with the error).
        return self._strict(self._stream.read1 if size > 0 else self._stream.read, size)

    def readline(self, size: int = -1) -> bytes:
        return self._strict(self._stream.readline, size)

    @staticmethod
    def _strict(read: Callable[[int], bytes], size: int) -> bytes:
        try:
            return read(size)
        except EOFError as exc:
            raise gzip.BadGzipFile(f"the gzip stream is cut off: {exc}") from exc

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _whole_file(uri: str, content: IO[bytes], fmt: str, max_bytes: int) -> InputDocument | BadInput:
    """A one-document file, read to at most ``max_bytes`` + 1 bytes (then only hashed)."""
    try:
        raw = content.read(max_bytes + 1)
        if len(raw) <= max_bytes:
            return InputDocument(uri=uri, raw=raw, format=fmt)
        digest, size = hashlib.sha256(raw), len(raw)
        while chunk := content.read(_CHUNK):  # hashed for the ledger, never held
            digest.update(chunk)
            size += len(chunk)
    except GZIP_ERRORS as exc:
        return BadInput(uri, None, "corrupt_gzip", f"the gzip stream is corrupt or truncated: {type(exc).__name__}: {exc}")
    return BadInput(uri, None, "too_large", f"{size} bytes is over the limit of {max_bytes} (limits.max_bytes)", digest.hexdigest(), size)


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


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)


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


def _warc_records(uri: str, stream: IO[bytes], part: Part, build: Callable[[int, Any, int], Any], number: int = 0, arc: bool = False) -> Iterator[Any]:
    """``build(record number, record, offset)`` of each record in ``part`` but the file's
    header (records before the part are passed over, not parsed), or the reason the file
    breaks. ``number``: of the record before the reader's position.

    A warcinfo record describes the file: it is no input. Every other record is one, and
    ``build`` tells a document from a skip (a request, a redirect, an image). A record
    warcio cannot parse ends the file: one reject says where. An ARC file (``arc``) is read
    as WARC: warcio converts its records, and its header becomes the warcinfo. Only then:
    in that mode warcio takes any line it cannot parse for an ARC record.
    """
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    archive = ArchiveIterator(stream, check_digests=False, no_record_parse=True, arc2warc=arc)  # see _read_http_block
    records = iter(archive)
    while True:
        where = number + 1  # the record being read: the next one, then (its payload) this one
        try:
            record = next(records)
            number = where
            if part.ended_before(number):
                return
            if record.rec_type == "warcinfo" or not part.holds(number):
                _read_past(record)
                continue
            item = build(number, record, archive.offset)  # in the try: reading the payload can fail too
            _read_past(record)
            yield item
        except StopIteration:
            return
        except OSError as exc:
            if not isinstance(exc, GZIP_ERRORS):
                raise  # storage trouble: the task is retried
            yield BadInput(uri, where, "malformed_warc", f"record {where}: corrupt gzip member ({exc}); the rest of the file is skipped")
            return
        except (ArchiveLoadFailed, Exception) as exc:  # noqa: BLE001 - warcio fails in many ways on broken records
            yield BadInput(uri, where, "malformed_warc", f"record {where} cannot be parsed ({type(exc).__name__}: {exc}); the rest of the file is skipped")
            return


def _read_past(record: Any) -> None:
    """Reads the rest of the record's block. Read here, whether the record is a document,
    one the reader passes over, or only counted, a break inside the block is reported as
    this record's in every read of the file (warcio would meet it when moving on, and it
    would be the next record's), and the part that holds it reports it (:func:`_or_empty`)."""
    while record.raw_stream.read(_CHUNK):
        pass


def _read_http_block(record: Any) -> None:
    """Parses the HTTP status line and headers at the start of a response record's block,
    when the block is an HTTP response: its WARC ``Content-Type`` is ``application/http``
    (or missing, as warcio assumes).

    warcio parses every http(s) response block as HTTP. A record whose block is the page
    itself (WARC ``Content-Type: text/html``: no HTTP block) then lost its first lines as
    a "status line" and "headers" and became a ``not_html`` reject; so records are read
    with ``no_record_parse`` and the HTTP block is parsed here, only where there is one.
    """
    declared = (record.rec_headers.get_header("Content-Type") or "").strip().lower()
    target = (record.rec_headers.get_header("WARC-Target-URI") or "").lower()
    if record.rec_type == "response" and record.length and target.startswith(("http:", "https:")) and (not declared or declared.startswith("application/http")):
        from warcio.statusandheaders import StatusAndHeadersParser  # warcio's lenient default (verify_http=False)

        record.http_headers = StatusAndHeadersParser(["HTTP/1.0", "HTTP/1.1"], verify=False).parse(record.raw_stream)


def _cut_off(uri: str, number: int, target: str | None, record: Any) -> BadInput | None:
    """The reject of a record its file ends inside (an uncompressed file cut short: warcio
    returns what there is), once its block was read."""
    missing = getattr(record.raw_stream, "limit", 0)  # block bytes its Content-Length promised and the file lacks
    if missing > 0:
        return BadInput(uri, number, "malformed_warc", f"record {number} ({target}) is cut off: the file ends {missing} bytes before the record does")
    return None


#: WARC record types that can hold a document: a page as fetched, a page stored as is, or
#: the text a crawler extracted from one (Common Crawl's WET files).
DOCUMENT_RECORDS = ("response", "resource", "conversion")


def _warc_document(uri: str, number: int, record: Any, _offset: int, max_bytes: int) -> InputDocument | BadInput | NotDocument:
    """The record as a document (an HTML page, or a WET record's text), the reason it is
    none (a skip: a request record, a redirect, an error page, a script or an image), or
    the reason it cannot be read (a reject). Its payload is read here."""
    headers = record.rec_headers
    target = headers.get_header("WARC-Target-URI")
    if record.rec_type not in DOCUMENT_RECORDS:
        return _skipped(uri, number, target, record, "not_document", f"a {record.rec_type} record", content_type=f"WARC {record.rec_type} record")
    _read_http_block(record)
    status = _http_status(record)
    if status is not None and 300 <= status < 400:
        location = record.http_headers.get_header("Location")
        return _skipped(uri, number, target, record, "redirect", f"an HTTP {status} redirect to {location or 'an unnamed location'}", http_status=status, location=location)
    if status is not None and not 200 <= status < 300:
        return _skipped(uri, number, target, record, "http_status", f"an HTTP {status} response", http_status=status)
    source = record.http_headers if record.http_headers is not None else headers
    content_type = source.get_header("Content-Type") or ""
    fmt = "text" if record.rec_type == "conversion" else "html" if "html" in content_type.lower() else None
    if fmt is None:
        return _skipped(uri, number, target, record, "not_document", f"{content_type or 'of no content type'}, not HTML", content_type=content_type or None)
    raw = record.content_stream().read(max_bytes + 1)
    if len(raw) > max_bytes:
        return BadInput(uri, number, "too_large", f"record {number} ({target}) is over the limit of {max_bytes} bytes (limits.max_bytes)")
    cut = _cut_off(uri, number, target, record)
    if cut is not None:
        return cut
    return InputDocument(
        uri=uri,
        raw=raw,
        format=fmt,
        url=target,
        member=number,
        container="warc",
        record_id=headers.get_header("WARC-Record-ID"),
        date=headers.get_header("WARC-Date"),
        content_type=content_type if fmt == "html" else None,
    )


def _http_status(record: Any) -> int | None:
    """The HTTP status of a response record with an HTTP block (None: none, or unreadable)."""
    if record.http_headers is None:
        return None
    try:
        return int(record.http_headers.get_statuscode())
    except (TypeError, ValueError):
        return None


def _skipped(uri: str, number: int, target: str | None, record: Any, reason: str, what: str, **facts: Any) -> NotDocument | BadInput:
    """A record that is no document, once its block was read (the file may end inside it:
    then it is the reject that says so)."""
    _read_past(record)
    cut = _cut_off(uri, number, target, record)
    if cut is not None:
        return cut
    return NotDocument(uri, number, reason, f"record {number} ({target or 'no target URI'}) is {what}", url=target, **facts)
