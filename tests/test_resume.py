"""Crash safety: `newsclean clean` killed with SIGKILL mid-run, then the same command again.

The first process is a real subprocess, killed (with everything it started) once a few
shards are committed. The second run resumes the unfinished run folder: in the end every
document is in exactly one record, there is one complete run folder, and no temporary or
partial file is left anywhere in the output.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .conftest import ROOT, SEEDS, task_runs

DOCUMENTS = 40


def corpus(folder: Path) -> list[str]:
    seeds = sorted(SEEDS.glob("*.txt"))
    names = []
    for i in range(DOCUMENTS):
        text = seeds[i % len(seeds)].read_text(encoding="utf-8")
        name = f"doc-{i:03d}.txt"
        (folder / name).write_text(f"{text}\n\nUpdate {i}: the council will publish the minutes of meeting number {i} next week.\n", encoding="utf-8")
        names.append(name)
    return names


def wait_for_committed_shards(process: subprocess.Popen, parts: Path, n: int) -> int:
    """Wait until the run has committed ``n`` shards (their ledger summaries); return how
    many it has."""
    deadline = time.monotonic() + 300
    while len(list(parts.glob("*.summary.json"))) < n:
        assert process.poll() is None, "the run ended before it could be stopped"
        assert time.monotonic() < deadline, "no shard committed in time"
        time.sleep(0.02)
    return len(list(parts.glob("*.summary.json")))


def resumed_run(out: Path, run_dir: Path, names: list[str]) -> tuple[dict, list[dict]]:
    """The manifest and records of the one run folder under ``out``: ``run_dir``, resumed
    (two flow runs) and complete, with every document exactly once."""
    (found,) = out.glob("run-*")
    assert found == run_dir
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["counts"] == {"inputs": DOCUMENTS, "records": DOCUMENTS, "rejects": 0, "skipped": 0}
    assert len(manifest["flow_run_ids"]) == 2
    records = [json.loads(line) for f in sorted(run_dir.glob("documents-*.jsonl")) for line in f.read_text().splitlines()]
    assert sorted(Path(r["source"]["uri"]).name for r in records) == names  # each exactly once
    return manifest, records


def test_kill_9_then_the_same_command_gives_every_record_exactly_once(prefect_server, tmp_path):
    from prefect.settings import PREFECT_API_URL

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    names = corpus(src)
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    command = [str(Path(sys.executable).parent / "newsclean"), "clean", str(src), "--out", str(out), "--shard-size", "2"]

    first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    parts = out / "ledger" / "parts"
    wait_for_committed_shards(first, parts, 3)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    (killed_dir,) = out.glob("run-*")
    assert not (killed_dir / "manifest.json").exists()
    committed = len(list(parts.glob("*.summary.json")))
    assert 3 <= committed < DOCUMENTS // 2

    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr[-3000:]

    run_dir = killed_dir
    manifest, records = resumed_run(out, run_dir, names)
    assert sorted(p.name for p in run_dir.glob("documents-*.jsonl")) == [s["file"] for s in manifest["shards"]]
    # kept shards were not cleaned again: their records carry the first flow run's id
    assert {r["pipeline"]["flow_run_id"] for r in records} == set(manifest["flow_run_ids"])
    leftovers = [p for p in out.rglob("*") if ".tmp-" in p.name]
    assert leftovers == []
    assert list(parts.iterdir()) == []
    ledger = [json.loads(line) for line in (out / "ledger" / "runs" / f"{manifest['run_id']}.jsonl").read_text().splitlines()]
    assert sorted(Path(e["source"]).name for e in ledger) == names
    # near-duplicates over the kept and the new shards alike: doc i is seed i % 5 with one more
    # line, so doc-000..004 open the five clusters and every later doc joins its seed's
    by_name = {Path(r["source"]["uri"]).name: r for r in records}
    for i, name in enumerate(names):
        first = by_name[names[i % 5]]
        assert (by_name[name]["near_duplicate"] or {}).get("cluster") == (None if i < 5 else first["id"]), name
    assert manifest["near_duplicates"]["copies"] == DOCUMENTS - 5 and manifest["near_duplicates"]["clusters"] == 5


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_ctrl_c_stops_at_once_with_one_line_and_the_same_command_resumes(prefect_server, tmp_path):
    """Ctrl-C during cleaning, sent to the process group as a terminal sends it, on the
    temporary Prefect server a user without a server gets (the same Ctrl-C stops it).

    It took over a minute (the engine retried reporting the crash to that stopped server
    for ~62 s) and printed ~380 lines of ConnectError tracebacks with exit status 1. Now:
    status 130 at once, one line naming the run to resume, no process left behind, and
    the same command finishes the run, keeping the shards committed before the Ctrl-C.
    """
    from prefect.settings import PREFECT_API_URL

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    names = corpus(src)
    command = [sys.executable, "-c", "from flows.cli import main; main()", "clean", str(src), "--out", str(out), "--shard-size", "1"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env["PYTHONPATH"] = str(ROOT)
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    env["PREFECT_API_URL"] = "http://127.0.0.1:9/api"  # nothing there: a temporary server

    first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    committed = wait_for_committed_shards(first, out / "ledger" / "parts", 3)
    os.killpg(first.pid, signal.SIGINT)
    try:
        stdout, stderr = first.communicate(timeout=30)  # generous: it takes about a second
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    assert first.returncode == 130, stderr[-3000:]
    deadline = time.monotonic() + 15
    while _group_alive(first.pid):  # the temporary server (and any worker) is gone too
        assert time.monotonic() < deadline, "processes of the interrupted run are still running"
        time.sleep(0.1)

    (run_dir,) = out.glob("run-*")
    assert not (run_dir / "manifest.json").exists()
    assert "Traceback" not in stdout + stderr and "Error" not in stdout + stderr
    (interrupted,) = [line for line in stderr.splitlines() if line.startswith("interrupted:")]
    assert f"run the same command again to resume {run_dir.name}" in interrupted
    assert len((stdout + stderr).splitlines()) <= 8  # the note, the bars, the line

    env["PREFECT_API_URL"] = PREFECT_API_URL.value()  # the same command, now with a server up
    second = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "resuming unfinished run" in second.stderr
    manifest, records = resumed_run(out, run_dir, names)
    kept = sum(r["pipeline"]["flow_run_id"] == manifest["flow_run_ids"][0] for r in records)
    assert kept >= committed  # the shards committed before the Ctrl-C were not cleaned again
    assert [p for p in out.rglob("*") if ".tmp-" in p.name] == []


def test_ctrl_c_on_a_configured_server_marks_the_flow_run_and_its_running_task_runs_crashed(prefect_server, tmp_path):
    """On a server the user runs (``PREFECT_API_URL``), the interrupted flow run is marked
    Crashed there, with the message that says how to resume, and so is the shard the
    server saw running: this process does not wait for it, so it stayed Running for ever
    (the process still exits 130 at once). Sent while the server shows a clean-shard task
    run Running; that one must not be Running afterwards."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    corpus(src)
    for i in range(DOCUMENTS, 6 * DOCUMENTS):  # shards of 60 that outlast the exit once seen running
        (src / f"doc-{i:03d}.txt").write_text((src / f"doc-{i % DOCUMENTS:03d}.txt").read_text() + f"\nCopy {i}.\n", encoding="utf-8")
    command = [sys.executable, "-c", "from flows.cli import main; main()", "clean", str(src), "--out", str(out), "--shard-size", "60"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PREFECT_API_URL": PREFECT_API_URL.value()}
    first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    wait_for_committed_shards(first, out / "ledger" / "parts", 1)
    (run_dir,) = out.glob("run-*")
    (flow_run_id,) = json.loads((run_dir / "run.json").read_text())["flow_run_ids"]
    running = lambda runs: [r["id"] for r in runs if r["name"].startswith("clean-shard") and r["state_type"] == "RUNNING"]  # noqa: E731
    seen_running = running(task_runs(flow_run_id, until=lambda runs: bool(running(runs)) or first.poll() is not None, timeout=120))
    assert seen_running and first.poll() is None, "no clean-shard task run was seen running"
    os.killpg(first.pid, signal.SIGINT)
    try:
        _, stderr = first.communicate(timeout=30)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    assert first.returncode == 130, stderr[-3000:]
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(flow_run_id).state
        assert state.type.value == "CRASHED" and "run the same command again to resume" in state.message
        after = {task_id: client.read_task_run(task_id).state.type.value for task_id in seen_running}
    assert set(after.values()) <= {"CRASHED", "COMPLETED"}, after
