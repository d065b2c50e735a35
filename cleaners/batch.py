"""Shard-level work: what one orchestration task does, in plain Python.

The Prefect flow (``flows/clean_corpus.py``) only schedules these functions; they can be
called directly too (a plain loop over shards gives the same files, which is how the
benchmarks measure orchestration overhead). A shard is a list of input URIs; cleaning a
shard writes one ``documents-NNNNN.jsonl`` file atomically and returns a small summary,
so no document text travels back to the flow.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Iterable, Sequence

from . import ledger as ledger_mod
from .config import CleanConfig
from .corpus import CorpusProfile
from .decode import RejectInput, decode_bytes
from .pipeline import InputDocument, RunInfo, clean_document
from .record import Record, Reject
from .sources import PERMANENT_READ_ERRORS, read_bytes
from .storage import join, write_atomic
from .templates import host_of
from .typos import english_lexicon


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

    def to_dict(self) -> dict:
        return asdict(self)


def shard_file_name(index: int) -> str:
    return f"documents-{index:05d}.jsonl"


@dataclass
class ShardScan:
    """First-pass result for one shard: run-wide counts, and each input's sha256.

    ``digests[i]`` belongs to the shard's i-th input; None when it could not be read
    (the cleaning pass reports it as a reject).
    """

    profile: CorpusProfile
    digests: list[str | None]


def scan_shard(uris: Sequence[str]) -> ShardScan:
    """First pass: hash every input of one shard and count run-wide evidence.

    Raises ``OSError`` for storage trouble that may pass (the task is retried); a missing
    or forbidden file only gets no digest.
    """
    lexicon = english_lexicon()
    profile = CorpusProfile()
    digests: list[str | None] = []
    for uri in uris:
        try:
            raw = read_bytes(uri)
        except PERMANENT_READ_ERRORS:
            digests.append(None)
            continue
        digests.append(hashlib.sha256(raw).hexdigest())
        try:
            profile.add_text(decode_bytes(raw).text, lexicon.knows, host_of(uri))
        except RejectInput:
            continue  # the cleaning pass reports it as a reject
    return ShardScan(profile, digests)


def profile_shard(uris: Sequence[str]) -> CorpusProfile:
    """Run-wide counts over the decodable inputs of one shard (the first pass, no hashes)."""
    return scan_shard(uris).profile


def merge_profiles(profiles: Iterable[CorpusProfile]) -> CorpusProfile:
    merged = CorpusProfile()
    for profile in profiles:
        merged = merged.merge(profile)
    return merged


def _clean_one(uri: str, config: CleanConfig, run: RunInfo, profile: CorpusProfile | None) -> Record | Reject:
    try:
        raw = read_bytes(uri)
    except PERMANENT_READ_ERRORS as exc:  # other OSErrors propagate: the task is retried
        return Reject(source=uri, reason="unreadable", message=f"{type(exc).__name__}: {exc}", flow_run_id=run.flow_run_id)
    try:
        return clean_document(InputDocument(uri=uri, raw=raw), config, run, profile)
    except Exception as exc:  # a bug on one document must not lose the rest of the run
        return Reject(
            source=uri,
            reason="internal_error",
            message=f"{type(exc).__name__}: {exc}",
            sha256=hashlib.sha256(raw).hexdigest(),
            bytes=len(raw),
            flow_run_id=run.flow_run_id,
        )


def clean_shard(
    index: int,
    uris: Sequence[str],
    run_dir: str,
    config: CleanConfig,
    run: RunInfo,
    profile: CorpusProfile | None = None,
    ledger: str | None = None,
    run_id: str | None = None,
) -> ShardSummary:
    """Clean the inputs of one shard into ``run_dir/documents-NNNNN.jsonl``.

    With a ``ledger`` folder (and the ``run_id``), the shard's cleaned inputs are entered
    there once the documents file is committed: a run killed later keeps this shard.
    Storage errors (``OSError``) propagate so that the task can be retried; a cleaning
    error on one document becomes a reject.
    """
    summary = ShardSummary(index=index, file=shard_file_name(index), inputs=len(uris))
    removals: Counter[str] = Counter()
    rules: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    lines: list[str] = []
    cleaned: list[tuple[str, str]] = []  # (source, sha256) of each record
    for uri in uris:
        result = _clean_one(uri, config, run, profile)
        if isinstance(result, Reject):
            summary.rejects.append(result.model_dump(mode="json"))
            continue
        lines.append(result.model_dump_json())
        cleaned.append((result.source.uri, result.id))
        summary.chars_in += result.stats.chars_in
        summary.chars_out += result.stats.chars_out
        removals.update(result.stats.removals)
        rules.update(r.rule for r in result.removed)
        languages[result.language.code or "unknown"] += 1
    summary.records = len(lines)
    summary.removals = dict(sorted(removals.items()))
    summary.rules = dict(sorted(rules.items()))
    summary.languages = dict(sorted(languages.items()))
    summary.sha256 = write_atomic(join(run_dir, summary.file), "".join(line + "\n" for line in lines))
    if ledger is not None and run_id is not None:
        entries = ledger_mod.entries_for_shard(run_id, run.config_hash, summary.file, cleaned, summary.rejects)
        write_atomic(ledger_mod.part_uri(ledger, run_id, index), ledger_mod.render(entries))
    return summary
