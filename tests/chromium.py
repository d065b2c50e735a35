"""Headless Chromium for tests that must see what a browser sees (the report's script).

Chromium is a system package (``apt-get install -y chromium``), not a Python dependency.
Without it, a browser test skips on a developer machine but fails in CI (``CI=true``):
a CI run that silently skipped the only check of the page's JavaScript would prove nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

#: Flags for an offline, sandboxless (containers run as root), reproducible browser.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
)

#: Virtual time the page gets to run its scripts before the DOM is dumped (ms).
SCRIPT_BUDGET_MS = 5000


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def require_chromium() -> str:
    """The chromium executable; a missing browser fails in CI and skips elsewhere."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    message = "headless Chromium is not installed (apt-get install -y chromium)"
    if in_ci():
        pytest.fail(message + ": CI must run the browser tests", pytrace=False)
    pytest.skip(message + "; the report's browser tests were not run")


@dataclass(frozen=True)
class BrowserRun:
    stdout: str
    stderr: str

    def console_lines(self) -> list[str]:
        """Messages the page wrote to the console (errors, uncaught exceptions)."""
        return [line for line in self.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def run_chromium(args: list[str], profile: Path, timeout: float = 120) -> BrowserRun:
    """Runs headless Chromium once with a throw-away profile folder."""
    exe = require_chromium()
    cmd = [exe, *FLAGS, f"--user-data-dir={profile}", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise AssertionError(f"chromium exited with {done.returncode}: {done.stderr[-2000:]}")
    return BrowserRun(done.stdout, done.stderr)


def dump_dom(url: str, profile: Path) -> BrowserRun:
    """The page's DOM after its scripts ran (``stdout``), and the browser log (``stderr``)."""
    return run_chromium([f"--virtual-time-budget={SCRIPT_BUDGET_MS}", "--dump-dom", url], profile)


def screenshot(url: str, out: Path, profile: Path, size: str = "1280,2000") -> BrowserRun:
    """A PNG of the page's first ``size`` pixels, taken after its scripts ran."""
    return run_chromium([f"--virtual-time-budget={SCRIPT_BUDGET_MS}", f"--screenshot={out}", f"--window-size={size}", url], profile)
