"""Shard-level work: what one orchestration task does, in plain Python.

The Prefect flow (``flows/clean_corpus.py``) only schedules these functions; they can be
called directly too (a plain loop over shards gives the same files, which is how the
benchmarks measure orchestration overhead). Cleaning a shard streams one
``documents-NNNNN.jsonl`` file to storage and renames it when complete, and returns a
small summary, so no document text travels back to the flow.

A document is addressed by a :data:`DocRef`, ``(uri, member)``: the file, and the JSONL
line or WARC record inside it (``None`` for a one-document file). Shards group documents:
a large container file is split into parts (:func:`split_files`, a cheap count before the
first pass), so that its documents are scanned and cleaned by several tasks, not one.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from typing import Callable, Iterable, Iterator, Sequence

from fsspec.core import url_to_fs

from cleaners.run import ledger as ledger_mod
from cleaners.run import near_duplicates as near
from cleaners.config import CleanConfig
from cleaners.steps.run_profile import CorpusProfile
from cleaners.inputs.decode import RejectInput, decode_text
from cleaners.inputs.files import WHOLE_FILE, BadInput, InputDocument, NotDocument, Part, is_container, read_documents, split_container
from cleaners.pipeline import RunInfo, clean_document, reject_document
from cleaners.run.folders import RunContext
from cleaners.record import NearDuplicate, Record, Reject, Skip
from cleaners.inputs.discovery import INPUT_ENDINGS, PERMANENT_READ_ERRORS, InputRef, ending_of
from cleaners.run.storage import AtomicWriter, file_sha256, join, json_line, write_atomic, write_json
from cleaners.steps.site_templates import host_of
from cleaners.steps.typos import english_lexicon

#: A document: its file, and its position inside a container file (None: the whole file).
DocRef = tuple[str, "int | None"]

#: Reason for a document the scan found but the cleaning pass did not (the file changed).
VANISHED = "vanished"


@dataclass
class ShardSummary:
    """What a cleaned shard reports back to the flow (no document text)."""

    index: int
    file: str
    records: int = 0
    sha256: str = ""
    inputs: int = 0
    chars_in: int = 0
    chars_out: int = 0
    removals: dict[str, int] = field(default_factory=dict)
    rules: dict[str, int] = field(default_factory=dict)
    languages: dict[str, int] = field(default_factory=dict)
    rejects: list[dict] = field(default_factory=list)
    #: Members that are no documents, by reason: only when the shard was given whole files
    #: (a direct call); the flow's shards list documents, and the scan counted the skips.
    skipped: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def shard_file_name(index: int) -> str:
    return f"documents-{index:05d}.jsonl"


#: What a first-pass task reads: a whole file, or a part of a large container file.
Piece = str | tuple[str, Part]


#: A splitting task reads container files until it has this many bytes (or files).
SPLIT_TASK_BYTES = 256 << 20
SPLIT_TASK_FILES = 500


def split_batches(refs: Sequence[InputRef], config: CleanConfig) -> list[list[str]]:
    """The container files among ``refs``, in batches for :func:`split_files` tasks: a few
    large files, or many small ones, per task."""
    batches: list[list[str]] = []
    current: list[str] = []
    held = 0
    for ref in refs:
        if not is_container(ref.uri, config.input.format):
            continue
        current.append(ref.uri)
        held += ref.size
        if held >= SPLIT_TASK_BYTES or len(current) >= SPLIT_TASK_FILES:
            batches.append(current)
            current, held = [], 0
    return batches + ([current] if current else [])


def split_files(uris: Sequence[str], size: int, config: CleanConfig) -> dict[str, list[tuple[Part, int]]]:
    """The parts of ``size`` documents of each container file among ``uris`` (one read
    each, nothing parsed); a file that cannot be read is one part, its reject comes later."""
    parts: dict[str, list[tuple[Part, int]]] = {}
    for uri in uris:
        try:
            parts[uri] = split_container(uri, config.input, config.limits.max_bytes, size)
        except PERMANENT_READ_ERRORS:
            parts[uri] = [(WHOLE_FILE, 1)]
    return parts


def group_files(uris: Sequence[str], size: int, config: CleanConfig, parts: dict[str, list[tuple[Part, int]]] | None = None) -> list[list[Piece]]:
    """Files in shards of ``size``; a container file (JSONL, WARC) is a shard of its own,
    or, when ``parts`` splits it, each of its parts is."""
    groups: list[list[Piece]] = []
    current: list[Piece] = []
    for uri in uris:
        if is_container(uri, config.input.format):
            groups += [current] if current else []
            split = (parts or {}).get(uri, [(WHOLE_FILE, 0)])
            groups += [[uri]] if len(split) == 1 else [[(uri, part)] for part, _ in split]
            current = []
            continue
        current.append(uri)
        if len(current) == size:
            groups.append(current)
            current = []
    return groups + ([current] if current else [])


def group_refs(refs: Sequence[DocRef], size: int) -> list[list[DocRef]]:
    """Documents in shards of ``size``, in order: a shard may end inside a container file
    and the next one go on from there (it then reads only its own members)."""
    return [list(refs[i : i + size]) for i in range(0, len(refs), size)]


def documents_of(uri: str, config: CleanConfig, part: Part = WHOLE_FILE) -> Iterator[InputDocument | BadInput | NotDocument]:
    """The documents of one file (of a container, those in ``part``); a file that does not
    exist or may not be read is one BadInput.

    Other storage errors (``OSError``) propagate, so that the task can be retried.
    """
    try:
        yield from read_documents(uri, config.input, config.limits.max_bytes, part)
    except PERMANENT_READ_ERRORS as exc:
        yield BadInput(uri, None, "unreadable", f"{type(exc).__name__}: {exc}")


@dataclass
class ShardScan:
    """First-pass result for one shard: run-wide counts, and every document with its sha256.

    ``documents`` lists ``(uri, member, sha256)`` in file order; sha256 is None when the
    document could not be read (the cleaning pass reports it as a reject). ``skips``: the
    members that are no documents (a crawl's redirects, scripts, images), in file order;
    they are not cleaned, and the flow writes them to ``skipped.jsonl``.
    """

    profile: CorpusProfile
    documents: list[tuple[str, int | None, str | None]]
    skips: list[NotDocument] = field(default_factory=list)


def scan_shard(pieces: Sequence[Piece], config: CleanConfig | None = None) -> ShardScan:
    """First pass: hash every document of the shard's files (or file parts) and count
    run-wide evidence.

    Only scraped text feeds the profile: HTML would need its (costly) extraction twice.
    """
    config = config or CleanConfig()
    lexicon = english_lexicon()
    profile = CorpusProfile()
    documents: list[tuple[str, int | None, str | None]] = []
    skips: list[NotDocument] = []
    for piece in pieces:
        uri, part = (piece, WHOLE_FILE) if isinstance(piece, str) else piece
        for item in documents_of(uri, config, part):
            if isinstance(item, NotDocument):
                skips.append(item)
                continue
            if isinstance(item, BadInput):
                documents.append((uri, item.member, item.sha256))
                continue
            documents.append((uri, item.member, hashlib.sha256(item.raw).hexdigest()))
            if item.format == "text":
                try:
                    profile.add_text(decode_text(item.raw, item.from_string).text, lexicon.knows, host_of(uri, item.url))
                except RejectInput:
                    pass  # the cleaning pass reports it as a reject
    return ShardScan(profile, documents, skips)


def profile_shard(pieces: Sequence[Piece], config: CleanConfig | None = None) -> CorpusProfile:
    """Run-wide counts over the decodable inputs of one shard (the first pass, no hashes)."""
    return scan_shard(pieces, config).profile


def merge_profiles(profiles: Iterable[CorpusProfile]) -> CorpusProfile:
    merged = CorpusProfile()
    for profile in profiles:
        merged.absorb(profile)
    return merged


def not_document_skip(item: NotDocument, flow_run_id: str | None) -> Skip:
    """The ``skipped.jsonl`` row of a container member that is no document."""
    return Skip(
        source=item.uri, member=item.member, reason=item.reason, message=item.message, url=item.url,  # type: ignore[arg-type]
        http_status=item.http_status, location=item.location, content_type=item.content_type, flow_run_id=flow_run_id,
    )


def unsupported_skip(ref: InputRef, flow_run_id: str | None) -> Skip:
    """The ``skipped.jsonl`` row of a file in a source folder whose ending is no input's."""
    return Skip(
        source=ref.uri, reason="unsupported_format", flow_run_id=flow_run_id,
        message=f"the ending {ending_of(ref.uri)} names no input format ({ref.size} bytes, not read); inputs end in {INPUT_ENDINGS} (or .gz)",
    )


def _bad_input_reject(bad: BadInput, run: RunInfo) -> Reject:
    return Reject(source=bad.uri, member=bad.member, reason=bad.reason, message=bad.message, sha256=bad.sha256, bytes=bad.bytes, flow_run_id=run.flow_run_id)


def _clean_one(doc: InputDocument, config: CleanConfig, run: RunInfo, profile: CorpusProfile | None) -> Record | Reject:
    try:
        return clean_document(doc, config, run, profile)
    except Exception as exc:  # a bug on one document must not lose the rest of the run
        return reject_document(doc, "internal_error", f"{type(exc).__name__}: {exc}", run)


def results_for(
    refs: Sequence[DocRef | str], config: CleanConfig, run: RunInfo, profile: CorpusProfile | None, seek: dict[str, Part] | None = None
) -> Iterator[Record | Reject | NotDocument]:
    """A record or a reject for each document in ``refs``, file by file, in file order.

    A bare URI in ``refs`` stands for every member of that file: its members that are no
    documents come as they are (:class:`NotDocument`). ``seek``: where to start reading
    container files (:func:`seek_points`).
    """
    by_file: dict[str, set[int | None] | None] = {}
    for ref in refs:
        uri, member = (ref, None) if isinstance(ref, str) else ref
        if isinstance(ref, str):
            by_file[uri] = None
        elif by_file.get(uri, set()) is not None:
            by_file.setdefault(uri, set()).add(member)
    for uri, wanted in by_file.items():
        for item in documents_of(uri, config, _part_holding(wanted, (seek or {}).get(uri))):
            if wanted is not None:
                if item.member not in wanted:
                    continue
                wanted.discard(item.member)
            if isinstance(item, NotDocument):
                yield item
            else:
                yield _bad_input_reject(item, run) if isinstance(item, BadInput) else _clean_one(item, config, run, profile)
        for member in sorted(wanted or (), key=lambda m: -1 if m is None else m):
            where = uri if member is None else f"{uri} member {member}"
            yield Reject(source=uri, member=member, reason=VANISHED, message=f"{where} was found by the scan but not when cleaning (the file changed during the run)", flow_run_id=run.flow_run_id)


def _part_holding(members: set[int | None] | None, start: Part | None = None) -> Part:
    """The run of a container's members from the first to the last of ``members``, read
    from ``start``'s offset when that part begins at or before the first of them."""
    if not members or None in members:
        return WHOLE_FILE
    low, high = min(members), max(members)  # type: ignore[type-var]  (no None here)
    if start is not None and start.first <= low:
        return replace(start, last=high)
    return Part(low, high)


def seek_points(refs: Sequence[DocRef], parts: dict[str, list[tuple[Part, int]]]) -> dict[str, Part]:
    """For each split container file among ``refs``, the last of its parts (from
    :func:`split_files`) that starts at or before the shard's first member there: the
    cleaning pass seeks to its offset instead of reading the file from its start."""
    first: dict[str, int] = {}
    for uri, member in refs:
        if member is not None and len(parts.get(uri, ())) > 1:
            first[uri] = min(member, first.get(uri, member))
    return {uri: max((part for part, _ in parts[uri] if part.first <= low), key=lambda part: part.first) for uri, low in first.items()}


def refs_digest(refs: Sequence[DocRef | str]) -> str:
    """sha256 of a shard's document list: a kept shard must be the same shard."""
    canonical = [[r, None] if isinstance(r, str) else [r[0], r[1]] for r in refs]
    return hashlib.sha256(json.dumps(canonical, ensure_ascii=False).encode("utf-8")).hexdigest()


def committed_shard(index: int, refs: Sequence[DocRef | str], run_dir: str, ledger: str, run_id: str) -> ShardSummary | None:
    """The summary of this shard when an earlier attempt already committed it, else None.

    Committed means: the ledger part and summary are written (after the documents file),
    the summary is for the same document list, and the documents file has its sha256.
    """
    fs, path = url_to_fs(ledger_mod.summary_uri(ledger, run_id, index))
    if not fs.exists(path):
        return None
    with fs.open(path, "rt", encoding="utf-8") as handle:
        saved = json.load(handle)
    if saved.get("refs_sha256") != refs_digest(refs):
        return None
    summary = ShardSummary(**saved["summary"])
    return summary if file_sha256(join(run_dir, summary.file)) == summary.sha256 else None


def clean_shard(
    index: int,
    refs: Sequence[DocRef | str],
    context: RunContext,
    profile: CorpusProfile | None = None,
    on_document: Callable[[bool], None] | None = None,
    seek: dict[str, Part] | None = None,
) -> ShardSummary:
    """Clean the documents of one shard into ``<run folder>/documents-NNNNN.jsonl``.

    ``refs`` are :data:`DocRef` pairs, or bare URIs for every document of a file. With a
    ledger folder in the run's ``context`` (and its run id; :meth:`RunContext.direct`
    makes one without), the shard's cleaned documents are entered there
    once the documents file is committed: a run killed later keeps this shard. Storage
    errors (``OSError``) propagate so that the task can be retried; a cleaning error on
    one document becomes a reject. A shard an earlier attempt of the same run committed
    (a resumed run, a retried task) is not cleaned again: its summary is returned.
    ``on_document`` is called after each document, with True for a record and False for a
    reject: progress inside a long shard. ``seek``: where its container files are read
    from (:func:`seek_points`; default: their start).
    """
    run_dir, config, run, ledger, run_id = context.run_dir, context.config, context.info, context.ledger, context.run_id
    if ledger is not None and run_id is not None:
        done = committed_shard(index, refs, run_dir, ledger, run_id)
        if done is not None:
            return done
    summary = ShardSummary(index=index, file=shard_file_name(index))
    removals: Counter[str] = Counter()
    rules: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    cleaned: list[tuple[str, int | None, str]] = []  # (source, member, sha256) of each record
    skipped: Counter[str] = Counter()
    near_options = config.near_duplicates
    signing = ledger is not None and run_id is not None and near_options.mode != "off"
    signed: tuple[list[str], list] = ([], [])  # ids and signatures of the records long enough to compare
    with AtomicWriter(join(run_dir, summary.file)) as out:
        for result in results_for(refs, config, run, profile, seek):
            if isinstance(result, NotDocument):
                skipped[result.reason] += 1
                continue
            summary.inputs += 1
            if on_document is not None:
                on_document(isinstance(result, Record))
            if isinstance(result, Reject):
                summary.rejects.append(result.model_dump(mode="json"))
                continue
            out.write(json_line(result.model_dump_json()))
            cleaned.append((result.source.uri, result.source.member, result.id))
            if signing and (signature := near.signature(result.text, near_options)) is not None:
                signed[0].append(result.id)
                signed[1].append(signature)
            summary.chars_in += result.stats.chars_in
            summary.chars_out += result.stats.chars_out
            removals.update(result.stats.removals)
            rules.update(r.rule for r in result.removed)
            languages[result.language.code or "unknown"] += 1
    summary.records = len(cleaned)
    summary.removals = {category: n for category, n in sorted(removals.items()) if n}
    summary.rules = dict(sorted(rules.items()))
    summary.languages = dict(sorted(languages.items()))
    summary.skipped = dict(sorted(skipped.items()))
    summary.sha256 = out.sha256
    if ledger is not None and run_id is not None:
        entries = ledger_mod.entries_for_shard(run_id, run.config_hash, summary.file, cleaned, summary.rejects)
        write_atomic(ledger_mod.part_uri(ledger, run_id, index), ledger_mod.render(entries))
        if signing:
            near.save_shard(near.shard_uri(ledger_mod.parts_location(ledger), run_id, index), near_options, *signed)
        write_json(ledger_mod.summary_uri(ledger, run_id, index), {"refs_sha256": refs_digest(refs), "summary": summary.to_dict()})
    return summary


#: The last key of every record line (``Record.near_duplicate``); a quote inside a JSON
#: string is escaped, so this cannot match inside a value.
_NEAR_KEY = ',"near_duplicate":'
#: Where a record line's id sits: ``{"id":"<64 hex>",...`` (``Record.id`` is the first field).
_ID = slice(len('{"id":"'), len('{"id":"') + 64)


def with_near_duplicate(line: str, verdict: NearDuplicate | None) -> str:
    """A record line (without its newline) with ``near_duplicate`` set to ``verdict``."""
    at = line.rindex(_NEAR_KEY) + len(_NEAR_KEY)
    return line[:at] + ("null" if verdict is None else verdict.model_dump_json()) + "}"


def mark_shard(summary: ShardSummary, marks: dict[str, NearDuplicate], context: RunContext) -> tuple[ShardSummary, list[Skip]]:
    """Write the run's near-duplicate verdicts (by record id) into a cleaned shard.

    ``near_duplicates.mode = "mark"``: each later copy's line gets its ``near_duplicate``.
    ``"skip"``: its line leaves the documents file and comes back as a ``near_duplicate``
    skip; the shard's counts lose it (a skipped input is no record) and its ledger entry
    says where it went. Idempotent: a resumed run marks a marked shard to the same bytes,
    and its skips are rebuilt from the ledger entries (the lines are gone).
    """
    run_dir, ledger, run_id = context.run_dir, context.ledger, context.run_id
    skipping = context.config.near_duplicates.mode == "skip"
    uri = join(run_dir, summary.file)
    dropped: list[dict] = []
    with AtomicWriter(uri) as out:  # one streamed pass; a marked shard marked again comes out the same bytes
        for line in _lines(uri):
            verdict = marks.get(line[_ID])
            if verdict is None:
                out.write(line)
            elif skipping:
                dropped.append(json.loads(line))
            else:
                out.write(with_near_duplicate(line.rstrip("\n"), verdict) + "\n")
    summary = replace(_without(summary, dropped), sha256=out.sha256)
    if ledger is not None and run_id is not None:
        if dropped:
            _enter_as_skipped(ledger, run_id, summary.index, {record["id"] for record in dropped})
        _rewrite_summary(ledger, run_id, summary)
    skips = _near_duplicate_skips(ledger, run_id, summary.index, marks, context.info.flow_run_id) if skipping and ledger and run_id else []
    return summary, skips


def _lines(uri: str) -> Iterator[str]:
    """A shard file's lines, streamed (json_line escapes every other line break)."""
    fs, path = url_to_fs(uri)
    with fs.open(path, "rt", encoding="utf-8", newline="\n") as handle:
        yield from handle


def _without(summary: ShardSummary, records: Sequence[dict]) -> ShardSummary:
    """The summary's counts less these records'."""
    if not records:
        return summary
    removals, rules, languages = Counter(summary.removals), Counter(summary.rules), Counter(summary.languages)
    for record in records:
        removals.subtract(record["stats"]["removals"])
        rules.subtract(r["rule"] for r in record["removed"])
        languages.subtract([record["language"]["code"] or "unknown"])
    return replace(
        summary,
        records=summary.records - len(records),
        inputs=summary.inputs - len(records),
        chars_in=summary.chars_in - sum(r["stats"]["chars_in"] for r in records),
        chars_out=summary.chars_out - sum(r["stats"]["chars_out"] for r in records),
        removals={k: n for k, n in sorted(removals.items()) if n},
        rules={k: n for k, n in sorted(rules.items()) if n},
        languages={k: n for k, n in sorted(languages.items()) if n},
    )


def _rewrite_summary(ledger: str, run_id: str, summary: ShardSummary) -> None:
    """The committed summary of a marked shard: its new sha256 and counts (a resumed run
    takes the shard as done, marked)."""
    uri = ledger_mod.summary_uri(ledger, run_id, summary.index)
    fs, path = url_to_fs(uri)
    with fs.open(path, "rt", encoding="utf-8") as handle:
        saved = json.load(handle)
    write_json(uri, {"refs_sha256": saved["refs_sha256"], "summary": summary.to_dict()})


def _part_entries(ledger: str, run_id: str, index: int) -> list[dict]:
    fs, path = url_to_fs(ledger_mod.part_uri(ledger, run_id, index))
    with fs.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _enter_as_skipped(ledger: str, run_id: str, index: int, ids: set[str]) -> None:
    """The ledger part of a shard whose records ``ids`` were skipped as near-duplicates."""
    entries = [
        ledger_mod.Entry(**{**row, "outcome": "near_duplicate", "file": "skipped.jsonl"} if row["sha256"] in ids and row["outcome"] == "record" else row)
        for row in _part_entries(ledger, run_id, index)
    ]
    write_atomic(ledger_mod.part_uri(ledger, run_id, index), ledger_mod.render(entries))


def _near_duplicate_skips(ledger: str, run_id: str, index: int, marks: dict[str, NearDuplicate], flow_run_id: str | None) -> list[Skip]:
    """The ``skipped.jsonl`` rows of the shard's skipped copies, in file order."""
    return [
        Skip(
            source=row["source"], member=row["member"], sha256=row["sha256"], reason="near_duplicate",
            message=f"cleaned; the same story as record {verdict.match} (estimated similarity {verdict.similarity}), cluster {verdict.cluster}",
            near_duplicate=verdict, flow_run_id=flow_run_id,
        )
        for row in _part_entries(ledger, run_id, index)
        if row["outcome"] == "near_duplicate" and (verdict := marks.get(row["sha256"])) is not None
    ]
