"""Task retries: storage errors are retried with a delay, cleaning errors become rejects.

The storage is a real fsspec filesystem (local files under a ``flaky://`` protocol) that
drops the connection on chosen reads, the way an object store sometimes does.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import fsspec
import pytest

from .conftest import SEEDS, LocalUnderProtocol, task_runs


class FlakyFileSystem(LocalUnderProtocol):
    """Local files under ``flaky://``; the n-th read of a path fails when n is listed."""

    protocol = ("flaky",)
    failing_reads: dict[str, set[int]] = {}
    reads: Counter[str] = Counter()

    def _open(self, path, mode="rb", **kwargs):
        path = self._strip_protocol(path)
        if "r" in mode:
            self.reads[path] += 1
            if self.reads[path] in self.failing_reads.get(path, set()):
                raise ConnectionResetError(f"simulated dropped connection while reading {path}")
        return super()._open(path, mode, **kwargs)


@pytest.fixture
def flaky_source(tmp_path):
    fsspec.register_implementation("flaky", FlakyFileSystem, clobber=True)
    src = tmp_path / "in"
    src.mkdir()
    for seed in sorted(SEEDS.glob("00[0-2]_*.txt")):
        shutil.copy(seed, src / seed.name)
    FlakyFileSystem.reads.clear()
    FlakyFileSystem.failing_reads.clear()
    return src


def test_storage_errors_are_retried_and_lose_nothing(prefect_server, flaky_source, tmp_path):
    from flows.clean_corpus import clean_corpus

    victim = next(flaky_source.glob("001_*.txt"))
    FlakyFileSystem.failing_reads[str(victim)] = {1, 3}  # first read of the scan, first of the cleaning
    result = clean_corpus(source=f"flaky://{flaky_source}", output=str(tmp_path / "out"), shard_size=2)
    assert result["manifest"]["counts"] == {"inputs": 3, "records": 3, "rejects": 0, "skipped": 0}
    assert FlakyFileSystem.reads[str(victim)] == 4
    # the victim's shard ran twice in each pass; the other shard once
    expected = {("scan-shard", 2), ("clean-shard", 2), ("scan-shard", 1), ("clean-shard", 1)}
    names_and_counts = lambda runs: {(r["name"].rsplit("-", 1)[0], r["run_count"]) for r in runs}  # noqa: E731
    runs = names_and_counts(task_runs(result["manifest"]["flow_run_id"], until=lambda runs: expected <= names_and_counts(runs)))
    assert expected <= runs


def test_a_cleaning_error_is_a_reject_not_a_retry(prefect_server, flaky_source, tmp_path, monkeypatch):
    from cleaners.run import shards as batch
    from flows.clean_corpus import clean_corpus

    real = batch.clean_document

    def broken_on_one(doc, *args):
        if "001_" in doc.uri:
            raise ValueError("a bug in a cleaner")
        return real(doc, *args)

    monkeypatch.setattr(batch, "clean_document", broken_on_one)
    result = clean_corpus(source=str(flaky_source), output=str(tmp_path / "out"), shard_size=5)
    manifest = result["manifest"]
    assert manifest["counts"] == {"inputs": 3, "records": 2, "rejects": 1, "skipped": 0}
    (reject,) = [json.loads(line) for line in (Path(result["run_dir"]) / "rejects.jsonl").read_text().splitlines()]
    assert reject["reason"] == "internal_error" and "ValueError: a bug in a cleaner" in reject["message"]
    finished = lambda runs: any(r["name"].startswith("clean-shard") and r["state_type"] == "COMPLETED" for r in runs)  # noqa: E731
    runs = [(r["name"].rsplit("-", 1)[0], r["run_count"]) for r in task_runs(manifest["flow_run_id"], until=finished)]
    assert ("clean-shard", 1) in runs and all(count == 1 for _, count in runs)
    # a bug may be fixed: the reject is not entered in the ledger, the next run tries again
    monkeypatch.undo()
    again = clean_corpus(source=str(flaky_source), output=str(tmp_path / "out"), shard_size=5)["manifest"]
    assert again["counts"] == {"inputs": 3, "records": 1, "rejects": 0, "skipped": 2}
