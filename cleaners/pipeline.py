"""The cleaning pipeline: one document in, one record (or one reject) out.

The steps, each small and explaining what it did (see the module of each):

1. :mod:`~cleaners.decode` bytes -> text, or a reject reason;
2. :mod:`~cleaners.encoding` ftfy repair;
3. :mod:`~cleaners.spacing` spacing and punctuation;
4. :mod:`~cleaners.boilerplate` removal by category;
5. :mod:`~cleaners.language` language identification (before typos: the corrector only
   runs on languages it has a dictionary for);
6. :mod:`~cleaners.typos` conservative typo, split and name-variant repair.

All offsets in the record point into the decoded input; :class:`TrackedText` keeps them
exact through every step. This module has no Prefect import: it is what the flow calls
per document, and what a user calls from a notebook.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial

from . import __version__
from .boilerplate import NOT_A_HEADING_END, SecondOpinion, TemplateCheck, classify_blocks, rulebook, split_blocks
from .config import CleanConfig
from .corpus import CorpusProfile
from .decode import RejectInput, decode_page, decode_text
from .encoding import renormalise, repair_encoding
from .extract import Extraction, ExtractionError, extract_html
from .inputs import InputDocument
from .language import detect_language, move_to
from .pieces import kept_spans
from .record import CATEGORIES, EDIT_KINDS, Edit, Language, Metadata, Pipeline, Record, Reject, Removal, Source, Stats
from .spacing import normalise_spacing
from .templates import host_of
from .textmap import TrackedText
from .typos import repair_typos

#: Kept blocks are joined with one blank line: one paragraph per block in the output.
PARAGRAPH_SEPARATOR = "\n\n"
_TITLE_MAX_WORDS = 20


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


def clean_text(
    decoded: str,
    config: CleanConfig,
    profile: CorpusProfile | None = None,
    host: str | None = None,
    page_title: str | None = None,
    second_opinion: str | None = None,
) -> tuple[CleanResult, Language]:
    """Run steps 2-6 on decoded text. Returns the result and the detected language.

    With a run ``profile`` and the document's ``host``, lines on most of the host's pages
    are removed as site template. ``page_title``: an HTML page's title from its metadata;
    a line before the body that repeats it goes (the record holds it in ``title``).
    ``second_opinion``: readability's article for the same HTML page (see
    :class:`~cleaners.boilerplate.SecondOpinion`), repaired like the text before comparing.
    """
    tracked = TrackedText(decoded)
    edits: list[Edit] = []
    tracked, made = repair_encoding(tracked, config.encoding)
    edits += made
    tracked, made = normalise_spacing(tracked, config.spacing.enabled)
    edits += made
    if made:  # a deleted invisible character can leave a letter and a combining mark to compose
        tracked, made = renormalise(tracked, config.encoding)
        edits += made
    templates = partial(profile.template_detail, host) if profile is not None and host is not None else None
    opinion = None
    if second_opinion:
        opinion = SecondOpinion.of(repair_encoding(TrackedText(second_opinion), config.encoding)[0].text, "readability")
    tracked, removed, title = _remove_boilerplate(tracked, config, decoded, templates, page_title, opinion)
    language = detect_language(tracked.text, config.language)
    if language.code in config.typos.languages:
        before = tracked.text
        foreign = [(p.start, p.end) for p in language.foreign_paragraphs]  # no dictionary for those
        tracked, made = repair_typos(tracked, config.typos, profile, skip=foreign)
        edits += made
        if foreign:
            moved = move_to(tracked.text, before, language.foreign_paragraphs)
            language = language.model_copy(update={"foreign_paragraphs": moved})
    if title is not None:
        title = tracked.text.split("\n", 1)[0]
    return CleanResult(tracked.text, title, removed, edits), language


def _remove_boilerplate(
    tracked: TrackedText,
    config: CleanConfig,
    decoded: str,
    templates: TemplateCheck | None,
    page_title: str | None,
    opinion: SecondOpinion | None,
) -> tuple[TrackedText, list[Removal], str | None]:
    """Classify and remove until nothing more goes (at most ``max_passes`` of the level).

    Removing a widget changes the context of what is left (the body's edges, the comment
    section, the lead zone), so one pass can leave lines a second pass removes. Running to
    a fixed point makes cleaning idempotent: the output cleaned again loses nothing more.
    """
    options = config.boilerplate
    if not options.enabled:
        return tracked.select([(b.start, b.end) for b in split_blocks(tracked.text)], PARAGRAPH_SEPARATOR), [], None
    removed: list[Removal] = []
    title = None
    # Most pages settle in two or three passes; a long menu can lose a layer per pass (at a
    # bound of 4 for every level, 58 of the bench's 1,940 renderings were still losing lines,
    # and cleaning their output again removed more). ``aggressive`` keeps 4: see structure.toml.
    for _ in range(rulebook(options.strictness).thresholds["max_passes"]):
        blocks = classify_blocks(tracked.text, options.strictness, options.line_model, templates, page_title, opinion)
        gone = [(b.start, b.end, b.category, b.rule, b.score, b.detail) for b in blocks if b.category is not None]
        gone += [(b.start + c.start, b.start + c.end, c.category, c.rule, b.score, c.detail) for b in blocks if b.category is None for c in b.cuts]
        for start, end, category, rule, score, detail in gone:
            start, end = tracked.original_span(start, end)
            removed.append(Removal(category=category, rule=rule, start=start, end=end, text=decoded[start:end], score=score, detail=detail))
        kept = [(b.start + a, b.start + z) for b in blocks if b.category is None for a, z in kept_spans(len(b.text), b.cuts)]
        title = _title_guess(tracked.text[kept[0][0] : kept[0][1]]) if kept else None
        tracked = tracked.select(kept, PARAGRAPH_SEPARATOR)
        if not gone or not kept:
            break
    removed.sort(key=lambda r: r.start)
    return tracked, removed, title


def _title_guess(first_kept: str) -> str | None:
    """A short heading-like first line is the title (it stays in the text too)."""
    words = first_kept.split()
    if 2 <= len(words) <= _TITLE_MAX_WORDS and first_kept.rstrip()[-1] not in NOT_A_HEADING_END:
        return first_kept
    return None


@dataclass(frozen=True)
class Decoded:
    """The text a document's offsets point into, and how it was obtained from the bytes."""

    text: str
    encoding: str
    extraction: Extraction | None = None  # HTML only
    overruled_charset: str | None = None  # HTML only: see decode.decode_html


def decode_document(doc: InputDocument, config: CleanConfig) -> Decoded:
    """Bytes to text: decoding for scraped text, decoding then extraction for HTML.

    Raises :class:`RejectInput` with the reason when the document cannot become text.
    """
    if doc.format != "html":
        decoded = decode_text(doc.raw, doc.from_string)
        return Decoded(decoded.text, decoded.encoding)
    if not doc.raw.strip():
        raise RejectInput("empty", "the page has no content")
    page = decode_page(doc.raw, doc.content_type, doc.from_string)
    try:
        extraction = extract_html(page.text, doc.url, config.html.time_limit)
    except ExtractionError as exc:
        raise RejectInput(getattr(exc, "reason", "extraction_failed"), str(exc)) from exc
    if not extraction.text.strip():
        raise RejectInput("no_article", "trafilatura found no article text in the page" + "".join(f"; {n}" for n in extraction.notes))
    return Decoded(extraction.text, page.encoding, extraction, page.overruled_charset)


def _metadata_of(extraction: Extraction | None) -> Metadata | None:
    if extraction is None:
        return None
    found = extraction.metadata
    return Metadata(**{k: (found.get(k) or []) if k in ("categories", "tags") else found.get(k) for k in Metadata.model_fields})


def _every_key(keys: tuple[str, ...], counts: Counter[str]) -> dict[str, int]:
    return {key: counts[key] for key in keys}


def clean_document(doc: InputDocument, config: CleanConfig, run: RunInfo, profile: CorpusProfile | None = None) -> Record | Reject:
    """Clean one input. Never raises for bad input: that becomes a :class:`Reject`."""
    digest = hashlib.sha256(doc.raw).hexdigest()

    def reject(reason: str, message: str) -> Reject:
        return Reject(
            source=doc.uri, member=doc.member, reason=reason, message=message, sha256=digest, bytes=len(doc.raw), flow_run_id=run.flow_run_id
        )

    if len(doc.raw) > config.limits.max_bytes:
        return reject("too_large", f"{len(doc.raw)} bytes is over the limit of {config.limits.max_bytes} (limits.max_bytes)")
    try:
        decoded = decode_document(doc, config)
    except RejectInput as exc:
        return reject(exc.reason, exc.message)
    extraction = decoded.extraction
    page_title = extraction.metadata.get("title") if extraction else None
    opinion = extraction.second_opinion if extraction else None
    result, language = clean_text(decoded.text, config, profile, host_of(doc.uri, doc.url), page_title, opinion)
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
