"""Task-runner choice: local threads by default, Dask for more than one machine.

``workers=0`` and no address: Prefect's thread pool in this process (cleaning is
CPU-bound Python, so this is one core; use it for small runs and deployments on one box).
``workers=N``: a temporary Dask LocalCluster of N single-threaded worker processes on
loopback. ``dask_address``: an existing Dask scheduler (``tcp://host:port``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import queue
import socket
import time
from contextlib import contextmanager, nullcontext
from typing import Iterator

from prefect.futures import PrefectFuture
from prefect.settings import PREFECT_API_URL
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner


#: Dask settings for the workers of the temporary LocalCluster. distributed's statistical
#: profiler samples every worker's stacks 100 times a second and keeps one call tree per
#: second for the last 1,000 seconds: on long cleaning shards (deep, varied stacks) that
#: history grew each worker by about 2.5 MB per shard (417 -> 470 MB over 20 shards of
#: 500 documents) and the sampling cost about 15% of the workers' time. Where the time
#: goes per cleaning step is what ``benchmarks/throughput.py`` reports. Workers of an
#: existing cluster keep their own settings (docs/operating.md, "Dask", says which one to change).
LOCAL_WORKER_CONFIG = {"distributed.worker.profile.enabled": False}


class SchedulerUnreachable(RuntimeError):
    """``dask_address`` names no scheduler that answers."""


#: Seconds to wait for a scheduler's port to accept a connection: a refused port or an
#: unknown host fails at once; only a host that drops packets takes this long.
SCHEDULER_PROBE_TIMEOUT = 5.0


def check_scheduler(address: str, timeout: float = SCHEDULER_PROBE_TIMEOUT) -> None:
    """Fail in seconds, with the address in the message, when nothing listens there.

    Without this a mistyped ``--dask-address`` surfaced after the Dask client's 30-second
    connect timeout, as a traceback from deep inside the flow, with a run folder already
    made. Only the TCP port is probed (``tcp://`` and ``tls://``; other transports are
    left to Dask); the default port is the scheduler's, 8786, as in Dask.
    """
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        host, port = parse_host_port(location, default_port=8786)
    except ValueError as exc:
        raise SchedulerUnreachable(f"{address!r} is not a Dask scheduler address (tcp://host:port): {exc}") from exc
    if scheme not in ("tcp", "tls"):
        return
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:  # refused, unknown host, unreachable network, timed out
        reason = exc.strerror or type(exc).__name__
        raise SchedulerUnreachable(f"no Dask scheduler answers at {address} ({host}:{port}): {reason}") from exc


def task_runner_for(workers: int = 0, dask_address: str | None = None) -> TaskRunner:
    if dask_address or workers > 0:
        from prefect_dask import DaskTaskRunner

        if dask_address:
            return DaskTaskRunner(address=dask_address)
        return DaskTaskRunner(
            cluster_kwargs={
                "n_workers": workers,
                "processes": True,
                "threads_per_worker": 1,
                "host": "127.0.0.1",
                "dashboard_address": "127.0.0.1:0",  # any free port: no clash with a running cluster
                "config": LOCAL_WORKER_CONFIG,  # to each worker's Nanny: set in the worker process
            }
        )
    return ThreadPoolTaskRunner(max_workers=1)


def reporting_api_url() -> str | None:
    """The API this process reports to: the configured one, else the temporary server that
    Prefect started for this process (``PREFECT_API_URL`` stays unset then)."""
    url = PREFECT_API_URL.value()
    if url:
        return url
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()  # the process's one instance, the one get_client() starts
    return server.api_url if server.running else None


@contextmanager
def running_pool(runner: TaskRunner) -> Iterator[TaskRunner]:
    """A fresh copy of ``runner``, entered, with this run's API URL where workers look.

    A Dask worker reports to the API its settings name: those of the task's serialised
    context, and its environment's ``PREFECT_API_URL``. Without a configured server both
    were empty (Prefect's temporary server leaves the setting unset), so each worker
    started a temporary server of its own (about 20 s: cleaning began at 62 s instead of 28
    s with 2 workers) and recorded its task runs there. So the URL is set in both for the
    pool's life: the cluster starts lazily, at the first task. The variable is removed
    afterwards, so that a later run in this process does not inherit the address of a
    temporary server that has since stopped.
    """
    from prefect.settings import temporary_settings

    url = reporting_api_url()
    saved = os.environ.get("PREFECT_API_URL")
    if saved is None and url:
        os.environ["PREFECT_API_URL"] = url
    settings = temporary_settings({PREFECT_API_URL: url}) if url and not PREFECT_API_URL.value() else nullcontext()
    try:
        with settings, runner.duplicate() as pool:
            yield pool
    finally:
        if saved is None:
            os.environ.pop("PREFECT_API_URL", None)


def _libc_malloc_trim():
    """glibc's ``malloc_trim``, or None on another C library."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_malloc_trim = _libc_malloc_trim()


def release_memory() -> None:
    """Free unreachable reference cycles, then hand the heap's free pages back to the OS.

    Task runs leave cycles (states, contexts, tracebacks) that Python's oldest-generation
    collection reaches rarely in a process holding this many long-lived objects; and the
    allocations of tasks and of the flow interleave on the heap, so glibc keeps freed
    pages it could return (``malloc_trim`` is what Dask's docs advise for the same).
    """
    gc.collect()
    if _malloc_trim is not None:
        _malloc_trim(0)


#: Least seconds between two :func:`release_memory` calls in :func:`as_finished`.
RELEASE_EVERY_SECONDS = 5.0


def as_finished(futures: list[PrefectFuture]) -> Iterator[PrefectFuture]:
    """Yield ``futures`` as they finish, keeping no reference to one once it is yielded.

    ``prefect.futures.as_completed`` holds every future, and with it every task's result,
    until the last one finishes: with one run profile per scanned shard that made the
    flow's peak memory grow with the corpus. Takes ownership of the list (it is emptied).

    Once the caller is done with a finished task, this calls :func:`release_memory` (at
    most every :data:`RELEASE_EVERY_SECONDS`): at 20,000 documents the cycles task runs
    leave added 50 MB to the flow's peak. A collection costs about 0.15 s here, against
    10-20 s for a shard of 500 documents.
    """
    finished: queue.SimpleQueue[PrefectFuture] = queue.SimpleQueue()
    count = len(futures)
    for future in futures:
        future.add_done_callback(finished.put)
    futures.clear()
    last_release = time.monotonic()
    for _ in range(count):
        yield finished.get()
        if time.monotonic() - last_release >= RELEASE_EVERY_SECONDS:
            release_memory()
            last_release = time.monotonic()
