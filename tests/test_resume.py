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

from .conftest import SEEDS

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


def test_kill_9_then_the_same_command_gives_every_record_exactly_once(prefect_server, tmp_path):
    from prefect.settings import PREFECT_API_URL

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    names = corpus(src)
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    command = [str(Path(sys.executable).parent / "newsclean"), "clean", str(src), "--out", str(out), "--shard-size", "2"]

    first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    parts = out / "ledger" / "parts"
    deadline = time.monotonic() + 300
    while len(list(parts.glob("*.summary.json"))) < 3:
        assert first.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline, "no shard committed in time"
        time.sleep(0.02)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    (killed_dir,) = out.glob("run-*")
    assert not (killed_dir / "manifest.json").exists()
    committed = len(list(parts.glob("*.summary.json")))
    assert 3 <= committed < DOCUMENTS // 2

    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr[-3000:]

    (run_dir,) = out.glob("run-*")  # the same folder, now complete
    assert run_dir == killed_dir
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["counts"] == {"inputs": DOCUMENTS, "records": DOCUMENTS, "rejects": 0, "skipped": 0}
    assert len(manifest["flow_run_ids"]) == 2
    records = [json.loads(line) for f in sorted(run_dir.glob("documents-*.jsonl")) for line in f.read_text().splitlines()]
    assert sorted(Path(r["source"]["uri"]).name for r in records) == names  # each exactly once
    assert sorted(p.name for p in run_dir.glob("documents-*.jsonl")) == [s["file"] for s in manifest["shards"]]
    # kept shards were not cleaned again: their records carry the first flow run's id
    assert {r["pipeline"]["flow_run_id"] for r in records} == set(manifest["flow_run_ids"])
    leftovers = [p for p in out.rglob("*") if ".tmp-" in p.name]
    assert leftovers == []
    assert list(parts.iterdir()) == []
    ledger = [json.loads(line) for line in (out / "ledger" / "runs" / f"{manifest['run_id']}.jsonl").read_text().splitlines()]
    assert sorted(Path(e["source"]).name for e in ledger) == names
