"""Near-duplicate records: syndicated copies of one story cluster, other stories do not,
and the decisions hold across nights, full runs, skip mode and the review page.

The texts are real (the seeds); the copies are what syndication does to them: another
headline and byline, a paragraph dropped, the outlet's own boilerplate, other punctuation.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from cleaners.config import CleanConfig, NearDuplicateOptions
from cleaners.run import near_duplicates as near
from cleaners.run.shards import with_near_duplicate

from .conftest import SEEDS

OPTIONS = NearDuplicateOptions()
BIDEN = SEEDS / "001_68972bff8665e00a.txt"  # 1,700 words: Biden, Putin and Macron on Ukraine
OTHER = SEEDS / "004_40f3c241e9d272e8.txt"
THIRD = SEEDS / "003_478eebdfb619627b.txt"


def paragraphs(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if len(line) > 80]


def outlet_copy(path: Path, headline: str, byline: str, drop: int, boilerplate: list[str]) -> str:
    """Another outlet's copy of the story: its headline and byline, one paragraph fewer,
    its own boilerplate, and its house style for dashes and quotes."""
    body = paragraphs(path)
    del body[drop]
    styled = [p.replace("’", "'").replace(" — ", " - ").replace("“", '"').replace("”", '"') for p in body]
    return "\n\n".join([headline, byline, *styled, *boilerplate]) + "\n"


def follow_up(path: Path, other: Path) -> str:
    """A new story on the same topic: it recalls the first story's opening paragraph, the
    rest is new text."""
    return "\n\n".join(["Macron heads home as talks stall", paragraphs(path)[0], *paragraphs(other)[:12]]) + "\n"


COPY_B = dict(headline="Biden open to Putin talks, but not soon", byline="By Staff and wire reports", drop=3,
              boilerplate=["Sign up for our morning newsletter.", "Copyright 2022 The Associated Press. All rights reserved."])
COPY_C = dict(headline="Analysis: no quick Biden-Putin dialogue", byline="From the AP wire", drop=7, boilerplate=["Share this story"])


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def decide_texts(texts: list[str], history: list[near.Decided] = ()) -> tuple[near.Decided, list]:
    batch = near.Batch(near.to_ids([sha(t) for t in texts]), np.stack([near.signature(t, OPTIONS) for t in texts]))
    decided = near.decide(history, batch, OPTIONS)
    return decided, near.verdicts(decided)


# --- signatures and decisions (no Prefect) --------------------------------------------------


def test_two_outlets_copies_of_one_story_cluster_and_a_follow_up_on_the_topic_does_not():
    original = BIDEN.read_text(encoding="utf-8")
    b, c = outlet_copy(BIDEN, **COPY_B), outlet_copy(BIDEN, **COPY_C)
    texts = [original, b, c, follow_up(BIDEN, THIRD), OTHER.read_text(encoding="utf-8")]
    _, verdicts = decide_texts(texts)
    assert verdicts[0] is None  # the first record of the cluster: no earlier copy
    assert verdicts[1].cluster == verdicts[2].cluster == sha(original)
    assert verdicts[1].match == sha(original) and verdicts[1].similarity >= OPTIONS.threshold
    assert verdicts[3] is None, "a follow-up that recalls one paragraph is another story"
    assert verdicts[4] is None


@pytest.mark.parametrize("permutations", [128, 64])
def test_signatures_are_datasketchs_minhash(permutations):
    """The numpy MinHash gives datasketch's own numbers (scheme affine32, seed 1) on real
    texts, long ones (more shingles than one block) and an empty one."""
    from datasketch import MinHash

    seeds = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    texts = seeds + ["\n".join(seeds), ""]
    for text in texts:
        shingles = near.shingle_hashes(text, 5)
        reference = MinHash(num_perm=permutations, seed=near.SEED, scheme=near.SCHEME, hashfunc=int)
        reference.update_batch(shingles.tolist())
        assert np.array_equal(near.minhash(shingles, permutations), reference.hashvalues)
    assert len(near.shingle_hashes(texts[-2], 5)) > near._BLOCK


def test_spacing_and_punctuation_do_not_change_a_signature_but_words_do():
    text = "\n".join(paragraphs(BIDEN))
    respaced = re.sub(r"\s+", "  ", text).replace(",", " ,").replace("’", "'")
    assert np.array_equal(near.signature(text, OPTIONS), near.signature(respaced, OPTIONS))
    reworded = text.replace("Biden", "Harris")
    assert not np.array_equal(near.signature(text, OPTIONS), near.signature(reworded, OPTIONS))


def test_a_text_too_short_to_compare_gets_no_signature():
    brief = "Stocks rose on Monday as investors weighed the latest jobs figures from the government."
    assert near.signature(brief, OPTIONS) is None
    assert near.signature(" ".join(paragraphs(BIDEN)[:3]), OPTIONS) is not None


def test_a_copy_matches_the_most_similar_earlier_record_but_keeps_the_first_records_cluster():
    original = BIDEN.read_text(encoding="utf-8")
    b = outlet_copy(BIDEN, **COPY_B)
    b_again = b.replace("Sign up for our morning newsletter.", "Sign up for our evening newsletter.")  # closer to b than to the original
    _, verdicts = decide_texts([original, b, b_again])
    assert verdicts[2].match == sha(b) and verdicts[2].cluster == sha(original)


def test_nights_and_full_reruns_decide_as_one_run_would():
    texts = [BIDEN.read_text(encoding="utf-8"), OTHER.read_text(encoding="utf-8"), outlet_copy(BIDEN, **COPY_B), outlet_copy(BIDEN, **COPY_C)]
    _, together = decide_texts(texts)
    night1, first = decide_texts(texts[:2])
    night2, second = decide_texts(texts[2:], [night1])
    assert first + second == together
    assert second[1].cluster == sha(texts[0])  # tonight's copy points at the first night's record
    _, rerun = decide_texts(texts, [night1, night2])  # --full: every document is in the history
    assert rerun == together


def test_history_files_round_trip_and_other_signature_kinds_are_passed_over(tmp_path):
    texts = [BIDEN.read_text(encoding="utf-8"), outlet_copy(BIDEN, **COPY_B)]
    decided, verdicts = decide_texts(texts)
    near.write_history(str(tmp_path), "run-20260101T000000Z-aaaaaaaa", OPTIONS, decided, np.ones(2, dtype=bool))
    [back] = list(near.read_history(str(tmp_path), OPTIONS))
    assert near.verdicts(back) == verdicts
    assert list(near.read_history(str(tmp_path), NearDuplicateOptions(shingle_words=3))) == []
    assert list(near.read_history(str(tmp_path), OPTIONS, exclude_run="run-20260101T000000Z-aaaaaaaa")) == []


def test_a_bucket_shared_by_many_documents_is_paired_with_its_first_members_only():
    bucket = near._Buckets(np.zeros(1000, dtype=np.uint64))  # one template text cleaned from 1,000 pages
    pairs = bucket.run_pairs()
    assert len(pairs) == sum(min(i, near.BUCKET_CAP) for i in range(1000))
    assert set(pairs[:, 0].tolist()) == set(range(near.BUCKET_CAP)) and (pairs[:, 0] < pairs[:, 1]).all()


def test_many_pages_with_one_text_match_the_first_however_the_nights_fall():
    """140 pages whose cleaned text is the same: each later one matches the first (ties:
    the earliest), in one run or in two nights, though buckets that full are capped."""
    text = BIDEN.read_text(encoding="utf-8")
    n = 140
    ids = near.to_ids([sha(f"{i}") for i in range(n)])
    signatures = np.repeat(near.signature(text, OPTIONS)[None, :], n, axis=0)
    one = near.verdicts(near.decide([], near.Batch(ids, signatures), OPTIONS))
    night1 = near.decide([], near.Batch(ids[:70], signatures[:70]), OPTIONS)
    night2 = near.decide([night1], near.Batch(ids[70:], signatures[70:]), OPTIONS)
    assert near.verdicts(night1) + near.verdicts(night2) == one
    assert {v.match for v in one[1:]} == {sha("0")} and {v.similarity for v in one[1:]} == {1.0}


def test_marking_a_record_line_gives_the_records_own_json(seed_records):
    from cleaners.record import NearDuplicate, Record

    record = Record.model_validate(next(iter(seed_records.values())))
    line = record.model_dump_json()
    verdict = NearDuplicate(cluster="a" * 64, similarity=0.9375, match="b" * 64)
    marked = with_near_duplicate(line, verdict)
    assert marked == record.model_copy(update={"near_duplicate": verdict}).model_dump_json()
    assert with_near_duplicate(marked, verdict) == marked  # idempotent (a resumed run)
    assert with_near_duplicate(marked, None) == line


def test_bands_cannot_exceed_permutations():
    with pytest.raises(ValueError, match="bands"):
        CleanConfig.model_validate({"near_duplicates": {"permutations": 16, "bands": 32}})


# --- through the flow: nights, --full, skip mode, the review page ----------------------------


def records_by_name(run_dir: Path) -> dict[str, dict]:
    rows = [json.loads(line) for shard in sorted(run_dir.glob("documents-*.jsonl")) for line in shard.read_text(encoding="utf-8").splitlines()]
    return {Path(r["source"]["uri"]).name: r for r in rows}


@pytest.fixture(scope="module")
def nights(prefect_server, tmp_path_factory):
    """Night 1: a story, another outlet's copy, a follow-up and an unrelated story; night 2
    (same ledger): a third outlet's copy; then a --full run over night 1; and night 1 again in
    skip mode, into another output, with the review page."""
    from flows.clean_corpus import clean_corpus

    first = tmp_path_factory.mktemp("night-1")
    shutil.copy(BIDEN, first / "a-original.txt")
    (first / "b-outlet.txt").write_text(outlet_copy(BIDEN, **COPY_B), encoding="utf-8")
    (first / "c-follow-up.txt").write_text(follow_up(BIDEN, OTHER), encoding="utf-8")
    shutil.copy(SEEDS / "002_625579a92e5a1402.txt", first / "d-unrelated.txt")
    second = tmp_path_factory.mktemp("night-2")
    (second / "e-outlet.txt").write_text(outlet_copy(BIDEN, **COPY_C), encoding="utf-8")
    out, out_skip = tmp_path_factory.mktemp("nights-out"), tmp_path_factory.mktemp("skip-out")
    runs = {
        "night1": clean_corpus(source=str(first), output=str(out), shard_size=2),
        "night2": clean_corpus(source=str(second), output=str(out), shard_size=2),
        "full": clean_corpus(source=str(first), output=str(out), shard_size=3, full=True),
        "skip": clean_corpus(source=str(first), output=str(out_skip), shard_size=2, near_duplicates="skip", report=True),
    }
    return {name: (Path(r["run_dir"]), r["manifest"]) for name, r in runs.items()}


@pytest.mark.prefect
def test_a_flow_run_marks_the_later_copy_and_counts_the_cluster(nights):
    run_dir, manifest = nights["night1"]
    records = records_by_name(run_dir)
    original = records["a-original.txt"]["id"]
    assert records["b-outlet.txt"]["near_duplicate"]["cluster"] == original
    assert records["b-outlet.txt"]["near_duplicate"]["match"] == original
    for name in ("a-original.txt", "c-follow-up.txt", "d-unrelated.txt"):
        assert records[name]["near_duplicate"] is None, name
    assert manifest["near_duplicates"] == {"mode": "mark", "compared": 4, "copies": 1, "clusters": 1, "history": 0}
    assert (run_dir.parent / "ledger" / "near_duplicates").is_dir()


@pytest.mark.prefect
def test_a_copy_that_arrives_the_next_night_points_at_the_first_nights_record(nights):
    first = records_by_name(nights["night1"][0])
    second = records_by_name(nights["night2"][0])
    assert second["e-outlet.txt"]["near_duplicate"]["cluster"] == first["a-original.txt"]["id"]
    assert nights["night2"][1]["near_duplicates"]["history"] == 4


@pytest.mark.prefect
def test_a_full_run_gives_the_same_clusters(nights):
    strip = lambda records: {name: r["near_duplicate"] for name, r in records.items()}  # noqa: E731
    assert strip(records_by_name(nights["full"][0])) == strip(records_by_name(nights["night1"][0]))


@pytest.mark.prefect
def test_skip_mode_moves_the_copy_to_skipped_and_the_accounting_holds(nights):
    run_dir, manifest = nights["skip"]
    records = records_by_name(run_dir)
    assert set(records) == {"a-original.txt", "c-follow-up.txt", "d-unrelated.txt"}
    skipped = [json.loads(line) for line in (run_dir / "skipped.jsonl").read_text(encoding="utf-8").splitlines()]
    [copy] = [s for s in skipped if s["reason"] == "near_duplicate"]
    assert Path(copy["source"]).name == "b-outlet.txt"
    assert copy["near_duplicate"]["match"] == records["a-original.txt"]["id"]
    assert manifest["counts"] == {"inputs": 4, "records": 3, "rejects": 0, "skipped": 1}
    assert manifest["skip_reasons"] == {"near_duplicate": 1}
    assert sum(s["records"] for s in manifest["shards"]) == 3
    ledger = [json.loads(line) for path in (run_dir.parent / "ledger" / "runs").glob("*.jsonl") for line in path.read_text().splitlines()]
    assert {Path(e["source"]).name: e["outcome"] for e in ledger}["b-outlet.txt"] == "near_duplicate"


@pytest.mark.prefect
def test_the_review_page_groups_a_clusters_members(nights):
    run_dir, _ = nights["night1"]
    from cleaners.run.report import render_report

    page = render_report(run_dir)
    panel = page[page.index('id="near-duplicates"') :]
    panel = panel[: panel.index("</div>")]
    assert "a-original.txt" in panel and "b-outlet.txt" in panel
    assert "c-follow-up.txt" not in panel and "d-unrelated.txt" not in panel
    skip_page = (nights["skip"][0] / "report.html").read_text(encoding="utf-8")
    assert "later copies were skipped" in skip_page


@pytest.mark.parametrize("mode", ["mark", "skip"])
def test_deciding_and_marking_again_after_a_crash_changes_nothing(tmp_path, mode):
    """A run killed after marking some shards is resumed: the same command decides again
    from the same signature files and marks the same shards again, to the same bytes."""
    from cleaners.pipeline import RunInfo
    from cleaners.run import shards as batch
    from cleaners.run.folders import RunContext

    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(BIDEN, src / "a.txt")
    (src / "b.txt").write_text(outlet_copy(BIDEN, **COPY_B), encoding="utf-8")
    (src / "c.txt").write_text(outlet_copy(BIDEN, **COPY_C), encoding="utf-8")
    config = CleanConfig().overridden(near_duplicates=mode)
    run_id = "run-20260101T000000Z-aaaaaaaa"
    context = RunContext.direct(str(tmp_path / "run"), config, RunInfo(config.config_hash(), processed_at="test"), ledger=str(tmp_path / "ledger"), run_id=run_id)
    shards = [[str(src / "a.txt"), str(src / "b.txt")], [str(src / "c.txt")]]

    def decide_and_mark() -> tuple[dict, list, dict]:
        summaries = [batch.clean_shard(i, refs, context) for i, refs in enumerate(shards)]  # the second time: committed, not cleaned
        found = near.decide_run(context.ledger, run_id, [0, 1], config.near_duplicates)
        marked = [batch.mark_shard(s, found.marks.get(s.index, {}), context) for s in summaries]
        files = {p.name: p.read_bytes() for p in sorted((tmp_path / "run").glob("documents-*"))}
        return files, [m[0] for m in marked] + [skip for m in marked for skip in m[1]], found.summary()

    first = decide_and_mark()
    assert first == decide_and_mark()
    assert first[2] == {"compared": 3, "copies": 2, "clusters": 1, "history": 0}
    records = [json.loads(line) for data in first[0].values() for line in data.decode().splitlines()]
    if mode == "mark":
        assert [r["near_duplicate"] is not None for r in records] == [False, True, True]
    else:
        assert len(records) == 1 and [s.reason for s in first[1][2:]] == ["near_duplicate", "near_duplicate"]
        assert sum(s.records for s in first[1][:2]) == 1 and sum(s.inputs for s in first[1][:2]) == 1


@pytest.mark.prefect
def test_the_review_page_says_on_each_copy_which_record_it_matches(nights, tmp_path):
    from cleaners.run.report import write_report
    from tests import chromium

    chromium.require_chromium()
    run_dir, _ = nights["night1"]
    page = Path(write_report(run_dir, tmp_path / "report.html"))
    dom = chromium.dump_dom(page.as_uri(), tmp_path / "profile").stdout
    assert 'data-js-ok="1"' in dom
    records = records_by_name(run_dir)
    articles = {re.search(r'data-uri="([^"]+)"', part).group(1): part for part in dom.split("<article")[1:]}
    copy = articles[records["b-outlet.txt"]["source"]["uri"]]
    assert f"near-duplicate of {records['a-original.txt']['id'][:12]}" in copy
    assert "near-duplicate of" not in articles[records["a-original.txt"]["source"]["uri"]]
