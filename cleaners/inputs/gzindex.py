"""Access points into a gzip file compressed as one stream, so that a part of it is
decompressed from near its own start instead of from the file's start.

A JSONL export is usually gzipped whole: one deflate stream, in which decompression can
only start at the beginning. Without an index, the k-th of n parts decompresses the k - 1
parts before it, so reading every part decompresses the file about n/2 times (in each of
the run's two passes): the cost grows with the square of the file's size. (A WARC.gz holds
one gzip member per record and needs none of this: :func:`cleaners.inputs.files._gzip_member_starts`.)

An access point, as in zlib's ``zran`` example, is a deflate block boundary: its
compressed offset and bit, its decompressed offset, and the 32 KiB of decompressed data
before it (the history the next blocks may refer to). ``indexed_gzip`` builds the points
in one decompression of the file and resumes decompression at any of them.

The split (:func:`access_points`) builds them once, then gives each part a *slice* of the
index: the file's starting point and the last point at or before the part's first member,
all that a reader of that part needs (about 5 KB once zlib-compressed, carried in the part
itself, so a Dask worker needs no shared index file). The reader (:func:`open_at`) imports
the slice, seeks, and decompresses at most one spacing of data it does not use.

The slice is cut from ``indexed_gzip``'s exported index, format version 1 (zran.c,
``zran_export_index``): a 35-byte header, 18 bytes per point, then the window of each point
that has one. Any other version, or an index that no longer matches the file (it changed
after the split), gives no slice or no reader, and the part is read from the file's start
as before: slower, never wrong.

``indexed_gzip`` raises every failure as a ``ZranError``, the file's own read errors too
(chained as the cause). A corrupt stream is a reject; a dropped connection is storage
trouble that the task retries. So the file's errors are raised as themselves here
(:func:`raise_file_failure`), and only the stream's own breaks stay ``ZranError``.
"""

from __future__ import annotations

import io
import struct
import zlib
from typing import IO, Any, Callable, Iterable

from indexed_gzip import IndexedGzipFile
from indexed_gzip.indexed_gzip import ZranError

#: ``magic, version, flags, compressed size, decompressed size, spacing, window size, points``
_HEADER = struct.Struct("<5sBBQQIII")
#: ``compressed offset, decompressed offset, bits, has a window``
_POINT = struct.Struct("<QQBB")
_MAGIC, _VERSION = b"GZIDX", 1

#: Points are at least this far apart: closer, the index holds a 32 KiB window per
#: 256 KiB of text. A part decompresses on average half a spacing that it does not use.
MIN_SPACING = 256 << 10
MAX_POINTS = 4096
_MAX_SPACING = 1 << 30  # the index stores the spacing as 32 bits
#: The spacing a reader adds points at as it reads on (a slice's header says this one).
#: A read call of indexed_gzip costs about one spacing more than it returns (measured on
#: 196 MB read in 1 MiB calls: 2.95 s with points 8 MiB apart, 1.13 s at 1 MiB; GzipFile
#: 0.72 s), so points stay close while reading and the reads are ``_READ_BUFFER`` long.
READ_SPACING = 1 << 20
_READ_BUFFER = 4 << 20


def spacing_for(offsets: Iterable[int]) -> int:
    """Half the mean distance between the parts' starts: about two points per part, so a
    part decompresses on average a quarter of a part's size before its own start. At most
    ``MAX_POINTS`` points (their windows are held while the index is built: 128 MiB)."""
    ordered = sorted(offsets)
    if len(ordered) < 2:
        return MIN_SPACING
    span = ordered[-1] - ordered[0]
    gap = span // (len(ordered) - 1)
    return max(MIN_SPACING, min(max(gap // 2, span // MAX_POINTS), _MAX_SPACING))


def access_points(handle: IO[bytes], offsets: Iterable[int]) -> dict[int, bytes]:
    """For each decompressed offset of ``offsets``, the index slice (zlib-compressed) a
    reader starting there needs; offsets before the first point after the file's start are
    left out (reading them from the start costs at most one spacing).

    ``handle``: the gzip file, open in binary mode and seekable. Call it only on a file
    already read whole without a break: ``indexed_gzip`` builds an index of a cut-off
    file without complaint, and reads it to the cut as if that were the end.
    """
    wanted = sorted(set(offsets) - {0})
    if not wanted:
        return {}
    index = io.BytesIO()
    try:
        with IndexedGzipFile(fileobj=_PythonLevel(handle), spacing=spacing_for([0, *wanted]), readbuf_size=_READ_BUFFER, buffer_size=_READ_BUFFER) as indexed:
            indexed.build_full_index()
            indexed.export_index(fileobj=index)
    except ZranError as exc:
        raise_file_failure(exc)
        return {}  # not a gzip stream indexed_gzip can read: the parts read from the start
    return _slices(index.getvalue(), wanted)


def _slices(index: bytes, offsets: list[int]) -> dict[int, bytes]:
    header = _HEADER.unpack_from(index)
    magic, version, window, count = header[0], header[1], header[6], header[7]
    if magic != _MAGIC or version != _VERSION:
        return {}
    points, position = [], _HEADER.size + count * _POINT.size
    for k in range(count):
        point = _POINT.unpack_from(index, _HEADER.size + k * _POINT.size)
        data = index[position : position + window] if point[3] else b""
        position += len(data)
        points.append((point, data))
    if not points or points[0][0][1] != 0:
        return {}
    slices: dict[int, bytes] = {}
    by_point: dict[int, bytes] = {}  # parts that share a point share its slice
    k = 0
    for offset in offsets:  # sorted: the point before each is found in one sweep
        while k + 1 < count and points[k + 1][0][1] <= offset:
            k += 1
        if k:
            if k not in by_point:
                by_point[k] = _slice(header, (points[0], points[k]))
            slices[offset] = by_point[k]
    return slices


def _slice(header: tuple, kept: tuple[tuple[tuple, bytes], ...]) -> bytes:
    """An index of only the ``kept`` points (each with its window), zlib-compressed, whose
    header tells the reader to add points every ``READ_SPACING`` as it reads on."""
    raw = _HEADER.pack(*header[:5], READ_SPACING, header[6], len(kept))
    raw += b"".join(_POINT.pack(*point) for point, _ in kept) + b"".join(window for _, window in kept)
    return zlib.compress(raw, 6)


class _PythonLevel:
    """The file as ``read``/``seek``/``tell`` only. Given an object with ``fileno()``,
    indexed_gzip reads through a C stream of its own on the same descriptor, which moves
    the descriptor under the Python file's buffer: a read that falls back to ``GzipFile``
    after it then decompresses from the wrong place."""

    mode = "rb"

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle

    def read(self, size: int = -1) -> bytes:
        return self._handle.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._handle.seek(offset, whence)

    def tell(self) -> int:
        return self._handle.tell()

    def seekable(self) -> bool:
        return True


def raise_file_failure(exc: BaseException) -> None:
    """Raises the error of the file's own read that ``exc`` wraps, if it wraps one (storage
    trouble: a dropped connection); returns when the gzip stream itself is at fault."""
    if exc.__cause__ is not None:
        raise exc.__cause__


class _FileFailuresRaised:
    """The indexed reader, with the file's own read errors raised as themselves (see
    :func:`raise_file_failure`): as ``ZranError`` they would pass for a corrupt stream, and
    a dropped connection would reject the rest of the part instead of retrying it."""

    def __init__(self, reader: IndexedGzipFile) -> None:
        self._reader = reader

    def _call(self, method: Callable[..., Any], *args: Any) -> Any:
        try:
            return method(*args)
        except ZranError as exc:
            raise_file_failure(exc)
            raise

    def read(self, size: int = -1) -> bytes:
        return self._call(self._reader.read, size)

    def read1(self, size: int = -1) -> bytes:
        return self._call(self._reader.read1, size)

    def readline(self, size: int = -1) -> bytes:
        return self._call(self._reader.readline, size)

    def peek(self, size: int = 0) -> bytes:
        return self._call(self._reader.peek, size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._call(self._reader.seek, offset, whence)

    def tell(self) -> int:
        return self._call(self._reader.tell)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)


def open_at(handle: IO[bytes], index_slice: bytes) -> IO[bytes] | None:
    """A seekable reader of the decompressed file that starts decompressing at the slice's
    point; None when the slice does not fit the file (it changed after the split), with
    ``handle`` back where it was. The file's own read errors are raised as themselves."""
    start = handle.tell()
    reader = IndexedGzipFile(fileobj=_PythonLevel(handle), readbuf_size=_READ_BUFFER, buffer_size=_READ_BUFFER)
    try:
        reader.import_index(fileobj=io.BytesIO(zlib.decompress(index_slice)))
    except (ZranError, zlib.error) as exc:
        reader.close()
        raise_file_failure(exc)
        handle.seek(start)
        return None
    return _FileFailuresRaised(reader)  # type: ignore[return-value]  # the IO calls the readers make


def point_of(index_slice: bytes) -> tuple[int, int]:
    """``(compressed offset, decompressed offset)`` of the access point a slice starts at:
    the reader needs no compressed byte before the first of them (nor the one byte
    before it when the point starts mid-byte)."""
    raw = zlib.decompress(index_slice)
    compressed, decompressed, _bits, _window = _POINT.unpack_from(raw, _HEADER.size + _POINT.size)
    return compressed, decompressed
