"""Shared fixtures: a real Prefect test server for the session and one seeds run.

Prefect settings must be in the environment before Prefect is first imported, so they are
set here at import time: a private PREFECT_HOME (no state leaks between test runs or into
the user's ~/.prefect) and analytics off (the machines have no internet).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable

from fsspec.implementations.local import LocalFileSystem

_HOME = tempfile.mkdtemp(prefix="newsclean-prefect-home-")
os.environ["PREFECT_HOME"] = _HOME
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.pop("PREFECT_API_URL", None)

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


def article_html(text: str, title: str | None = None) -> str:
    """A minimal HTML page whose <article> holds the long lines of ``text`` as paragraphs."""
    head = f"<html><head><title>{title}</title></head><body>" if title else "<html><body>"
    return head + "<article>" + "".join(f"<p>{p}</p>" for p in text.split("\n") if len(p) > 80) + "</article></body></html>"


def task_runs(flow_run_id: str, until: Callable[[list[dict]], bool] = lambda runs: True, timeout: float = 30.0) -> list[dict]:
    """Every task run of a flow run, as the Prefect server reports it, once ``until`` holds.

    Task runs reach the server as events, persisted asynchronously: right after the flow
    returns, a loaded machine may not show the last one yet (a CI run once saw 2 of 3
    clean-shard tasks). So the caller says what it waits for; after ``timeout`` seconds
    the last answer is returned and the test's own assertion reports what is missing.
    """
    from prefect.client.orchestration import get_client

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while True:
            response = client.request("POST", "/task_runs/filter", json={"flow_runs": {"id": {"any_": [flow_run_id]}}})
            runs = response.json()
            if until(runs) or time.monotonic() > deadline:
                return runs
            time.sleep(0.2)


@pytest.fixture(scope="session")
def prefect_server():
    """A real Prefect API server (temporary database) for every flow test."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
    shutil.rmtree(_HOME, ignore_errors=True)


def pytest_configure(config):
    config.addinivalue_line("markers", "prefect: needs a Prefect server or starts one (a flow run, the CLI); `make test-fast` leaves these out")
    config.addinivalue_line("markers", "slow: takes several seconds without Prefect (retrains, subprocesses); `make test-fast` leaves these out")


def pytest_collection_modifyitems(config, items):
    """Every test that uses the Prefect test server is a ``prefect`` test: the fast tier
    (``make test-fast``) is what runs without one."""
    for item in items:
        if "prefect_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.prefect)


@pytest.fixture(scope="session")
def seed_records(tmp_path_factory) -> dict[str, dict]:
    """The seeds cleaned without Prefect, as the flow's tasks clean them (one first pass over
    all of them for the run profile, then the cleaning pass), by seed number ("003")."""
    from cleaners.run import shards as batch
    from cleaners.run.folders import RunContext
    from cleaners.config import CleanConfig
    from cleaners.pipeline import RunInfo

    config = CleanConfig()
    seeds = [str(p) for p in sorted(SEEDS.glob("*.txt"))]
    profile = batch.profile_shard(seeds, config)
    out = tmp_path_factory.mktemp("seed-records")
    summary = batch.clean_shard(0, seeds, RunContext.direct(str(out), config, RunInfo(config.config_hash(), processed_at="test")), profile)
    records = [json.loads(line) for line in (out / summary.file).read_text(encoding="utf-8").splitlines()]
    return {Path(r["source"]["uri"]).name[:3]: r for r in records}


@pytest.fixture(scope="session")
def seed_run(prefect_server, tmp_path_factory):
    """The clean-corpus flow run once over seeds/: run folder, manifest, records by seed."""
    from flows.clean_corpus import clean_corpus

    out = tmp_path_factory.mktemp("seed-output")
    result = clean_corpus(source=str(SEEDS), output=str(out), shard_size=2)
    run_dir = Path(result["run_dir"])
    records = {}
    for shard in sorted(run_dir.glob("documents-*.jsonl")):
        for line in shard.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            records[Path(record["source"]["uri"]).name[:3]] = record
    return {"run_dir": run_dir, "manifest": result["manifest"], "records": records}


class LocalUnderProtocol(LocalFileSystem):
    """Local files under a protocol of their own (``protocol = ("name",)``), so that a test
    can make a real fsspec filesystem misbehave the way remote storage does."""

    @classmethod
    def _strip_protocol(cls, path):
        return super()._strip_protocol(str(path).removeprefix(f"{cls.protocol[0]}://"))

    def unstrip_protocol(self, name: str) -> str:
        return f"{self.protocol[0]}://{self._strip_protocol(name)}"
