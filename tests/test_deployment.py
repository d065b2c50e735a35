"""The "Run it on a schedule" commands of docs/operating.md, run as written, against a real
Prefect server.

The commands are read from that page itself (so the documentation cannot drift from what
is tested) and run from the repository root with the project's ``prefect.toml``. Only the
environment differs from a user's shell: a temporary ``PREFECT_HOME``, a free port for
the server (``PREFECT_SERVER_API_PORT`` and ``PREFECT_API_URL``, which take precedence over
``prefect.toml``), and the one-off run writes to a temporary output folder.
Everything started here is stopped at the end, also when an assertion fails.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from .conftest import ROOT

DOC = ROOT / "docs" / "operating.md"
SECTION = "## Run it on a schedule"
LONG_RUNNING = ("server start", "worker start")
TIMEOUT = 300


def schedule_commands() -> list[str]:
    """The shell lines of the section's first ``bash`` block, without trailing comments."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [re.sub(r"\s+#.*$", "", line).strip() for line in block.splitlines() if line.strip()]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(proc: subprocess.Popen) -> None:
    """Stop a background command and everything it started (its own process group)."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
        except ProcessLookupError:
            return


def wait_until(check, what: str, timeout: float, proc: subprocess.Popen | None = None, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"{what}: the process exited with {proc.returncode}\n{log.read_text()[-3000:] if log else ''}")
        try:
            result = check()
        except httpx.HTTPError:
            result = None
        if result:
            return result
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout} s waiting for {what}\n{log.read_text()[-3000:] if log else ''}")


@pytest.fixture
def environment(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    venv_bin = str(Path(sys.executable).parent)
    env.update(
        PATH=venv_bin + os.pathsep + env.get("PATH", ""),  # what `source .venv/bin/activate` does
        VIRTUAL_ENV=str(Path(venv_bin).parent),
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_SERVER_API_PORT=str(port),
        PREFECT_API_URL=f"http://127.0.0.1:{port}/api",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
    )
    return env


@pytest.mark.prefect
def test_documented_schedule_commands_deploy_and_run_on_a_real_server(environment, tmp_path):
    commands = schedule_commands()
    assert commands[0] == "source .venv/bin/activate" and (Path(sys.executable).parent / "activate").exists()
    api = environment["PREFECT_API_URL"]
    out = tmp_path / "output"
    background: list[subprocess.Popen] = []
    results: dict[str, subprocess.CompletedProcess] = {}
    seconds: dict[str, float] = {}
    try:
        for line in commands[1:]:
            if "--param output=output" in line:
                line = line.replace("--param output=output", f"--param output={out}")
            argv = shlex.split(line)
            if any(marker in line for marker in LONG_RUNNING):
                log = tmp_path / f"{argv[1]}.log"
                proc = subprocess.Popen(argv, cwd=ROOT, env=environment, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
                background.append(proc)
                if "server start" in line:
                    wait_until(lambda: httpx.get(f"{api}/health", timeout=2).status_code == 200, "the Prefect server", 120, proc, log)
                else:
                    wait_until(lambda: _online_workers(api, "newsclean"), "the worker to come online", 60, proc, log)
                continue
            started = time.monotonic()
            done = subprocess.run(argv, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=TIMEOUT)
            seconds[line] = time.monotonic() - started
            assert done.returncode == 0, f"`{line}` failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            results[argv[1]] = done

        # the one-off run: completed, with the right files
        run_output = results["deployment"].stdout
        flow_run_id = re.search(r"UUID: ([0-9a-f-]{36})", run_output).group(1)
        assert "Flow run finished successfully in 'Completed'" in run_output
        state = httpx.get(f"{api}/flow_runs/{flow_run_id}").json()["state"]["type"]
        assert state == "COMPLETED"
        (run_dir,) = out.glob("run-*")
        manifest = json.loads((run_dir / "manifest.json").read_text())
        assert manifest["flow_run_id"] == flow_run_id
        assert manifest["counts"] == {"inputs": 5, "records": 5, "rejects": 0, "skipped": 0}
        records = [json.loads(line) for f in sorted(run_dir.glob("documents-*.jsonl")) for line in f.read_text().splitlines()]
        assert len(records) == 5 and all(r["text"] and r["pipeline"]["flow_run_id"] == flow_run_id for r in records)
        assert {Path(r["source"]["uri"]).name for r in records} == {p.name for p in (ROOT / "seeds").glob("*.txt")}
        assert (out / "ledger" / "runs" / f"{manifest['run_id']}.jsonl").exists()
        # the artifact command shows this run's summary
        assert flow_run_id in results["artifact"].stdout and "newsclean-run-summary" in results["artifact"].stdout

        # the nightly deployment: its schedule, and runs scheduled ahead by the server
        nightly = httpx.get(f"{api}/deployments/name/clean-corpus/nightly").json()
        (schedule,) = nightly["schedules"]
        assert schedule["schedule"]["cron"] == "30 2 * * *" and schedule["schedule"]["timezone"] == "Europe/Berlin"
        assert nightly["parameters"] == {"source": "seeds", "output": "output", "shard_size": 500}
        upcoming = wait_until(lambda: _scheduled_runs(api, nightly["id"]), "scheduled nightly runs", 60)
        assert all(r["expected_start_time"] > r["created"] for r in upcoming)
        # parameters are checked against the flow's signature when a run is created
        bad = subprocess.run(
            ["prefect", "deployment", "run", "clean-corpus/adhoc", "--param", "shard_size=0"],
            cwd=ROOT, env=environment, capture_output=True, text=True, timeout=TIMEOUT,
        )
        assert bad.returncode != 0 and "shard_size" in bad.stdout + bad.stderr
        print(f"\n`prefect deployment run ... --watch` took {seconds[[k for k in seconds if 'deployment run' in k][0]]:.1f} s")
    finally:
        for proc in reversed(background):
            stop(proc)
    assert all(proc.poll() is not None for proc in background)


def test_prefect_yaml_parameters_match_the_flow_signature():
    """Every deployment's entrypoint is the flow, and its parameters validate against it."""
    import yaml

    from flows.clean_corpus import clean_corpus

    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    deployments = {d["name"]: d for d in spec["deployments"]}
    assert set(deployments) == {"nightly", "adhoc"}
    for deployment in deployments.values():
        assert deployment["entrypoint"] == "flows/clean_corpus.py:clean_corpus"
        assert deployment["work_pool"]["name"] == "newsclean"
        parameters = deployment["parameters"]
        assert set(parameters) <= set(clean_corpus.parameters.properties)
        clean_corpus.validate_parameters(parameters)  # raises on a wrong name or type
    assert not deployments["adhoc"].get("schedules")
    assert deployments["nightly"]["concurrency_limit"] == 1


def _online_workers(api: str, pool: str) -> list:
    response = httpx.post(f"{api}/work_pools/{pool}/workers/filter", json={}, timeout=5)
    return [w for w in response.json() if w.get("status") == "ONLINE"] if response.status_code == 200 else []


def _scheduled_runs(api: str, deployment_id: str) -> list:
    body = {"flow_runs": {"deployment_id": {"any_": [deployment_id]}, "state": {"type": {"any_": ["SCHEDULED"]}}}, "limit": 10}
    return httpx.post(f"{api}/flow_runs/filter", json=body, timeout=5).json()
