"""The review report (cleaners/run/report.py): what a reviewer sees must match the run folder.

The seeds run (``seed_run``) checks the summary and the embedded data against the real
flow's output; small hand-made run folders check the edge cases (unreadable sources,
hostile text, astral characters); headless Chromium checks the page's script renders
seed 001's donation appeal struck through, without errors.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners.inputs.decode import decode_bytes
from cleaners.record import CATEGORIES
from cleaners.run.report import (
    PAGE_SIZE,
    ReportError,
    cleaned_pieces,
    expand_pieces,
    render_report,
    source_host,
    utf16_offsets,
    write_report,
)
from tests import chromium

DONATION_HEADLINE = "Help keep items like this free"


# --- helpers ------------------------------------------------------------------------------


def page_data(page: str) -> dict:
    """The JSON block the page's script renders from."""
    match = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S)
    assert match, "no embedded report data"
    return json.loads(match.group(1))


def markup_only(page: str) -> str:
    """The page without its document data (where article text may hold URLs)."""
    return re.sub(r'(<script type="application/json" id="report-data">).*?(</script>)', r"\1\2", page, flags=re.S)


def figures(page: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-figure="([^"]+)" data-value="(\d+)"', page)}


def utf16_slice(text: str, start: int, end: int) -> str:
    return text.encode("utf-16-le")[2 * start : 2 * end].decode("utf-16-le")


def copy_run(run_dir: Path, dest: Path) -> Path:
    """A private copy of a run folder, so a test may alter it."""
    shutil.copytree(run_dir, dest, ignore=shutil.ignore_patterns("report.html"))
    return dest


def make_run(folder: Path, docs: list[dict]) -> Path:
    """A minimal run folder: one input file, one record per entry of ``docs``.

    Each entry gives ``name``, ``text`` (the input), ``removed`` as (start, end, category,
    rule) and ``cleaned``; optional ``url`` and ``edits``.
    """
    inputs, run = folder / "inputs" / "example.org", folder / "run"
    inputs.mkdir(parents=True)
    run.mkdir()
    lines, removals = [], Counter()
    for doc in docs:
        raw = doc["text"].encode("utf-8")
        path = inputs / doc["name"]
        path.write_bytes(raw)
        removed = [{"category": c, "rule": r, "start": s, "end": e, "text": doc["text"][s:e]} for s, e, c, r in doc["removed"]]
        removals.update(r["category"] for r in removed)
        record = {
            "id": hashlib.sha256(raw).hexdigest(),
            "text": doc["cleaned"],
            "title": None,
            "language": {"code": "en", "probability": 1.0},
            "source": {"uri": str(path), "sha256": hashlib.sha256(raw).hexdigest(), "bytes": len(raw), "format": "text", "encoding": "utf-8", "url": doc.get("url")},
            "removed": removed,
            "edits": doc.get("edits", []),
            "stats": {"chars_in": len(doc["text"]), "chars_out": len(doc["cleaned"]), "removed_chars": sum(e - s for s, e, _, _ in doc["removed"]), "removals": {}, "edits": {}},
            "pipeline": {"version": "0", "config_hash": "x", "flow_run_id": None, "processed_at": "2024-01-01T00:00:00+00:00"},
        }
        lines.append(json.dumps(record, ensure_ascii=False))
    (run / "documents-00000.jsonl").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    (run / "rejects.jsonl").write_text("", encoding="utf-8")
    manifest = {
        "run_id": "run-test",
        "counts": {"inputs": len(docs), "records": len(docs), "rejects": 0},
        "chars": {"in": sum(len(d["text"]) for d in docs), "out": sum(len(d["cleaned"]) for d in docs)},
        "removals": dict(sorted(removals.items())),
        "languages": {"en": len(docs)},
        "reject_reasons": {},
    }
    (run / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return run


class DomText(HTMLParser):
    """Text content of elements picked by a predicate on (tag, attrs), nesting-aware."""

    def __init__(self, wanted) -> None:
        super().__init__(convert_charrefs=True)
        self.wanted = wanted
        self.stack: list[list] = []  # [tag, attrs, text parts, depth of same tag]
        self.found: list[tuple[dict, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for item in self.stack:
            if item[0] == tag:
                item[3] += 1
        if self.wanted(tag, attrs):
            self.stack.append([tag, attrs, [], 0])

    def handle_endtag(self, tag):
        for item in list(self.stack):
            if item[0] != tag:
                continue
            if item[3]:
                item[3] -= 1
            else:
                self.stack.remove(item)
                self.found.append((item[1], "".join(item[2])))

    def handle_data(self, data):
        for item in self.stack:
            item[2].append(data)


def elements(dom: str, wanted) -> list[tuple[dict, str]]:
    parser = DomText(wanted)
    parser.feed(dom)
    return parser.found


# --- the seeds run ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_page(seed_run) -> str:
    return render_report(seed_run["run_dir"])


def test_report_is_one_self_contained_file(seed_page):
    markup = markup_only(seed_page)
    assert '<meta charset="utf-8">' in markup
    for external in ("<script src", "<link", "url(", "@import", "<iframe", "<img"):
        assert external not in markup.lower(), external
    assert "http://" not in markup and "https://" not in markup
    assert markup.count("<script") == 2  # the data block and the inline script, nothing else


def test_summary_shows_the_manifest_figures(seed_run, seed_page):
    manifest, shown = seed_run["manifest"], figures(seed_page)
    assert shown["inputs"] == manifest["counts"]["inputs"]
    assert shown["records"] == manifest["counts"]["records"] == 5
    assert shown["rejects"] == manifest["counts"]["rejects"]
    assert shown["chars_in"] == manifest["chars"]["in"]
    assert shown["chars_out"] == manifest["chars"]["out"]
    assert f"{manifest['chars']['in']:,}" in seed_page
    bars = {c: int(n) for c, n in re.findall(r'class="bar-row" data-category="([^"]+)" data-value="(\d+)"', seed_page)}
    assert bars == {c: manifest["removals"].get(c, 0) for c in CATEGORIES}
    for code in manifest["languages"]:
        assert f"<code>{code}</code>" in seed_page


def test_summary_lists_the_ten_most_frequent_rules(seed_run, seed_page):
    counts = Counter(r["rule"] for rec in seed_run["records"].values() for r in rec["removed"])
    expected = [rule for rule, _ in sorted(counts.items(), key=lambda i: (-i[1], i[0]))[:10]]
    table = re.search(r'<table class="top-rules">(.*?)</table>', seed_page, re.S).group(1)
    assert re.findall(r'<code title="[^"]+">([^<]+)</code>', table) == expected
    assert expected[0] == "heading_noise.entity_echo"  # 19 of seed 001's lines


def test_embedded_documents_rebuild_input_and_cleaned_text(seed_run, seed_page):
    data = page_data(seed_page)
    docs = data["docs"]
    assert [d["u"] for d in docs] == sorted(r["source"]["uri"] for r in seed_run["records"].values())
    assert PAGE_SIZE >= 2 and Path(docs[1]["u"]).name.startswith("001")  # on the first page
    for doc in docs:
        record = next(r for r in seed_run["records"].values() if r["source"]["uri"] == doc["u"])
        decoded = decode_bytes(Path(doc["u"]).read_bytes()).text
        assert doc["i"] == decoded and doc["n"] is None
        assert expand_pieces(doc["i"], doc["o"]) == record["text"]
        spans = [(data["categories"][r[2]], data["rules"][r[3]], utf16_slice(decoded, r[0], r[1])) for r in doc["r"]]
        assert spans == [(r["category"], r["rule"], r["text"]) for r in sorted(record["removed"], key=lambda r: (r["start"], r["end"]))]
        assert len(doc["e"]) == len(record["edits"])
        assert data["hosts"][doc["h"]] == "seeds"


def test_cleaned_text_is_stored_as_references_not_twice(seed_run, seed_page):
    doc = next(d for d in page_data(seed_page)["docs"] if Path(d["u"]).name.startswith("004"))

    def literal(piece) -> int:
        if isinstance(piece, str):
            return len(piece)
        return 0 if isinstance(piece[0], int) else sum(literal(p) for p in piece)

    # 004 has 21 edits (no-break spaces, a typo, a split): kept text is still referenced.
    assert sum(literal(p) for p in doc["o"]) < 0.05 * len(seed_run["records"]["004"]["text"])


def test_same_run_folder_gives_the_same_bytes(seed_run, seed_page, tmp_path):
    run = copy_run(seed_run["run_dir"], tmp_path / "run")
    written = Path(write_report(run))
    assert written == run / "report.html"
    assert written.read_text(encoding="utf-8") == seed_page == render_report(run)
    assert Path(write_report(run, out=tmp_path / "elsewhere.html")).read_bytes() == written.read_bytes()


def test_unreadable_or_changed_source_falls_back_to_removed_spans(seed_run, tmp_path):
    run = copy_run(seed_run["run_dir"], tmp_path / "run")
    moved, changed = seed_run["records"]["001"]["source"]["uri"], seed_run["records"]["003"]["source"]["uri"]
    altered = tmp_path / "003.txt"
    altered.write_text(Path(changed).read_text(encoding="utf-8") + "\nedited later", encoding="utf-8")
    for shard in run.glob("documents-*.jsonl"):
        text = shard.read_text(encoding="utf-8")
        shard.write_text(text.replace(json.dumps(moved), json.dumps(str(tmp_path / "gone.txt"))).replace(json.dumps(changed), json.dumps(str(altered))), encoding="utf-8")
    page = render_report(run)
    docs = {Path(d["u"]).name: d for d in page_data(page)["docs"]}
    gone, edited = docs["gone.txt"], docs["003.txt"]
    assert gone["i"] is None and "could not be read" in gone["n"]
    assert edited["i"] is None and "sha256" in edited["n"]
    assert DONATION_HEADLINE in [r[4] for r in gone["r"]]
    assert expand_pieces(None, gone["o"]) == seed_run["records"]["001"]["text"]
    assert "2 document(s): the original input could not be read" in page


def test_a_folder_without_manifest_is_not_a_run(tmp_path):
    with pytest.raises(ReportError, match="manifest.json"):
        render_report(tmp_path)


@pytest.mark.parametrize("manifest", ["{not json", "[1, 2]", None], ids=["corrupt", "a-list", "a-folder"])
def test_a_broken_manifest_is_a_report_error_not_a_traceback(manifest, tmp_path):
    if manifest is None:
        (tmp_path / "manifest.json").mkdir()
    else:
        (tmp_path / "manifest.json").write_text(manifest)
    with pytest.raises(ReportError, match="manifest.json"):
        render_report(tmp_path)


def test_report_out_may_name_a_folder(seed_run, tmp_path):
    """--out naming an existing folder wrote a file called '<folder>.tmp-…' inside it."""
    from cleaners.run.report import write_report

    target = write_report(seed_run["run_dir"], tmp_path)
    assert target == str(tmp_path / "report.html") and [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_a_run_folder_missing_a_shard_file_is_a_report_error(seed_run, tmp_path):
    """The page listed fewer documents than its figures counted, and said nothing."""
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(seed_run["run_dir"], copy)
    victim = sorted(copy.glob("documents-*.jsonl"))[1]
    victim.unlink()
    with pytest.raises(ReportError, match=victim.name):
        render_report(copy)


def test_files_changed_since_the_run_are_named_on_the_page(seed_run, seed_page, tmp_path):
    """The manifest holds each file's sha256: a shard or rejects file edited after the run
    is named (the page shows it as it is now; the figures come from the manifest)."""
    import shutil

    assert "Changed since the run" not in seed_page
    copy = tmp_path / "run"
    shutil.copytree(seed_run["run_dir"], copy)
    shard = sorted(copy.glob("documents-*.jsonl"))[0]
    shard.write_text(shard.read_text(encoding="utf-8").replace("Putin", "Putln", 1), encoding="utf-8")
    with (copy / "rejects.jsonl").open("a", encoding="utf-8") as rejects:
        rejects.write("\n")  # one byte more, nothing else
    page = render_report(copy)
    assert f"Changed since the run (sha256 differs from the manifest): <code>{shard.name}</code>, <code>rejects.jsonl</code>." in page


# --- hand-made run folders ------------------------------------------------------------------


def test_document_text_cannot_break_out_of_the_page(tmp_path):
    hostile = "</script><script>alert(1)</script>"
    text = f"Menu & <b>Home</b>\nThe article {hostile} stays text.\n"
    run = make_run(tmp_path, [{"name": 'a"><img src=x>.txt', "text": text, "removed": [(0, 18, "navigation", "navigation.<rule>")], "cleaned": f"The article {hostile} stays text."}])
    page = render_report(run)
    assert hostile not in page and "<b>Home" not in page and "<img" not in page
    assert page.count("<script") == 2 and page.count("</script>") == 2
    assert "navigation.&lt;rule&gt;" in page  # the rule in the summary, escaped
    doc = page_data(page)["docs"][0]
    assert doc["i"] == text and expand_pieces(doc["i"], doc["o"]).endswith(f"{hostile} stays text.")


def test_offsets_are_utf16_for_astral_characters(tmp_path):
    text = "Share 😀😀 on social\nBody text of the article with an emoji 🎉 inside it.\n"
    start = text.index("Share")
    end = text.index("\n")
    run = make_run(tmp_path, [{"name": "e.txt", "text": text, "removed": [(start, end, "social", "social.x")], "cleaned": text[end + 1 :].strip()}])
    doc = page_data(render_report(run))["docs"][0]
    s, e = doc["r"][0][:2]
    assert (s, e) == (0, end + 2)  # two astral characters before the end: two extra units
    assert utf16_slice(text, s, e) == text[start:end]
    assert expand_pieces(doc["i"], doc["o"]) == text[end + 1 :].strip()


@pytest.mark.parametrize(
    "source, host",
    [
        ({"uri": "/data/scrape/example.com/a.txt", "url": None}, "example.com"),
        ({"uri": "/data/a.txt", "url": "https://www.Example.org/news/1"}, "www.example.org"),
        ({"uri": "s3://bucket/feeds/reuters/a.txt", "url": None}, "reuters"),
        ({"uri": "a.txt", "url": None}, "(unknown)"),
    ],
)
def test_source_host_is_the_url_host_else_the_folder(source, host):
    assert source_host(source) == host


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("ab c.\n\u00a0é😀")), max_size=300),
    st.lists(st.tuples(st.integers(0, 300), st.integers(0, 6), st.text(alphabet="xy z😀", max_size=3)), max_size=6),
)
def test_cleaned_pieces_always_rebuild_the_cleaned_text(decoded, edits):
    cleaned = decoded
    for at, cut, insert in sorted(edits, reverse=True):
        cleaned = cleaned[:at] + insert + cleaned[at + cut :]
    assert expand_pieces(decoded, cleaned_pieces(decoded, cleaned, utf16_offsets(decoded))) == cleaned


# --- in a browser -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_report(seed_run, tmp_path_factory) -> Path:
    chromium.require_chromium()
    return Path(write_report(copy_run(seed_run["run_dir"], tmp_path_factory.mktemp("report") / "run")))


def test_browser_takes_a_screenshot(seed_report, tmp_path):
    shot = tmp_path / "report.png"
    chromium.screenshot(seed_report.as_uri(), shot, tmp_path / "profile")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 50_000  # a rendered page, not a blank one


def test_browser_renders_seed_001_donation_struck_through(seed_run, seed_report, tmp_path):
    run = chromium.dump_dom(seed_report.as_uri(), tmp_path / "profile")
    dom = run.stdout
    body = re.search(r"<body[^>]*>", dom).group(0)
    assert 'data-js-ok="1"' in body and "data-js-error" not in body, body
    assert run.console_lines() == []
    donation = elements(dom, lambda tag, a: tag == "del" and a.get("data-category") == "donation")
    headline = [a for a, text in donation if text == DONATION_HEADLINE]
    assert headline and headline[0]["title"] == "donation.appeal_headline" and "c-donation" in headline[0]["class"]
    assert len([a for a, _ in donation if "data-rule" in a]) == 7  # seed 001's seven donation spans

    record = seed_run["records"]["001"]
    docs = elements(dom, lambda tag, a: tag == "article" and a.get("data-uri") == record["source"]["uri"])
    assert len(docs) == 1
    panes = elements(dom, lambda tag, a: tag == "pre")
    inputs = [t for a, t in panes if "input" in a.get("class", "")]
    outputs = [t for a, t in panes if "output" in a.get("class", "")]
    assert len(inputs) == len(outputs) == 5  # all five seeds on the first page
    assert decode_bytes(Path(record["source"]["uri"]).read_bytes()).text in inputs
    assert record["text"] in outputs


def test_browser_filters_by_category_and_source(seed_report, tmp_path):
    def shown(query: str) -> list[str]:
        dom = chromium.dump_dom(seed_report.as_uri() + query, tmp_path / "profile").stdout
        assert 'data-js-ok="1"' in dom
        return [Path(a["data-uri"]).name[:3] for a, _ in elements(dom, lambda tag, a: tag == "article")]

    assert shown("?category=donation") == ["001"]
    assert shown("?category=comments") == ["003"]
    assert shown("?source=seeds&q=pic.twitter.com") == ["001"]
    assert shown("?source=nowhere") == []


def test_a_large_jsonl_file_is_read_once_for_all_its_records(tmp_path, monkeypatch):
    """The page reads every record's input again. A record inside a JSONL file was looked up
    from the start of the file: a file of N rows was read N times (2,000 rows of 35 MB took
    47 s; 10,000 would take half an hour). Records come in file order, so one forward
    reader serves them all, across shard files; a member the reader has passed opens the
    file again."""
    from cleaners.run import shards as batch
    from cleaners.run.folders import RunContext
    from cleaners.run import report
    from cleaners.config import CleanConfig
    from cleaners.inputs.files import read_documents
    from cleaners.pipeline import RunInfo
    from tests.conftest import SEEDS

    seed = (SEEDS / "004_40f3c241e9d272e8.txt").read_text(encoding="utf-8")
    path = tmp_path / "export.jsonl"
    path.write_text("".join(json.dumps({"url": f"https://example.org/{i}", "text": f"{seed}\nRow {i}."}) + "\n" for i in range(30)), encoding="utf-8")
    config = CleanConfig()
    run = tmp_path / "run"
    refs = [(str(path), i.member) for i in read_documents(str(path), config.input, config.limits.max_bytes)]
    for index, group in enumerate(batch.group_refs(refs, 10)):
        batch.clean_shard(index, group, RunContext.direct(str(run), config, RunInfo(config.config_hash(), processed_at="test")))
    opened: list[int] = []
    monkeypatch.setattr(report, "read_documents", lambda uri, options, limit, part=None: opened.append(part.first) or read_documents(uri, options, limit, part))
    entries, _, figures = report.collect(run, config)
    assert len(entries) == 30 and figures.unreadable == 0  # every input found again and matching
    assert opened == [1]
    members = report.MemberReader()
    get = lambda m: members.get(str(path), m, config.input, config.limits.max_bytes)  # noqa: E731
    assert [get(m).member for m in (3, 7, 2)] == [3, 7, 2] and get(31) is None
    assert opened == [1, 3, 2]  # a member already passed (2) opens the file again; 31 reads on to its end
