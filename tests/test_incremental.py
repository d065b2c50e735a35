"""Incremental runs over a growing folder: the ledger, skips, `full`, and exact duplicates."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cleaners.run.ledger import Entry, Seen, load, plan, render

from .conftest import SEEDS


def records_of(run_dir: Path) -> list[dict]:
    return [json.loads(line) for shard in sorted(run_dir.glob("documents-*.jsonl")) for line in shard.read_text(encoding="utf-8").splitlines()]


def lines_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def with_paragraph(seed: str, paragraph: str) -> str:
    return (SEEDS / seed).read_text(encoding="utf-8") + "\n\n" + paragraph + "\n"


@pytest.fixture(scope="module")
def growing(prefect_server, tmp_path_factory):
    """Run over the five seeds; add two files and change one; run again; then a full run."""
    from flows.clean_corpus import clean_corpus

    src = tmp_path_factory.mktemp("growing-input")
    for seed in sorted(SEEDS.glob("*.txt")):
        shutil.copy(seed, src / seed.name)
    out = tmp_path_factory.mktemp("growing-output")
    first = clean_corpus(source=str(src), output=str(out), shard_size=2)
    (src / "new-a.txt").write_text(with_paragraph("002_625579a92e5a1402.txt", "The harbour board meets again on Tuesday to decide."), encoding="utf-8")
    (src / "new-b.txt").write_text(with_paragraph("003_478eebdfb619627b.txt", "Residents have until the end of the month to respond."), encoding="utf-8")
    changed = next(src.glob("001_*.txt"))
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\nThis story was updated with the council's reply.\n", encoding="utf-8")
    second = clean_corpus(source=str(src), output=str(out), shard_size=2)
    full = clean_corpus(source=str(src), output=str(out), shard_size=2, full=True)
    return {"src": src, "out": out, "first": first, "second": second, "full": full, "changed": changed}


def test_second_run_cleans_only_new_and_changed_inputs(growing):
    second = growing["second"]["manifest"]
    assert second["counts"] == {"inputs": 7, "records": 3, "rejects": 0, "skipped": 4}
    assert second["skip_reasons"] == {"unchanged": 4}
    cleaned = {Path(r["source"]["uri"]).name for r in records_of(Path(growing["second"]["run_dir"]))}
    assert cleaned == {"new-a.txt", "new-b.txt", growing["changed"].name}


def test_skips_name_the_run_that_cleaned_them(growing):
    run_dir = Path(growing["second"]["run_dir"])
    skipped = lines_of(run_dir / "skipped.jsonl")
    first_id = growing["first"]["manifest"]["run_id"]
    assert len(skipped) == 4 and all(s["reason"] == "unchanged" and s["cleaned_in_run"] == first_id for s in skipped)
    first_records = {r["source"]["uri"]: r["id"] for r in records_of(Path(growing["first"]["run_dir"]))}
    assert {s["source"]: s["sha256"] for s in skipped}.items() <= first_records.items()


def test_no_content_is_cleaned_twice_across_incremental_runs(growing):
    ids = [r["id"] for key in ("first", "second") for r in records_of(Path(growing[key]["run_dir"]))]
    assert len(ids) == len(set(ids)) == 8  # 5 seeds, then 2 new and the changed one


def test_full_run_reprocesses_everything(growing):
    manifest = growing["full"]["manifest"]
    assert manifest["counts"] == {"inputs": 7, "records": 7, "rejects": 0, "skipped": 0}


def test_ledger_holds_one_sealed_file_per_run_and_no_parts(growing):
    ledger = growing["out"] / "ledger"
    assert growing["second"]["manifest"]["ledger"] == str(ledger)
    assert sorted(p.name for p in (ledger / "runs").iterdir()) == sorted(f"{growing[k]['manifest']['run_id']}.jsonl" for k in ("first", "second", "full"))
    assert list((ledger / "parts").iterdir()) == []
    entries = lines_of(ledger / "runs" / f"{growing['second']['manifest']['run_id']}.jsonl")
    assert sorted(Path(e["source"]).name for e in entries) == sorted(["new-a.txt", "new-b.txt", growing["changed"].name])
    assert {e["config_hash"] for e in entries} == {growing["second"]["manifest"]["config_hash"]}


def test_exact_duplicates_are_skipped_within_a_run_and_against_the_ledger(prefect_server, tmp_path):
    from flows.clean_corpus import clean_corpus

    src, out, ledger = tmp_path / "in", tmp_path / "out", tmp_path / "my-ledger"
    src.mkdir()
    seed = SEEDS / "000_c1532a8820d5ae7f.txt"
    shutil.copy(seed, src / "a.txt")
    shutil.copy(seed, src / "b.txt")
    (src / "empty.txt").write_bytes(b"")
    first = clean_corpus(source=str(src), output=str(out), ledger=str(ledger))["manifest"]
    assert first["counts"] == {"inputs": 3, "records": 1, "rejects": 1, "skipped": 1}
    (dup,) = lines_of(out / first["run_id"] / "skipped.jsonl")
    assert (dup["reason"], Path(dup["source"]).name, Path(dup["same_as"]).name, dup["cleaned_in_run"]) == ("duplicate", "b.txt", "a.txt", None)

    shutil.copy(seed, src / "c.txt")  # a new name for content the ledger has seen
    second = clean_corpus(source=str(src), output=str(out), ledger=str(ledger))["manifest"]
    # the empty file is a final reject: entered in the ledger, not retried
    assert second["counts"] == {"inputs": 4, "records": 0, "rejects": 0, "skipped": 4}
    assert second["skip_reasons"] == {"duplicate": 2, "unchanged": 2}
    assert not (out / "ledger").exists() and (ledger / "runs" / f"{first['run_id']}.jsonl").exists()


def test_plan_keeps_unreadable_inputs_and_first_copies():
    seen = {"h1": Seen("run-1", "/in/old.txt"), "h3": Seen("run-1", "/in/x.jsonl", 4)}
    documents = [("/in/a", None, "h2"), ("/in/b", None, None), ("/in/c", None, "h2"), ("/in/old.txt", None, "h1"), ("/in/x.jsonl", 5, "h3")]
    skipped = []
    work = plan(documents, seen, None, skipped.append)
    assert work.todo == [("/in/a", None), ("/in/b", None)]
    assert work.skip_reasons == {"duplicate": 2, "unchanged": 1} and work.skipped == 3
    assert [(s.source, s.member, s.reason, s.same_as, s.cleaned_in_run) for s in skipped] == [
        ("/in/c", None, "duplicate", "/in/a", None),
        ("/in/old.txt", None, "unchanged", None, "run-1"),
        ("/in/x.jsonl", 5, "duplicate", "/in/x.jsonl (member 4)", "run-1"),
    ]


def test_summary_artifacts_keep_one_version_per_run_under_a_stable_key(growing):
    from prefect.client.orchestration import get_client

    run_ids = {growing[k]["manifest"]["flow_run_id"] for k in ("first", "second", "full")}
    with get_client(sync_client=True) as client:
        response = client.request("POST", "/artifacts/filter", json={"artifacts": {"key": {"any_": ["newsclean-run-summary"]}}})
    versions = {a["flow_run_id"] for a in response.json()}
    assert run_ids <= versions


def test_cli_says_what_it_skipped_and_full_cleans_again(prefect_server, tmp_path):
    """The command a user types, three times, recorded on the running (test) server."""
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    cli = Path(sys.executable).parent / "newsclean"
    out = str(tmp_path / "out")
    runs = [
        subprocess.run([str(cli), "clean", str(SEEDS), "--out", out, *extra], env=env, capture_output=True, text=True, timeout=600)
        for extra in ([], [], ["--full"])
    ]
    assert [r.returncode for r in runs] == [0, 0, 0], [r.stderr[-2000:] for r in runs]
    assert "no Prefect server" not in runs[0].stderr  # the configured server answered
    assert "5 inputs skipped" not in runs[0].stdout
    assert "5 inputs skipped" in runs[1].stdout and "--full" in runs[1].stdout
    run_dirs = [Path(re.search(r"run folder: (\S+)", "".join(r.stdout.split("\n"))).group(1)) for r in runs]
    assert [json.loads((d / "manifest.json").read_text())["counts"]["records"] for d in run_dirs] == [5, 0, 5]


def test_a_run_holds_only_the_ledger_entries_of_its_own_documents(tmp_path):
    """The ledger grows with every night's new inputs; a run keeps only what it can use:
    the entries of its own documents' content hashes, under its own config."""
    ledger = str(tmp_path / "ledger")
    history = [Entry(f"{i:064x}", "cfg-a", f"/crawl/day-1/{i}.html", None, "record", "run-1", "documents-00000.jsonl") for i in range(50)]
    other_config = Entry(f"{7:064x}", "cfg-b", "/crawl/day-1/7.html", None, "record", "run-0", "documents-00000.jsonl")
    (tmp_path / "ledger" / "runs").mkdir(parents=True)
    (tmp_path / "ledger" / "runs" / "run-1.jsonl").write_text(render([*history, other_config]), encoding="utf-8")
    (tmp_path / "ledger" / "parts").mkdir()
    died = Entry(f"{99:064x}", "cfg-a", "/crawl/day-2/99.html", None, "record", "run-2", "documents-00000.jsonl")
    (tmp_path / "ledger" / "parts" / "run-2-00000.jsonl").write_text(render([died]), encoding="utf-8")

    wanted = {f"{7:064x}", f"{99:064x}", f"{1000:064x}"}
    seen = load(ledger, "cfg-a", wanted=wanted)
    assert seen == {f"{7:064x}": Seen("run-1", "/crawl/day-1/7.html"), f"{99:064x}": Seen("run-2", "/crawl/day-2/99.html")}
    assert load(ledger, "cfg-a", exclude_run="run-2", wanted=wanted) == {f"{7:064x}": Seen("run-1", "/crawl/day-1/7.html")}
    assert len(load(ledger, "cfg-a")) == 51 and load(ledger, "cfg-b") == {f"{7:064x}": Seen("run-0", "/crawl/day-1/7.html")}
