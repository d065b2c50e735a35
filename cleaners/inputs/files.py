"""Reads input files into documents: picks a file's format (by name, else by its first
bytes) and its reader, gzip or not, and reads a one-document file (plain text, HTML) whole.

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

The readers of the containers are modules of their own: :mod:`cleaners.inputs.jsonl`,
:mod:`cleaners.inputs.tables` (CSV, TSV, Parquet) and :mod:`cleaners.inputs.warc` (WARC, WET,
ARC); the types they yield are in :mod:`cleaners.inputs.documents` and are re-exported here.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import zlib
from functools import partial
from typing import IO, Any, Iterator

import fsspec
from fsspec.implementations.local import LocalFileSystem

from cleaners.inputs import gzindex, jsonl
from cleaners.config import InputOptions
from cleaners.inputs.documents import _CHUNK, GZIP_ERRORS, WHOLE_FILE, BadInput, InputDocument, NotDocument, Part
from cleaners.inputs.jsonl import _jsonl_lines
from cleaners.inputs.rows import _row_document
from cleaners.inputs.tables import _delimited_rows, _parquet_rows
from cleaners.inputs.warc import _TruncationIsCorrupt, _warc_document, _warc_records

__all__ = [
    "BadInput", "CONTAINER_FORMATS", "DOCUMENT_FORMATS", "GZIP_ERRORS", "GZIP_MAGIC", "InputDocument", "NOT_GZIPPED",
    "NotDocument", "PARQUET_MAGIC", "Part", "SUFFIX_FORMATS", "TABLE_FORMATS", "WHOLE_FILE", "format_by_name",
    "is_container", "read_documents", "sniff_format", "split_container", "strip_gz",
]

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
#: Rejects that say the file's compressed stream breaks (after them, no index is built).
_BREAKS = ("corrupt_gzip", "malformed_warc")


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
            build_line = partial(jsonl._jsonl_document, uri, fields=options.fields, told={}) if build else _where
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
