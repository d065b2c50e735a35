"""HTML inputs: article extraction with metadata, after decoding and before the text cleaners.

Pure Python (no Prefect import). The bytes of a page are decoded first
(:func:`cleaners.inputs.decode.decode_html`); :func:`extract_html` runs trafilatura on the HTML
text and returns an :class:`Extraction` (text, which extractor produced it, metadata,
notes). The settings are data (:data:`TRAFILATURA_SETTINGS`, :data:`DATE_PARAMS`),
separate from the logic.

Time limit. A pathological page can keep lxml/trafilatura busy for minutes, and a Python
thread cannot be interrupted (the pipeline extracts inside Prefect worker *threads*, where
``SIGALRM`` is not available either: signal handlers only run on the main thread). So the
extraction runs in a worker subprocess (:class:`HtmlExtractor`): one persistent child per
calling thread, reused across documents, the HTML and the result pickled over pipes
(overhead measured by ``benchmarks/html_quality.py``). When a document runs over its limit
the child is killed, :class:`ExtractionTimeout` is raised (the caller turns it into a
reject record) and the next document gets a fresh child (~0.4 s to start: a new
interpreter importing trafilatura). ``time_limit=None`` extracts in the calling process,
without a limit (tests, debugging).

Fallback. trafilatura's own (it retries with recall settings and its internal
readability/jusText backups when its first pass looks short; needs ``lxml_html_clean``),
plus one retry with :data:`EMPTY_RETRY_SETTINGS` when the first pass returns nothing.
A fallback to a second extractor (readability-lxml, jusText) when trafilatura returns
little was measured on the development benchmark and did not beat trafilatura alone by
enough to pay for a second extraction of every page (``benchmarks/html_quality.py``).

Second opinion. trafilatura runs its own copy of readability on every page to compare with
its result; :class:`Extraction` keeps that article (``second_opinion``, at no extra cost),
and the cleaners remove a line readability leaves out when the line model doubts it too
(``boilerplate.disagree``): on the benchmark's HTML, +0.001 F1 on both sets.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import sys
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Union

#: trafilatura options for the article text. Data, not logic: the extractor reads it as is.
#: ``deduplicate`` must stay False: trafilatura's deduplication is nondeterministic.
TRAFILATURA_SETTINGS: dict[str, Any] = {
    "include_comments": False,
    "deduplicate": False,
    "output_format": "txt",
    "include_tables": True,
    "include_images": False,
    "include_links": False,
    "include_formatting": False,
    "favor_precision": False,
    "favor_recall": False,
    "fast": False,
}

#: Second try, only when the first gives no text at all (overrides of TRAFILATURA_SETTINGS).
#: Costs nothing on pages that extract; on the benchmark it rescues the one page of 971
#: where trafilatura's default gives nothing and favor_recall the whole article.
EMPTY_RETRY_SETTINGS: dict[str, Any] = {"favor_recall": True}

#: htmldate options for the ``date`` field. trafilatura's default ``max_date`` is *today*,
#: which makes the output depend on the day of the run; a fixed bound keeps it reproducible.
#: ``extensive_search`` (dates guessed from the page text) is off: on 80 bench pages it cost
#: about 30 ms a page (a third of the extraction) to find 6 more dates, half of them
#: year-only guesses ("2023-01-01"); where both settings found a date it was the same.
DATE_PARAMS: dict[str, Any] = {"original_date": True, "extensive_search": False, "max_date": "2099-12-31"}

#: Metadata fields copied from trafilatura's Document, in this order.
METADATA_FIELDS: tuple[str, ...] = ("title", "author", "date", "sitename", "url", "categories", "tags", "description")

#: Default per-document limit, seconds.
DEFAULT_TIME_LIMIT = 10.0

#: A worker child is replaced after this many documents (bounds lxml's memory growth).
MAX_DOCUMENTS_PER_WORKER = 1000

#: Seconds allowed for a new worker to start and import trafilatura (not part of the limit).
WORKER_START_TIMEOUT = 60.0

#: Directory holding the ``cleaners`` package (put on the worker's PYTHONPATH).
_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

MetadataValue = Union[str, list[str], None]

# ----------------------------------------------------------------------------- errors


class ExtractionError(Exception):
    """The HTML could not be extracted (the worker failed or died). ``reason`` is machine-readable."""

    reason = "extraction_error"


class ExtractionTimeout(ExtractionError):
    """The extraction ran over its time limit and was interrupted."""

    reason = "extraction_timeout"

    def __init__(self, message: str, time_limit: float) -> None:
        super().__init__(message)
        self.time_limit = time_limit


@dataclass(frozen=True)
class Extraction:
    """The text of one page and what is known about it."""

    text: str
    extractor: str
    metadata: dict[str, MetadataValue] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: The article readability found on the same page (trafilatura runs it on every page to
    #: compare with its own result), one line per block element; None when that pass did not
    #: run. A second opinion for the cleaners (``boilerplate.SecondOpinion``), not output.
    second_opinion: str | None = None


# ----------------------------------------------------------------------------- extraction (in process)


def _metadata(document: Any) -> dict[str, MetadataValue]:
    out: dict[str, MetadataValue] = {}
    for name in METADATA_FIELDS:
        value = getattr(document, name, None) if document is not None else None
        if isinstance(value, (list, tuple)):
            items = [str(v).strip() for v in value if v is not None and str(v).strip()]
            out[name] = items or None
        elif value is None or not str(value).strip():
            out[name] = None
        else:
            out[name] = str(value).strip()
    return out


def _options(settings: dict[str, Any], url: str | None, with_metadata: bool) -> Any:
    from trafilatura.settings import Extractor

    return Extractor(
        output_format=settings["output_format"],
        fast=settings["fast"],
        precision=settings["favor_precision"],
        recall=settings["favor_recall"],
        comments=settings["include_comments"],
        formatting=settings["include_formatting"],
        links=settings["include_links"],
        images=settings["include_images"],
        tables=settings["include_tables"],
        dedup=settings["deduplicate"],
        url=url,
        with_metadata=with_metadata,
        date_params=dict(DATE_PARAMS),
    )


def _trafilatura(html: str, url: str | None, settings: dict[str, Any], with_metadata: bool) -> tuple[str, Any, str | None]:
    """(text, trafilatura Document or None, readability's article or None). The text is the
    string ``trafilatura.extract`` returns with the same settings (rendered without the
    metadata header)."""
    import trafilatura
    from trafilatura.core import determine_returnstring

    options = _options(settings, url, with_metadata)
    with _readability_recorded() as found:
        document = trafilatura.bare_extraction(html, options=options)
    if document is None:
        return "", None, None
    options.with_metadata = False
    return determine_returnstring(document, options).strip(), document, block_text(found[-1]) if found else None


# ----------------------------------------------------------------------------- second opinion
#
# Unless it is told to be fast, trafilatura runs readability (its bundled copy of
# readability-lxml) on every page and compares the two articles to pick one
# (``trafilatura.external.compare_extraction``). That second article costs nothing more to
# keep: a thin wrapper around ``trafilatura.external.try_readability`` records what it
# returns, in a list per thread, while this module extracts. The wrapper returns the same
# tree, so trafilatura decides as before. A trafilatura without that function gives no
# second opinion (``Extraction.second_opinion`` is None) and nothing else changes.

_recording = threading.local()


def _recorded_readability(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def try_readability(tree: Any) -> Any:
        found = original(tree)
        sink = getattr(_recording, "sink", None)
        if sink is not None:
            sink.append(found)
        return found

    try_readability.__wrapped__ = original  # type: ignore[attr-defined]
    return try_readability


@contextlib.contextmanager
def _readability_recorded() -> Iterator[list[Any]]:
    """The trees trafilatura's readability pass returns inside the block (installs the
    wrapper on first use)."""
    import trafilatura.external as external

    current = getattr(external, "try_readability", None)
    if callable(current) and not hasattr(current, "__wrapped__"):
        external.try_readability = _recorded_readability(current)
    _recording.sink = found = []
    try:
        yield found
    finally:
        _recording.sink = None


#: Elements that start a new line in the text of readability's article.
_BLOCK_TAGS = frozenset({
    "p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr", "td", "th", "table",
    "ul", "ol", "section", "article", "figure", "figcaption", "dd", "dt", "header", "footer", "br",
})  # fmt: skip


def block_text(tree: Any) -> str | None:
    """The text of an lxml tree, a line break at each block element (inline elements keep
    their words together, and block elements never glue two words into one). Works on a
    copy: trafilatura may have taken the same tree as its article."""
    from copy import deepcopy

    from lxml import etree

    try:
        tree = deepcopy(tree)
        for element in tree.iter():
            if isinstance(element.tag, str) and element.tag in _BLOCK_TAGS:
                element.text = "\n" + (element.text or "")
                element.tail = "\n" + (element.tail or "")
        text = etree.tostring(tree, method="text", encoding="unicode", with_tail=False)
    except (AttributeError, TypeError, ValueError):  # not an lxml tree
        return None
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _extract_in_process(html: str, url: str | None = None) -> Extraction:
    """trafilatura on one page, in the calling process (no time limit)."""
    import trafilatura

    if not html or not html.strip():
        return Extraction(text="", extractor="trafilatura", metadata=_metadata(None), notes=["empty input"])
    notes: list[str] = []
    text, document, opinion = _trafilatura(html, url, TRAFILATURA_SETTINGS, with_metadata=True)
    extractor = "trafilatura"
    if not text and EMPTY_RETRY_SETTINGS:
        retry = {**TRAFILATURA_SETTINGS, **EMPTY_RETRY_SETTINGS}
        retry_text, _, retry_opinion = _trafilatura(html, url, retry, with_metadata=False)
        label = ",".join(sorted(k for k, v in EMPTY_RETRY_SETTINGS.items() if v is True)) or "retry"
        if retry_text:
            text, extractor, opinion = retry_text, f"trafilatura[{label}]", retry_opinion
            notes.append(f"trafilatura found no main text with its default settings; retried with {label}")
        else:
            notes.append(f"trafilatura found no main text (default settings, then {label})")
    if document is None:
        try:
            document = trafilatura.extract_metadata(html, default_url=url, date_config=dict(DATE_PARAMS))
        except Exception as exc:  # noqa: BLE001  (metadata is best effort)
            notes.append(f"metadata extraction failed: {type(exc).__name__}: {exc}")
    return Extraction(text=text, extractor=extractor, metadata=_metadata(document), notes=notes, second_opinion=opinion)


#: ``(html, url) -> Extraction``, run by the worker for each page. It travels with each
#: request (pickled by reference), so a test can hand the worker a deliberately slow one.
ExtractFn = Callable[[str, Union[str, None]], Extraction]


def _run_here(fn: ExtractFn, html: str, url: str | None) -> Extraction:
    """In the calling process, with the worker's error contract (no time limit)."""
    try:
        return fn(html, url)
    except Exception as exc:  # noqa: BLE001
        raise ExtractionError(f"extraction failed: {type(exc).__name__}: {exc}") from exc


# ----------------------------------------------------------------------------- worker process

#: The child runs this; it imports this module by name (never the parent's ``__main__``).
_WORKER_CODE = "import sys; from cleaners.inputs.extract import _serve; _serve(int(sys.argv[1]), int(sys.argv[2]))"


def _serve(read_fd: int, write_fd: int) -> None:
    """Child loop: receive (fn, html, url), send ("ok", Extraction) or ("error", message)."""
    from multiprocessing.connection import Connection

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business
    requests, replies = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    import trafilatura  # noqa: F401  (imported before "ready": not counted in any page's limit)

    replies.send(("ready", None))
    while True:
        try:
            request = requests.recv()
        except (EOFError, OSError):  # the parent is gone or closed us
            return
        if request is None:
            return
        try:
            fn, html, url = request
            replies.send(("ok", fn(html, url)))
        except Exception as exc:  # noqa: BLE001  (reported to the parent; the child lives on)
            replies.send(("error", f"{type(exc).__name__}: {exc}"))


_LIVE: weakref.WeakSet[HtmlExtractor] = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    for extractor in list(_LIVE):
        extractor.close()


class HtmlExtractor:
    """A worker subprocess that extracts pages one at a time, each under a time limit.

    The child is a fresh ``python`` running :func:`_serve` (``subprocess``, not
    ``multiprocessing``: nothing of the parent is forked, so it is safe from a threaded
    parent, and the parent's ``__main__`` is never re-imported). Requests and replies are
    pickled over two pipes. Start-up (interpreter + trafilatura import, ~0.4 s) happens
    once per child, outside any page's limit.

    Not thread-safe: use one per thread (:func:`extract_html` keeps one per calling thread).
    ``close()`` (or ``with HtmlExtractor() as ex:``) stops the child; so do garbage
    collection and interpreter exit.
    """

    def __init__(self, time_limit: float | None = DEFAULT_TIME_LIMIT, extract_fn: ExtractFn = _extract_in_process) -> None:
        self.time_limit = time_limit
        #: Called in the child as ``extract_fn(html, url) -> Extraction``; pickled by reference,
        #: so it must be a module-level function importable in the child (not from ``__main__``).
        self.extract_fn = extract_fn
        self._process: subprocess.Popen | None = None
        self._send: Any = None
        self._recv: Any = None
        self._served = 0
        #: Children replaced after a timeout or a crash (for monitoring).
        self.restarts = 0
        _LIVE.add(self)

    # -- lifecycle
    def _start(self) -> None:
        from multiprocessing.connection import Connection

        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in [_PACKAGE_ROOT, *sys.path] if isinstance(p, str) and p)
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", _WORKER_CODE, str(to_child_r), str(from_child_w)],
                pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL, env=env, close_fds=True,
            )
        except OSError as exc:
            for fd in (to_child_r, to_child_w, from_child_r, from_child_w):
                os.close(fd)
            raise ExtractionError(f"could not start the extraction worker: {exc}") from exc
        os.close(to_child_r)
        os.close(from_child_w)
        self._process = process
        self._send = Connection(to_child_w, readable=False)
        self._recv = Connection(from_child_r, writable=False)
        self._served = 0
        if not self._recv.poll(WORKER_START_TIMEOUT):
            self._kill()
            raise ExtractionError(f"the extraction worker did not start within {WORKER_START_TIMEOUT:.0f} s")
        try:
            self._recv.recv()
        except (EOFError, OSError) as exc:
            code = process.wait(5)
            self._kill()
            raise ExtractionError(f"the extraction worker died while starting (exit code {code})") from exc

    def _kill(self) -> None:
        process, send, recv = self._process, self._send, self._recv
        self._process = self._send = self._recv = None
        for conn in (send, recv):
            if conn is not None:
                conn.close()
        if process is not None:
            if process.poll() is None:
                process.kill()
            process.wait()

    def close(self) -> None:
        """Stop the worker (politely, then by force)."""
        process, send = self._process, self._send
        if process is None:
            return
        try:
            send.send(None)
        except (OSError, ValueError):
            pass
        try:
            process.wait(2)
        except subprocess.TimeoutExpired:
            pass
        self._kill()

    def __enter__(self) -> HtmlExtractor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001  (interpreter shutdown)
            pass

    # -- work
    def extract(self, html: str, url: str | None = None, time_limit: float | None = None) -> Extraction:
        """Extract one page; raises :class:`ExtractionTimeout` past the limit, :class:`ExtractionError` if the worker fails."""
        limit = self.time_limit if time_limit is None else time_limit
        if limit is None or limit <= 0:
            return _run_here(self.extract_fn, html, url)
        if self._process is not None and (self._served >= MAX_DOCUMENTS_PER_WORKER or self._process.poll() is not None):
            self.close()
        if self._process is None:
            self._start()
        try:
            self._send.send((self.extract_fn, html, url))
        except (OSError, ValueError) as exc:  # the child died between documents
            self._kill()
            self.restarts += 1
            raise ExtractionError(f"the extraction worker could not take the page: {exc}") from exc
        self._served += 1
        if not self._recv.poll(limit):
            self._kill()
            self.restarts += 1
            raise ExtractionTimeout(f"extraction did not finish within {limit:g} s; the worker was stopped", limit)
        try:
            status, payload = self._recv.recv()
        except (EOFError, OSError) as exc:
            code = self._process.poll() if self._process is not None else None
            self._kill()
            self.restarts += 1
            raise ExtractionError(f"the extraction worker died (exit code {code})") from exc
        if status != "ok":
            raise ExtractionError(f"extraction failed: {payload}")
        return payload


_local = threading.local()


def _thread_extractor() -> HtmlExtractor:
    extractor = getattr(_local, "extractor", None)
    if extractor is None:
        extractor = _local.extractor = HtmlExtractor()
    return extractor


def extract_html(html: str, url: str | None = None, time_limit: float | None = DEFAULT_TIME_LIMIT) -> Extraction:
    """Main text, metadata and notes of one HTML page (deterministic).

    ``time_limit`` (seconds) really interrupts the work: the extraction runs in this thread's
    worker subprocess, killed and replaced on timeout, which raises :class:`ExtractionTimeout`.
    Other failures of the worker raise :class:`ExtractionError`. ``time_limit=None`` runs in
    the calling process without a limit. An HTML page without article text is not an
    error: it gives ``text == ""`` with a note.
    """
    if time_limit is None:
        return _run_here(_extract_in_process, html, url)
    return _thread_extractor().extract(html, url, time_limit)


def shutdown_workers() -> None:
    """Stop the calling thread's worker (others stop when their thread ends or at exit)."""
    extractor = getattr(_local, "extractor", None)
    if extractor is not None:
        extractor.close()
        _local.extractor = None
