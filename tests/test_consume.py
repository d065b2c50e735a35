"""docs/consume.md works: every python block of the page, run on real run folders.

The page's blocks are executed as written, in order, in one namespace, from a folder that
holds ``output/`` (the page's ``OUTPUT``): the seeds run of the session, copied with its
ledger, then three runs made here on the session's Prefect server: an incremental run that
adds one new input and one empty file (a reject), a ``full`` run over the seeds only, and an
incremental run that cleans nothing (every input skipped, so no documents file). Recipes 1
to 3 are run once per run folder (the setup block's ``RUN =`` line rewritten to name it),
recipe 4 once over the whole folder. Every result is checked against the records, rejects
and skips read with plain ``json``, and against the manifests.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from .conftest import ROOT, SEEDS

DOC = ROOT / "docs" / "consume.md"
SECTIONS = ("1", "2", "3", "4", "5")  # the numbered recipes


def doc_blocks() -> list[tuple[str, str, str]]:
    """(section, flavour, code) of every ```python block of the page, in order: section
    "setup" or the recipe's number, flavour "duckdb"/"pandas" from the bold label above the
    block ("any" when none)."""
    blocks, section, flavour, code = [], "", "any", None
    for line in DOC.read_text(encoding="utf-8").splitlines(keepends=True):
        if code is not None:
            if line.startswith("```"):
                blocks.append((section, flavour, "".join(code)))
                code = None
            else:
                code.append(line)
        elif line.startswith("## "):
            heading = line[3:].strip()
            section = heading.split(".")[0] if heading[0].isdigit() else heading.lower()
            flavour = "any"
        elif line.strip() in ("**DuckDB**", "**pandas**"):
            flavour = line.strip().strip("*").lower()
        elif line.startswith("```python"):
            code = []
    return blocks


def run_blocks(blocks: list[tuple[str, str, str]], run: str | None = None) -> dict[tuple[str, str], dict]:
    """Execute blocks in one fresh namespace; the namespace after each block, by (section, flavour).

    ``run``: the run folder the setup block's ``RUN =`` line is rewritten to name.
    """
    namespace: dict = {}
    after: dict[tuple[str, str], dict] = {}
    for section, flavour, code in blocks:
        if section == "setup" and run is not None:
            code, count = re.subn(r"^RUN = .*$", f"RUN = {run!r}", code, flags=re.M)
            assert count == 1, "the setup block no longer has one `RUN = ...` line"
        exec(compile(code, f"{DOC.name} [{section} {flavour}]", "exec"), namespace)
        after[(section, flavour)] = dict(namespace)
    return after


def lines_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def records_of(run_dir: Path) -> list[dict]:
    return [record for shard in sorted(run_dir.glob("documents-*.jsonl")) for record in lines_of(shard)]


@pytest.fixture(scope="module")
def folder(prefect_server, seed_run, tmp_path_factory):
    """A folder holding ``output/``: the seeds run (copied) and three more runs into it."""
    from flows.clean_corpus import clean_corpus

    root = tmp_path_factory.mktemp("consume")
    out = root / "output"
    first = Path(seed_run["run_dir"])
    shutil.copytree(first, out / first.name)
    shutil.copytree(first.parent / "ledger", out / "ledger")
    extra = root / "extra"
    extra.mkdir()
    seed = SEEDS / "000_c1532a8820d5ae7f.txt"
    (extra / "new.txt").write_text(seed.read_text(encoding="utf-8") + "\n\nThe council meets again on Tuesday to decide.\n", encoding="utf-8")
    (extra / "empty.txt").write_bytes(b"")
    both = [str(SEEDS), str(extra)]
    runs = {"first": first.name}
    for name, source, full in (("second", both, False), ("full", str(SEEDS), True), ("nothing_new", both, False)):
        runs[name] = Path(clean_corpus(source=source, output=str(out), shard_size=2, full=full)["run_dir"]).name
    assert sorted(runs.values()) == list(runs.values()), "run folder names sort by start time"
    return {"root": root, "out": out, "runs": runs}


def manifest_of(run_dir: Path) -> dict:
    return json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))


def test_the_page_has_a_duckdb_and_a_pandas_block_for_every_recipe():
    found = Counter((section, flavour) for section, flavour, _ in doc_blocks())
    assert found[("setup", "any")] == 1
    assert {key: found[key] for key in found if key[0] != "setup"} == {(s, f): 1 for s in SECTIONS for f in ("duckdb", "pandas")}


def test_the_runs_cover_what_the_recipes_must_cope_with(folder):
    out, runs = folder["out"], folder["runs"]
    counts = {name: manifest_of(out / run)["counts"] for name, run in runs.items()}
    assert counts == {
        "first": {"inputs": 5, "records": 5, "rejects": 0, "skipped": 0},
        "second": {"inputs": 7, "records": 1, "rejects": 1, "skipped": 5},
        "full": {"inputs": 5, "records": 5, "rejects": 0, "skipped": 0},
        "nothing_new": {"inputs": 7, "records": 0, "rejects": 0, "skipped": 7},
    }
    assert len(list((out / runs["first"]).glob("documents-*.jsonl"))) == 3  # several shards per run
    assert not list((out / runs["nothing_new"]).glob("documents-*.jsonl"))
    assert (out / runs["first"] / "rejects.jsonl").stat().st_size == (out / runs["first"] / "skipped.jsonl").stat().st_size == 0


@pytest.mark.parametrize("name", ["first", "second", "full", "nothing_new"])
def test_recipes_of_one_run(folder, name, monkeypatch):
    monkeypatch.chdir(folder["root"])
    run = folder["runs"][name]
    run_dir = folder["out"] / run
    manifest = manifest_of(run_dir)
    plain = records_of(run_dir)
    assert len(plain) == manifest["counts"]["records"]
    blocks = [b for b in doc_blocks() if b[0] in ("setup", "1", "2", "3")]
    after = run_blocks(blocks, run=f"output/{run}")
    assert after[("setup", "any")]["SHARDS"] == [f"output/{run}/{p.name}" for p in sorted(run_dir.glob("documents-*.jsonl"))]

    # 1. records: one row per record, same ids and figures as the plain JSON
    by_id = {r["id"]: r for r in plain}
    pandas_records = after[("1", "pandas")]["records"]
    assert len(pandas_records) == manifest["counts"]["records"]
    assert {"id", "source.uri", "language.code", "stats.chars_in", "stats.chars_out"} <= set(pandas_records.columns)
    assert {row["id"]: (row["source.uri"], row["stats.chars_in"], row["stats.chars_out"], row["removals"]) for _, row in pandas_records.iterrows()} == {
        i: (r["source"]["uri"], r["stats"]["chars_in"], r["stats"]["chars_out"], len(r["removed"])) for i, r in by_id.items()
    }
    if plain:
        duck_records = after[("1", "duckdb")]["records"]
        assert len(duck_records) == manifest["counts"]["records"]
        assert {row.id: (row.uri, row.language, row.chars_in, row.chars_out, row.removals, row.edits) for row in duck_records.itertuples()} == {
            i: (r["source"]["uri"], r["language"]["code"], r["stats"]["chars_in"], r["stats"]["chars_out"], len(r["removed"]), len(r["edits"]))
            for i, r in by_id.items()
        }
        assert sum(duck_records["chars_in"]) == sum(pandas_records["stats.chars_in"]) == manifest["chars"]["in"]
    else:  # the guard kept DuckDB from reading an empty list of files
        assert "records" not in after[("1", "duckdb")]

    # 2. removals: DuckDB, pandas, the records' own lists, their stats and the manifest agree
    spans = [r for record in plain for r in record["removed"]]
    categories = Counter(r["category"] for r in spans)
    rules = Counter((r["category"], r["rule"]) for r in spans)
    chars = Counter()
    for r in spans:
        chars[r["category"]] += len(r["text"])  # decoded[start:end] == text
    stats_total = sum((Counter(record["stats"]["removals"]) for record in plain), Counter())
    assert +stats_total == categories and dict(categories) == manifest["removals"]
    pandas_by_category = after[("2", "pandas")]["by_category"]
    assert dict(zip(pandas_by_category["category"], pandas_by_category["spans"])) == categories
    assert dict(zip(pandas_by_category["category"], pandas_by_category["chars"])) == chars
    pandas_by_rule = after[("2", "pandas")]["by_rule"]
    assert {(c, r): n for c, r, n in pandas_by_rule[["category", "rule", "spans"]].itertuples(index=False)} == rules
    assert len(after[("2", "pandas")]["removals"]) == len(spans)
    if plain:
        duck_by_category = after[("2", "duckdb")]["by_category"]
        assert dict(zip(duck_by_category["category"], duck_by_category["spans"])) == categories
        assert dict(zip(duck_by_category["category"], duck_by_category["chars"])) == chars
        duck_by_rule = after[("2", "duckdb")]["by_rule"]
        assert {(c, r): n for c, r, n in duck_by_rule[["category", "rule", "spans"]].itertuples(index=False)} == rules
        assert list(duck_by_category["spans"]) == sorted(categories.values(), reverse=True)

    # 3. rejects and skipped inputs, 0-byte files included
    for flavour in ("duckdb", "pandas"):
        got = after[("3", flavour)]
        for kind, reasons in (("rejects", "reject_reasons"), ("skipped", "skip_reasons")):
            plain_lines = lines_of(run_dir / f"{kind}.jsonl")
            frame = got[kind]
            assert len(frame) == len(plain_lines) == manifest["counts"][kind]
            assert {"source", "member", "reason", "message"} <= set(frame.columns)
            assert Counter(frame["reason"]) == Counter(line["reason"] for line in plain_lines) == manifest[reasons]
            assert sorted(frame["source"]) == sorted(line["source"] for line in plain_lines)
        assert dict(zip(got["reject_reasons"]["reason"], got["reject_reasons"]["n"])) == manifest["reject_reasons"]
        assert set(got["skipped"]["cleaned_in_run"].dropna()) <= set(folder["runs"].values())
    if name == "second":
        (reject,) = lines_of(run_dir / "rejects.jsonl")
        assert (Path(reject["source"]).name, reject["reason"]) == ("empty.txt", "empty")


def test_latest_record_of_each_id(folder, monkeypatch):
    monkeypatch.chdir(folder["root"])
    out, runs = folder["out"], folder["runs"]
    after = run_blocks(doc_blocks())
    assert after[("setup", "any")]["RUN"] == f"output/{runs['nothing_new']}"  # the page's RUN: the newest run

    newest: dict[str, tuple[str, dict]] = {}  # id -> (run, record), later runs overwrite
    all_ids = []
    for run_dir in sorted(p for p in out.glob("run-*")):
        for record in records_of(run_dir):
            newest[record["id"]] = (run_dir.name, record)
            all_ids.append(record["id"])
    assert len(all_ids) == 11 and len(newest) == 6  # 5 + 1 + 5 records of 6 contents
    new_id = next(i for i, (_, r) in newest.items() if Path(r["source"]["uri"]).name == "new.txt")
    # the new input's only record is in the second run; the seeds' newest in the full run
    assert {i: run for i, (run, _) in newest.items()} == {i: runs["second"] if i == new_id else runs["full"] for i in newest}

    for flavour in ("duckdb", "pandas"):
        latest = after[("4", flavour)]["latest"]
        assert len(latest) == latest["id"].nunique() == len(newest)
        assert dict(zip(latest["id"], latest["run"])) == {i: run for i, (run, _) in newest.items()}
    duck = after[("4", "duckdb")]["latest"]
    assert {row.id: (row.uri, row.chars_out, row.text) for row in duck.itertuples()} == {
        i: (r["source"]["uri"], r["stats"]["chars_out"], r["text"]) for i, (_, r) in newest.items()
    }
    pandas_latest = after[("4", "pandas")]["latest"]
    assert {row["id"]: (row["source.uri"], row["stats.chars_out"], row["text"]) for _, row in pandas_latest.iterrows()} == {
        i: (r["source"]["uri"], r["stats"]["chars_out"], r["text"]) for i, (_, r) in newest.items()
    }


def test_one_row_per_story(folder, monkeypatch):
    """The second run's new input is seed 000 with one more paragraph: a later copy of the
    first run's record, so the two are one story; every other record is its own."""
    monkeypatch.chdir(folder["root"])
    out = folder["out"]
    after = run_blocks(doc_blocks())
    records = [r for run in sorted(folder["runs"].values()) for r in records_of(out / run)]
    expected = Counter()
    for record_id, story in {r["id"]: (r["near_duplicate"] or {}).get("cluster", r["id"]) for r in records}.items():
        expected[story] += 1
    (copy,) = [r for r in records if r["near_duplicate"]]
    assert Path(copy["source"]["uri"]).name == "new.txt"
    assert expected[copy["near_duplicate"]["cluster"]] == 2
    for flavour in ("duckdb", "pandas"):
        stories = after[("5", flavour)]["stories"]
        assert dict(zip(stories["story"], stories["records"])) == expected, flavour
        assert list(stories["records"]) == sorted(expected.values(), reverse=True)
        assert stories["first_run"].min() == folder["runs"]["first"]
