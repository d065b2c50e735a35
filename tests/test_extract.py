"""HTML inputs: trafilatura extraction with metadata, and the per-page time limit.

Real behaviour only: pages built here go through the real trafilatura in the real worker
subprocess. The time-limit test injects a CPU-bound extractor function (a stand-in for a
pathological page) and runs from a worker thread, as the Prefect pipeline does.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import lxml.html
import pytest

from cleaners.inputs.extract import (
    TRAFILATURA_SETTINGS,
    Extraction,
    ExtractionError,
    ExtractionTimeout,
    HtmlExtractor,
    _extract_in_process,
    _trafilatura,
    block_text,
    extract_html,
)
from cleaners.config import CleanConfig
from cleaners.pipeline import InputDocument, RunInfo, clean_document, clean_text
from cleaners.record import Record

PARAGRAPHS = [
    "The city council voted on Tuesday to extend the riverside cycle path by four kilometres, "
    "ending a debate that had divided residents for more than two years.",
    "Supporters said the extension would connect three schools and the new hospital to the existing "
    "network, while opponents worried about the loss of parking spaces along the quay.",
    "Construction is expected to begin next spring and to last about eighteen months, according to "
    "the council's transport department, which put the cost at twelve million euros.",
    "Mayor Ana Ribeiro said the decision showed that the city could plan for the next generation "
    "without forgetting the businesses that depend on passing trade.",
]
NEWSLETTER = "Sign up for our newsletter and never miss a story from the Daily Example."
RELATED = ["Bus fares to rise in autumn after budget review", "New bridge opens to pedestrians after delays"]

ARTICLE_PAGE = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Council approves riverside cycle path extension | The Daily Example</title>
<meta property="og:title" content="Council approves riverside cycle path extension">
<meta name="author" content="Jane Doe">
<meta property="article:published_time" content="2024-03-05T09:30:00Z">
<meta property="og:site_name" content="The Daily Example">
</head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li></ul></nav></header>
<main><article>
<h1>Council approves riverside cycle path extension</h1>
<p>{PARAGRAPHS[0]}</p>
<p>{PARAGRAPHS[1]}</p>
<div class="newsletter-signup"><h3>Get our morning briefing</h3><p>{NEWSLETTER}</p>
<form><input type="email"><button>Subscribe</button></form></div>
<p>{PARAGRAPHS[2]}</p>
<p>{PARAGRAPHS[3]}</p>
</article>
<aside class="related-stories"><h2>Related stories</h2><ul>
<li><a href="/a">{RELATED[0]}</a></li><li><a href="/b">{RELATED[1]}</a></li>
</ul></aside></main>
<footer><p>© 2024 The Daily Example. All rights reserved.</p></footer>
</body></html>"""

PATHOLOGICAL = "<!-- PATHOLOGICAL -->"


def slow_on_marker(html: str, url: str | None) -> Extraction:
    """Runs in the worker: spins forever on a marked page (CPU-bound, no I/O to interrupt)."""
    if PATHOLOGICAL in html:
        while True:
            pass
    return _extract_in_process(html, url)


def fails_on_marker(html: str, url: str | None) -> Extraction:
    if "FAIL" in html:
        raise RuntimeError("lxml blew up")
    return _extract_in_process(html, url)


# ----------------------------------------------------------------------------- extraction


def test_article_kept_boxes_dropped_metadata_through():
    result = extract_html(ARTICLE_PAGE, url="https://example.com/news/cycle-path")
    assert result.extractor == "trafilatura"
    for paragraph in PARAGRAPHS:
        assert paragraph in result.text
    assert NEWSLETTER not in result.text and "Subscribe" not in result.text
    for headline in RELATED:
        assert headline not in result.text
    assert "All rights reserved" not in result.text and "Home" not in result.text
    meta = result.metadata
    assert meta["title"] == "Council approves riverside cycle path extension"
    assert meta["author"] == "Jane Doe"
    assert meta["date"] == "2024-03-05"
    assert meta["sitename"] == "The Daily Example"
    assert meta["url"] == "https://example.com/news/cycle-path"
    assert set(meta) == {"title", "author", "date", "sitename", "url", "categories", "tags", "description"}


def test_deterministic_and_worker_matches_in_process():
    first = extract_html(ARTICLE_PAGE)
    assert extract_html(ARTICLE_PAGE) == first
    assert extract_html(ARTICLE_PAGE, time_limit=None) == first  # same result without the subprocess


def test_settings_are_data_and_safe():
    assert TRAFILATURA_SETTINGS["deduplicate"] is False  # trafilatura's dedup is nondeterministic
    assert TRAFILATURA_SETTINGS["include_comments"] is False
    assert TRAFILATURA_SETTINGS["include_tables"] is True
    assert TRAFILATURA_SETTINGS["output_format"] == "txt"


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   \n",
        "<html><body></body></html>",
        "<html><head><script>var a = 1;</script><style>p {color: red}</style></head><body><script>go()</script></body></html>",
    ],
)
def test_page_without_article_gives_empty_text(html):
    result = extract_html(html)
    assert result.text == ""
    assert result.notes  # says why
    assert set(result.metadata) >= {"title", "author", "date"}


def test_metadata_survives_when_there_is_no_text():
    page = "<html><head><title>Only a headline here</title><meta name='author' content='Sam Roe'></head><body></body></html>"
    result = extract_html(page)
    assert result.text == ""
    assert result.metadata["title"] == "Only a headline here"
    assert result.metadata["author"] == "Sam Roe"


# ----------------------------------------------------------------------------- decoding


# ----------------------------------------------------------------------------- second opinion

#: A sales box inside the article container: trafilatura keeps it, readability (which
#: trafilatura runs on the page anyway) leaves it out, and the line model has mild doubt.
SALES_BOX = "Book a demo with Acme Tables"
BOXED_PAGE = ARTICLE_PAGE.replace(
    f"<p>{PARAGRAPHS[3]}</p>", f'<p>{PARAGRAPHS[3]}</p><div class="sponsor-box"><p>{SALES_BOX}</p></div>'
)


def test_second_opinion_is_readabilitys_article_for_the_same_page():
    result = extract_html(BOXED_PAGE, url="https://example.com/news/cycle-path")
    assert SALES_BOX in result.text  # trafilatura keeps the box
    assert result.second_opinion is not None
    opinion = result.second_opinion.splitlines()
    for paragraph in PARAGRAPHS:
        assert paragraph in opinion  # one line per paragraph, words intact
    assert SALES_BOX not in result.second_opinion
    assert extract_html(BOXED_PAGE, time_limit=None) == extract_html(BOXED_PAGE)  # worker or not


def test_no_second_opinion_when_trafilatura_skips_its_readability_pass():
    text, _, opinion = _trafilatura(BOXED_PAGE, None, {**TRAFILATURA_SETTINGS, "fast": True}, with_metadata=False)
    assert PARAGRAPHS[0] in text and opinion is None


def test_block_text_breaks_lines_at_blocks_only():
    tree = lxml.html.fromstring("<div><h2>Title</h2><p>One <b>bold</b>ly said<!-- x --> more.</p>tail<ul><li>a</li><li>b</li></ul></div>")
    assert block_text(tree) == "Title\nOne boldly said more.\ntail\na\nb"
    assert block_text("not a tree") is None


def test_html_line_readability_leaves_out_goes_with_its_reason():
    doc = InputDocument(uri="page.html", raw=BOXED_PAGE.encode(), format="html", url="https://example.com/a")
    config = CleanConfig()
    record = clean_document(doc, config, RunInfo(config.config_hash(), processed_at="t"))
    assert isinstance(record, Record)
    assert SALES_BOX not in record.text and all(p in record.text for p in PARAGRAPHS)
    (removal,) = [r for r in record.removed if r.text == SALES_BOX]
    assert removal.rule == "related.second_opinion"  # after the body: the tail zone
    assert 0.25 <= removal.score < 0.9  # below the line model's own bar: readability tipped it
    assert "not in readability's article" in removal.detail
    # The same extracted text without the second opinion keeps the box.
    extraction = extract_html(BOXED_PAGE, time_limit=None)
    alone, _ = clean_text(extraction.text, config, page_title=extraction.metadata["title"])
    assert SALES_BOX in alone.text


def test_second_opinion_that_found_another_part_of_the_page_is_ignored():
    extraction = extract_html(BOXED_PAGE, time_limit=None)
    config = CleanConfig()
    unrelated = "Cookie settings\nOur partners\n" + RELATED[0]
    result, _ = clean_text(extraction.text, config, page_title=extraction.metadata["title"], second_opinion=unrelated)
    assert SALES_BOX in result.text and not any(r.rule.endswith("second_opinion") for r in result.removed)


# ----------------------------------------------------------------------------- time limit


def test_time_limit_interrupts_blocking_extraction_from_a_thread():
    def run() -> tuple[float, Extraction, int]:
        with HtmlExtractor(time_limit=1.0, extract_fn=slow_on_marker) as extractor:
            extractor.extract("<p>warm</p>", time_limit=30.0)  # start-up and first-use imports: no page's limit
            started = time.monotonic()
            with pytest.raises(ExtractionTimeout) as info:
                extractor.extract(PATHOLOGICAL + ARTICLE_PAGE)
            elapsed = time.monotonic() - started
            assert isinstance(info.value, ExtractionError) and info.value.time_limit == 1.0
            after = extractor.extract(ARTICLE_PAGE, time_limit=30.0)  # a fresh worker (its first page: imports) takes the next one
            return elapsed, after, extractor.restarts

    with ThreadPoolExecutor(1) as pool:  # not the main thread: SIGALRM could not help here
        elapsed, after, restarts = pool.submit(run).result(timeout=60)
    assert 1.0 <= elapsed < 3.0
    assert restarts == 1
    assert all(p in after.text for p in PARAGRAPHS)


def test_worker_failure_is_an_extraction_error_and_worker_lives_on():
    with HtmlExtractor(time_limit=5.0, extract_fn=fails_on_marker) as extractor:
        with pytest.raises(ExtractionError, match="lxml blew up") as info:
            extractor.extract("<p>FAIL</p>")
        assert not isinstance(info.value, ExtractionTimeout)
        assert PARAGRAPHS[0] in extractor.extract(ARTICLE_PAGE).text
        assert extractor.restarts == 0
