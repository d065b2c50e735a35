"""Prefect's temporary API server for one ``newsclean clean``, started early.

Left to Prefect, the temporary server starts lazily at the flow's first API call and the
command waits its whole start-up. :class:`TemporaryServer` starts it as soon as the
command line's checks pass, on the other core, while the CLI imports Prefect and the
flow. Nothing here imports Prefect at module level: that import is what the early start
overlaps. These are workarounds for Prefect 3.8.8's behaviour (see each docstring): check
them when Prefect is upgraded.
"""

from __future__ import annotations

import http.client
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path
from urllib.parse import urlsplit


def server_answers(url: str, timeout: float = 1.0) -> bool:
    """Whether anything listens at the host and port of ``url`` (a TCP connect, no request)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def configured_api_url() -> str | None:
    """``PREFECT_API_URL`` as Prefect's settings will resolve it, read without importing
    Prefect (a second): the environment, then ``.env``, ``prefect.toml`` and
    ``pyproject.toml`` in the working folder, then the active profile (Prefect 3.8's order
    of sources). Only a guess, to start the temporary server early: :func:`flows.cli._server_context`
    decides with Prefect's own settings."""
    if "prefect.settings" in sys.modules:  # imported already (a test's process): exact and free
        from prefect.settings import PREFECT_API_URL

        return PREFECT_API_URL.value()
    try:
        return api_url_without_prefect()
    except Exception:  # noqa: BLE001  (a guess must not stop the command)
        return None


def api_url_without_prefect() -> str | None:
    """What :func:`configured_api_url` reads before Prefect is imported."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]

    def toml(path: Path, *keys: str):
        try:
            value = tomllib.loads(path.read_text(encoding="utf-8"))
            for key in keys:
                value = value[key]
            return value
        except (OSError, ValueError, KeyError, TypeError):
            return None

    try:
        for line in Path(".env").read_text(encoding="utf-8").splitlines():
            key, _, value = line.strip().removeprefix("export ").partition("=")
            if key.strip() == "PREFECT_API_URL" and value.strip():
                return value.strip().strip("'\"")
    except (OSError, ValueError):
        pass
    url = toml(Path("prefect.toml"), "api", "url") or toml(Path("pyproject.toml"), "tool", "prefect", "api", "url")
    if url:
        return str(url)
    home = Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()
    profiles = Path(os.environ.get("PREFECT_PROFILES_PATH") or home / "profiles.toml").expanduser()
    active = os.environ.get("PREFECT_PROFILE") or toml(profiles, "active")
    url = toml(profiles, "profiles", str(active), "PREFECT_API_URL") if active else None
    return str(url) if url else None


class ServerFailed(RuntimeError):
    """The temporary Prefect server did not start."""


class TemporaryServer:
    """Prefect's temporary API server for one command, started as soon as the command
    line's checks pass, in parallel with this process's imports of Prefect and the flow.

    Left to Prefect (``SubprocessASGIServer``), it starts lazily at the flow's first API
    call and the flow waits its whole start-up: about 4 s on a 2-core machine, 3.5 of them
    importing ``prefect.server.api.server``. Started first, it imports on the other core
    while this process imports (about 2 s), then the flow waits only for what is left.
    Prefect's class is not used because importing it costs this process the same 3.5 s.

    The command line and environment mirror ``SubprocessASGIServer._run_uvicorn_command``
    of Prefect 3.8.8 (prefect/server/api/server.py), the port choice its
    ``find_available_port`` (a random free port of 8000-8999) and the new port on uvicorn's
    exit status 3 (the port was taken meanwhile); the readiness check is the same
    ``/api/health``. Check them when Prefect is upgraded. Stopped like Prefect stops it
    (SIGTERM, SIGKILL after 5 s): each database migration is one SQLite transaction, so even
    a kill during a first call's migration leaves the database at the last complete one.
    """

    PORTS = range(8000, 9000)
    STOP_SECONDS = 5.0
    RESTARTS = 3  # on exit status 3 (port taken); Prefect retries without limit

    def __init__(self, verbose: bool) -> None:
        self.verbose = verbose
        self.process: subprocess.Popen | None = None
        self.port: int | None = None
        self.refused: str | None = None  # the configured URL found not answering before the start
        self.used = False  # the flow ran on it (so Prefect's clients may hold logs and events for it)
        self._started_at = 0.0
        self._restarts = 0

    @classmethod
    def early(cls, verbose: bool) -> "TemporaryServer":
        """One started now unless a configured server seems to answer (a guess read without
        Prefect: :func:`flows.cli._server_context` decides). As a context, stopped at its end, also on
        an error (Ctrl-C: :class:`flows.interrupt.Interrupt` stops it with this process's other children)."""
        server = cls(verbose)
        guess = configured_api_url()
        if not (guess and server_answers(guess)):
            server.refused = guess
            try:
                server.start()
            except (ServerFailed, OSError):
                pass  # _server_context tries again, and says why if it fails
        return server

    def __enter__(self) -> "TemporaryServer":
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @classmethod
    def _free_port(cls) -> int:
        for _ in range(10):
            port = random.choice(cls.PORTS)
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                    return port
                except OSError:
                    pass
            time.sleep(random.uniform(0.1, 0.5))
        raise ServerFailed("no free port in 8000-8999")

    def start(self) -> None:
        """Start the server process unless it runs already; does not wait for it."""
        if self.process is not None:
            return
        import importlib.util

        prefect_dir = Path(importlib.util.find_spec("prefect").origin).parent  # not imported: a path lookup
        env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
        if not self.verbose:
            env.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")  # see flows.cli._silence_temporary_server
        if "prefect.settings" in sys.modules:  # settings made in this process (a test's), as Prefect passes them
            from prefect.settings import get_current_settings

            env.update(get_current_settings().to_environment_variables(exclude_unset=True))
        self.port = self._free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--app-dir", str(prefect_dir.parent), "--factory", "prefect.server.api.server:create_app",
             "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "error", "--lifespan", "on"],
            env=env, preexec_fn=_ended_with_this_process(),
        )
        self._started_at = time.monotonic()

    def wait(self, timeout: float) -> None:
        """Until the server answers ``/api/health``; ``timeout`` seconds from its start."""
        while True:
            status = self.process.poll()
            if status == 3 and self._restarts < self.RESTARTS:
                self._restarts += 1
                self.process = None
                self.start()
                continue
            if status is not None:
                raise ServerFailed(f"it exited with status {status}")
            if self._healthy():
                return
            if time.monotonic() - self._started_at > timeout:
                raise ServerFailed(f"it did not answer within {timeout:g} s ([server.ephemeral] startup_timeout_seconds)")
            time.sleep(0.05)

    def _healthy(self) -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
        try:
            connection.request("GET", "/api/health")
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def terminate(self) -> None:
        """Ask the server to stop, without waiting (:meth:`stop` waits)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def stop(self) -> None:
        """Stop the server and wait for it; first hand it what Prefect's clients still hold."""
        if self.process is None:
            return
        if self.used:
            drain_prefect_clients()
        process, self.process = self.process, None
        process.terminate()
        try:
            process.wait(timeout=self.STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _ended_with_this_process():
    """A ``preexec_fn`` that has Linux send the child SIGTERM when this process ends, however
    it ends (SIGKILL too), so a temporary server never outlives the command. None elsewhere,
    and once this process has threads: ``preexec_fn`` is not safe with threads."""
    if sys.platform != "linux" or threading.active_count() > 1:
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def set_parent_death_signal() -> None:
        prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # this process ended before the call
            os._exit(1)

    return set_parent_death_signal


def drain_prefect_clients(timeout: float = 10.0) -> None:
    """Send the logs and events Prefect's client workers still hold to the server before it
    stops (Prefect stops its own temporary server at exit, after these workers drain)."""
    try:
        from prefect.events.worker import EventsWorker
        from prefect.logging.handlers import APILogWorker

        APILogWorker.drain_all(timeout=timeout)
        EventsWorker.drain_all(timeout=timeout)
    except Exception:  # noqa: BLE001  (the run's record on a temporary server; the exit must not fail)
        pass
