"""A review report of one run folder: a single self-contained, static HTML page.

People who did not write the rules need to see what the cleaner did before they trust it:
which spans were removed and why, which edits were made, and what came out. The page has
a summary (counts, removals by category, languages, the most frequent rules) and a
paginated, filterable list of documents, each with its input struck through where text
was removed and the cleaned text beside it.

Design constraints, and how they are met:

* **Self-contained**: inline CSS and JS (kept in ``cleaners/run/report_assets/``, package data,
  and inlined into each page), no network, no external assets; a reviewer can mail the
  file or open it from a share.
* **Usable at 10,000 documents**: per-document data is one JSON block rendered lazily,
  a page of documents at a time, so the initial DOM stays small. The decoded input is
  stored once; the cleaned text is stored as references into it (its paragraphs are
  almost always verbatim slices of the input) plus literal text where edits changed it.
* **Safe**: every string that reaches markup goes through :func:`html.escape` here, or
  through ``textContent`` in the page's script; the JSON block escapes ``<``, ``>`` and
  ``&`` so no document text can close the script element.
* **Deterministic**: no timestamps of its own; documents are sorted by source URI, so the
  same run folder always gives the same bytes.

Offsets in the embedded JSON are UTF-16 code units (what JavaScript strings index),
converted from the records' code-point offsets when a text holds astral characters.
No Prefect import: the flow and the CLI both call :func:`write_report`.
"""

from __future__ import annotations

import bisect
import hashlib
import html
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator
from urllib.parse import urlsplit

import fsspec

from cleaners.config import CleanConfig, InputOptions
from cleaners.inputs.decode import RejectInput
from cleaners.inputs.files import BadInput, InputDocument, Part, read_documents
from cleaners.pipeline import decode_document
from cleaners.run.storage import file_sha256, join, write_atomic
from cleaners.record import CATEGORIES, EditKind
from cleaners.rules import categories

#: Documents rendered per page: enough to scroll through, small enough to render at once.
PAGE_SIZE = 50

#: Rejects listed in the summary; the rest are counted (rejects.jsonl has them all).
MAX_REJECTS_LISTED = 200

#: Paragraphs shorter than this are stored literally: a reference would not be smaller.
MIN_REFERENCE_CHARS = 12

EDIT_KINDS: tuple[str, ...] = EditKind.__args__  # type: ignore[attr-defined]

#: One colour per removal category: the ``colour`` of its file in cleaners/rules/ (Tableau's
#: palettes: distinguishable, colour-blind friendlier).
CATEGORY_COLOURS: dict[str, str] = {c.name: c.colour for c in categories()}

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class ReportError(ValueError):
    """The folder is not a complete run folder (no readable manifest)."""


# --- reading a run folder ----------------------------------------------------------------


def _read_manifest(run_dir: str) -> dict:
    """The manifest, or a clear error: a folder without one is not a finished run."""
    try:
        with fsspec.open(join(run_dir, "manifest.json"), "r", encoding="utf-8") as handle:
            manifest = json.load(handle)
    except FileNotFoundError as exc:
        raise ReportError(f"no manifest.json in {run_dir!r}: not a complete run folder") from exc
    except (OSError, ValueError) as exc:  # a folder or a file in its place, no permission, not JSON
        raise ReportError(f"the manifest.json of {run_dir!r} cannot be read: {exc}") from exc
    if not isinstance(manifest, dict):
        raise ReportError(f"the manifest.json of {run_dir!r} is a JSON {type(manifest).__name__}, not a run's manifest")
    return manifest


def _check_shards(run_dir: str, manifest: dict) -> None:
    """Every shard file the manifest lists is in the folder: a page over fewer documents than
    its figures count would mislead its reader."""
    present = {PurePosixPath(uri).name for uri in _shard_files(run_dir)}
    missing = [s.get("file") for s in manifest.get("shards") or [] if isinstance(s, dict) and s.get("file") not in present]
    if missing:
        raise ReportError(f"{len(missing)} shard file(s) of the manifest are missing from {run_dir!r}: {', '.join(map(str, missing[:3]))}")


def _shard_files(run_dir: str) -> list[str]:
    """Shard files in name order (= discovery order), so reading order is deterministic."""
    fs, path = fsspec.core.url_to_fs(run_dir)
    names = sorted(fs.glob(path.rstrip("/") + "/documents-*.jsonl"))
    return [join(run_dir, PurePosixPath(name).name) for name in names]


def _iter_jsonl(uri: str, digest: "hashlib._Hash | None" = None) -> Iterator[dict]:
    """One parsed object per line, streamed: a run may not fit in memory as JSON objects.
    ``digest``: fed the file's bytes on the way (checked against the manifest)."""
    try:
        handle = fsspec.open(uri, "rb").open()
    except FileNotFoundError:
        return
    with handle:
        for line in handle:
            if digest is not None:
                digest.update(line)
            if line.strip():
                yield json.loads(line)


def iter_records(run_dir: str | Path, expected: dict[str, str] | None = None, changed: list[str] | None = None) -> Iterator[dict]:
    """Every document record of a run folder, shard by shard.

    ``expected``: shard file name -> the sha256 the manifest recorded; the name of each
    shard whose bytes differ is appended to ``changed`` once the shard has been read."""
    for shard in _shard_files(str(run_dir)):
        digest = hashlib.sha256()
        yield from _iter_jsonl(shard, digest)
        name = PurePosixPath(shard).name
        if expected and changed is not None and name in expected and digest.hexdigest() != expected[name]:
            changed.append(name)


def _manifest_hashes(manifest: dict) -> dict[str, str]:
    """File name -> sha256, for every file the manifest lists with one."""
    listed = [*(manifest.get("shards") or []), manifest.get("rejects_file"), manifest.get("skipped_file")]
    return {f["file"]: f["sha256"] for f in listed if isinstance(f, dict) and isinstance(f.get("file"), str) and f.get("sha256")}


# --- one document -------------------------------------------------------------------------


def source_host(source: dict) -> str:
    """Where a document came from, for filtering: the URL's host, else its folder's name.

    Text inputs rarely carry a URL; the folder they were scraped into is the next best
    grouping a reviewer recognises.
    """
    url = source.get("url")
    if url:
        host = urlsplit(url).hostname
        if host:
            return host
    path = urlsplit(source["uri"]).path if "://" in source["uri"] else source["uri"]
    return PurePosixPath(path.replace("\\", "/")).parent.name or "(unknown)"


#: Options for reading a record's document again (built once: a report reads thousands).
_DEFAULTS = CleanConfig()


def run_config(manifest: dict) -> CleanConfig:
    """The config the run used (its manifest keeps it), to read the documents again the same
    way (JSONL field names, limits); the defaults for a manifest without a readable one."""
    try:
        return CleanConfig.model_validate(manifest.get("config") or {})
    except ValueError:  # a config of another newsclean version
        return _DEFAULTS


def read_input(record: dict, config: CleanConfig = _DEFAULTS, members: MemberReader | None = None) -> tuple[str | None, str | None]:
    """The decoded input a record's offsets point into, or ``(None, why not)``.

    The source may have moved, changed or become unreadable since the run; offsets into a
    different text would strike the wrong words, so anything that does not match exactly
    (sha256, then every removed span) falls back to showing the removed spans only. For a
    document inside a JSONL or WARC file the member is found again; for HTML the page is
    extracted again and checked against ``extracted_sha256``; ``members`` reads a run's
    container files forward (see :class:`MemberReader`).
    """
    source = record["source"]
    try:
        found = _document_bytes(source, config, members)
    except Exception as exc:  # noqa: BLE001 - any backend failure (missing, offline, no fsspec driver) only degrades this document
        return None, f"The original input could not be read any more ({type(exc).__name__}: {exc})."
    if found is None:
        return None, f"The original input no longer holds member {source.get('member')}."
    if source.get("sha256") and hashlib.sha256(found.raw).hexdigest() != source["sha256"]:
        return None, "The original input has changed since the run (sha256 differs)."
    try:
        decoded = decode_document(found, config).text
    except RejectInput as exc:
        return None, f"The original input no longer decodes ({exc.reason})."
    expected = source.get("extracted_sha256")
    if expected and hashlib.sha256(decoded.encode("utf-8")).hexdigest() != expected:
        return None, "Extracting the page again gives another text (a different extractor version?)."
    if any(decoded[r["start"] : r["end"]] != r["text"] for r in record["removed"]):
        return None, "The removed spans do not match the decoded input (offsets out of date)."
    return decoded, None


class MemberReader:
    """Reads the members of container files again, forward: a run's records come in file
    order, so one open reader serves all the records of a file. Looking each member up from
    the start of its file read a JSONL file of N rows N times (2,000 rows of 35 MB: 35 GB).
    A member at or before the last one read opens the file again."""

    def __init__(self) -> None:
        self._uri: str | None = None
        self._items: Iterator[InputDocument | BadInput] | None = None
        self._last = 0

    def get(self, uri: str, member: int, options: InputOptions, limit: int) -> InputDocument | None:
        """Member ``member`` of the file at ``uri`` (None: it is gone, or not a document)."""
        if self._items is None or uri != self._uri or member <= self._last:
            self._uri, self._items = uri, read_documents(uri, options, limit, Part(member))
        for item in self._items:
            if item.member is None:
                continue
            self._last = item.member
            if item.member >= member:
                return item if item.member == member and isinstance(item, InputDocument) else None
        self._items = None
        return None


def _document_bytes(source: dict, config: CleanConfig, members: MemberReader | None = None) -> InputDocument | None:
    """The document a record's ``source`` names, read again (None: the member is gone)."""
    options = InputOptions(format=source.get("container") or source.get("format") or "text", fields=config.input.fields)
    member = source.get("member")
    if member is None:
        limit = max(4 * (source.get("bytes") or 0), config.limits.max_bytes)  # a changed document is still read
        return next((i for i in read_documents(source["uri"], options, limit) if isinstance(i, InputDocument)), None)
    return (members or MemberReader()).get(source["uri"], member, options, 4 * config.limits.max_bytes)


def utf16_offsets(text: str) -> Callable[[int], int]:
    """Maps code-point offsets of ``text`` to UTF-16 offsets (JavaScript string indices)."""
    astral = [m.start() for m in _ASTRAL.finditer(text)]
    if not astral:
        return lambda i: i
    return lambda i: i + bisect.bisect_left(astral, i)


def cleaned_pieces(decoded: str, cleaned: str, to16: Callable[[int], int]) -> list:
    """The cleaned text as paragraph pieces referring into the input where they can.

    A piece is ``[start, end]`` (a slice of the input), a literal string, or a list of
    those two concatenated (a paragraph that edits changed here and there). Joining the
    pieces with a blank line gives ``cleaned`` back exactly. Kept text is almost always
    input text, so the page stores the article once instead of twice.
    """
    pieces: list = []
    pos = 0
    for para in cleaned.split("\n\n"):
        if len(para) < MIN_REFERENCE_CHARS:
            pieces.append(para)
            continue
        at = decoded.find(para, pos)
        if at < 0:
            at = decoded.find(para)  # any occurrence holds the same characters
        if at >= 0:
            pieces.append([to16(at), to16(at + len(para))])
            pos = at + len(para)
            continue
        parts, pos = _edited_paragraph(decoded, para, pos)
        pieces.append([p if isinstance(p, str) else [to16(p[0]), to16(p[1])] for p in parts])
    return pieces


def _common_prefix(a: str, ai: int, b: str, bi: int) -> int:
    """Length of the common prefix of ``a[ai:]`` and ``b[bi:]`` (slice compares run in C)."""
    lo, hi = 0, min(len(a) - ai, len(b) - bi)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[ai : ai + mid] == b[bi : bi + mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _resync(decoded: str, para: str, q: int, p: int, first: bool) -> tuple[int, int] | None:
    """Where ``para[q + k:]`` continues in the input after an edit: ``(k, input offset)``.

    Edits are short (a space, a typo, a mojibake sequence), so up to 8 inserted characters
    and a small window of the input are tried; the first match in a paragraph may be far
    (removed spans sit between paragraphs).
    """
    for k in range(9):
        needle = para[q + k : q + k + 16]
        if len(needle) < MIN_REFERENCE_CHARS:
            return None
        at = decoded.find(needle, p) if first else decoded.find(needle, p, p + 64 + len(needle))
        if at >= 0:
            return k, at
    return None


def _edited_paragraph(decoded: str, para: str, pos: int) -> tuple[list, int]:
    """A paragraph that is not verbatim input, as input slices and literal gaps."""
    parts: list = []
    q, p, first = 0, pos, True
    while q < len(para):
        n = 0 if first else _common_prefix(para, q, decoded, p)
        if n:  # short matches stay literal: a reference to them would not be smaller
            parts.append((p, p + n) if n >= MIN_REFERENCE_CHARS else para[q : q + n])
            q, p = q + n, p + n
            continue
        found = _resync(decoded, para, q, p, first)
        if found is None:
            parts.append(para[q:])
            break
        k, at = found
        if k:
            parts.append(para[q : q + k])
        q, p, first = q + k, at, False
    return _merge_literals(parts), p


def _merge_literals(parts: list) -> list:
    merged: list = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    return merged


def expand_pieces(decoded: str | None, pieces: list) -> str:
    """The inverse of :func:`cleaned_pieces`, slicing UTF-16 units as the page's script does."""
    units = decoded.encode("utf-16-le") if decoded is not None else b""

    def expand(piece) -> str:
        if isinstance(piece, str):
            return piece
        if piece and isinstance(piece[0], int):
            return units[2 * piece[0] : 2 * piece[1]].decode("utf-16-le")
        return "".join(expand(p) for p in piece)

    return "\n\n".join(expand(p) for p in pieces)


class _Table:
    """Interns repeated strings (rules, hosts) as indices: 10,000 documents repeat them."""

    def __init__(self, initial: tuple[str, ...] = ()) -> None:
        self.items: list[str] = list(initial)
        self._index = {item: i for i, item in enumerate(self.items)}

    def __call__(self, item: str) -> int:
        if item not in self._index:
            self._index[item] = len(self.items)
            self.items.append(item)
        return self._index[item]


@dataclass
class _Tables:
    categories: _Table = field(default_factory=lambda: _Table(CATEGORIES))
    kinds: _Table = field(default_factory=lambda: _Table(EDIT_KINDS))
    rules: _Table = field(default_factory=_Table)
    hosts: _Table = field(default_factory=_Table)


def _removals(record: dict, tables: _Tables, to16: Callable[[int], int], with_text: bool) -> list[list]:
    """Removals sorted and clipped so they never overlap (the page nests them in order)."""
    rows: list[list] = []
    end = 0
    for r in sorted(record["removed"], key=lambda r: (r["start"], r["end"])):
        start = max(r["start"], end)
        row = [to16(start), to16(max(start, r["end"])), tables.categories(r["category"]), tables.rules(r["rule"])]
        rows.append(row + [r["text"]] if with_text else row)
        end = max(end, r["end"])
    return rows


def _edits(record: dict, tables: _Tables, to16: Callable[[int], int]) -> list[list]:
    edits = sorted(record["edits"], key=lambda e: (e["start"], e["end"], e["rule"], e["before"], e["after"]))
    return [[to16(e["start"]), to16(e["end"]), tables.kinds(e["kind"]), tables.rules(e["rule"]), e["before"], e["after"]] for e in edits]


def document_entry(record: dict, tables: _Tables, config: CleanConfig = _DEFAULTS, members: MemberReader | None = None) -> dict:
    """The compact, page-ready form of one record (short keys: the page holds thousands)."""
    decoded, note = read_input(record, config, members)
    to16 = utf16_offsets(decoded) if decoded is not None else (lambda i: i)
    stats = record["stats"]
    language = record.get("language") or {}
    return {
        "id": record["id"],
        "u": record["source"]["uri"],
        "h": tables.hosts(source_host(record["source"])),
        "t": record.get("title"),
        "l": language.get("code") or "unknown",
        "n": note,
        "s": [stats["chars_in"], stats["chars_out"], stats["removed_chars"]],
        "i": decoded,
        "r": _removals(record, tables, to16, with_text=decoded is None),
        "e": _edits(record, tables, to16),
        "o": cleaned_pieces(decoded, record["text"], to16) if decoded is not None else [record["text"]],
        "d": [near["cluster"], near["similarity"], near["match"]] if (near := record.get("near_duplicate")) else None,
    }


# --- run-wide figures ---------------------------------------------------------------------


@dataclass
class RunFigures:
    """What the summary shows beyond the manifest, gathered while streaming the records."""

    documents: int = 0
    removed_chars: int = 0
    spans: Counter = field(default_factory=Counter)
    span_chars: Counter = field(default_factory=Counter)
    rules: Counter = field(default_factory=Counter)
    edits: Counter = field(default_factory=Counter)
    unreadable: int = 0
    #: Files of the run folder whose bytes differ from the manifest's sha256 (changed
    #: after the run: the page shows them as they are now).
    changed_files: list[str] = field(default_factory=list)

    def add(self, record: dict, entry: dict) -> None:
        self.documents += 1
        self.removed_chars += record["stats"]["removed_chars"]
        for r in record["removed"]:
            self.spans[r["category"]] += 1
            self.span_chars[r["category"]] += len(r["text"])
            self.rules[(r["rule"], r["category"])] += 1
        self.edits.update(e["kind"] for e in record["edits"])
        self.unreadable += entry["n"] is not None

    def top_rules(self, n: int = 10) -> list[tuple[str, str, int]]:
        """Most frequent removal rules; ties by name so the order is stable."""
        ranked = sorted(self.rules.items(), key=lambda item: (-item[1], item[0]))
        return [(rule, category, count) for (rule, category), count in ranked[:n]]


def collect(
    run_dir: str | Path, config: CleanConfig = _DEFAULTS, expected: dict[str, str] | None = None
) -> tuple[list[dict], _Tables, RunFigures]:
    """Streams the shards once into page entries (sorted by URI) and run figures.
    ``config``: the run's, with which its documents are read again; ``expected``: the
    manifest's sha256 per file, checked on the way (``figures.changed_files``)."""
    tables, figures, entries, members = _Tables(), RunFigures(), [], MemberReader()
    for record in iter_records(run_dir, expected, figures.changed_files):
        entry = document_entry(record, tables, config, members)
        figures.add(record, entry)
        entries.append(entry)
    entries.sort(key=lambda e: (e["u"], e["id"]))
    return entries, tables, figures


# --- markup -------------------------------------------------------------------------------


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _n(value: int) -> str:
    return f"{value:,}"


def _figure(key: str, label: str, value: int, detail: str = "") -> str:
    extra = f'<span class="detail">{_e(detail)}</span>' if detail else ""
    return f'<div class="figure" data-figure="{_e(key)}" data-value="{value}"><span class="value">{_n(value)}</span><span class="label">{_e(label)}</span>{extra}</div>'


def _figures_html(manifest: dict, figures: RunFigures) -> str:
    counts, chars = manifest.get("counts", {}), manifest.get("chars", {})
    chars_in, chars_out = chars.get("in", 0), chars.get("out", 0)
    share = f"{figures.removed_chars / chars_in:.1%} of the input" if chars_in else ""
    cards = [
        _figure("inputs", "inputs", counts.get("inputs", 0)),
        _figure("records", "documents", counts.get("records", figures.documents)),
        _figure("rejects", "rejects", counts.get("rejects", 0)),
        _figure("skipped", "skipped", counts.get("skipped", 0), "unchanged or duplicate inputs"),
        _figure("chars_in", "characters in", chars_in),
        _figure("chars_out", "characters out", chars_out),
        _figure("removed_chars", "characters removed", figures.removed_chars, share),
        _figure("edits", "edits", sum(figures.edits.values())),
    ]
    return '<div class="figures">' + "".join(cards) + "</div>"


def _swatch(category: str) -> str:
    return f'<span class="swatch c-{_e(category)}" aria-hidden="true"></span>'


def _removals_chart(manifest: dict, figures: RunFigures) -> str:
    """Horizontal CSS bars, one per category (zero rows too: the legend stays complete)."""
    spans = manifest.get("removals") or dict(figures.spans)
    top = max([1, *spans.values()])
    rows = []
    for cat in CATEGORIES:
        n, chars = spans.get(cat, 0), figures.span_chars.get(cat, 0)
        rows.append(
            f'<div class="bar-row" data-category="{_e(cat)}" data-value="{n}">'
            f'<span class="bar-label">{_swatch(cat)}{_e(cat)}</span>'
            f'<span class="bar-track"><span class="bar c-{_e(cat)}" style="width:{100 * n / top:.1f}%"></span></span>'
            f'<span class="bar-value">{_n(n)} <span class="detail">spans · {_n(chars)} chars</span></span></div>'
        )
    return '<div class="chart" role="img" aria-label="removals by category">' + "".join(rows) + "</div>"


def _table(headers: tuple[str, ...], rows: list[tuple[str, ...]], cls: str) -> str:
    """A small table; cells are markup already escaped by the caller."""
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body or "<tr><td>none</td></tr>"}</tbody></table>'


def _languages_html(manifest: dict) -> str:
    langs = manifest.get("languages", {})
    total = max(1, sum(langs.values()))
    rows = [(f"<code>{_e(code)}</code>", _n(n), f"{n / total:.0%}") for code, n in sorted(langs.items(), key=lambda i: (-i[1], i[0]))]
    return _table(("language", "documents", "share"), rows, "languages")


def _rules_html(figures: RunFigures) -> str:
    rows = [(f'{_swatch(cat)}<code title="{_e(cat)}">{_e(rule)}</code>', _n(n)) for rule, cat, n in figures.top_rules()]
    return _table(("rule", "spans"), rows, "top-rules")


def _edits_html(figures: RunFigures) -> str:
    rows = [(f"<code>{_e(kind)}</code>", _n(figures.edits[kind])) for kind in EDIT_KINDS if figures.edits.get(kind)]
    return _table(("edit kind", "edits"), rows, "edit-kinds")


def _rejects_html(run_dir: str, manifest: dict) -> str:
    """Reject reasons, and the first rejects themselves (sources are what people fix)."""
    reasons = manifest.get("reject_reasons", {})
    if not reasons:
        return '<p class="muted">No rejects.</p>'
    rows, total = [], 0
    for reject in _iter_jsonl(join(run_dir, "rejects.jsonl")):
        total += 1
        if len(rows) < MAX_REJECTS_LISTED:
            rows.append((f"<code>{_e(reject.get('source', ''))}</code>", f"<code>{_e(reject.get('reason', ''))}</code>", _e(reject.get("message", ""))))
    more = f'<p class="muted">… and {_n(total - len(rows))} more in rejects.jsonl.</p>' if total > len(rows) else ""
    reason_rows = [(f"<code>{_e(reason)}</code>", _n(n)) for reason, n in sorted(reasons.items())]
    return (
        _table(("reason", "rejects"), reason_rows, "reasons")
        + f"<details><summary>rejected inputs ({_n(total)})</summary>"
        + _table(("source", "reason", "message"), rows, "rejects")
        + more
        + "</details>"
    )


def _legend() -> str:
    items = "".join(f'<li><del class="c-{_e(c)}" data-category="{_e(c)}">{_e(c)}</del></li>' for c in CATEGORIES)
    return f'<ul class="legend" aria-label="legend">{items}<li><mark class="edit">edit</mark></li></ul>'


def _header_html(manifest: dict, figures: RunFigures) -> str:
    facts = [
        ("run", manifest.get("run_id", "")),
        ("flow run", manifest.get("flow_run_id") or "none"),
        ("newsclean", manifest.get("newsclean_version", "")),
        ("config", (manifest.get("config_hash") or "")[:12]),
        ("started", manifest.get("started_at", "")),
        ("ended", manifest.get("ended_at", "")),
        ("sources", ", ".join(map(str, manifest.get("sources", [])))),
    ]
    meta = "".join(f"<span><b>{_e(k)}</b> <code>{_e(v)}</code></span>" for k, v in facts)
    note = ""
    if figures.unreadable:
        note = f'<p class="note">{_n(figures.unreadable)} document(s): the original input could not be read; those show the removed spans and the cleaned text only.</p>'
    if figures.changed_files:
        names = ", ".join(f"<code>{_e(name)}</code>" for name in figures.changed_files)
        note += f'<p class="note">Changed since the run (sha256 differs from the manifest): {names}. This page shows them as they are now; the figures from the manifest describe the run.</p>'
    return f'<header class="top"><h1>newsclean review report</h1><p class="meta">{meta}</p>{note}</header>'


#: Clusters the review page lists (largest first); the rest are counted.
SHOWN_CLUSTERS = 50


def near_duplicate_groups(entries: list[dict]) -> list[tuple[str, list[dict]]]:
    """The run's near-duplicate clusters: the cluster id and the entries in it (its first
    record, when in this run, first), largest cluster first, then by id."""
    groups: dict[str, list[dict]] = {}
    for entry in entries:
        if entry.get("d"):
            groups.setdefault(entry["d"][0], []).append(entry)
    by_id = {entry["id"]: entry for entry in entries}
    ordered = [(cluster, ([by_id[cluster]] if cluster in by_id else []) + members) for cluster, members in groups.items()]
    return sorted(ordered, key=lambda item: (-len(item[1]), item[0]))


def _clusters_html(manifest: dict, entries: list[dict]) -> str:
    near = manifest.get("near_duplicates")
    if not near:
        return '<p class="note">Near-duplicate detection was off for this run.</p>'
    groups = near_duplicate_groups(entries)
    if not groups:
        skipped = " (later copies were skipped: see skipped.jsonl)" if near.get("mode") == "skip" and near.get("copies") else ""
        return f'<p class="note">No record of this run is a later copy of another{skipped}.</p>'
    items = []
    for cluster, members in groups[:SHOWN_CLUSTERS]:
        rows = []
        if members[0]["id"] != cluster:
            rows.append(f"<li>first record <code>{_e(cluster[:12])}</code>, in an earlier run</li>")
        for member in members:
            title = f" {_e(member['t'])}" if member.get("t") else ""
            copy = f" · {member['d'][1]:.2f} like <code>{_e(member['d'][2][:12])}</code>" if member.get("d") else " · first"
            rows.append(f'<li><span class="uri">{_e(member["u"])}</span>{title}{copy}</li>')
        items.append(f"<li>cluster <code>{_e(cluster[:12])}</code> ({len(members)} here)<ul>{''.join(rows)}</ul></li>")
    more = f"<p class=\"note\">and {len(groups) - SHOWN_CLUSTERS} more clusters</p>" if len(groups) > SHOWN_CLUSTERS else ""
    return f'<ol class="clusters">{"".join(items)}</ol>{more}'


def summary_html(run_dir: str, manifest: dict, figures: RunFigures, entries: list[dict] | None = None) -> str:
    """The static top of the page: everything a reviewer reads before opening documents."""
    return (
        _header_html(manifest, figures)
        + '<section id="summary" aria-label="summary">'
        + _figures_html(manifest, figures)
        + '<div class="panels">'
        + f"<div class=\"panel wide\"><h2>Removals by category</h2>{_removals_chart(manifest, figures)}</div>"
        + f"<div class=\"panel\"><h2>Most frequent removal rules</h2>{_rules_html(figures)}</div>"
        + f"<div class=\"panel\"><h2>Languages</h2>{_languages_html(manifest)}<h2>Edits</h2>{_edits_html(figures)}</div>"
        + f"<div class=\"panel\"><h2>Rejects</h2>{_rejects_html(run_dir, manifest)}</div>"
        + f"<div class=\"panel wide\" id=\"near-duplicates\"><h2>Near-duplicate clusters</h2>{_clusters_html(manifest, entries or [])}</div>"
        + "</div></section>"
    )


def _documents_html() -> str:
    """The interactive part: controls and an empty list the script fills a page at a time."""
    pager = '<div class="pager"><button type="button" data-go="first">«</button><button type="button" data-go="prev">‹ previous</button><span class="pager-status"></span><button type="button" data-go="next">next ›</button><button type="button" data-go="last">»</button></div>'
    return (
        '<section id="documents" aria-label="documents"><h2>Documents</h2>'
        '<div class="controls">'
        '<label>search <input type="search" id="q" placeholder="words in the input or the cleaned text" autocomplete="off"></label>'
        '<label>category <select id="f-cat"><option value="">all categories</option></select></label>'
        '<label>source <select id="f-host"><option value="">all sources</option></select></label>'
        f"{pager}</div>{_legend()}"
        '<noscript><p class="note">The document list needs JavaScript (inline, no network).</p></noscript>'
        '<details class="toc"><summary>documents on this page</summary><ol id="toc"></ol></details>'
        f'<div id="doc-list"></div>{pager}</section>'
    )


def _script_json(payload: dict) -> str:
    """JSON safe inside a script element: no ``<``, ``>`` or ``&`` can end or open a tag."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


@lru_cache(maxsize=None)
def _asset(name: str) -> str:
    """The page's stylesheet or script, package data in ``cleaners/run/report_assets/`` (inlined:
    the page stays self-contained)."""
    return resources.files("cleaners.run.report_assets").joinpath(name).read_text(encoding="utf-8")


def _category_css() -> str:
    rules = [f".c-{cat}{{--c:{colour};--bg:{colour}33}}" for cat, colour in CATEGORY_COLOURS.items()]
    return "\n".join(rules)


def render_report(run_dir: str | Path) -> str:
    """The report page of a run folder (local path or fsspec URL); writes nothing."""
    run_dir = str(run_dir)
    manifest = _read_manifest(run_dir)
    _check_shards(run_dir, manifest)
    expected = _manifest_hashes(manifest)
    entries, tables, figures = collect(run_dir, run_config(manifest), expected)
    for name in ("rejects.jsonl", "skipped.jsonl"):  # small files: read once more to hash
        if name in expected and file_sha256(join(run_dir, name)) not in (expected[name], None):
            figures.changed_files.append(name)
    payload = {
        "page_size": PAGE_SIZE,
        "categories": tables.categories.items,
        "kinds": tables.kinds.items,
        "rules": tables.rules.items,
        "hosts": tables.hosts.items,
        "docs": entries,
    }
    title = f"newsclean report · {manifest.get('run_id', '')}"
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>\n{_asset('report.css')}\n{_category_css()}</style></head>\n<body>\n"
        + summary_html(run_dir, manifest, figures, entries)
        + "\n"
        + _documents_html()
        + f'\n<script type="application/json" id="report-data">{_script_json(payload)}</script>\n'
        + f"<script>\n{_asset('report.js')}</script>\n</body></html>\n"
    )


def write_report(run_dir: str | Path, out: str | Path | None = None) -> str:
    """Write the page to ``out`` (default ``<run_dir>/report.html``) atomically; return where.

    Works for local folders and fsspec URLs alike (temporary name, then rename).
    """
    target = str(out) if out is not None else join(str(run_dir), "report.html")
    fs, path = fsspec.core.url_to_fs(target)
    if fs.isdir(path):  # a folder given as --out: the page goes inside it
        target = join(target, "report.html")
    write_atomic(target, render_report(run_dir))
    return target

