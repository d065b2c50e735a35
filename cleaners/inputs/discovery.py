"""Finding input files: local paths, globs and fsspec URLs (reading them: :mod:`.inputs`).

Discovery is deterministic (sorted by URI) so that the same source always gives the same
shards. A source that does not exist is the user's mistake and raises
:class:`SourceError` with the path in the message; an input that exists but cannot be
read becomes a reject later, not a crash.
"""

from __future__ import annotations

import posixpath
from collections import Counter
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Iterable, Iterator, Sequence

import fsspec
from fsspec.core import url_to_fs

from cleaners.inputs.files import NOT_GZIPPED, SUFFIX_FORMATS

#: File name endings read as inputs when a folder is given (globs may select anything):
#: each format's endings, and the same gzipped (but Parquet's).
INPUT_SUFFIXES: tuple[str, ...] = tuple(
    ending + gz for ending, fmt in SUFFIX_FORMATS.items() for gz in ("", ".gz") if not (gz and fmt in NOT_GZIPPED)
)
#: The endings as a user reads them: ".txt .text .html ...".
INPUT_ENDINGS = " ".join(SUFFIX_FORMATS)

_GLOB_CHARS = set("*?[")


class SourceError(ValueError):
    """A source argument that names nothing readable."""


@dataclass(frozen=True, order=True)
class InputRef:
    """One input file: a URI any fsspec filesystem can open, and its size."""

    uri: str
    size: int


def _qualified(fs: fsspec.AbstractFileSystem, path: str) -> str:
    """A URI that reopens ``path``: plain for local files, protocol-prefixed otherwise.

    A local path is absolute and normalised ("main/../real/a.txt" is "/…/real/a.txt"): the
    tasks that read it may run in another working folder (a Dask worker), and so may the
    review page that reads it again, so it is not kept relative as the user typed it."""
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return posixpath.normpath(path) if protocol in ("file", "local") else fs.unstrip_protocol(path)


def _is_hidden(path: str, root: str | None = None) -> bool:
    """A hidden file, or (below ``root``, a folder being walked) a file in a hidden folder
    such as ``.git/`` or ``.cache/``."""
    parts = PurePosixPath(path).parts
    below = parts[len(PurePosixPath(root).parts) :] if root is not None else parts[-1:]
    return any(part.startswith(".") for part in below)


def _under(path: str, folders: Sequence[str]) -> bool:
    return any(path == f or path.startswith(f.rstrip("/") + "/") for f in folders)


def find_files(sources: str | Sequence[str], exclude: Sequence[str] = ()) -> tuple[list[InputRef], list[InputRef]]:
    """The input files under ``sources`` (folders, globs or files), and the other files of
    the source folders (a PDF, an image: a run lists them as skipped, ``unsupported_format``,
    rather than pass over them without a word); each sorted, no repeats. One walk of each
    folder (a bucket of millions of files is listed once). Hidden files and folders are
    neither; globs and single files name their inputs.

    ``exclude``: folders whose files are never inputs (the run's output and ledger: an output
    folder inside a source folder would otherwise be cleaned again by the next run).
    """
    if isinstance(sources, str):
        sources = [sources]
    if not sources:
        raise SourceError("no source given")
    found: dict[str, InputRef] = {}
    others: dict[str, InputRef] = {}
    for source in sources:
        if not str(source).strip():
            raise SourceError("an empty source names no file or folder (an unset variable?)")
        for ref, is_input in _discover_one(str(source), _paths_of(exclude)):
            (found if is_input else others).setdefault(ref.uri, ref)
    return sorted(found.values()), sorted(others.values())


def discover(sources: str | Sequence[str], exclude: Sequence[str] = ()) -> list[InputRef]:
    """The input files under ``sources`` (see :func:`find_files`)."""
    return find_files(sources, exclude)[0]


def unsupported(sources: str | Sequence[str], exclude: Sequence[str] = ()) -> list[InputRef]:
    """The files of the source folders whose ending is no input's (see :func:`find_files`)."""
    return find_files(sources, exclude)[1]


def ending_of(uri: str) -> str:
    return PurePosixPath(uri).suffix.lower() or "(no ending)"


def count_endings(refs: Iterable[InputRef]) -> Counter[str]:
    """Files by ending (".pdf": 3)."""
    return Counter(ending_of(ref.uri) for ref in refs)


def other_endings(sources: str | Sequence[str]) -> Counter[str]:
    """The files in the source folders that are not inputs, by ending (".pdf": 3): what a
    user who pointed at the wrong folder, or at a folder of PDFs, needs to hear."""
    return count_endings(unsupported(sources))


def describe_endings(counts: Counter[str]) -> str:
    """For example "6 files of other endings (.pdf 3, .png 2, .jpg 1)", most common first."""
    listed = ", ".join(f"{ending} {n}" for ending, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    total = sum(counts.values())
    return f"{total} file{'s' if total != 1 else ''} of other endings ({listed})"


def _paths_of(folders: Sequence[str]) -> list[str]:
    """``folders`` as their filesystems' ``find`` names paths (absolute, normalised)."""
    paths = []
    for folder in folders:
        try:
            paths.append(posixpath.normpath(url_to_fs(folder)[1]))
        except (ValueError, ImportError):  # an unknown protocol holds none of the inputs
            continue
    return paths


def _filesystem(source: str) -> tuple[fsspec.AbstractFileSystem, str]:
    try:
        return url_to_fs(source)
    except (ValueError, ImportError) as exc:  # "Protocol not known: foo", "Install s3fs to access S3"
        raise SourceError(f"cannot read {source!r}: {exc}") from exc


def _discover_one(source: str, exclude: Sequence[str] = ()) -> Iterator[tuple[InputRef, bool]]:
    """Each file ``source`` names, and whether it is an input (by its ending, in a folder)."""
    fs, path = _filesystem(source)
    if _GLOB_CHARS & set(path):
        matches = fs.glob(path, detail=True)
        if not matches:
            raise SourceError(f"the pattern {source!r} matches no file")
        for name, info in sorted(matches.items()):
            if info.get("type") == "file" and not _is_hidden(name):
                yield InputRef(_qualified(fs, name), int(info.get("size") or 0)), True
        return
    if not fs.exists(path):
        raise SourceError(f"source not found: {source!r}")
    if fs.isdir(path):
        for name, info in sorted(fs.find(path, detail=True).items()):
            if not _is_hidden(name, path) and not _under(name, exclude):
                yield InputRef(_qualified(fs, name), int(info.get("size") or 0)), name.lower().endswith(INPUT_SUFFIXES)
        return
    yield InputRef(_qualified(fs, path), int(fs.size(path) or 0)), True


#: Read errors that retrying will not cure: the input becomes a reject at once. Any other
#: ``OSError`` (a dropped connection, a timeout, an I/O error) is storage trouble that may
#: pass, and is raised so that the task reading the shard is retried.
PERMANENT_READ_ERRORS: tuple[type[OSError], ...] = (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)


def uris(refs: Iterable[InputRef]) -> list[str]:
    return [ref.uri for ref in refs]
