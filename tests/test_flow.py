"""The clean-corpus flow against a real Prefect test server: files, manifest, artifacts."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from .conftest import SEEDS, task_runs


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def mixed_run(prefect_server, tmp_path_factory):
    """Three seeds, an empty file, an undecodable file and a binary file, shards of 2."""
    from flows.clean_corpus import clean_corpus

    src = tmp_path_factory.mktemp("mixed-input")
    for seed in sorted(SEEDS.glob("00[0-2]_*.txt")):
        (src / seed.name).write_bytes(seed.read_bytes())
    (src / "empty.txt").write_bytes(b"")
    (src / "latin1-garbage.txt").write_bytes(bytes(range(0x80, 0x100)) * 8)
    (src / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    (src / "notes.md").write_text("not an input: .md names no input format, so it is listed as skipped")
    out = tmp_path_factory.mktemp("mixed-output")
    result = clean_corpus(source=str(src), output=str(out), shard_size=2)
    return Path(result["run_dir"]), result["manifest"]


def test_run_folder_holds_shards_rejects_and_manifest(mixed_run):
    run_dir, manifest = mixed_run
    names = sorted(p.name for p in run_dir.iterdir())
    assert names == ["documents-00000.jsonl", "documents-00001.jsonl", "documents-00002.jsonl", "manifest.json", "rejects.jsonl", "run.json", "skipped.jsonl"]
    assert json.loads((run_dir / "manifest.json").read_text()) == manifest


def test_manifest_counts_add_up_and_shards_match_their_hashes(mixed_run):
    run_dir, manifest = mixed_run
    assert manifest["counts"] == {"inputs": 7, "records": 3, "rejects": 3, "skipped": 1}
    assert manifest["skip_reasons"] == {"unsupported_format": 1} and manifest["unsupported_endings"] == {".md": 1}
    total = 0
    for shard in manifest["shards"]:
        path = run_dir / shard["file"]
        assert sha256_of(path) == shard["sha256"]
        assert len(path.read_text().splitlines()) == shard["records"]
        total += shard["records"]
    assert total == manifest["counts"]["records"]
    assert manifest["rejects_file"]["sha256"] == sha256_of(run_dir / "rejects.jsonl")
    assert manifest["flow_run_id"] and manifest["config_hash"] and manifest["newsclean_version"]
    assert manifest["started_at"] <= manifest["ended_at"]


def test_rejects_name_the_source_and_a_reason(mixed_run):
    run_dir, _ = mixed_run
    rejects = {Path(r["source"]).name: r for r in map(json.loads, (run_dir / "rejects.jsonl").read_text().splitlines())}
    assert set(rejects) == {"empty.txt", "latin1-garbage.txt", "image.txt"}
    assert rejects["empty.txt"]["reason"] == "empty"
    assert rejects["image.txt"]["reason"] == "binary"
    assert rejects["latin1-garbage.txt"]["reason"] in {"undecodable", "binary"}
    assert all(r["message"] for r in rejects.values())


def test_records_carry_the_flow_run_id(mixed_run):
    run_dir, manifest = mixed_run
    for shard in run_dir.glob("documents-*.jsonl"):
        for line in shard.read_text().splitlines():
            assert json.loads(line)["pipeline"]["flow_run_id"] == manifest["flow_run_id"]


def test_clean_tasks_share_one_profile_task_result(mixed_run):
    """Every clean-shard task takes the run profile from the one share-profile task (on
    Dask it then travels once per worker, not once per task)."""
    _, manifest = mixed_run
    runs = task_runs(manifest["flow_run_id"], until=lambda runs: sum(r["name"].startswith("clean-shard") for r in runs) >= 3)
    shared = [r["id"] for r in runs if r["name"].startswith("share-profile")]
    cleans = [r for r in runs if r["name"].startswith("clean-shard")]
    assert len(shared) == 1 and len(cleans) == 3  # 6 inputs in shards of 2
    for run in cleans:
        assert [i["id"] for i in run["task_inputs"]["profile"]] == shared


def test_run_publishes_table_and_markdown_artifacts(mixed_run):
    from prefect.client.orchestration import get_client

    _, manifest = mixed_run
    with get_client(sync_client=True) as client:
        # A raw request: prefect 3.8.8's read_artifacts sends nulls its own server refuses.
        response = client.request("POST", "/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [manifest["flow_run_id"]]}}})
    artifacts = response.json()
    by_type = {a["type"]: a for a in artifacts}
    assert set(by_type) >= {"table", "markdown"}
    assert by_type["table"]["key"] == "newsclean-run-summary"
    table = by_type["table"]["data"]
    rows = json.loads(table) if isinstance(table, str) else table
    assert {"figure": "rejects", "value": 3} in rows
    markdown = by_type["markdown"]["data"]
    assert "| records | 3 |" in markdown and "| en | 3 |" in markdown
    assert "| `related.dated_headline_list` | 3 |" in markdown  # seed 002's list, top rules


def test_bad_parameters_are_refused_by_prefect(prefect_server, tmp_path):
    from prefect.exceptions import ParameterTypeError

    from flows.clean_corpus import clean_corpus

    with pytest.raises(ParameterTypeError):
        clean_corpus(source=str(SEEDS), output=str(tmp_path), shard_size=0)


def test_missing_source_is_a_clear_error(prefect_server, tmp_path):
    from cleaners.inputs.discovery import SourceError
    from flows.clean_corpus import clean_corpus

    with pytest.raises(SourceError, match="source not found"):
        clean_corpus(source=str(tmp_path / "nope"), output=str(tmp_path))


def test_a_dask_address_without_a_scheduler_fails_before_the_run_folder(prefect_server, tmp_path):
    """A deployment's parameters skip the CLI's checks: the flow makes its own, at once."""
    from flows.clean_corpus import clean_corpus
    from flows.runners import SchedulerUnreachable

    from .test_cli import closed_port

    with pytest.raises(SchedulerUnreachable, match="no Dask scheduler answers at tcp://127.0.0.1:"):
        clean_corpus(source=str(SEEDS), output=str(tmp_path / "out"), dask_address=f"tcp://127.0.0.1:{closed_port()}")
    assert not (tmp_path / "out").exists()


def test_documents_are_counted_inside_their_shard_as_they_are_cleaned(prefect_server, tmp_path, monkeypatch):
    """Progress inside a shard on the local runner (a large JSONL or WARC file was one
    shard, and its bar said 0/1 until it was done). Every document is counted once, with its shard,
    as a record or a reject, and the counts add up to each shard's own figures."""
    from collections import Counter

    from flows import clean_corpus as flow_module

    src = tmp_path / "in"
    src.mkdir()
    for seed in sorted(SEEDS.glob("*.txt"))[:3]:
        (src / seed.name).write_bytes(seed.read_bytes())
    rows = [json.dumps({"url": "https://example.org/a", "text": (SEEDS / "004_40f3c241e9d272e8.txt").read_text(encoding="utf-8")}), "{not json"]
    (src / "export.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    counted: Counter[tuple[int, bool]] = Counter()
    from flows.progress import RunProgress

    class Counting(RunProgress):
        def __init__(self) -> None:
            self.phases: list[tuple[str, int, int]] = []
            self.facts: dict = {}

        def document(self, shard: int, is_record: bool) -> None:
            counted.update([(shard, is_record)])

        def phase(self, name: str, done: int, total: int, summary=None) -> None:
            self.phases.append((name, done, total))

        def announce(self, **facts) -> None:
            self.facts.update(facts)

    listener = Counting()
    monkeypatch.setattr(flow_module, "progress", listener)
    manifest = flow_module.clean_corpus(source=str(src), output=str(tmp_path / "out"), shard_size=2)["manifest"]
    assert manifest["counts"] == {"inputs": 5, "records": 4, "rejects": 1, "skipped": 0}
    records_by_shard = {i: shard["records"] for i, shard in enumerate(manifest["shards"])}
    assert len(records_by_shard) == 3  # two text files, the third and the JSONL's first row, its malformed row
    assert {i: counted[(i, True)] for i in records_by_shard} == records_by_shard
    assert {key: n for key, n in counted.items() if not key[1]} == {(2, False): 1}  # the malformed row, in the last shard
    # the listener heard every phase to its end, and where the run went
    assert [p for p in listener.phases if p[1] == p[2]] == [("split", 1, 1), ("scan", 3, 3), ("clean", 3, 3), ("near-duplicates", 1, 1)]
    assert listener.facts["complete"] is True and listener.facts["run_dir"].startswith(str(tmp_path / "out"))


def test_as_finished_yields_each_task_once_and_collects_cycles_between_them(prefect_server, monkeypatch):
    """Cycles left while the flow handles one finished task are gone before the next one
    is handed over (the flow's memory otherwise grows with the number of tasks)."""
    import gc
    import weakref

    from prefect import flow, task
    from prefect.task_runners import ThreadPoolTaskRunner

    from flows import runners

    class Node:
        pass

    @task
    def double(x: int) -> int:
        return 2 * x

    @flow
    def handle_all() -> tuple[list[int], list[bool], int]:
        results, alive = [], []
        last: weakref.ref | None = None
        with ThreadPoolTaskRunner(max_workers=2) as pool:
            futures = [pool.submit(double, {"x": x}) for x in range(4)]
            for future in runners.as_finished(futures):
                alive.append(last is not None and last() is not None)
                results.append(future.result())
                node = Node()
                node.self = node  # a cycle: only the garbage collector frees it
                last = weakref.ref(node)
                del node
            return sorted(results), alive, len(futures)

    monkeypatch.setattr(runners, "RELEASE_EVERY_SECONDS", 0.0)
    gc.disable()  # so that only as_finished can collect the cycles
    try:
        results, alive, left = handle_all()
    finally:
        gc.enable()
    assert results == [0, 2, 4, 6]
    assert left == 0  # as_finished took the futures: the flow holds none of them
    assert alive == [False, False, False, False]


def test_one_large_jsonl_file_is_scanned_and_cleaned_by_several_tasks(prefect_server, tmp_path):
    """A crawler's export is often one large JSONL (or WARC) file. It was one scan task and
    one clean shard: one core, however many Dask workers. Now one split task counts its
    rows and tasks of ``shard_size`` documents each read their own rows; the records are
    those of the one-shard run."""
    from flows.clean_corpus import clean_corpus

    seeds = sorted(SEEDS.glob("*.txt"))
    rows = [json.dumps({"url": f"https://example.org/{i}", "text": seeds[i % len(seeds)].read_text(encoding="utf-8") + f"\nLine {i}."}) for i in range(11)]
    rows.insert(6, "{not json")
    src = tmp_path / "in"
    src.mkdir()
    (src / "export.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    split = clean_corpus(source=str(src), output=str(tmp_path / "split"), shard_size=5)
    whole = clean_corpus(source=str(src), output=str(tmp_path / "whole"), shard_size=100)
    manifest = split["manifest"]
    assert manifest["counts"] == {"inputs": 12, "records": 11, "rejects": 1, "skipped": 0}
    assert [s["records"] for s in manifest["shards"]] == [5, 4, 2]  # rows 1-5, 6-10 (7 is the reject), 11-12
    names = [r["name"] for r in task_runs(manifest["flow_run_id"], until=lambda runs: sum(r["name"].startswith("clean-shard") for r in runs) >= 3)]
    assert [sum(n.startswith(t) for n in names) for t in ("split-containers", "scan-shard", "clean-shard")] == [1, 3, 3]

    def records(run: dict) -> list[dict]:
        found = [json.loads(line) for f in sorted(Path(run["run_dir"]).glob("documents-*.jsonl")) for line in f.read_text(encoding="utf-8").splitlines()]
        return [{k: v for k, v in r.items() if k != "pipeline"} for r in found]

    assert records(split) == records(whole) and len(records(split)) == 11


def test_strictness_given_to_the_flow_overrides_the_config_file(prefect_server, tmp_path):
    """``--strictness`` (the CLI passes it to the flow) wins over the file's level, and the
    run's config hash is that of the effective config."""
    from cleaners.config import CleanConfig
    from flows.clean_corpus import clean_corpus

    src = tmp_path / "in"
    src.mkdir()
    seed = sorted(SEEDS.glob("*.txt"))[0]
    (src / seed.name).write_bytes(seed.read_bytes())
    config = tmp_path / "conservative.toml"
    config.write_text("[boilerplate]\nstrictness = \"conservative\"\n")
    manifest = clean_corpus(source=str(src), output=str(tmp_path / "out"), config=str(config), strictness="aggressive")["manifest"]
    expected = CleanConfig.model_validate({"boilerplate": {"strictness": "aggressive"}})
    assert manifest["config"]["boilerplate"]["strictness"] == "aggressive"
    assert manifest["config_hash"] == expected.config_hash()
