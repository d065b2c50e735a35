"""HTML inputs: article extraction with metadata, after decoding and before the text cleaners.

Pure Python (no Prefect import). The bytes of a page are decoded first
(:func:`cleaners.inputs.decode.decode_html`); :func:`extract_html` runs trafilatura on the HTML
text and returns an :class:`Extraction` (text, which extractor produced it, metadata,
notes). The settings are data (:data:`TRAFILATURA_SETTINGS`, :data:`DATE_PARAMS`),
separate from the logic.

Time limit. The extraction runs in a worker subprocess, killed past its limit
(:mod:`cleaners.inputs.extraction_worker`: :class:`HtmlExtractor`, :class:`ExtractionTimeout`);
``time_limit=None`` extracts in the calling process, without a limit (tests, debugging).

Fallback. trafilatura's own (it retries with recall settings and its internal
readability/jusText backups when its first pass looks short; needs ``lxml_html_clean``),
plus one retry with :data:`EMPTY_RETRY_SETTINGS` when the first pass returns nothing.
A fallback to a second extractor (readability-lxml, jusText) when trafilatura returns
little was measured on the development benchmark and did not beat trafilatura alone by
enough to pay for a second extraction of every page (``benchmarks/html_quality.py``).

Second opinion. trafilatura runs its own copy of readability on every page to compare with
its result; :class:`Extraction` keeps that article (``second_opinion``, at no extra cost),
and the cleaners remove a line readability leaves out when the line model doubts it too
(``boilerplate.disagree``): on the benchmark's HTML, +0.001 F1 on both sets.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Union

from cleaners.inputs.extraction_worker import (
    DEFAULT_TIME_LIMIT,
    ExtractionError,
    ExtractionTimeout,
    HtmlExtractor,
    _run_here,
    _thread_extractor,
    shutdown_workers,
)

#: The worker and its errors (:mod:`cleaners.inputs.extraction_worker`) are re-exported.
__all__ = [
    "DATE_PARAMS", "DEFAULT_TIME_LIMIT", "EMPTY_RETRY_SETTINGS", "METADATA_FIELDS", "TRAFILATURA_SETTINGS", "Extraction",
    "ExtractionError", "ExtractionTimeout", "HtmlExtractor", "MetadataValue", "block_text", "extract_html", "shutdown_workers",
]

#: trafilatura options for the article text. Data, not logic: the extractor reads it as is.
#: ``deduplicate`` must stay False: trafilatura's deduplication is nondeterministic.
TRAFILATURA_SETTINGS: dict[str, Any] = {
    "include_comments": False,
    "deduplicate": False,
    "output_format": "txt",
    "include_tables": True,
    "include_images": False,
    "include_links": False,
    "include_formatting": False,
    "favor_precision": False,
    "favor_recall": False,
    "fast": False,
}

#: Second try, only when the first gives no text at all (overrides of TRAFILATURA_SETTINGS).
#: Costs nothing on pages that extract; on the benchmark it rescues the one page of 971
#: where trafilatura's default gives nothing and favor_recall the whole article.
EMPTY_RETRY_SETTINGS: dict[str, Any] = {"favor_recall": True}

#: htmldate options for the ``date`` field. trafilatura's default ``max_date`` is *today*,
#: which makes the output depend on the day of the run; a fixed bound keeps it reproducible.
#: ``extensive_search`` (dates guessed from the page text) is off: on 80 bench pages it cost
#: about 30 ms a page (a third of the extraction) to find 6 more dates, half of them
#: year-only guesses ("2023-01-01"); where both settings found a date it was the same.
DATE_PARAMS: dict[str, Any] = {"original_date": True, "extensive_search": False, "max_date": "2099-12-31"}

#: Metadata fields copied from trafilatura's Document, in this order.
METADATA_FIELDS: tuple[str, ...] = ("title", "author", "date", "sitename", "url", "categories", "tags", "description")

MetadataValue = Union[str, list[str], None]


@dataclass(frozen=True)
class Extraction:
    """The text of one page and what is known about it."""

    text: str
    extractor: str
    metadata: dict[str, MetadataValue] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: The article readability found on the same page (trafilatura runs it on every page to
    #: compare with its own result), one line per block element; None when that pass did not
    #: run. A second opinion for the cleaners (``boilerplate.SecondOpinion``), not output.
    second_opinion: str | None = None


# ----------------------------------------------------------------------------- extraction (in process)


def _metadata(document: Any) -> dict[str, MetadataValue]:
    out: dict[str, MetadataValue] = {}
    for name in METADATA_FIELDS:
        value = getattr(document, name, None) if document is not None else None
        if isinstance(value, (list, tuple)):
            items = [str(v).strip() for v in value if v is not None and str(v).strip()]
            out[name] = items or None
        elif value is None or not str(value).strip():
            out[name] = None
        else:
            out[name] = str(value).strip()
    return out


def _options(settings: dict[str, Any], url: str | None, with_metadata: bool) -> Any:
    from trafilatura.settings import Extractor

    return Extractor(
        output_format=settings["output_format"],
        fast=settings["fast"],
        precision=settings["favor_precision"],
        recall=settings["favor_recall"],
        comments=settings["include_comments"],
        formatting=settings["include_formatting"],
        links=settings["include_links"],
        images=settings["include_images"],
        tables=settings["include_tables"],
        dedup=settings["deduplicate"],
        url=url,
        with_metadata=with_metadata,
        date_params=dict(DATE_PARAMS),
    )


def _trafilatura(html: str, url: str | None, settings: dict[str, Any], with_metadata: bool) -> tuple[str, Any, str | None]:
    """(text, trafilatura Document or None, readability's article or None). The text is the
    string ``trafilatura.extract`` returns with the same settings (rendered without the
    metadata header)."""
    import trafilatura
    from trafilatura.core import determine_returnstring

    options = _options(settings, url, with_metadata)
    with _readability_recorded() as found:
        document = trafilatura.bare_extraction(html, options=options)
    if document is None:
        return "", None, None
    options.with_metadata = False
    return determine_returnstring(document, options).strip(), document, block_text(found[-1]) if found else None


# ----------------------------------------------------------------------------- second opinion
#
# Unless it is told to be fast, trafilatura runs readability (its bundled copy of
# readability-lxml) on every page and compares the two articles to pick one
# (``trafilatura.external.compare_extraction``). That second article costs nothing more to
# keep: a thin wrapper around ``trafilatura.external.try_readability`` records what it
# returns, in a list per thread, while this module extracts. The wrapper returns the same
# tree, so trafilatura decides as before. A trafilatura without that function gives no
# second opinion (``Extraction.second_opinion`` is None) and nothing else changes.

_recording = threading.local()


def _recorded_readability(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def try_readability(tree: Any) -> Any:
        found = original(tree)
        sink = getattr(_recording, "sink", None)
        if sink is not None:
            sink.append(found)
        return found

    try_readability.__wrapped__ = original  # type: ignore[attr-defined]
    return try_readability


@contextlib.contextmanager
def _readability_recorded() -> Iterator[list[Any]]:
    """The trees trafilatura's readability pass returns inside the block (installs the
    wrapper on first use)."""
    import trafilatura.external as external

    current = getattr(external, "try_readability", None)
    if callable(current) and not hasattr(current, "__wrapped__"):
        external.try_readability = _recorded_readability(current)
    _recording.sink = found = []
    try:
        yield found
    finally:
        _recording.sink = None


#: Elements that start a new line in the text of readability's article.
_BLOCK_TAGS = frozenset({
    "p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr", "td", "th", "table",
    "ul", "ol", "section", "article", "figure", "figcaption", "dd", "dt", "header", "footer", "br",
})  # fmt: skip


def block_text(tree: Any) -> str | None:
    """The text of an lxml tree, a line break at each block element (inline elements keep
    their words together, and block elements never glue two words into one). Works on a
    copy: trafilatura may have taken the same tree as its article."""
    from copy import deepcopy

    from lxml import etree

    try:
        tree = deepcopy(tree)
        for element in tree.iter():
            if isinstance(element.tag, str) and element.tag in _BLOCK_TAGS:
                element.text = "\n" + (element.text or "")
                element.tail = "\n" + (element.tail or "")
        text = etree.tostring(tree, method="text", encoding="unicode", with_tail=False)
    except (AttributeError, TypeError, ValueError):  # not an lxml tree
        return None
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _extract_in_process(html: str, url: str | None = None) -> Extraction:
    """trafilatura on one page, in the calling process (no time limit)."""
    import trafilatura

    if not html or not html.strip():
        return Extraction(text="", extractor="trafilatura", metadata=_metadata(None), notes=["empty input"])
    notes: list[str] = []
    text, document, opinion = _trafilatura(html, url, TRAFILATURA_SETTINGS, with_metadata=True)
    extractor = "trafilatura"
    if not text and EMPTY_RETRY_SETTINGS:
        retry = {**TRAFILATURA_SETTINGS, **EMPTY_RETRY_SETTINGS}
        retry_text, _, retry_opinion = _trafilatura(html, url, retry, with_metadata=False)
        label = ",".join(sorted(k for k, v in EMPTY_RETRY_SETTINGS.items() if v is True)) or "retry"
        if retry_text:
            text, extractor, opinion = retry_text, f"trafilatura[{label}]", retry_opinion
            notes.append(f"trafilatura found no main text with its default settings; retried with {label}")
        else:
            notes.append(f"trafilatura found no main text (default settings, then {label})")
    if document is None:
        try:
            document = trafilatura.extract_metadata(html, default_url=url, date_config=dict(DATE_PARAMS))
        except Exception as exc:  # noqa: BLE001  (metadata is best effort)
            notes.append(f"metadata extraction failed: {type(exc).__name__}: {exc}")
    return Extraction(text=text, extractor=extractor, metadata=_metadata(document), notes=notes, second_opinion=opinion)



def extract_html(html: str, url: str | None = None, time_limit: float | None = DEFAULT_TIME_LIMIT) -> Extraction:
    """Main text, metadata and notes of one HTML page (deterministic).

    ``time_limit`` (seconds) really interrupts the work: the extraction runs in this thread's
    worker subprocess, killed and replaced on timeout, which raises :class:`ExtractionTimeout`.
    Other failures of the worker raise :class:`ExtractionError`. ``time_limit=None`` runs in
    the calling process without a limit. An HTML page without article text is not an
    error: it gives ``text == ""`` with a note.
    """
    if time_limit is None:
        return _run_here(_extract_in_process, html, url)
    return _thread_extractor().extract(html, url, time_limit)
