"""The cleaning pipeline: one document in, one record (or one reject) out.

The steps, each small and explaining what it did (see the module of each):

1. :mod:`~cleaners.inputs.decode` bytes -> text, or a reject reason;
2. :mod:`~cleaners.steps.encoding` ftfy repair;
3. :mod:`~cleaners.steps.spacing` spacing and punctuation (then Unicode normalisation again);
4. :mod:`~cleaners.steps.boilerplate` removal by category;
5. :mod:`~cleaners.steps.language` language identification (before typos: the corrector only
   runs on languages it has a dictionary for);
6. :mod:`~cleaners.steps.typos` conservative typo, split and name-variant repair.

Steps 2-6 have one shape (:mod:`~cleaners.steps`): :func:`clean_text` runs the list the
config enables, adds up what each changed, and counts and times each one.

All offsets in the record point into the decoded input; :class:`TrackedText` keeps them
exact through every step. This module has no Prefect import: it is what the flow calls
per document, and what a user calls from a notebook.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from time import perf_counter

from cleaners import __version__
from cleaners.config import CleanConfig
from cleaners.steps.run_profile import CorpusProfile
from cleaners.inputs.decode import RejectInput, decode_page, decode_text
from cleaners.inputs.extract import Extraction, ExtractionError, extract_html
from cleaners.inputs.files import InputDocument
from cleaners.record import CATEGORIES, EDIT_KINDS, Edit, Language, Metadata, Pipeline, Record, Reject, Removal, Source, Stats
from cleaners.steps import PARAGRAPH_SEPARATOR, StepContext, StepReport, StepStats, configured_steps
from cleaners.steps.site_templates import host_of
from cleaners.tracked_text import TrackedText

# PARAGRAPH_SEPARATOR, InputDocument and StepStats are here for the callers that import them from this module.
__all__ = ["PARAGRAPH_SEPARATOR", "CleanResult", "DecodedDocument", "InputDocument", "RunInfo", "StepStats", "clean_document", "clean_text", "decode_document", "reject_document"]


@dataclass(frozen=True)
class RunInfo:
    """Run metadata stamped on records (not part of the content)."""

    config_hash: str
    flow_run_id: str | None = None
    processed_at: str | None = None

    def pipeline(self) -> Pipeline:
        stamp = self.processed_at or datetime.now(timezone.utc).isoformat(timespec="seconds")
        return Pipeline(version=__version__, config_hash=self.config_hash, flow_run_id=self.flow_run_id, processed_at=stamp)


@dataclass(frozen=True)
class CleanResult:
    """What cleaning leaves before it becomes a record."""

    text: str
    title: str | None
    removed: list[Removal]
    edits: list[Edit]
    #: What each step made and how long it took (run information: not in the record, and
    #: not compared: two cleanings of the same text are equal however long they took).
    steps: tuple[StepReport, ...] = field(default=(), compare=False)


def clean_text(
    decoded: str,
    config: CleanConfig,
    profile: CorpusProfile | None = None,
    host: str | None = None,
    page_title: str | None = None,
    second_opinion: str | None = None,
    *,
    stats: StepStats | None = None,
) -> tuple[CleanResult, Language]:
    """Run the configured steps (:func:`~cleaners.steps.configured_steps`) on decoded text.
    Returns the result and the detected language.

    With a run ``profile`` and the document's ``host``, lines on most of the host's pages
    are removed as site template. ``page_title``: an HTML page's title from its metadata;
    a line before the body that repeats it goes (the record holds it in ``title``).
    ``second_opinion``: readability's article for the same HTML page (see
    :class:`~cleaners.steps.boilerplate.SecondOpinion`), repaired like the text before comparing.
    Each step's counts and seconds are in the result's ``steps``, and added to ``stats``
    when given.
    """
    context = StepContext(config, decoded, profile, host, page_title, second_opinion)
    tracked = TrackedText(decoded)
    edits: list[Edit] = []
    removed: list[Removal] = []
    title = None
    reports: list[StepReport] = []
    for step in configured_steps(config):
        started = perf_counter()
        result = step(tracked, context)
        reports.append(StepReport(step.name, len(result.edits), len(result.removed), perf_counter() - started))
        tracked = result.tracked
        edits += result.edits
        removed += result.removed
        if result.language is not None:  # the typo step reads it; the record holds the last
            context = replace(context, language=result.language)
        if result.title is not None:
            title = result.title
    if stats is not None:
        stats.add(reports)
    if title is not None:  # the guess was the first kept line; later steps may have edited it
        title = tracked.text.split("\n", 1)[0]
    return CleanResult(tracked.text, title, removed, edits, tuple(reports)), context.language


@dataclass(frozen=True)
class DecodedDocument:
    """The text a document's offsets point into, and how it was obtained from the bytes."""

    text: str
    encoding: str
    extraction: Extraction | None = None  # HTML only
    overruled_charset: str | None = None  # HTML only: see decode.decode_html


def decode_document(doc: InputDocument, config: CleanConfig) -> DecodedDocument:
    """Bytes to text: decoding for scraped text, decoding then extraction for HTML.

    Raises :class:`RejectInput` with the reason when the document cannot become text.
    """
    if doc.format != "html":
        decoded = decode_text(doc.raw, doc.from_string)
        return DecodedDocument(decoded.text, decoded.encoding)
    if not doc.raw.strip():
        raise RejectInput("empty", "the page has no content")
    page = decode_page(doc.raw, doc.content_type, doc.from_string)
    try:
        extraction = extract_html(page.text, doc.url, config.html.time_limit)
    except ExtractionError as exc:
        raise RejectInput(getattr(exc, "reason", "extraction_failed"), str(exc)) from exc
    if not extraction.text.strip():
        raise RejectInput("no_article", "trafilatura found no article text in the page" + "".join(f"; {n}" for n in extraction.notes))
    return DecodedDocument(extraction.text, page.encoding, extraction, page.overruled_charset)


def _metadata_of(extraction: Extraction | None) -> Metadata | None:
    if extraction is None:
        return None
    found = extraction.metadata
    return Metadata(**{k: (found.get(k) or []) if k in ("categories", "tags") else found.get(k) for k in Metadata.model_fields})


def _every_key(keys: tuple[str, ...], counts: Counter[str]) -> dict[str, int]:
    return {key: counts[key] for key in keys}


def reject_document(doc: InputDocument, reason: str, message: str, run: RunInfo, sha256: str | None = None) -> Reject:
    """The reject of a document that was read (its bytes hashed, as its record's id would
    be): the one place a read document's reject is made, whatever the reason."""
    return Reject(
        source=doc.uri, member=doc.member, reason=reason, message=message, sha256=sha256 or hashlib.sha256(doc.raw).hexdigest(),
        bytes=len(doc.raw), flow_run_id=run.flow_run_id,
    )


def clean_document(
    doc: InputDocument, config: CleanConfig, run: RunInfo, profile: CorpusProfile | None = None, *, stats: StepStats | None = None
) -> Record | Reject:
    """Clean one input. Never raises for bad input: that becomes a :class:`Reject`.

    ``stats``, when given, gets each cleaning step's counts and seconds (see :func:`clean_text`)."""
    digest = hashlib.sha256(doc.raw).hexdigest()

    def reject(reason: str, message: str) -> Reject:
        return reject_document(doc, reason, message, run, digest)

    if len(doc.raw) > config.limits.max_bytes:
        return reject("too_large", f"{len(doc.raw)} bytes is over the limit of {config.limits.max_bytes} (limits.max_bytes)")
    try:
        decoded = decode_document(doc, config)
    except RejectInput as exc:
        return reject(exc.reason, exc.message)
    extraction = decoded.extraction
    page_title = extraction.metadata.get("title") if extraction else None
    opinion = extraction.second_opinion if extraction else None
    result, language = clean_text(decoded.text, config, profile, host_of(doc.uri, doc.url), page_title, opinion, stats=stats)
    if not result.text.strip():
        return reject("empty_after_cleaning", f"all {len(decoded.text)} characters were removed as boilerplate")
    keep = config.language.keep
    if keep and language.code not in keep:
        found = f"'{language.code}' (p={language.probability})" if language.code else "no language"
        return reject("language", f"detected {found}; language.keep is {keep}")
    removed = result.removed
    metadata = _metadata_of(extraction)
    return Record(
        id=digest,
        text=result.text,
        title=(metadata.title if metadata and metadata.title else result.title),
        language=language,
        source=Source(
            uri=doc.uri, member=doc.member, container=doc.container, sha256=digest, bytes=len(doc.raw), format=doc.format,
            encoding=decoded.encoding, overruled_charset=decoded.overruled_charset, url=doc.url, record_id=doc.record_id, date=doc.date,
            extracted_sha256=hashlib.sha256(decoded.text.encode("utf-8")).hexdigest() if extraction else None,
            extractor=extraction.extractor if extraction else None, extra=doc.extra,
        ),
        metadata=metadata,
        removed=removed,
        edits=result.edits,
        stats=Stats(
            chars_in=len(decoded.text),
            chars_out=len(result.text),
            removed_chars=sum(r.end - r.start for r in removed),
            removals=_every_key(CATEGORIES, Counter(r.category for r in removed)),
            edits=_every_key(EDIT_KINDS, Counter(e.kind for e in result.edits)),
        ),
        pipeline=run.pipeline(),
    )
