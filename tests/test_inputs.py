"""Input kinds: HTML pages, JSONL exports and WARC crawls, gzip or not, through the real pipeline.

Fixtures are made here, on disk: an HTML page with a newsletter box and related stories,
a JSONL file with a malformed line, a WARC file with a request, an HTML response and a
non-HTML response. Each is read through ``cleaners.run.shards`` (what a flow task runs) or the
flow itself, and checked for record counts, metadata, removed junk and rejects.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import random
import zlib
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import fsspec
import pytest

from cleaners.run import shards as batch

from cleaners.run.folders import RunContext
from cleaners.config import CleanConfig, InputOptions
from cleaners.inputs.extract import extract_html
from cleaners.inputs.files import BadInput, NotDocument, read_documents
from cleaners.pipeline import RunInfo

from .conftest import LocalUnderProtocol

ARTICLE = [
    "The city council voted on Tuesday to turn the old harbour warehouses into two hundred affordable homes, ending a dispute that has lasted more than a decade.",
    "Councillors approved the plan by nine votes to four after a debate of almost three hours, in which residents of the waterfront spoke for and against the scheme.",
    "The developer must now keep the brick facades of the warehouses, which date from the 1880s, and open a public path along the quay before the first tenants move in.",
    "Work is expected to begin next spring and to take about three years, the council said, with the first homes let through the municipal housing association.",
]
NEWSLETTER = "Sign up for our daily newsletter to get the best stories in your inbox every morning."
#: Junk inside the article element: the extractor keeps it, the text cleaners remove it.
IN_ARTICLE_JUNK = ["Advertisement", "Support independent local journalism. Donate today from just $5 a month."]
RELATED = ["Related stories", "Bridge repairs to close the ring road for a month", "Harbour festival returns with a record number of boats"]


def page(title: str = "Council backs harbour homes plan", charset: str = "utf-8") -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in ARTICLE)
    related = "".join(f"<li><a href='/s/{i}'>{t}</a></li>" for i, t in enumerate(RELATED[1:]))
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="{charset}">
<title>{title} | The Harbour Gazette</title>
<meta name="author" content="Jane Doe"><meta property="article:published_time" content="2024-03-05T10:00:00Z">
<meta property="og:site_name" content="The Harbour Gazette"></head>
<body><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<article><h1>{title}</h1>{paragraphs}{"".join(f"<p>{j}</p>" for j in IN_ARTICLE_JUNK)}
<div class="newsletter"><p>{NEWSLETTER}</p><form><input type="email"><button>Subscribe</button></form></div></article>
<aside><h2>{RELATED[0]}</h2><ul>{related}</ul></aside>
<footer>Copyright 2024 The Harbour Gazette. All rights reserved.</footer></body></html>"""


def clean_files(paths: list[Path], tmp_path: Path, config: CleanConfig | None = None) -> tuple[list[dict], list[dict]]:
    """Records and rejects of one shard over ``paths``, as a flow task makes them."""
    records, rejects, _ = clean_files_skipping(paths, tmp_path, config)
    return records, rejects


def clean_files_skipping(paths: list[Path], tmp_path: Path, config: CleanConfig | None = None) -> tuple[list[dict], list[dict], dict[str, int]]:
    """Records, rejects and the skips by reason (members that are no documents)."""
    config = config or CleanConfig()
    out = tmp_path / "run"
    summary = batch.clean_shard(0, [str(p) for p in paths], RunContext.direct(str(out), config, RunInfo(config.config_hash(), processed_at="test")))
    records = [json.loads(line) for line in (out / summary.file).read_text(encoding="utf-8").splitlines()]
    return records, summary.rejects, summary.skipped


def gz(path: Path) -> Path:
    target = path.with_name(path.name + ".gz")
    target.write_bytes(gzip.compress(path.read_bytes(), mtime=0))
    return target


def jsonl_file(tmp_path: Path) -> Path:
    rows = [
        json.dumps({"url": "https://gazette.example/harbour", "html": page(), "id": "a1", "published": "2024-03-05", "section": "local"}),
        '{"url": "https://gazette.example/broken", "html": "<p>unterminated',
        json.dumps({"url": "https://gazette.example/text", "text": "\n\n".join(ARTICLE + [NEWSLETTER]), "id": "a3", "lang_hint": "en"}),
    ]
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def write_warc(path: Path, pages: list[tuple[str, str]], compress: bool, image_after: int = 1) -> Path:
    """A crawl: per ``(url, html)`` page a request record and an HTML response, and a PNG
    response (not a document) after the first ``image_after`` pages."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=compress)
    for i, (url, html) in enumerate(pages, start=1):
        request = StatusAndHeaders(f"GET {urlsplit(url).path} HTTP/1.1", [("Host", urlsplit(url).hostname)], is_http_request=True)
        writer.write_record(writer.create_warc_record(url, "request", http_headers=request, payload=io.BytesIO(b"")))
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(html.encode("utf-8")), http_headers=headers))
        if i == image_after:
            image = StatusAndHeaders("200 OK", [("Content-Type", "image/png")], protocol="HTTP/1.1")
            png = io.BytesIO(b"\x89PNG\r\n\x1a\n" + bytes(64))
            writer.write_record(writer.create_warc_record("https://gazette.example/logo.png", "response", payload=png, http_headers=image))
    path.write_bytes(buffer.getvalue())
    return path


def warc_file(tmp_path: Path, compress: bool) -> Path:
    """A request, an HTML response and a non-HTML response."""
    return write_warc(tmp_path / ("crawl.warc.gz" if compress else "crawl.warc"), [("https://gazette.example/harbour", page())], compress)


def assert_clean_article(record: dict) -> None:
    for paragraph in ARTICLE:
        assert paragraph in record["text"]
    for junk in [NEWSLETTER, RELATED[1], "All rights reserved", *IN_ARTICLE_JUNK]:
        assert junk not in record["text"]


# --- HTML ------------------------------------------------------------------------------


@pytest.mark.parametrize("compressed", [False, True])
def test_html_page_gives_the_article_with_its_metadata(tmp_path, compressed):
    path = tmp_path / "harbour.html"
    path.write_text(page(), encoding="utf-8")
    (record,), rejects = clean_files([gz(path) if compressed else path], tmp_path)
    assert rejects == []
    assert_clean_article(record)
    assert record["source"]["format"] == "html" and record["source"]["member"] is None
    meta = record["metadata"]
    assert meta["title"].startswith("Council backs harbour homes plan") and meta["author"] == "Jane Doe"
    assert meta["date"] == "2024-03-05" and meta["sitename"] == "The Harbour Gazette"
    assert record["title"] == meta["title"]


def test_html_offsets_point_into_the_extracted_text(tmp_path):
    html = page()
    path = tmp_path / "harbour.html"
    path.write_text(html, encoding="utf-8")
    (record,), _ = clean_files([path], tmp_path)
    extracted = extract_html(html).text
    assert hashlib.sha256(extracted.encode("utf-8")).hexdigest() == record["source"]["extracted_sha256"]
    for removal in record["removed"]:
        assert extracted[removal["start"] : removal["end"]] == removal["text"]
    removed = {r["text"].strip(): r["rule"] for r in record["removed"]}
    # The <h1> inside the article comes first in the extracted text: it is the record's title,
    # and the text is the body (as on the four pages in five where trafilatura leaves it out).
    assert extracted.startswith("Council backs harbour homes plan\n")
    assert removed.pop("Council backs harbour homes plan") == "other.page_title"
    assert set(removed) == set(IN_ARTICLE_JUNK) and removed["Advertisement"].startswith("advertising.")
    assert record["title"] == "Council backs harbour homes plan" and record["text"].startswith(ARTICLE[0])


def test_html_charset_from_meta_is_honoured(tmp_path):
    path = tmp_path / "latin.html"
    path.write_bytes(page(title="Café owners welcome the harbour plan", charset="windows-1252").encode("cp1252"))
    (record,), _ = clean_files([path], tmp_path)
    assert record["source"]["encoding"] in {"cp1252", "windows-1252"}
    assert record["metadata"]["title"].startswith("Café owners")


def test_html_without_an_article_is_a_reject(tmp_path):
    path = tmp_path / "empty.html"
    path.write_text("<html><head><title>Gallery</title></head><body><img src='a.jpg'><script>var x = 1;</script></body></html>", encoding="utf-8")
    records, (reject,) = clean_files([path], tmp_path)
    assert records == [] and reject["reason"] == "no_article"


# --- JSONL -----------------------------------------------------------------------------


@pytest.mark.parametrize("compressed", [False, True])
def test_jsonl_rows_become_records_and_the_malformed_line_a_reject(tmp_path, compressed):
    path = jsonl_file(tmp_path)
    records, rejects = clean_files([gz(path) if compressed else path], tmp_path)
    assert [r["source"]["member"] for r in records] == [1, 3]
    html_record, text_record = records
    assert_clean_article(html_record)
    assert html_record["source"] | {"sha256": None, "bytes": None, "extracted_sha256": None} == html_record["source"] | {
        "container": "jsonl", "format": "html", "url": "https://gazette.example/harbour", "record_id": "a1",
        "date": "2024-03-05", "extra": {"section": "local"}, "sha256": None, "bytes": None, "extracted_sha256": None,
    }
    assert html_record["source"]["sha256"] == hashlib.sha256(page().encode("utf-8")).hexdigest()
    assert text_record["source"]["format"] == "text" and text_record["source"]["extra"] == {"lang_hint": "en"}
    assert NEWSLETTER not in text_record["text"] and ARTICLE[0] in text_record["text"]
    (reject,) = rejects
    assert (reject["member"], reject["reason"]) == (2, "malformed_jsonl") and "line 2" in reject["message"]


@pytest.mark.parametrize("key", ["fields", "jsonl"], ids=["input.fields", "old input.jsonl"])
def test_jsonl_field_names_are_configurable(tmp_path, key):
    path = tmp_path / "custom.jsonl"
    path.write_text(json.dumps({"link": "https://x.example/a", "body": "\n\n".join(ARTICLE), "uid": 7}) + "\n", encoding="utf-8")
    config = CleanConfig.model_validate({"input": {key: {"url": "link", "text": "body", "id": "uid"}}})
    assert config.input.fields.text == "body" and "fields" in config.model_dump()["input"]
    (record,), _ = clean_files([path], tmp_path, config)
    assert (record["source"]["url"], record["source"]["record_id"], record["source"]["extra"]) == ("https://x.example/a", "7", {})


def test_the_old_and_the_new_field_key_together_are_refused():
    with pytest.raises(ValueError, match=r"\[input.fields\]"):
        CleanConfig.model_validate({"input": {"jsonl": {"text": "body"}, "fields": {"text": "content"}}})


def test_jsonl_rows_with_other_field_names_are_explained_once_per_set_of_fields(tmp_path):
    path = tmp_path / "crawl.jsonl"
    export = {"page_url": "https://x.example/a", "content": "\n\n".join(ARTICLE), "crawled": 1}
    other = {"link": "https://x.example/b", "body": ARTICLE[0]}
    path.write_text("".join(json.dumps(row) + "\n" for row in [export, export, other, export]), encoding="utf-8")
    records, rejects = clean_files([path], tmp_path)
    assert records == [] and [r["reason"] for r in rejects] == ["malformed_jsonl"] * 4
    first, second, third, fourth = (r["message"] for r in rejects)
    assert "'page_url', 'content', 'crawled'" in first and '[input.fields] html = "<field>"' in first
    assert "'link', 'body'" in third and "[input.fields]" in third
    for repeat in (second, fourth):  # every row still a reject of its own, pointing at the explanation
        assert "same fields as line 1" in repeat and "page_url" not in repeat


# --- WARC ------------------------------------------------------------------------------


@pytest.mark.parametrize("compressed", [False, True])
def test_warc_html_responses_become_records(tmp_path, compressed):
    records, rejects, skipped = clean_files_skipping([warc_file(tmp_path, compressed)], tmp_path)
    (record,) = records
    assert_clean_article(record)
    source = record["source"]
    assert (source["container"], source["member"], source["url"]) == ("warc", 2, "https://gazette.example/harbour")
    assert source["record_id"].startswith("<urn:uuid:") and source["date"]
    assert record["metadata"]["author"] == "Jane Doe"
    assert rejects == [] and skipped == {"not_document": 2}  # the request record and the image


@pytest.mark.parametrize(
    "tail",
    [b"this is not a warc record\r\n\r\n", b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 99999\r\n\r\ntruncated"],
    ids=["garbage", "truncated"],
)
def test_a_malformed_warc_record_is_a_reject_and_earlier_records_are_kept(tmp_path, tail):
    good = warc_file(tmp_path, compress=False).read_bytes()
    path = tmp_path / "broken.warc"
    path.write_bytes(good + tail)
    records, rejects, skipped = clean_files_skipping([path], tmp_path)
    assert len(records) == 1 and skipped == {"not_document": 2}
    assert [(r["member"], r["reason"]) for r in rejects] == [(4, "malformed_warc")]


@pytest.mark.parametrize("layout", ["gzip-per-record", "gzip-whole-file", "plain"])
def test_a_truncated_warc_keeps_its_complete_records_and_says_where_it_breaks(tmp_path, layout):
    """warcio reads the EOFError of a cut-off gzip stream as the archive's end: the last
    records were lost without a reject (found by a fuzzing helper, 301 of 306 cuts). An
    uncompressed WARC cut inside a record gave that record's first part as a document."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=layout == "gzip-per-record")
    for i in range(3):
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        payload = io.BytesIO(page(title=f"Harbour plan, part {i + 1}").encode("utf-8"))
        writer.write_record(writer.create_warc_record(f"https://gazette.example/{i}", "response", payload=payload, http_headers=headers))
    data = gzip.compress(buffer.getvalue(), mtime=0) if layout == "gzip-whole-file" else buffer.getvalue()
    path = tmp_path / ("cut.warc" if layout == "plain" else "cut.warc.gz")
    path.write_bytes(data[:-100])
    items = list(read_documents(str(path), InputOptions(), 5_000_000))
    assert [getattr(i, "member") for i in items] == [1, 2, 3]
    assert [type(i).__name__ for i in items] == ["InputDocument", "InputDocument", "BadInput"]
    assert items[2].reason == "malformed_warc" and "cut off" in items[2].message


def test_jsonl_lone_surrogates_and_unparseable_urls_still_give_records(tmp_path):
    """Valid JSON that is no valid text: a lone surrogate escape in the body garbled the whole
    document (invalid UTF-8, decoded under a guessed charset); in the url or an extra field it
    made the record unwritable, and the whole shard failed. A url with an unclosed IPv6
    bracket crashed the profile pass. All found by a fuzzing helper."""
    body = "Café owners in Zürich are naïve, he said. \\ud800" + "\n\n".join(ARTICLE)
    rows = [
        '{"text": "%s", "url": "https://gazette.example/\\ud800", "tags": ["ok", "\\udc00"], "\\ud801": 1}' % body.replace("\n", "\\n"),
        json.dumps({"text": "\n\n".join(ARTICLE), "url": "http://[::1/harbour"}),
    ]
    path = tmp_path / "odd.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    profile = batch.scan_shard([str(path)]).profile  # raised ValueError: Invalid IPv6 URL
    config = CleanConfig()
    out = tmp_path / "run"
    summary = batch.clean_shard(0, [str(path)], RunContext.direct(str(out), config, RunInfo(config.config_hash(), processed_at="t")), profile)
    assert summary.rejects == [] and summary.records == 2
    first, second = (json.loads(line) for line in (out / summary.file).read_text(encoding="utf-8").split("\n") if line)
    assert first["text"].startswith("Café owners in Zürich are naïve, he said. \ufffd") and first["source"]["encoding"] == "string"
    assert first["source"]["url"] == "https://gazette.example/\ufffd"
    assert first["source"]["extra"] == {"tags": ["ok", "\ufffd"], "\ufffd": 1}
    assert second["source"]["url"] == "http://[::1/harbour" and second["text"].startswith(ARTICLE[0])


def test_a_local_file_with_double_colons_in_its_name_is_read(tmp_path):
    """fsspec reads "a::b" as a chained URL: "harbour::2024.txt" was an unreadable reject."""
    from cleaners.inputs.discovery import discover, uris

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "harbour::2024.txt").write_text("\n\n".join(ARTICLE), encoding="utf-8")
    records, rejects = clean_files([Path(u) for u in uris(discover(str(tmp_path / "in")))], tmp_path)
    assert rejects == [] and [r["source"]["uri"] for r in records] == [str(tmp_path / "in" / "harbour::2024.txt")]


# --- gzip trouble ----------------------------------------------------------------------


def test_corrupt_and_truncated_gzip_are_rejects(tmp_path):
    text = ("\n\n".join(ARTICLE)).encode("utf-8")
    truncated = tmp_path / "truncated.txt.gz"
    truncated.write_bytes(gzip.compress(text)[:-30])
    corrupt = tmp_path / "corrupt.txt.gz"
    corrupt.write_bytes(b"\x1f\x8b\x08\x00" + bytes(range(200)))
    records, rejects = clean_files([truncated, corrupt], tmp_path)
    assert records == [] and [r["reason"] for r in rejects] == ["corrupt_gzip", "corrupt_gzip"]


def test_a_decompression_bomb_is_rejected_without_being_held_in_memory(tmp_path):
    bomb = tmp_path / "bomb.txt.gz"
    with gzip.open(bomb, "wb") as handle:
        for _ in range(64):  # 64 MiB of zeros, about 64 KiB on disk
            handle.write(bytes(1 << 20))
    config = CleanConfig.model_validate({"limits": {"max_bytes": 1_000_000}})
    items = list(read_documents(str(bomb), InputOptions(), config.limits.max_bytes))
    assert [type(i) for i in items] == [BadInput] and items[0].reason == "too_large" and items[0].bytes == 64 << 20
    records, (reject,) = clean_files([bomb], tmp_path, config)
    assert records == [] and reject["reason"] == "too_large"


def test_format_override_reads_a_misnamed_file(tmp_path):
    path = tmp_path / "export.dat"
    path.write_bytes(jsonl_file(tmp_path).read_bytes())
    config = CleanConfig.model_validate({"input": {"format": "jsonl"}})
    records, rejects = clean_files([path], tmp_path, config)
    assert len(records) == 2 and len(rejects) == 1
    sniffed, _ = clean_files([path], tmp_path / "sniffed")  # by content: it starts with "{"
    assert len(sniffed) == 2


# --- the flow over a folder of every kind ----------------------------------------------


def test_flow_over_mixed_inputs_accounts_for_every_document(prefect_server, tmp_path):
    from flows.clean_corpus import clean_corpus

    src = tmp_path / "in"
    src.mkdir()
    (src / "harbour.html").write_text(page(), encoding="utf-8")
    jsonl_file(src)
    warc_file(src, compress=True)
    (src / "notes.txt").write_text("\n\n".join(ARTICLE[:2]), encoding="utf-8")
    result = clean_corpus(source=str(src), output=str(tmp_path / "out"), shard_size=2)
    manifest = result["manifest"]
    # 1 html + 3 jsonl lines + 3 warc records (a request, a page, an image) + 1 text. The
    # same page is also the first JSONL row's html and the WARC response's payload: two
    # exact duplicates, skipped; the request and the image are no documents, skipped.
    assert manifest["files"] == 4
    assert manifest["counts"] == {"inputs": 8, "records": 3, "rejects": 1, "skipped": 4}
    assert manifest["reject_reasons"] == {"malformed_jsonl": 1}
    assert manifest["skip_reasons"] == {"duplicate": 2, "not_document": 2}
    records = [json.loads(line) for f in sorted(Path(result["run_dir"]).glob("documents-*.jsonl")) for line in f.read_text().splitlines()]
    assert sorted((Path(r["source"]["uri"]).name, r["source"]["member"]) for r in records) == [
        ("crawl.warc.gz", 2), ("export.jsonl", 3), ("notes.txt", None)
    ]


def test_review_page_finds_container_members_and_extracted_html_again(tmp_path):
    """The review page re-reads each record's document (JSONL line, WARC record, HTML page) to show it."""
    from cleaners.run.report import read_input

    (src := tmp_path / "in").mkdir()
    (src / "harbour.html").write_text(page(title="Harbour plan approved"), encoding="utf-8")
    paths = [src / "harbour.html", jsonl_file(src), warc_file(src, compress=True)]
    records, _ = clean_files(paths, tmp_path)
    assert len(records) == 4  # html file, 2 jsonl rows, 1 warc response
    for record in records:
        decoded, why_not = read_input(record)
        assert why_not is None and decoded is not None, (record["source"], why_not)
        assert all(decoded[r["start"] : r["end"]] == r["text"] for r in record["removed"])
    html_record = next(r for r in records if r["source"]["format"] == "html" and r["source"]["container"] is None)
    Path(html_record["source"]["uri"]).write_text(page(title="Changed since"), encoding="utf-8")
    assert read_input(html_record) == (None, "The original input has changed since the run (sha256 differs).")


def test_review_page_reads_jsonl_again_with_the_runs_field_names(tmp_path):
    """A run with its own JSONL field names: the report re-reads each row with the config
    the manifest keeps (with the defaults it found no document in the row)."""
    from cleaners.run.report import read_input, run_config

    path = tmp_path / "export.jsonl"
    path.write_text(json.dumps({"link": "https://gazette.example/harbour", "body": "\n\n".join(ARTICLE + [NEWSLETTER])}) + "\n", encoding="utf-8")
    config = CleanConfig.model_validate({"input": {"jsonl": {"text": "body", "url": "link"}}})
    (record,), _ = clean_files([path], tmp_path, config)
    assert record["source"]["url"] == "https://gazette.example/harbour" and record["removed"]
    assert read_input(record) == (None, "The original input no longer holds member 1.")  # default field names
    decoded, why_not = read_input(record, run_config({"config": config.model_dump(mode="json")}))
    assert why_not is None and all(decoded[r["start"] : r["end"]] == r["text"] for r in record["removed"])
    assert run_config({}) == CleanConfig() and run_config({"config": {"no_such_section": 1}}) == CleanConfig()


def test_records_holding_unicode_line_separators_stay_one_line_each(tmp_path):
    """JSON allows U+2028, U+2029 and U+0085 raw inside strings, but Python's splitlines()
    (and other readers) end a line there: a record whose edits or removals held one read
    back as two broken lines. They are written as JSON escapes."""
    path = tmp_path / "separators.txt"
    path.write_text("Menu\u2028Home\x85\n" + "\n\n".join(ARTICLE) + "\u2029", encoding="utf-8")
    out = tmp_path / "run"
    config = CleanConfig()
    summary = batch.clean_shard(0, [str(path)], RunContext.direct(str(out), config, RunInfo(config.config_hash(), processed_at="t")))
    lines = (out / summary.file).read_text(encoding="utf-8").splitlines()
    (record,) = [json.loads(line) for line in lines]
    assert {e["before"] for e in record["edits"]} >= {"\u2028", "\u2029"}
    assert "\\u2028" in lines[0] and "\u2028" not in lines[0]


def test_discovery_skips_hidden_folders_and_the_runs_own_output(tmp_path):
    """Only the file name was checked for a leading dot, so `.git/` and `.cache/` were cleaned;
    an output folder inside the source was cleaned again by the next run (its shards and
    ledger as malformed JSONL). Found by a helper probing the CLI."""
    from cleaners.inputs.discovery import SourceError, discover

    src = tmp_path / "news"
    for name in ("a.txt", ".draft.txt", ".git/b.txt", "sub/.cache/c.txt", "sub/d.txt", "clean/run-1/documents-00000.jsonl", "clean/ledger/x.jsonl"):
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text("x")
    found = [Path(ref.uri).relative_to(src).as_posix() for ref in discover(str(src), exclude=[str(src / "clean")])]
    assert found == ["a.txt", "sub/d.txt"]
    # a hidden folder named as the source itself is what the user asked for
    assert [Path(r.uri).name for r in discover(str(src / ".git"))] == ["b.txt"]
    with pytest.raises(SourceError, match="empty source"):
        discover(["  "])


def test_discovered_paths_are_normalised_and_unsupported_files_listed_apart(tmp_path, monkeypatch):
    """"main/../real/a.txt" was a record's source.uri as typed; files of other endings were
    passed over without a word."""
    from cleaners.inputs.discovery import discover, other_endings, unsupported

    (real := tmp_path / "real").mkdir()
    (tmp_path / "main").mkdir()
    for name in ("a.txt", "b.html", "report.pdf", "scan.pdf", "logo.png", ".hidden.pdf"):
        (real / name).write_text("x")
    monkeypatch.chdir(tmp_path)
    for source in ("main/../real", "./real/", str(real), "real/*.txt"):
        uris = [ref.uri for ref in discover(source)]
        assert uris[0] == str(real / "a.txt") and ".." not in uris[0], source
    assert [Path(ref.uri).name for ref in unsupported("main/../real")] == ["logo.png", "report.pdf", "scan.pdf"]
    assert other_endings("real") == {".pdf": 2, ".png": 1}
    assert unsupported("real/*.txt") == []  # a glob names its inputs: nothing else is listed


# --- large containers in parts -----------------------------------------------------------

#: A small document limit for the split tests, so that one JSONL line can be over it.
SPLIT_MAX_BYTES = 3_000


def _item_key(item: object) -> tuple:
    if isinstance(item, BadInput):
        return ("reject", item.member, item.reason)
    if isinstance(item, NotDocument):
        return ("skip", item.member, item.reason)
    return ("document", item.member, hashlib.sha256(item.raw).hexdigest(), item.url)


def many_rows_jsonl(tmp_path: Path) -> Path:
    """13 documents and 3 rejects among 18 lines: blank lines, a malformed and an oversized row."""
    lines = [json.dumps({"url": f"https://gazette.example/{i}", "text": f"{ARTICLE[i % 4]} Story {i}."}) for i in range(13)]
    lines[4:4] = ["", "{not json"]
    lines[9:9] = [json.dumps({"text": "x" * SPLIT_MAX_BYTES}), "   "]
    lines.append(json.dumps(["an array, not an object"]))
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def many_records_warc(tmp_path: Path, compress: bool) -> Path:
    """Nine HTML responses, each after its request record, and an image response."""
    pages = [(f"https://gazette.example/{i}", page(title=f"Harbour plan, part {i}")) for i in range(9)]
    return write_warc(tmp_path / ("many.warc.gz" if compress else "many.warc"), pages, compress, image_after=5)


@pytest.mark.parametrize("kind", ["jsonl", "jsonl.gz", "warc", "warc.gz"])
def test_a_large_container_is_read_in_parts_that_give_every_member_once(tmp_path, kind):
    """A large JSONL or WARC file was one shard, cleaned by one task on one core. It is now
    counted (nothing parsed) and read in parts of ``size`` documents and rejects; the parts
    together give exactly what reading the whole file gives, in the same order."""
    from cleaners.inputs.files import Part, split_container

    path = many_rows_jsonl(tmp_path) if kind.startswith("jsonl") else many_records_warc(tmp_path, compress=kind == "warc.gz")
    if kind == "jsonl.gz":
        path = gz(path)
    options = InputOptions()
    whole = [_item_key(i) for i in read_documents(str(path), options, SPLIT_MAX_BYTES)]
    # JSONL: 13 rows and 3 rejects; WARC: 9 requests and 9 pages, an image (skips and documents)
    assert len(whole) in (16, 19) and any(k[0] == ("reject" if kind.startswith("jsonl") else "skip") for k in whole)
    parts = split_container(str(path), options, SPLIT_MAX_BYTES, 4)
    assert [n for _, n in parts] == ([4, 4, 4, 4] if len(whole) == 16 else [4, 4, 4, 4, 3])
    assert parts[0][0].first == 1 and parts[-1][0].last is None
    assert all(a.last + 1 == b.first for (a, _), (b, _) in zip(parts, parts[1:]))  # no gap, no overlap
    read = [[_item_key(i) for i in read_documents(str(path), options, SPLIT_MAX_BYTES, part)] for part, _ in parts]
    assert [len(items) for items in read] == [n for _, n in parts]
    assert [key for items in read for key in items] == whole
    assert split_container(str(path), options, SPLIT_MAX_BYTES, len(whole)) == [(Part(), len(whole))]


def test_a_part_parses_only_its_own_rows(tmp_path, monkeypatch):
    """The rows before a part are read past, not parsed, and the read stops after its last
    row: cleaning a file in k parts parses each row once, not k times."""
    from cleaners.inputs import jsonl
    from cleaners.inputs.files import split_container

    path = many_rows_jsonl(tmp_path)
    parsed: list[int] = []
    real = jsonl._jsonl_document
    monkeypatch.setattr(jsonl, "_jsonl_document", lambda uri, number, line, offset, **kw: parsed.append(number) or real(uri, number, line, offset, **kw))
    parts = split_container(str(path), InputOptions(), SPLIT_MAX_BYTES, 4)
    assert parsed == []  # counting parses nothing
    second = parts[1][0]
    items = list(read_documents(str(path), InputOptions(), SPLIT_MAX_BYTES, second))
    assert len(items) == 4 and parsed == [i.member for i in items]
    assert second.first <= min(parsed) and max(parsed) <= second.last


def test_a_large_container_cut_off_is_split_up_to_the_break_and_reports_it_once(tmp_path):
    from cleaners.inputs.files import split_container

    data = gzip.compress(many_rows_jsonl(tmp_path).read_bytes(), mtime=0)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[:-30])  # the deflate stream breaks in the last rows
    parts = split_container(str(path), InputOptions(), SPLIT_MAX_BYTES, 4)
    items = [i for part, _ in parts for i in read_documents(str(path), InputOptions(), SPLIT_MAX_BYTES, part)]
    assert [_item_key(i) for i in items] == [_item_key(i) for i in read_documents(str(path), InputOptions(), SPLIT_MAX_BYTES)]
    assert [i.reason for i in items if isinstance(i, BadInput)].count("corrupt_gzip") == 1 and len(parts) >= 2


@pytest.mark.parametrize("kind", ["warc.gz", "jsonl.gz"])
def test_a_gzip_container_cut_off_anywhere_gives_in_parts_what_a_whole_read_gives(tmp_path, kind):
    """Wherever the file breaks, its parts together give the whole read's items, the
    break's reject once. A break in the first member after a part's last one was reported
    by that part and again by the next."""
    from cleaners.inputs.files import split_container

    if kind == "warc.gz":
        data, reason, step = many_records_warc(tmp_path, compress=True).read_bytes(), "malformed_warc", 53
    else:
        data, reason, step = gzip.compress(many_rows_jsonl(tmp_path).read_bytes(), mtime=0), "corrupt_gzip", 7
    path, options = tmp_path / f"cut.{kind}", InputOptions()
    for cut in range(len(data) // 4, len(data), step):
        path.write_bytes(data[:cut])
        whole = [_item_key(i) for i in read_documents(str(path), options, SPLIT_MAX_BYTES)]
        parts = split_container(str(path), options, SPLIT_MAX_BYTES, 3)
        read = [_item_key(i) for part, _ in parts for i in read_documents(str(path), options, SPLIT_MAX_BYTES, part)]
        assert read == whole, (cut, [part for part, _ in parts])
        if _whole_gzip(data[:cut]):  # cut between two gzip members: a valid, shorter file
            assert reason not in [k[2] for k in whole]
        else:
            assert whole[-1][2] == reason and [k[2] for k in whole].count(reason) == 1


def _whole_gzip(data: bytes) -> bool:
    """Whether ``data`` is a complete gzip stream (of one or more members)."""
    try:
        gzip.decompress(data)
    except (EOFError, OSError, zlib.error):
        return False
    return True


def test_a_shard_that_ends_inside_a_container_cleans_only_its_own_members(tmp_path):
    """Shards are cut every ``size`` documents, also inside a container file: each cleans its
    own rows, and together they give one record or reject per row, as one shard did."""
    path = many_rows_jsonl(tmp_path)
    config = CleanConfig(limits={"max_bytes": SPLIT_MAX_BYTES})
    run = RunInfo(config.config_hash(), processed_at="test")
    refs = [(str(path), i.member) for i in read_documents(str(path), config.input, SPLIT_MAX_BYTES)]
    whole = batch.clean_shard(0, refs, RunContext.direct(str(tmp_path / "one"), config, run))
    summaries = [batch.clean_shard(i, group, RunContext.direct(str(tmp_path / "parts"), config, run)) for i, group in enumerate(batch.group_refs(refs, 5))]
    assert [s.inputs for s in summaries] == [5, 5, 5, 1]
    texts = [(tmp_path / "parts" / s.file).read_text(encoding="utf-8") for s in summaries]
    assert "".join(texts) == (tmp_path / "one" / whole.file).read_text(encoding="utf-8")
    assert [r for s in summaries for r in s.rejects] == whole.rejects


@pytest.mark.parametrize("kind", ["jsonl", "warc"])
def test_a_part_of_an_uncompressed_file_is_read_from_its_offset(tmp_path, kind):
    """A part starts reading where its first member begins: the bytes before it are not
    read at all (here they are overwritten after the split, and the part does not notice),
    so k parts of a plain file read it once in all, not k/2 times."""
    from cleaners.inputs.files import split_container

    path = many_rows_jsonl(tmp_path) if kind == "jsonl" else many_records_warc(tmp_path, compress=False)
    options = InputOptions()
    parts = split_container(str(path), options, SPLIT_MAX_BYTES, 4)
    third = parts[2][0]
    expected = [_item_key(i) for i in read_documents(str(path), options, SPLIT_MAX_BYTES, third)]
    data = path.read_bytes()
    assert third.offset > 0 and data[third.offset :].startswith(b"{" if kind == "jsonl" else b"WARC/1.0")
    path.write_bytes(b"\n" * third.offset + data[third.offset :])
    assert [_item_key(i) for i in read_documents(str(path), options, SPLIT_MAX_BYTES, third)] == expected


@pytest.mark.parametrize("kind", ["warc.gz", "jsonl.gz, a member per row, zero-padded"])
def test_a_part_of_a_multi_member_gzip_file_starts_decompressing_at_its_member(tmp_path, kind):
    """A WARC.gz holds one gzip member per record. The split notes where the member of each
    part's first record starts in the compressed file, and the part starts decompressing
    there: the compressed bytes before it are not read at all (overwritten here after the
    split), so k parts decompress the file once in all, not k/2 times per pass."""
    from cleaners.inputs.files import GZIP_MAGIC, split_container

    if kind == "warc.gz":
        path = many_records_warc(tmp_path, compress=True)
    else:  # gzip allows zero padding between members; GzipFile reads past it
        rows = many_rows_jsonl(tmp_path).read_bytes().splitlines(keepends=True)
        path = tmp_path / "rows.jsonl.gz"
        path.write_bytes(b"".join(gzip.compress(row, mtime=0) + b"\0" * (i % 3) for i, row in enumerate(rows)))
    options = InputOptions()
    whole = [_item_key(i) for i in read_documents(str(path), options, SPLIT_MAX_BYTES)]
    parts = split_container(str(path), options, SPLIT_MAX_BYTES, 4)
    data = path.read_bytes()
    assert len(parts) >= 3 and parts[0][0].raw_offset is None
    assert all(part.raw_offset and data[part.raw_offset :].startswith(GZIP_MAGIC) for part, _ in parts[1:])
    third = parts[2][0]
    expected = [_item_key(i) for i in read_documents(str(path), options, SPLIT_MAX_BYTES, third)]
    assert [k for part, _ in parts for k in map(_item_key, read_documents(str(path), options, SPLIT_MAX_BYTES, part))] == whole
    path.write_bytes(GZIP_MAGIC + b"\0" * (third.raw_offset - 2) + data[third.raw_offset :])  # the magic is read
    assert [_item_key(i) for i in read_documents(str(path), options, SPLIT_MAX_BYTES, third)] == expected


def long_rows_jsonl_gz(tmp_path: Path, rows: int = 2400) -> Path:
    """A JSONL export gzipped whole, as crawlers write them: one deflate stream of about
    3.4 MB of rows (large enough for access points, which are 256 KiB apart or more),
    with a malformed row every 97."""
    words = " ".join(ARTICLE).split()
    shuffled = random.Random(7)  # reshuffled words: text that compresses about as real text does
    lines = [
        "{broken" if i % 97 == 50 else json.dumps({"url": f"https://gazette.example/{i}", "text": " ".join(shuffled.choices(words, k=240))})
        for i in range(rows)
    ]
    path = tmp_path / "export.jsonl.gz"
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), mtime=0))
    return path


def test_a_part_of_a_jsonl_gz_gzipped_whole_decompresses_from_an_access_point_near_it(tmp_path):
    """One deflate stream can only be decompressed from its start: each part of a whole-
    gzipped export decompressed every part before it, so reading k parts decompressed the
    file about k/2 times per pass. The split now builds access points (a deflate block
    boundary and the 32 KiB before it) and gives each part the one before its start. Here
    the compressed bytes before that point are overwritten after the split, and the part
    still reads its rows: it does not read them."""
    from cleaners.inputs import gzindex
    from cleaners.inputs.files import split_container

    path, options = long_rows_jsonl_gz(tmp_path), InputOptions()
    whole = [_item_key(i) for i in read_documents(str(path), options, SPLIT_MAX_BYTES)]
    parts = split_container(str(path), options, SPLIT_MAX_BYTES, 300)
    assert len(parts) == 8 and parts[0][0].gzip_index is None and all(part.raw_offset is None for part, _ in parts)
    points = [gzindex.point_of(part.gzip_index) for part, _ in parts[1:]]
    assert all(0 < out <= part.offset for (part, _), (_, out) in zip(parts[1:], points))
    assert [k for part, _ in parts for k in map(_item_key, read_documents(str(path), options, SPLIT_MAX_BYTES, part))] == whole
    sixth, (compressed, _) = parts[5][0], points[4]
    expected = [_item_key(i) for i in read_documents(str(path), options, SPLIT_MAX_BYTES, sixth)]
    data = path.read_bytes()
    path.write_bytes(data[:10] + b"\xff" * (compressed - 11) + data[compressed - 1 :])  # the gzip header is kept
    assert [_item_key(i) for i in read_documents(str(path), options, SPLIT_MAX_BYTES, sixth)] == expected
    # what the part did not read is really gone: a read from the file's start breaks
    assert "corrupt_gzip" in [i.reason for i in read_documents(str(path), options, SPLIT_MAX_BYTES) if isinstance(i, BadInput)]


@pytest.mark.parametrize("cut", [0.15, 0.4, 0.63, 0.9, 0.999])
def test_a_jsonl_gz_gzipped_whole_and_cut_off_gets_no_access_points(tmp_path, cut):
    """indexed_gzip indexes a cut-off stream without complaint and reads its end as the
    file's end: parts read that way would lose the break's reject (and, cut between two
    rows, the loss would be silent). A file whose stream breaks gets no access points; its
    parts give what the whole read gives, the break once."""
    from cleaners.inputs.files import split_container

    path, options = long_rows_jsonl_gz(tmp_path), InputOptions()
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * cut)])
    whole = [_item_key(i) for i in read_documents(str(path), options, SPLIT_MAX_BYTES)]
    parts = split_container(str(path), options, SPLIT_MAX_BYTES, 300)
    assert all(part.gzip_index is None for part, _ in parts)
    assert [k for part, _ in parts for k in map(_item_key, read_documents(str(path), options, SPLIT_MAX_BYTES, part))] == whole
    assert [k[2] for k in whole].count("corrupt_gzip") == 1 and whole[-1][2] == "corrupt_gzip"


def test_access_points_that_no_longer_fit_the_file_are_not_used(tmp_path):
    """A file rewritten between the split and the read (here: one row more) does not match
    its index any more: the part reads the new file from its start, as without one."""
    from cleaners.inputs import gzindex
    from cleaners.inputs.files import split_container

    path, options = long_rows_jsonl_gz(tmp_path), InputOptions()
    part = split_container(str(path), options, SPLIT_MAX_BYTES, 300)[3][0]
    assert part.gzip_index is not None
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes()) + b'{"text": "one more row"}\n', mtime=0))
    with path.open("rb") as handle:
        assert gzindex.open_at(handle, part.gzip_index) is None
    unindexed = [_item_key(i) for i in read_documents(str(path), options, SPLIT_MAX_BYTES, replace(part, gzip_index=None))]
    assert [_item_key(i) for i in read_documents(str(path), options, SPLIT_MAX_BYTES, part)] == unindexed and len(unindexed) == 300


class _DroppingFile(io.FileIO):
    """A local file whose connection drops at ``drop_at``: reads return the bytes before
    it, then fail."""

    drop_at = 0

    def _left(self) -> int:
        if self.tell() >= self.drop_at:
            raise ConnectionResetError("simulated dropped connection")
        return self.drop_at - self.tell()

    def readinto(self, buffer) -> int:  # type: ignore[override]
        return super().readinto(memoryview(buffer)[: self._left()])

    def read(self, size: int = -1) -> bytes:
        left = self._left()
        return super().read(left if size < 0 else min(size, left))


@pytest.fixture
def dropping_storage():
    """Local files under ``dropping://``, whose reads fail past ``_DroppingFile.drop_at``."""

    class DroppingFileSystem(LocalUnderProtocol):
        protocol = ("dropping",)

        def _open(self, path, mode="rb", **kwargs):
            return io.BufferedReader(_DroppingFile(self._strip_protocol(path), "rb"))

    fsspec.register_implementation("dropping", DroppingFileSystem, clobber=True)
    yield _DroppingFile
    _DroppingFile.drop_at = 0


def test_a_dropped_connection_in_an_indexed_read_is_storage_trouble_not_a_corrupt_file(tmp_path, dropping_storage, monkeypatch):
    """indexed_gzip wraps the file's own read errors in a ZranError, which is also what a
    corrupt stream raises: a dropped connection while a part read from its access point
    became a ``corrupt_gzip`` reject and the rest of the part was skipped. It is storage
    trouble: raised as itself (the task is retried), as a read from the file's start does."""
    from cleaners.inputs import gzindex
    from cleaners.inputs.files import split_container

    # Reads of 16 KiB and points 64 KiB apart (not 4 MiB and 1 MiB): in this small file, as
    # in a large one, the drop then comes while the part's rows are read, after the seek to
    # its first row (a seek that failed raised the ZranError as is, and the task retried).
    monkeypatch.setattr(gzindex, "_READ_BUFFER", 16 << 10)
    monkeypatch.setattr(gzindex, "READ_SPACING", 64 << 10)
    path, options = long_rows_jsonl_gz(tmp_path), InputOptions()
    part = split_container(str(path), options, SPLIT_MAX_BYTES, 300)[4][0]  # rows 1201-1500 of 2400
    assert part.gzip_index is not None
    dropping_storage.drop_at = path.stat().st_size * 1450 // 2400  # about row 1450
    for how in (part, replace(part, gzip_index=None)):  # from the access point; from the start
        with pytest.raises(ConnectionResetError):
            list(read_documents(f"dropping://{path}", options, SPLIT_MAX_BYTES, how))
    with pytest.raises(ConnectionResetError), fsspec.open(f"dropping://{path}", "rb") as handle:
        gzindex.access_points(handle, [part.offset])  # the split's index: retried, not left out
    dropping_storage.drop_at = path.stat().st_size  # the connection holds: the retry reads the part
    retried = [_item_key(i) for i in read_documents(f"dropping://{path}", options, SPLIT_MAX_BYTES, part)]
    assert retried == [_item_key(i) for i in read_documents(str(path), options, SPLIT_MAX_BYTES, part)] and len(retried) == 300


def test_a_warc_response_whose_block_is_the_page_itself_is_read_whole(tmp_path):
    """A response record's block is an HTTP response when its WARC Content-Type says
    application/http; some writers store the page itself (Content-Type: text/html). warcio
    parsed every block as HTTP: the page's first lines went as a "status line" and
    "headers", and the record became a not_html reject."""
    html = page().encode("utf-8")

    def record(target: str, block: bytes, content_type: str) -> bytes:
        head = f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: {target}\r\nWARC-Record-ID: <urn:uuid:{hashlib.md5(target.encode()).hexdigest()}>\r\nWARC-Date: 2024-03-05T10:00:00Z\r\nContent-Type: {content_type}\r\nContent-Length: {len(block)}\r\n\r\n"
        return head.encode() + block + b"\r\n\r\n"

    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html
    path = tmp_path / "mixed-blocks.warc"
    path.write_bytes(
        record("https://gazette.example/bare", html, "text/html; charset=utf-8")
        + record("https://gazette.example/http", http, "Application/HTTP; msgtype=response")
        + record("https://gazette.example/undeclared", http, "")
    )
    items = list(read_documents(str(path), InputOptions(), 5_000_000))
    assert [(type(i).__name__, i.member) for i in items] == [("InputDocument", 1), ("InputDocument", 2), ("InputDocument", 3)]
    assert [i.raw for i in items] == [html, html, html]
    records, rejects = clean_files([path], tmp_path)
    assert rejects == [] and len(records) == 3
    assert_clean_article(records[0])


def test_a_clean_shard_inside_a_plain_container_reads_from_its_parts_offset(tmp_path):
    """The cleaning pass starts where the split found the part holding the shard's first
    row, not at the file's start: each of k shards read the rows before it again (only the
    scan pass used the offsets). Overwritten after the split, those bytes go unnoticed."""
    from cleaners.inputs.files import split_container

    path = many_rows_jsonl(tmp_path)
    config = CleanConfig(limits={"max_bytes": SPLIT_MAX_BYTES})
    run = RunInfo(config.config_hash(), processed_at="test")
    parts = {str(path): split_container(str(path), config.input, SPLIT_MAX_BYTES, 4)}
    refs = [(str(path), i.member) for i in read_documents(str(path), config.input, SPLIT_MAX_BYTES)]
    last = batch.group_refs(refs, 5)[-2:]  # shards starting inside the third and fourth parts
    seeks = [batch.seek_points(group, parts) for group in last]
    assert [s[str(path)].first for s in seeks] == [10, 15]  # shards from rows 13 and 18
    before = [batch.clean_shard(i, g, RunContext.direct(str(tmp_path / "a"), config, run), seek=s) for i, (g, s) in enumerate(zip(last, seeks))]
    data = path.read_bytes()
    start = seeks[0][str(path)].offset
    path.write_bytes(b"\n" * start + data[start:])
    after = [batch.clean_shard(i, g, RunContext.direct(str(tmp_path / "b"), config, run), seek=s) for i, (g, s) in enumerate(zip(last, seeks))]
    assert [(tmp_path / "b" / s.file).read_text() for s in after] == [(tmp_path / "a" / s.file).read_text() for s in before]
    assert [s.rejects for s in after] == [s.rejects for s in before] and sum(s.inputs for s in after) == 6


# --- real crawls: HTTP status, records that are no documents, WET, ARC --------------------


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"


def crawl_warc(path: Path) -> Path:
    """A small real-shaped crawl: a 200 page, a 302 redirect, a 404 page, a style sheet and
    an image, each response after its request record, as crawlers write them."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    responses = [
        ("https://gazette.example/harbour", "200 OK", [("Content-Type", "text/html; charset=utf-8")], page().encode("utf-8")),
        ("https://gazette.example/old-harbour", "302 Found", [("Content-Type", "text/html"), ("Location", "https://gazette.example/harbour")],
         b"<html><body><h1>Found</h1><p>The document has moved <a href='/harbour'>here</a>.</p></body></html>"),
        ("https://gazette.example/gone", "404 Not Found", [("Content-Type", "text/html")], b"<html><body><h1>Not Found</h1><p>No such page.</p></body></html>"),
        ("https://gazette.example/site.css", "200 OK", [("Content-Type", "text/css")], b"body { font-family: serif; }"),
        ("https://gazette.example/logo.png", "200 OK", [("Content-Type", "image/png")], PNG),
    ]
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=path.name.endswith(".gz"))
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test-crawler/1.0"}))
        for url, status, headers, body in responses:
            request = StatusAndHeaders(f"GET {urlsplit(url).path} HTTP/1.1", [("Host", urlsplit(url).hostname)], is_http_request=True)
            writer.write_record(writer.create_warc_record(url, "request", http_headers=request, payload=io.BytesIO(b"")))
            http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http))
    return path


def test_a_crawl_gives_its_page_as_a_record_and_every_other_record_as_a_skip_with_its_reason(tmp_path):
    path = crawl_warc(tmp_path / "crawl.warc.gz")
    items = list(read_documents(str(path), InputOptions(), 5_000_000))
    (page_doc,) = [i for i in items if not isinstance(i, NotDocument)]
    assert (page_doc.member, page_doc.url, page_doc.format) == (3, "https://gazette.example/harbour", "html")
    skips = {(i.member, i.reason) for i in items if isinstance(i, NotDocument)}
    # members: 1 is the warcinfo (no input); requests at 2, 4, ..., responses after them
    assert skips == {(2, "not_document"), (4, "not_document"), (5, "redirect"), (6, "not_document"), (7, "http_status"),
                     (8, "not_document"), (9, "not_document"), (10, "not_document"), (11, "not_document")}
    by_member = {i.member: i for i in items if isinstance(i, NotDocument)}
    assert by_member[5].http_status == 302 and by_member[5].location == "https://gazette.example/harbour"
    assert by_member[7].http_status == 404 and "404" in by_member[7].message
    assert by_member[9].content_type == "text/css" and by_member[11].content_type == "image/png"
    assert by_member[2].content_type == "WARC request record"
    records, rejects, skipped = clean_files_skipping([path], tmp_path)
    assert len(records) == 1 and rejects == []
    assert skipped == {"http_status": 1, "not_document": 7, "redirect": 1}
    assert_clean_article(records[0])


def wet_file(path: Path, texts: list[tuple[str, str]]) -> Path:
    """A Common Crawl WET file: a warcinfo record, then one conversion record of extracted
    text per page."""
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=path.name.endswith(".gz"))
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "commoncrawl"}))
        for url, text in texts:
            record = writer.create_warc_record(url, "conversion", payload=io.BytesIO(text.encode("utf-8")), warc_content_type="text/plain")
            record.rec_headers.add_header("WARC-Date", "2024-03-05T10:00:00Z")
            writer.write_record(record)
    return path


def test_a_wet_file_gives_one_text_document_per_conversion_record(tmp_path):
    text = "\n\n".join(ARTICLE + [NEWSLETTER])
    path = wet_file(tmp_path / "CC-MAIN-0001.warc.wet.gz", [("https://gazette.example/harbour", text), ("https://gazette.example/notes", "\n\n".join(ARTICLE[:2]))])
    records, rejects, skipped = clean_files_skipping([path], tmp_path)
    assert rejects == [] and skipped == {}
    first, second = records
    source = first["source"]
    assert (source["container"], source["format"], source["member"], source["url"]) == ("warc", "text", 2, "https://gazette.example/harbour")
    assert source["record_id"].startswith("<urn:uuid:") and source["date"]
    assert ARTICLE[0] in first["text"] and NEWSLETTER not in first["text"]
    assert second["source"]["url"] == "https://gazette.example/notes"


def test_an_arc_file_is_read_like_a_warc(tmp_path):
    """The Internet Archive's older format: a ``filedesc://`` header, then one line per
    record (URL, IP, date, content type, length) and the HTTP response."""
    def record(url: str, http: bytes) -> bytes:
        return f"{url} 10.0.0.1 20240305100000 text/html {len(http)}\n".encode() + http + b"\n"

    body = b"1 0 Gazette\nURL IP-address Archive-date Content-type Archive-length\n"
    data = f"filedesc://crawl.arc 0.0.0.0 20240305100000 text/plain {len(body)}\n".encode() + body + b"\n"
    data += record("https://gazette.example/harbour", b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + page().encode("utf-8"))
    data += record("https://gazette.example/old", b"HTTP/1.1 301 Moved Permanently\r\nLocation: https://gazette.example/harbour\r\nContent-Type: text/html\r\n\r\nmoved")
    for name, raw in (("crawl.arc", data), ("crawl.arc.gz", gzip.compress(data)), ("crawl.dat", data)):
        path = tmp_path / name
        path.write_bytes(raw)
        items = list(read_documents(str(path), InputOptions(), 5_000_000))
        assert [(type(i).__name__, i.member) for i in items] == [("InputDocument", 2), ("NotDocument", 3)], name
        assert items[0].url == "https://gazette.example/harbour" and items[0].date.startswith("2024-03-05")
        assert items[1].reason == "redirect" and items[1].http_status == 301
    records, _, skipped = clean_files_skipping([tmp_path / "crawl.arc.gz"], tmp_path)
    assert len(records) == 1 and skipped == {"redirect": 1}
    assert_clean_article(records[0])


def test_a_warc_of_real_records_that_are_no_documents_is_not_empty(tmp_path):
    """A WARC holding only requests is accounted for by its skips; one holding only its
    header is one ``empty`` reject."""
    from warcio.warcwriter import WARCWriter

    path = tmp_path / "header-only.warc"
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=False)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "x"}))
    (item,) = read_documents(str(path), InputOptions(), 5_000_000)
    assert isinstance(item, BadInput) and item.reason == "empty" and "warcinfo" in item.message


def test_a_png_named_html_is_a_binary_reject(tmp_path):
    path = tmp_path / "photo.html"
    path.write_bytes(PNG + bytes(range(256)))
    records, (reject,) = clean_files([path], tmp_path)
    assert records == [] and reject["reason"] == "binary" and "PNG" in reject["message"]


# --- tables: CSV, TSV, Parquet -----------------------------------------------------------


TABLE_ROWS = [
    {"link": "https://gazette.example/harbour", "body": "\n\n".join(ARTICLE + [NEWSLETTER]), "section": "local", "words": "180"},
    {"link": "https://gazette.example/notes", "body": "\n\n".join(ARTICLE[:2]), "section": "", "words": "60"},
    {"link": "https://gazette.example/empty", "body": "", "section": "local", "words": "0"},
]
TABLE_CONFIG = {"input": {"fields": {"url": "link", "text": "body"}}}


def write_table(path: Path, rows: list[dict]) -> Path:
    import csv

    if path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist([{**r, "words": int(r["words"])} for r in rows]), path)
        return path
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter="\t" if path.suffix == ".tsv" else ",")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.parametrize("name", ["export.csv", "export.tsv", "export.parquet", "export.csv.gz"])
def test_a_table_with_custom_column_names_gives_one_document_per_row(tmp_path, name):
    path = write_table(tmp_path / name.removesuffix(".gz"), TABLE_ROWS)
    path = gz(path) if name.endswith(".gz") else path
    config = CleanConfig.model_validate(TABLE_CONFIG)
    records, rejects = clean_files([path], tmp_path, config)
    first, second = records
    container = name.split(".")[1]
    assert (first["source"]["container"], first["source"]["member"], first["source"]["url"]) == (container, 1, "https://gazette.example/harbour")
    assert first["source"]["format"] == "text" and ARTICLE[0] in first["text"] and NEWSLETTER not in first["text"]
    words = 180 if container == "parquet" else "180"  # a Parquet column keeps its type
    assert first["source"]["extra"] == {"section": "local", "words": words}
    assert second["source"]["extra"] == {"words": 60 if container == "parquet" else "60"}  # an empty cell is no value
    (reject,) = rejects
    assert (reject["member"], reject["reason"]) == (3, "empty")


@pytest.mark.parametrize("name", ["export.csv", "export.parquet"])
def test_a_table_without_the_body_column_is_one_reject_naming_its_columns_and_the_key(tmp_path, name):
    path = write_table(tmp_path / name, TABLE_ROWS)
    records, (reject,) = clean_files([path], tmp_path)  # default columns: html, text
    assert records == [] and (reject["member"], reject["reason"]) == (None, "malformed_table")
    assert "'link', 'body', 'section', 'words'" in reject["message"] and '[input.fields] html = "<column>"' in reject["message"]


def test_a_csv_whose_quoted_cells_span_lines_and_exceed_the_csv_default_limit_is_read(tmp_path):
    long_body = "\n\n".join(ARTICLE * 400)  # ~250 KB: over the csv module's 128 KiB default
    rows = [{"link": "https://gazette.example/long", "body": long_body, "section": "a", "words": "1"}, TABLE_ROWS[1]]
    path = write_table(tmp_path / "long.csv", rows)
    items = list(read_documents(str(path), CleanConfig.model_validate(TABLE_CONFIG).input, 5_000_000))
    assert [i.member for i in items] == [1, 2] and items[0].raw.decode("utf-8") == long_body
    small = list(read_documents(str(path), CleanConfig.model_validate(TABLE_CONFIG).input, 10_000))
    assert (small[0].reason, small[1].member) == ("too_large", 2)


def test_flow_over_a_real_crawl_folder_skips_what_is_no_document_and_counts_it_by_reason(prefect_server, tmp_path):
    """A crawl's WARC (a page, a redirect, a 404, a style sheet, an image), a WET file, a CSV
    export with its own column names, a PDF and an image beside them, a PNG saved as .html:
    every input is a record, a reject or a skip with its reason, and the counts add up."""
    from cleaners.run.manifest import summary_table
    from flows.clean_corpus import clean_corpus

    (src := tmp_path / "in").mkdir()
    crawl_warc(src / "crawl.warc.gz")
    wet_file(src / "crawl.warc.wet.gz", [("https://gazette.example/notes", "\n\n".join(ARTICLE[1:3]))])
    write_table(src / "export.csv", TABLE_ROWS)
    (src / "annual-report.pdf").write_bytes(b"%PDF-1.7\n" + bytes(200))
    (src / "logo.png").write_bytes(PNG)
    (src / "photo.html").write_bytes(PNG + bytes(64))
    config = tmp_path / "fields.toml"
    config.write_text('[input.fields]\nurl = "link"\ntext = "body"\n', encoding="utf-8")
    result = clean_corpus(source=str(src), output=str(tmp_path / "out"), config=str(config), shard_size=3)
    manifest, run_dir = result["manifest"], Path(result["run_dir"])
    # 11 WARC records but the warcinfo (10), 1 WET record, 3 CSV rows, 2 files of other endings, 1 .html
    assert manifest["counts"] == {"inputs": 17, "records": 4, "rejects": 2, "skipped": 11}
    assert manifest["files"] == 6
    assert manifest["skip_reasons"] == {"http_status": 1, "not_document": 7, "redirect": 1, "unsupported_format": 2}
    assert manifest["reject_reasons"] == {"binary": 1, "empty": 1}
    skipped = [json.loads(line) for line in (run_dir / "skipped.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(Path(s["source"]).name, s["reason"]) for s in skipped[:2]] == [("annual-report.pdf", "unsupported_format"), ("logo.png", "unsupported_format")]
    assert ".pdf names no input format" in skipped[0]["message"] and skipped[0]["sha256"] is None
    redirect = next(s for s in skipped if s["reason"] == "redirect")
    assert (redirect["member"], redirect["http_status"], redirect["location"], redirect["url"]) == (5, 302, "https://gazette.example/harbour", "https://gazette.example/old-harbour")
    assert {s["content_type"] for s in skipped if s["reason"] == "not_document"} == {"WARC request record", "text/css", "image/png"}
    summary = {row["figure"]: row["value"] for row in summary_table(manifest)}  # what the CLI and the Prefect artifact show
    assert (summary["skipped: unsupported_format"], summary["skipped: redirect"], summary["skipped: not_document"]) == (2, 1, 7)
    assert (summary["skipped: unsupported_format .pdf"], summary["skipped: unsupported_format .png"]) == (1, 1)
