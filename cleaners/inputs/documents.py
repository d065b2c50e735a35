"""What reading input files yields: :class:`InputDocument` (a document's raw bytes),
:class:`BadInput` (a file or member that cannot be one: a reject), :class:`NotDocument` (a
member that is no document to clean: a skip) and :class:`Part` (a run of a container's
members, read by a task of its own); and what every format's reader shares (the gzip errors,
the read size).

The readers (:mod:`cleaners.inputs.jsonl`, :mod:`cleaners.inputs.tables`,
:mod:`cleaners.inputs.warc`) and the dispatch that picks one (:mod:`cleaners.inputs.files`,
which re-exports these names) import them from here.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass, field

from cleaners.inputs import gzindex

#: Errors a corrupt or truncated gzip stream raises (``BadGzipFile`` is an ``OSError``,
#: which must not be mistaken for a storage error and retried).
GZIP_ERRORS = (gzip.BadGzipFile, EOFError, zlib.error, gzindex.ZranError)
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
