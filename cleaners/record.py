"""The output record: one JSON object per document, and one per reject.

These models are the contract with the people who read the JSONL. Their JSON Schema is
exported to ``docs/record.schema.json`` (``python -m cleaners.record``) and a test checks
that the checked-in schema matches the models.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cleaners.rules import categories

#: The removal categories (docs/categories.md explains each): one per category file in
#: cleaners/rules/, in the files' ``order`` (the order of ``stats.removals`` keys).
CATEGORIES: tuple[str, ...] = tuple(c.name for c in categories())
Category = Literal[CATEGORIES]  # type: ignore[valid-type]

EditKind = Literal["encoding", "spacing", "punctuation", "typo", "split", "name_variant"]
#: Every category and edit kind is a key of ``stats`` (0 when none), so that DuckDB, pandas
#: and Arrow infer one stable type for the whole run.
EDIT_KINDS: tuple[str, ...] = EditKind.__args__  # type: ignore[attr-defined]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Removal(_Model):
    """A span of the decoded input that is not in ``text``, and why: a whole line, or a cell or
    item of a line whose other parts stay (``detail`` "cell 2 of 4")."""

    category: Category
    rule: str = Field(description="Name of the rule that decided, e.g. 'donation.appeal_headline'.")
    start: int = Field(ge=0, description="Code-point offset into the decoded input (inclusive).")
    end: int = Field(ge=0, description="Code-point offset into the decoded input (exclusive).")
    text: str = Field(description="decoded[start:end], verbatim.")
    score: float | None = Field(
        None, ge=0.0, le=1.0, description="Line-model probability that the line (the whole line, for a cell or item) is not article text."
    )
    detail: str | None = Field(
        None, description="Evidence behind the rule, e.g. the counts of a site-template line, what opened a comment thread, or which cell of a row."
    )


class Edit(_Model):
    """A change made to text that was kept."""

    kind: EditKind
    rule: str
    before: str
    after: str
    start: int = Field(ge=0, description="Offset into the decoded input where the edited text starts.")
    end: int = Field(ge=0, description="Offset into the decoded input where the edited text ends.")


class ForeignParagraph(_Model):
    """A paragraph of ``text`` in another language than the document's."""

    start: int = Field(ge=0, description="Code-point offset into the record's text (inclusive).")
    end: int = Field(ge=0, description="Code-point offset into the record's text (exclusive).")
    code: str = Field(description="ISO 639-1 code langdetect gives the paragraph.")
    probability: float = Field(ge=0.0, le=1.0)


class Language(_Model):
    code: str | None = Field(description="ISO 639-1 code from langdetect, null when undetectable.")
    probability: float = Field(ge=0.0, le=1.0)
    foreign_paragraphs: list[ForeignParagraph] = Field(
        default_factory=list, description="Long paragraphs reliably detected as another language."
    )


class Source(_Model):
    uri: str = Field(description="The file the document was read from (local path or fsspec URL).")
    member: int | None = Field(None, description="Position inside a container file: JSONL line, table row (not counting the header) or WARC record (1-based); null for a whole file.")
    container: Literal["jsonl", "warc", "csv", "tsv", "parquet"] | None = Field(
        None, description="Kind of container file ('warc' also for WET and ARC files), null for a one-document file."
    )
    sha256: str = Field(description="sha256 of the document's raw bytes (a JSONL row's html/text field as UTF-8; a WARC record's payload).")
    bytes: int = Field(ge=0)
    format: Literal["text", "html"] = Field(description="What the raw bytes are: scraped text, or HTML (extracted with trafilatura first).")
    encoding: str = Field(
        description="Encoding used to decode the bytes; 'string' when the input held the document as a string (a JSONL field), used as it is."
    )
    overruled_charset: str | None = Field(
        None,
        description=(
            "HTML: the charset the page declared (HTTP header, else <meta>), as written, when its bytes were decoded otherwise: "
            "valid UTF-8 with non-ASCII characters wins over a <meta>, a byte-order mark over both, and a declaration that "
            "does not decode the bytes is skipped. Null when the page was decoded as declared or declared nothing."
        ),
    )
    url: str | None = Field(None, description="Page URL: JSONL url field or WARC-Target-URI.")
    record_id: str | None = Field(None, description="JSONL id field or WARC-Record-ID.")
    date: str | None = Field(None, description="JSONL published field or WARC-Date (fetch time).")
    extracted_sha256: str | None = Field(
        None, description="For HTML: sha256 of the extracted text (UTF-8); offsets in removed and edits point into that text."
    )
    extractor: str | None = Field(None, description="For HTML: the extractor that produced the text.")
    extra: dict[str, Any] = Field(default_factory=dict, description="JSONL fields not mapped above, verbatim.")


class Metadata(_Model):
    """Page metadata found by trafilatura in the HTML (null when absent)."""

    title: str | None = None
    author: str | None = None
    date: str | None = None
    sitename: str | None = None
    url: str | None = None
    description: str | None = None
    categories: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)


class Stats(_Model):
    chars_in: int = Field(ge=0, description="Code points of the decoded input (for HTML: of the extracted text).")
    chars_out: int = Field(
        ge=0,
        description="Code points of `text`. Kept paragraphs are joined by a blank line, so an untouched input of single-spaced lines comes out longer than it went in.",
    )
    removed_chars: int = Field(ge=0, description="Code points of the decoded input inside `removed` spans.")
    removals: dict[str, int] = Field(description="Number of removed spans per category; every category is a key (0 when none).")
    edits: dict[str, int] = Field(description="Number of edits per kind; every kind is a key (0 when none).")


class Pipeline(_Model):
    version: str
    config_hash: str
    flow_run_id: str | None = None
    processed_at: str = Field(description="UTC timestamp, ISO 8601; run metadata, not content.")


class NearDuplicate(_Model):
    """This record's text is the same story as an earlier record's (cleaners/run/near_duplicates.py)."""

    cluster: str = Field(description="id of the cluster's first record (in ledger history: earlier runs, then this run's order); the same across runs.")
    similarity: float = Field(ge=0.0, le=1.0, description="Estimated Jaccard similarity (MinHash) of the word shingles of this text and `match`'s.")
    match: str = Field(description="id of the most similar earlier record of the cluster.")


class Record(_Model):
    id: str = Field(description="sha256 hex of the raw input bytes.")
    text: str
    title: str | None = Field(None, description="HTML: the page title from its metadata; text: the first line when it is a heading.")
    language: Language
    source: Source
    metadata: Metadata | None = Field(None, description="HTML inputs: the page's metadata; null for text inputs.")
    removed: list[Removal]
    edits: list[Edit]
    stats: Stats
    pipeline: Pipeline
    near_duplicate: NearDuplicate | None = Field(
        None,
        description=(
            "Set when an earlier record (this run or an earlier one in the ledger) is the same story; null for a text with no "
            "earlier copy (the first record of a cluster, whose id is the cluster's id) and for texts too short to compare. "
            "Group a run by `near_duplicate.cluster`, else `id`. Always the last key of the JSON object."
        ),
    )


class Reject(_Model):
    """An input that produced no record, with a machine-readable reason."""

    source: str = Field(description="Where the input was read from.")
    member: int | None = Field(None, description="JSONL line, table row or WARC record inside the file (1-based); null for a whole file.")
    reason: str = Field(description="Machine-readable reason, e.g. 'empty', 'undecodable', 'binary'.")
    message: str = Field(description="Human explanation.")
    sha256: str | None = None
    bytes: int | None = None
    flow_run_id: str | None = None


#: Why an input was skipped: already cleaned (the ledger or this run), or not a document.
SKIP_REASONS = ("unchanged", "duplicate", "near_duplicate", "redirect", "http_status", "not_document", "unsupported_format")


class Skip(_Model):
    """An input not cleaned in this run: its content already has a record, or it is not a
    document (a crawl's redirects, error pages, scripts and images; a PDF in a source
    folder). Skips are counted by reason in the manifest; they are not failures."""

    source: str = Field(description="Where the input was read from.")
    member: int | None = Field(None, description="JSONL line, table row or WARC record inside the file (1-based); null for a whole file.")
    sha256: str | None = Field(None, description="sha256 of the raw input bytes; null for an input that was not read (not a document, an unsupported file).")
    reason: Literal[SKIP_REASONS] = Field(  # type: ignore[valid-type]
        description=(
            "'unchanged': cleaned before with the same config; 'duplicate': the same bytes as another input; "
            "'near_duplicate': cleaned, and its text is the same story as an earlier record (config near_duplicates.mode = 'skip'); "
            "'redirect': a WARC response with an HTTP 3xx status; 'http_status': a WARC response with a status other than 2xx or 3xx; "
            "'not_document': a WARC record that is not an HTML page or extracted text (a script, an image, a request or metadata record); "
            "'unsupported_format': a file in a source folder whose ending names no input format (.pdf, .png)."
        )
    )
    message: str = Field(description="Human explanation.")
    cleaned_in_run: str | None = Field(None, description="Run id of the earlier run that cleaned this content (null: this run).")
    same_as: str | None = Field(None, description="The input (file, and member when inside a container) whose record holds this content, when it is another input.")
    url: str | None = Field(None, description="The WARC record's target URI, when the input is a WARC record.")
    http_status: int | None = Field(None, description="The HTTP status of a WARC response ('redirect', 'http_status').")
    location: str | None = Field(None, description="Where a redirect points (its Location header).")
    content_type: str | None = Field(None, description="What a 'not_document' record holds: its HTTP Content-Type, or its WARC record type.")
    near_duplicate: NearDuplicate | None = Field(None, description="'near_duplicate': the earlier record it matches, as a record would say it.")
    flow_run_id: str | None = None


def record_schema() -> dict:
    """JSON Schema of a document record (the file checked in under docs/)."""
    return Record.model_json_schema()


SCHEMA_PATH = Path(__file__).resolve().parent.parent / "docs" / "record.schema.json"


def render_schema() -> str:
    return json.dumps(record_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":  # python -m cleaners.record  -> refresh docs/record.schema.json
    SCHEMA_PATH.write_text(render_schema(), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
