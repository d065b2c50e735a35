"""The worker subprocess that runs HTML extraction (:mod:`cleaners.inputs.extract`) under a time limit.

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
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import threading
import weakref
from typing import TYPE_CHECKING, Any, Callable, Union

if TYPE_CHECKING:
    from cleaners.inputs.extract import Extraction

#: Default per-document limit, seconds.
DEFAULT_TIME_LIMIT = 10.0

#: A worker child is replaced after this many documents (bounds lxml's memory growth).
MAX_DOCUMENTS_PER_WORKER = 1000

#: Seconds allowed for a new worker to start and import trafilatura (not part of the limit).
WORKER_START_TIMEOUT = 60.0

#: Directory holding the ``cleaners`` package (put on the worker's PYTHONPATH).
_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


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


#: ``(html, url) -> Extraction``, run by the worker for each page. It travels with each
#: request (pickled by reference), so a test can hand the worker a deliberately slow one.
ExtractFn = Callable[[str, Union[str, None]], "Extraction"]


def _run_here(fn: ExtractFn, html: str, url: str | None) -> Extraction:
    """In the calling process, with the worker's error contract (no time limit)."""
    try:
        return fn(html, url)
    except Exception as exc:  # noqa: BLE001
        raise ExtractionError(f"extraction failed: {type(exc).__name__}: {exc}") from exc


# ----------------------------------------------------------------------------- worker process

#: The child runs this; it imports this module by name (never the parent's ``__main__``).
_WORKER_CODE = "import sys; from cleaners.inputs.extraction_worker import _serve; _serve(int(sys.argv[1]), int(sys.argv[2]))"


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

    def __init__(self, time_limit: float | None = DEFAULT_TIME_LIMIT, extract_fn: ExtractFn | None = None) -> None:
        if extract_fn is None:  # trafilatura (imported here: cleaners.inputs.extract imports this module)
            from cleaners.inputs.extract import _extract_in_process as extract_fn
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


def shutdown_workers() -> None:
    """Stop the calling thread's worker (others stop when their thread ends or at exit)."""
    extractor = getattr(_local, "extractor", None)
    if extractor is not None:
        extractor.close()
        _local.extractor = None
