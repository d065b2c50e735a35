"""Ctrl-C during ``newsclean clean``: a prompt exit with one line, and the run left to resume.

Prefect, on its own, waits for the shard in flight and then reports the crash to a server
the same Ctrl-C has stopped (see :class:`Interrupt`). This module is the command line's
answer: it has no Prefect import at module level (the report to a configured server
imports the client only when it is made).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading

from rich.console import Console
from rich.progress import Progress


#: Exit status of a run stopped by Ctrl-C: 128 + SIGINT, what a shell reports for it.
INTERRUPTED = 128 + signal.SIGINT
#: Seconds this process's children (the temporary Prefect server, Dask workers, HTML
#: extraction workers) get to end after SIGTERM before they are killed.
CHILD_STOP_SECONDS = 2.0
#: Seconds allowed to tell a configured Prefect server that the flow run crashed.
STATE_REPORT_SECONDS = 3.0


class Interrupt:
    """Ctrl-C during ``newsclean clean``: a prompt exit with one line and status 130.

    Left to Prefect, Ctrl-C took 60-90 s and printed hundreds of lines: the task runner
    waited for the shard in flight (CPU-bound, not interruptible), then the engine tried to
    report the crash to the temporary server, which the same Ctrl-C had already stopped (a
    terminal signals the whole process group), retrying the refused connection for about
    62 s (2+4+8+16+32 s) and ending in a ConnectError traceback (exit status 1).

    Instead the first SIGINT starts :meth:`_abort` on a thread (the main thread is left
    where it was): it prints the line, reports the flow run and its unfinished task runs
    Crashed to a configured server (one try, a few seconds at most; the temporary server is
    not asked), stops this process's children and ends the process with ``os._exit``,
    without waiting for the shard in flight. The run folder is left as a ``kill -9`` leaves it, which is what the
    resume is built for: committed shards are complete files with their ledger parts, the
    shard in flight is at most a ``.tmp-*`` file, and the owner process is gone, so the
    same command resumes the run. A second Ctrl-C ends the process at once.
    """

    def __init__(self, verbose: bool, console: Console) -> None:
        self.verbose = verbose
        self.console = console
        self.progress: Progress | None = None
        self.server_url: str | None = None  # a configured server that records the run
        self.run: dict = {}  # what the flow announced (RunProgress.announce)
        self.shards = (0, 0)  # cleaning shards done, of
        self._previous = None
        self._aborting: threading.Thread | None = None

    def __enter__(self) -> "Interrupt":
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc_info) -> None:
        if self._aborting is not None:  # the flow ended (or failed) meanwhile: still exit 130
            self._aborting.join()
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def _handle(self, signum, frame) -> None:
        if self._aborting is not None:
            os._exit(INTERRUPTED)
        self._aborting = threading.Thread(target=self._abort, name="newsclean-interrupt", daemon=True)
        self._aborting.start()

    def message(self) -> str:
        if "run_id" not in self.run:
            return "[yellow]interrupted:[/yellow] stopped before a run folder was made; nothing to resume"
        if self.run.get("complete"):
            return f"[yellow]interrupted:[/yellow] after the run was complete: {self.run['run_dir']}"
        done, total = self.shards
        counts = f" ({done} of {total} shards done)" if total else ""
        return f"[yellow]interrupted:[/yellow] run the same command again to resume {self.run['run_id']}{counts}"

    def _abort(self) -> None:
        try:
            if not self.verbose:
                logging.disable(logging.CRITICAL)  # Prefect's and Dask's threads, failing from now on
            if self.progress is not None:
                self.progress.stop()  # also shows the terminal's cursor again
            self.console.print(self.message(), soft_wrap=True, highlight=False)
            sys.stdout.flush()
            sys.stderr.flush()
            if not self.verbose:  # what this process's threads might still print
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 1)
                os.dup2(devnull, 2)
            if self.server_url and "flow_run_id" in self.run:
                report_crashed(self.server_url, self.run["flow_run_id"])
            stop_children()
        finally:
            os._exit(INTERRUPTED)


def report_crashed(url: str, flow_run_id: str) -> None:
    """Mark the flow run Crashed on the configured server, as Prefect does on Ctrl-C, and
    the task runs the server still has as running or pending (the shard in flight, which
    this process does not wait for: it stayed Running there); one try each."""
    try:
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, TaskRunFilter, TaskRunFilterState, TaskRunFilterStateType
        from prefect.client.schemas.objects import StateType
        from prefect.settings import PREFECT_API_URL, PREFECT_CLIENT_MAX_RETRIES, temporary_settings
        from prefect.states import Crashed

        message = "Interrupted (Ctrl-C); run the same command again to resume."
        with temporary_settings({PREFECT_API_URL: url, PREFECT_CLIENT_MAX_RETRIES: 0}):
            with get_client(sync_client=True, httpx_settings={"timeout": STATE_REPORT_SECONDS}) as client:
                client.set_flow_run_state(flow_run_id, Crashed(message=message), force=True)
                unfinished = client.read_task_runs(
                    flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
                    task_run_filter=TaskRunFilter(state=TaskRunFilterState(type=TaskRunFilterStateType(any_=[StateType.RUNNING, StateType.PENDING]))),
                )
                for task_run in unfinished:
                    client.set_task_run_state(task_run.id, Crashed(message=message), force=True)
    except Exception:  # noqa: BLE001  (the run's record is a courtesy; the exit must not wait)
        pass


def stop_children(timeout: float = CHILD_STOP_SECONDS) -> None:
    """SIGTERM every process this one started (and theirs), then SIGKILL what remains.

    Prefect's temporary server would outlive this process otherwise (its ``atexit`` stop is
    skipped by ``os._exit``). multiprocessing's resource tracker ignores SIGTERM and ends by
    itself once this process is gone; it is left alone."""
    import psutil

    try:
        children = psutil.Process().children(recursive=True)
    except psutil.Error:
        return
    stopping = []
    for child in children:
        try:
            if "multiprocessing.resource_tracker" in " ".join(child.cmdline()):
                continue
            child.terminate()
            stopping.append(child)
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(stopping, timeout=timeout)
    for child in alive:
        try:
            child.kill()
        except psutil.Error:
            pass
