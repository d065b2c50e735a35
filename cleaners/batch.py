"""Shard-level work: what one orchestration task does, in plain Python.

The Prefect flow (``flows/clean_corpus.py``) only schedules these functions; they can be
called directly too (a plain loop over shards gives the same files, which is how the
benchmarks measure orchestration overhead). A shard is a list of input URIs; cleaning a
shard writes one ``documents-NNNNN.jsonl`` file atomically and returns a small summary,
so no document text travels back to the flow.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Iterable, Sequence

from fsspec.core import url_to_fs

from .config import CleanConfig
from .corpus import CorpusProfile
from .decode import RejectInput, decode_bytes
from .pipeline import InputDocument, RunInfo, clean_document
from .record import Record, Reject
from .sources import read_bytes
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


def profile_shard(uris: Sequence[str]) -> CorpusProfile:
    """First pass: run-wide counts over the decodable inputs of one shard."""
    lexicon = english_lexicon()
    profile = CorpusProfile()
    for uri in uris:
        try:
            profile.add_text(decode_bytes(read_bytes(uri)).text, lexicon.knows, host_of(uri))
        except (RejectInput, OSError):
            continue  # the cleaning pass reports it as a reject
    return profile


def merge_profiles(profiles: Iterable[CorpusProfile]) -> CorpusProfile:
    merged = CorpusProfile()
    for profile in profiles:
        merged = merged.merge(profile)
    return merged


def _clean_one(uri: str, config: CleanConfig, run: RunInfo, profile: CorpusProfile | None) -> Record | Reject:
    try:
        raw = read_bytes(uri)
    except OSError as exc:
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
) -> ShardSummary:
    """Clean the inputs of one shard into ``run_dir/documents-NNNNN.jsonl``."""
    summary = ShardSummary(index=index, file=shard_file_name(index), inputs=len(uris))
    removals: Counter[str] = Counter()
    rules: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    lines: list[str] = []
    for uri in uris:
        result = _clean_one(uri, config, run, profile)
        if isinstance(result, Reject):
            summary.rejects.append(result.model_dump(mode="json"))
            continue
        lines.append(result.model_dump_json())
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
    return summary


def join(folder: str, name: str) -> str:
    return folder.rstrip("/") + "/" + name


def write_atomic(uri: str, content: str) -> str:
    """Write ``content`` to a temporary name beside ``uri``, then rename; returns sha256.

    A task killed mid-write leaves at most a ``.tmp-*`` file, never a half-written shard
    under its final name.
    """
    data = content.encode("utf-8")
    fs, path = url_to_fs(uri)
    tmp = f"{path}.tmp-{uuid.uuid4().hex}"
    with fs.open(tmp, "wb") as handle:
        handle.write(data)
        if hasattr(handle, "flush"):
            handle.flush()
        if hasattr(handle, "fileno"):
            try:
                os.fsync(handle.fileno())
            except (OSError, ValueError):
                pass
    fs.mv(tmp, path)
    return hashlib.sha256(data).hexdigest()


def make_dirs(uri: str) -> None:
    fs, path = url_to_fs(uri)
    fs.makedirs(path, exist_ok=True)


def write_json(uri: str, payload: dict) -> str:
    return write_atomic(uri, json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def write_jsonl(uri: str, rows: Iterable[dict]) -> str:
    return write_atomic(uri, "".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in rows))
