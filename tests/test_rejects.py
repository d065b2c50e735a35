"""Every kind of bad input, as a real file on disk, ends as a reject with its reason.

One table: the file, the config it is read with, and the reason expected. Each case is
cleaned as a flow task cleans a shard (``cleaners.run.shards.clean_shard``), together with a
good document, which must still come out as a record: one bad input never costs another.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path
from typing import Callable

import pytest

from cleaners.run import shards as batch

from cleaners.run.folders import RunContext
from cleaners.config import CleanConfig
from cleaners.pipeline import RunInfo

from .conftest import SEEDS, article_html

GOOD = SEEDS / "000_c1532a8820d5ae7f.txt"
ARTICLE = GOOD.read_text(encoding="utf-8")
HTML_PAGE = article_html(ARTICLE, title="Harbour plan")


#: 600 copies of the article (1.6 MB of HTML): most of a second of extraction, far over 0.05 s.
SLOW_PAGE = HTML_PAGE.replace("</article>", "".join(["<div><p>" + ARTICLE.replace("\n", "</p><p>") + "</p></div>"] * 600) + "</article>")


def write(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    return make


def bomb(folder: Path) -> Path:
    path = folder / "bomb.txt.gz"
    with gzip.open(path, "wb") as handle:
        for _ in range(32):
            handle.write(bytes(1 << 20))
    return path


# name -> (file maker, config overrides, expected (member, reason) of the rejects)
CASES: dict[str, tuple[Callable[[Path], Path], dict, list[tuple[int | None, str]]]] = {
    "empty file": (write("empty.txt", b""), {}, [(None, "empty")]),
    "whitespace only": (write("blank.txt", b" \n\t\n  "), {}, [(None, "empty")]),
    "png image": (write("logo.txt", b"\x89PNG\r\n\x1a\n" + bytes(300)), {}, [(None, "binary")]),
    "pdf document": (write("paper.txt", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n" * 20), {}, [(None, "binary")]),
    "executable": (write("tool.txt", b"\x7fELF\x02\x01\x01" + bytes(9) + b"\x02\x00>\x00" * 50), {}, [(None, "binary")]),
    "undecodable text": (write("garbage.txt", bytes(range(0x80, 0x100)) * 8), {}, [(None, "undecodable|binary")]),
    "over the size limit": (write("long.txt", ARTICLE.encode() * 40), {"limits": {"max_bytes": 50_000}}, [(None, "too_large")]),
    "corrupt gzip": (write("corrupt.txt.gz", b"\x1f\x8b\x08\x00" + bytes(range(120))), {}, [(None, "corrupt_gzip")]),
    "truncated gzip": (write("cut.txt.gz", gzip.compress(ARTICLE.encode())[:-40]), {}, [(None, "corrupt_gzip")]),
    "decompression bomb": (bomb, {"limits": {"max_bytes": 1_000_000}}, [(None, "too_large")]),
    "malformed jsonl line": (
        write("rows.jsonl", (json.dumps({"text": ARTICLE}) + "\n{broken\n" + json.dumps({"html": HTML_PAGE}) + "\n").encode()),
        {},
        [(2, "malformed_jsonl")],
    ),
    "jsonl integer over Python's digit limit": (
        write("big.jsonl", (json.dumps({"text": ARTICLE}) + '\n{"text": "x", "n": ' + "9" * 5000 + "}\n").encode()), {}, [(2, "malformed_jsonl")],
    ),
    "jsonl field nested too deep to write": (
        write("nested.jsonl", ('{"text": %s, "tree": %s}\n' % (json.dumps(ARTICLE), "[" * 300 + "]" * 300)).encode()), {}, [(1, "malformed_jsonl")],
    ),
    "jsonl nested too deep to parse": (write("deep.jsonl", b"[" * 100_000 + b"]" * 100_000 + b"\n"), {}, [(1, "malformed_jsonl")]),
    "over-long jsonl line in a truncated gzip": (
        write("cut.jsonl.gz", gzip.compress((json.dumps({"text": random.Random(0).randbytes(100_000).hex()}) + "\n").encode(), mtime=0)[:50_000]),
        {"limits": {"max_bytes": 20_000}},  # the cut comes after the limit, while the rest of the line is skipped
        [(1, "corrupt_gzip")],
    ),
    "empty jsonl": (write("nothing.jsonl", b"\n  \n\n"), {}, [(None, "empty")]),
    "warc without a response record": (
        write("requests.warc", b"WARC/1.0\r\nWARC-Type: warcinfo\r\nWARC-Record-ID: <urn:uuid:1>\r\nContent-Length: 0\r\n\r\n\r\n\r\n"),
        {},
        [(None, "empty")],
    ),
    "malformed warc record": (write("crawl.warc", b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 9999\r\n\r\ncut short"), {}, [(1, "malformed_warc")]),
    "html past the time limit": (write("slow.html", SLOW_PAGE.encode()), {"html": {"time_limit": 0.05}}, [(None, "extraction_timeout")]),
    "html without an article": (write("gallery.html", b"<html><body><img src='a.jpg'></body></html>"), {}, [(None, "no_article")]),
    "nothing left after cleaning": (write("junk.txt", b"Advertisement\nLeave a Reply\nShare this:\n"), {}, [(None, "empty_after_cleaning")]),
    "unwanted language": (write("en.txt", ARTICLE.encode()), {"language": {"keep": ["de"]}}, [(None, "language")]),
}


@pytest.mark.parametrize("case", list(CASES), ids=lambda c: c.replace(" ", "-"))
def test_bad_input_is_a_reject_and_the_good_document_survives(case, tmp_path):
    make, overrides, expected = CASES[case]
    folder = tmp_path / "in"
    folder.mkdir()
    bad = make(folder)
    good = folder / "zz-good.txt"
    good.write_bytes(GOOD.read_bytes())
    config = CleanConfig.model_validate(overrides)
    run = RunInfo(config.config_hash(), processed_at="test")
    summary = batch.clean_shard(0, [str(bad), str(good)], RunContext.direct(str(tmp_path / "run"), config, run))
    records = [json.loads(line) for line in (tmp_path / "run" / summary.file).read_text(encoding="utf-8").splitlines()]
    good_records = [r for r in records if r["source"]["uri"] == str(good)]
    if case != "unwanted language":  # the good document is English too
        assert len(good_records) == 1
    got = [(r["member"], r["reason"]) for r in summary.rejects if r["source"] == str(bad)]
    assert len(got) == len(expected)
    for (member, reason), (want_member, want_reason) in zip(got, expected):
        assert member == want_member and reason in want_reason.split("|"), (case, got)
    assert all(r["message"] for r in summary.rejects)
    assert summary.inputs == summary.records + len(summary.rejects)


def test_a_missing_file_is_an_unreadable_reject(tmp_path):
    config = CleanConfig()
    summary = batch.clean_shard(0, [str(tmp_path / "gone.txt")], RunContext.direct(str(tmp_path / "run"), config, RunInfo(config.config_hash())))
    (reject,) = summary.rejects
    assert reject["reason"] == "unreadable" and "FileNotFoundError" in reject["message"]
