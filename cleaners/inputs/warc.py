"""Reads web archives: WARC, WET and ARC files (through warcio), one document per response,
resource or conversion record, a skip (:class:`NotDocument`) per record that is no document
(a request, a redirect, an error page, an image), or the reason a record cannot be read. The
HTTP block of a response record is parsed here, only where there is one.
"""

from __future__ import annotations

import gzip
from typing import IO, Any, Callable, Iterator

from cleaners.inputs.documents import _CHUNK, GZIP_ERRORS, BadInput, InputDocument, NotDocument, Part

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
    would be the next record's), and the part that holds it reports it (:func:`cleaners.inputs.files._or_empty`)."""
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
