"""Wall time of ``newsclean clean seeds --out <tmp>`` with no Prefect server running: the
command then starts a temporary server of its own, and a user waits for it on every run.

Each call is a fresh process, timed from start to exit. The first call of a version is
shown apart (its run cleans everything; with ``--fresh-home`` it also creates and migrates
a new Prefect database, as a machine's first call does); the later calls find every input
unchanged, which is the common second call, and their median is the figure to compare.

``--rev REV`` (repeatable) also times the code of an older commit, checked out in a
temporary git worktree and run with the same venv (``PYTHONPATH=<worktree> python -m
flows.cli``), in the same session and interleaved call by call with the working tree, so
the machine's load affects every version alike. Each version writes to its own output
folder. No server must answer at the URL the repository's ``prefect.toml`` names (4200):
if one does, the calls get ``PREFECT_API_URL`` of a closed port instead, so that the
temporary-server path is the one timed.

    .venv/bin/python benchmarks/startup.py [--runs 3] [--rev HEAD] [--fresh-home] [--source seeds]

Also checks after every call that no server process of the call is left running.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = Path(sys.executable)  # the venv this script runs in, for every version
MARK = "NEWSCLEAN_STARTUP_BENCH"  # in every call's environment, so its server processes can be found


def answers(url: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=1.0):
            return True
    except OSError:
        return False


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def leftover_servers(token: str) -> list[int]:
    """Prefect server processes whose environment carries this call's token."""
    import psutil

    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        try:
            if "prefect.server.api.server:create_app" in " ".join(proc.info["cmdline"] or ()) and proc.environ().get(MARK) == token:
                found.append(proc.pid)
        except psutil.Error:
            pass
    return found


class Version:
    def __init__(self, label: str, root: Path, out: Path) -> None:
        self.label, self.root, self.out = label, root, out
        self.seconds: list[float] = []

    def call(self, source: str, env: dict[str, str]) -> float:
        token = uuid.uuid4().hex
        command = [str(PYTHON), "-m", "flows.cli", "clean", source, "--out", str(self.out)]
        started = time.perf_counter()
        proc = subprocess.run(command, cwd=self.root, env={**env, "PYTHONPATH": str(self.root), MARK: token}, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if proc.returncode != 0:
            sys.exit(f"{self.label}: exit status {proc.returncode}\n{proc.stderr[-3000:]}")
        time.sleep(0.5)  # a server process that was told to stop gets the time to go
        if left := leftover_servers(token):
            print(f"  warning: {self.label} left server processes running: {left}", file=sys.stderr)
        self.seconds.append(seconds)
        return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="calls per version (default 3)")
    parser.add_argument("--rev", action="append", default=[], help="also time this commit (repeatable), e.g. HEAD")
    parser.add_argument("--source", default="seeds", help="what to clean, relative to each version's folder (default seeds)")
    parser.add_argument("--fresh-home", action="store_true", help="a new PREFECT_HOME per version: the first call migrates a new database")
    args = parser.parse_args()

    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    configured = env.get("PREFECT_API_URL") or tomllib.loads((ROOT / "prefect.toml").read_text())["api"]["url"]
    if answers(configured):
        env["PREFECT_API_URL"] = f"http://127.0.0.1:{closed_port()}/api"
        print(f"a server answers at {configured}: the calls use PREFECT_API_URL={env['PREFECT_API_URL']} (nothing there)")
        configured = env["PREFECT_API_URL"]

    scratch = Path(tempfile.mkdtemp(prefix="newsclean-startup-"))
    versions = [Version("working tree", ROOT, scratch / "out-working-tree")]
    worktrees = []
    try:
        for rev in args.rev:
            commit = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
            tree = scratch / f"rev-{commit}"
            subprocess.run(["git", "worktree", "add", "--detach", str(tree), rev], cwd=ROOT, capture_output=True, check=True)
            worktrees.append(tree)
            versions.append(Version(f"{rev} ({commit})", tree, scratch / f"out-{commit}"))
        homes = {v.label: scratch / f"home-{i}" for i, v in enumerate(versions)} if args.fresh_home else {}

        print(f"newsclean clean {args.source} --out <tmp>, no server at {configured}, {args.runs} calls per version, {os.cpu_count()} cores")
        for run in range(args.runs):
            order = versions if run % 2 == 0 else versions[::-1]  # alternate who goes first
            for version in order:
                call_env = {**env, "PREFECT_HOME": str(homes[version.label])} if homes else env
                seconds = version.call(args.source, call_env)
                print(f"  call {run + 1}  {version.label:24s} {seconds:6.2f} s", flush=True)

        width = max(len(v.label) for v in versions)
        print(f"\n{'version':{width}s}  first call  later calls{' ' * 12}median of later calls")
        for v in versions:
            later = v.seconds[1:]
            median = f"{statistics.median(later):.2f} s" if later else "-"
            print(f"{v.label:{width}s}  {v.seconds[0]:8.2f} s  {' '.join(f'{s:5.2f}' for s in later):22s}  {median}")
    finally:
        for tree in worktrees:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
