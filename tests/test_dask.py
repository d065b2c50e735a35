"""Determinism matrix, including the distributed path on a real Dask LocalCluster.

The same inputs and config give byte-identical records (apart from run metadata), rejects,
skips and manifest content across runs, across shard sizes, and across the local thread
runner and Dask with 2 worker processes on loopback. Records are compared in document
order, so a different grouping into shards does not hide a difference in content.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .conftest import SEEDS

#: Fields that describe the run, not the content: they differ between any two runs.
RUN_FIELDS = {"run_id", "flow_run_id", "flow_run_ids", "started_at", "ended_at", "ledger"}


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def content_of(run_dir: Path, by_shard: bool = False) -> dict:
    """Records, rejects, skips and manifest of a run with run metadata taken out."""
    shards = {f.name: lines(f) for f in sorted(run_dir.glob("documents-*.jsonl"))}
    for records in shards.values():
        for record in records:
            record.pop("pipeline")
    manifest = json.loads((run_dir / "manifest.json").read_text())
    for key in RUN_FIELDS:
        manifest.pop(key)
    # records and rejects carry the flow run id, so file bytes (and hashes) differ per run
    manifest["rejects_file"].pop("sha256")
    manifest["skipped_file"].pop("sha256")
    manifest["config"].pop("__none__", None)
    rejects, skipped = lines(run_dir / "rejects.jsonl"), lines(run_dir / "skipped.jsonl")
    for row in rejects + skipped:
        row.pop("flow_run_id")
    if by_shard:
        for shard in manifest["shards"]:
            shard.pop("sha256")
        return {"shards": shards, "manifest": manifest, "rejects": rejects, "skipped": skipped}
    manifest.pop("shards")
    manifest.pop("top_rules")  # ties between equal counts are ordered by name: same, but checked below anyway
    records = [r for shard in shards.values() for r in shard]
    key = lambda r: (r["source"]["uri"], r["source"]["member"] or 0)  # noqa: E731
    return {"records": sorted(records, key=key), "manifest": manifest, "rejects": rejects, "skipped": skipped}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """Seeds, an empty file, an exact duplicate, and a JSONL file with a malformed line."""
    src = tmp_path_factory.mktemp("matrix-input")
    for seed in SEEDS.glob("*.txt"):
        shutil.copy(seed, src / seed.name)
    shutil.copy(SEEDS / "001_68972bff8665e00a.txt", src / "zz-copy-of-001.txt")
    (src / "zz-empty.txt").write_bytes(b"")
    text = (SEEDS / "004_40f3c241e9d272e8.txt").read_text(encoding="utf-8")
    rows = [json.dumps({"url": "https://example.org/a", "text": text + "\nA later line."}), "{not json", json.dumps({"text": "Advertisement"})]
    (src / "export.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return src


@pytest.fixture(scope="module")
def matrix(prefect_server, corpus, tmp_path_factory) -> dict[str, Path]:
    from flows.clean_corpus import clean_corpus

    out = tmp_path_factory.mktemp("matrix-output")
    runs = {
        "local-2": {"shard_size": 2},
        "local-2-again": {"shard_size": 2},
        "local-1": {"shard_size": 1},
        "local-500": {"shard_size": 500},
        "dask-2": {"shard_size": 2, "workers": 2},
    }
    done = {name: Path(clean_corpus(source=str(corpus), output=str(out / name), **kwargs)["run_dir"]) for name, kwargs in runs.items()}
    # An existing cluster (--dask-address): its scheduler and 2 worker processes started here,
    # on loopback, as a user starts theirs; the flow only connects to it.
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None) as cluster:
        result = clean_corpus(source=str(corpus), output=str(out / "dask-address"), shard_size=2, dask_address=cluster.scheduler_address)
    done["dask-address"] = Path(result["run_dir"])
    return done


def test_dask_run_is_identical_to_local_run_shard_for_shard(matrix):
    dask = content_of(matrix["dask-2"], by_shard=True)
    assert dask["manifest"]["counts"] == {"inputs": 10, "records": 6, "rejects": 3, "skipped": 1}
    assert len(dask["manifest"]["shards"]) >= 3
    assert dask == content_of(matrix["local-2"], by_shard=True)


def test_a_run_on_an_existing_dask_cluster_is_identical_shard_for_shard(matrix):
    assert content_of(matrix["dask-address"], by_shard=True) == content_of(matrix["local-2"], by_shard=True)


@pytest.mark.parametrize("other", ["local-2-again", "local-1", "local-500", "dask-2", "dask-address"])
def test_same_content_across_runs_shard_sizes_and_runners(matrix, other):
    reference = content_of(matrix["local-2"])
    assert reference["manifest"]["counts"]["records"] == 6
    assert content_of(matrix[other]) == reference


def test_top_rules_do_not_depend_on_sharding(matrix):
    tops = {name: json.loads((run / "manifest.json").read_text())["top_rules"] for name, run in matrix.items()}
    assert len({json.dumps(t, sort_keys=False) for t in tops.values()}) == 1


def on_a_one_worker_cluster(fn):
    """``fn``'s result, run as a task on a temporary LocalCluster of one worker process,
    inside a flow, the way the clean-corpus flow runs its shards."""
    from prefect import flow, task

    from flows.runners import running_pool, task_runner_for

    @flow
    def probe():
        with running_pool(task_runner_for(workers=1)) as pool:
            return pool.submit(task(fn), {}).result()

    return probe()


def test_local_cluster_workers_run_without_the_statistical_profiler(prefect_server):
    """distributed's profiler keeps one call tree per second on each worker: on long
    cleaning shards that history grew every worker by about 2.5 MB per shard."""

    def worker_profile() -> tuple[bool, int]:
        import time

        import dask
        from distributed import get_worker

        time.sleep(1.5)  # longer than one profile cycle (1 s)
        return dask.config.get("distributed.worker.profile.enabled"), len(get_worker().profile_history)

    assert on_a_one_worker_cluster(worker_profile) == (False, 0)


def test_local_cluster_workers_report_to_the_temporary_server_of_the_flow(prefect_server):
    """Without a configured server, Prefect runs the flow on a temporary one and leaves
    PREFECT_API_URL unset: each Dask worker then started a temporary server of its own
    (about 20 s each, found by a helper timing --workers 2: cleaning began at 62 s instead
    of 28 s) and recorded its task runs there, out of the flow run's sight."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    def api_url_of_worker() -> str | None:
        import os

        return os.environ.get("PREFECT_API_URL")

    # The test server is this process's temporary server (prefect_test_harness starts it the
    # way get_client() does when no URL is configured); here the URL is not configured.
    server_url = PREFECT_API_URL.value()
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        assert PREFECT_API_URL.value() is None
        assert on_a_one_worker_cluster(api_url_of_worker) == server_url


def test_near_duplicate_clusters_are_the_same_on_dask_and_the_local_runner(matrix):
    """The JSONL row that repeats seed 004 with one more line is a later copy of it, however
    the run is sharded and wherever its shards ran (signatures in the shard tasks, the index
    in one task that reads them from storage)."""
    for name, run_dir in matrix.items():
        records = [json.loads(line) for shard in sorted(run_dir.glob("documents-*.jsonl")) for line in shard.read_text(encoding="utf-8").splitlines()]
        by_source = {(Path(r["source"]["uri"]).name, r["source"]["member"]): r for r in records}
        original = by_source[("004_40f3c241e9d272e8.txt", None)]
        copy = by_source[("export.jsonl", 1)]
        assert copy["near_duplicate"]["cluster"] == original["id"], name
        assert [r["source"]["uri"] for r in records if r["near_duplicate"]] == [copy["source"]["uri"]], name
