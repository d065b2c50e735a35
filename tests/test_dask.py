"""The distributed path: a real Dask LocalCluster (2 worker processes on loopback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import SEEDS

#: Fields that describe the run, not the content: they differ between any two runs.
RUN_FIELDS = {"run_id", "flow_run_id", "started_at", "ended_at"}


def content_of(run_dir: Path) -> dict:
    """Shard files, rejects and manifest with run metadata taken out."""
    shards = {}
    for shard in sorted(run_dir.glob("documents-*.jsonl")):
        records = [json.loads(line) for line in shard.read_text(encoding="utf-8").splitlines()]
        for record in records:
            record.pop("pipeline")
        shards[shard.name] = records
    manifest = json.loads((run_dir / "manifest.json").read_text())
    for key in RUN_FIELDS:
        manifest.pop(key)
    # records and rejects carry the flow run id, so file bytes (and hashes) differ per run
    for shard in manifest["shards"]:
        shard.pop("sha256")
    manifest["rejects_file"].pop("sha256")
    manifest.pop("ledger")  # each run has its own output folder
    rejects = [json.loads(line) for line in (run_dir / "rejects.jsonl").read_text().splitlines()]
    for reject in rejects:
        reject.pop("flow_run_id")
    return {"shards": shards, "manifest": manifest, "rejects": rejects}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("dask-input")
    for seed in SEEDS.glob("*.txt"):
        (src / seed.name).write_bytes(seed.read_bytes())
    (src / "zz-empty.txt").write_bytes(b"")
    return src


def test_dask_run_is_identical_to_local_run(prefect_server, corpus, tmp_path):
    from flows.clean_corpus import clean_corpus

    local = clean_corpus(source=str(corpus), output=str(tmp_path / "local"), shard_size=2)
    dask = clean_corpus(source=str(corpus), output=str(tmp_path / "dask"), shard_size=2, workers=2)
    assert dask["manifest"]["counts"] == {"inputs": 6, "records": 5, "rejects": 1, "skipped": 0}
    assert len(dask["manifest"]["shards"]) == 3
    assert content_of(Path(dask["run_dir"])) == content_of(Path(local["run_dir"]))
