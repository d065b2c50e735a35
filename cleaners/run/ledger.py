"""Incremental runs: which input contents were already cleaned, with which config.

A scheduled run over a folder that keeps growing should clean only what is new or
changed. The ledger remembers, for every input a run turned into a record or a final
reject, the sha256 of its bytes and the hash of the config that cleaned it. The next run
skips an input whose (sha256, config hash) is in the ledger, and says so: every skipped
input is written to the run's ``skipped.jsonl`` with the run that cleaned its content.

Layout (a folder, local or any fsspec URL; by default ``<output>/ledger``)::

    parts/<run_id>-<shard>.jsonl   written by each shard task right after its documents
                                   file, so a run that dies keeps the shards it finished
    runs/<run_id>.jsonl            a finished run's parts, merged into one file
    parts/<run_id>-<shard>.near.npz  the shard's MinHash signatures, until the run decides
    near_duplicates/<run_id>-<n>.npz  every cleaned document's signature and near-duplicate
                                   decision, in history order (cleaners/run/near_duplicates.py)

Each line is one :class:`Entry`. Rejects whose cause may go away (an unreadable file, a
bug) are not entered: the next run tries them again. Changing the config (its hash) makes
every input new again; so does ``full=True``. A newer newsclean with the same config does
not: run with ``full`` after an upgrade whose output you want everywhere.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Callable, Collection, Iterable, Sequence

from fsspec.core import url_to_fs

from cleaners.record import Skip
from cleaners.run.storage import join, jsonl_row, write_atomic

#: Reject reasons that may not recur (storage trouble, a bug fixed later): never entered.
RETRY_REASONS = frozenset({"unreadable", "internal_error", "vanished", "extraction_timeout"})

PARTS = "parts"
RUNS = "runs"
#: An entry's content hash, read without parsing the line (``render`` writes JSON; a
#: quote inside a string value is escaped, so this cannot match inside one).
_SHA256 = re.compile(r'"sha256":\s*"([0-9a-f]{64})"')


@dataclass(frozen=True)
class Entry:
    """One cleaned input: its content hash, config hash, and where its result went."""

    sha256: str
    config_hash: str
    source: str
    member: int | None  # JSONL line or WARC record; None for a whole file
    outcome: str  # "record" or "reject"
    run_id: str
    file: str  # the shard file holding the record, or "rejects.jsonl"


@dataclass(frozen=True)
class Seen:
    """What the ledger knows about one content hash under the current config."""

    run_id: str
    source: str
    member: int | None = None


def default_location(output: str) -> str:
    return output.rstrip("/") + "/ledger"


def parts_location(ledger: str) -> str:
    return f"{ledger.rstrip('/')}/{PARTS}"


def part_uri(ledger: str, run_id: str, shard_index: int) -> str:
    return f"{parts_location(ledger)}/{run_id}-{shard_index:05d}.jsonl"


def summary_uri(ledger: str, run_id: str, shard_index: int) -> str:
    """Where a committed shard's summary is kept until the run is sealed (for resuming)."""
    return f"{parts_location(ledger)}/{run_id}-{shard_index:05d}.summary.json"


def render(entries: Iterable[Entry]) -> str:
    return "".join(jsonl_row(asdict(e)) for e in entries)


def entries_for_shard(
    run_id: str, config_hash: str, shard_file: str, records: Sequence[tuple[str, int | None, str]], rejects: Sequence[dict]
) -> list[Entry]:
    """Ledger entries for a cleaned shard: its records (source, member, sha256) and final rejects."""
    entries = [Entry(sha, config_hash, source, member, "record", run_id, shard_file) for source, member, sha in records]
    entries += [
        Entry(r["sha256"], config_hash, r["source"], r.get("member"), "reject", run_id, "rejects.jsonl")
        for r in rejects
        if r.get("sha256") and r["reason"] not in RETRY_REASONS
    ]
    return entries


def load(
    ledger: str, config_hash: str, exclude_run: str | None = None, wanted: Collection[str] | None = None
) -> dict[str, Seen]:
    """Every content hash cleaned under ``config_hash``: finished runs and leftover parts.

    Parts of a run that died are read too: the shards it finished are committed, and the
    inputs in them are not cleaned a second time. ``exclude_run`` leaves out the entries of
    the run being resumed, whose documents are planned again (and its shards reused).
    ``wanted``: keep only these content hashes (the run's documents). The ledger grows with
    every night's new inputs; the map a run needs grows only with the run.
    """
    fs, root = url_to_fs(ledger)
    seen: dict[str, Seen] = {}
    if not fs.exists(root):
        return seen
    files = sorted(p for p in fs.find(root) if p.endswith(".jsonl"))  # not the .tmp-* of a write
    for path in files:
        with fs.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                if config_hash not in line:  # another config's entry (or blank): skip the parse
                    continue
                if wanted is not None and (found := _SHA256.search(line)) and found.group(1) not in wanted:
                    continue  # not one of the run's documents: skip the parse
                row = json.loads(line)
                digest = row["sha256"]
                if row["config_hash"] == config_hash and row["run_id"] != exclude_run and (wanted is None or digest in wanted):
                    seen[digest] = Seen(row["run_id"], row["source"], row.get("member"))
    return seen


def seal(ledger: str, run_id: str) -> int:
    """Merge this run's parts into ``runs/<run_id>.jsonl`` and delete them; returns entries.

    Called after the run's manifest is written. Killed between the write and the deletes,
    the entries exist twice, which is harmless: the ledger is a set of keys.
    """
    fs, root = url_to_fs(ledger)
    parts_dir = parts_location(root)
    parts = sorted(fs.glob(f"{parts_dir}/{run_id}-*.jsonl")) if fs.exists(parts_dir) else []
    # the shards' summaries (for resuming) and signatures (decided: in near_duplicates/ now)
    companions = sorted(p for kind in ("summary.json", "near.npz") for p in fs.glob(f"{parts_dir}/{run_id}-*.{kind}")) if fs.exists(parts_dir) else []
    lines: list[str] = []
    for path in parts:
        with fs.open(path, "rt", encoding="utf-8") as handle:
            lines += [line for line in handle if line.strip()]
    if lines:  # a run that cleaned nothing leaves no file
        write_atomic(join(join(ledger, RUNS), f"{run_id}.jsonl"), "".join(lines))
    for path in parts + companions:
        fs.rm(path)
    return len(lines)


@dataclass(frozen=True)
class Plan:
    """The inputs a run cleans, and how many it skips, by reason (the skips themselves went
    to ``on_skip`` one by one: a nightly run over a large folder skips most of it)."""

    todo: list[tuple[str, int | None]]
    skip_reasons: Counter[str]

    @property
    def skipped(self) -> int:
        return sum(self.skip_reasons.values())


def _where(source: str, member: int | None) -> str:
    return source if member is None else f"{source} (member {member})"


def plan(
    documents: Sequence[tuple[str, int | None, str | None]], seen: dict[str, Seen], flow_run_id: str | None,
    on_skip: Callable[[Skip], None],
    passed: Iterable[Skip] = (),
) -> Plan:
    """Split the scanned documents ``(uri, member, sha256)`` into work and skips.

    ``passed``: the inputs the scan already found are no documents (files of other endings,
    a crawl's redirects and images); they go to ``on_skip`` first and are counted too.

    A document is skipped when its content is in the ledger (``unchanged`` when the ledger
    has it at the same place, else ``duplicate``), or when an earlier document of this run
    has the same bytes (``duplicate``). Documents that could not be read (sha256 None) are
    always cleaned: the cleaning pass turns them into rejects with the reason. Each skip is
    handed to ``on_skip`` as it is found (the flow writes it to ``skipped.jsonl``).
    """
    todo: list[tuple[str, int | None]] = []
    reasons: Counter[str] = Counter()
    for skip in passed:
        reasons[skip.reason] += 1
        on_skip(skip)
    first_in_run: dict[str, tuple[str, int | None]] = {}
    for uri, member, digest in documents:
        if digest is None:
            todo.append((uri, member))
        elif digest in seen:
            before = seen[digest]
            same = (before.source, before.member) == (uri, member)
            reasons["unchanged" if same else "duplicate"] += 1
            on_skip(
                Skip(
                    source=uri, member=member, sha256=digest, reason="unchanged" if same else "duplicate",
                    message=(f"unchanged since run {before.run_id}" if same else f"same bytes as {_where(before.source, before.member)}, cleaned in run {before.run_id}"),
                    cleaned_in_run=before.run_id, same_as=None if same else _where(before.source, before.member), flow_run_id=flow_run_id,
                )
            )
        elif digest in first_in_run:
            first = _where(*first_in_run[digest])
            reasons["duplicate"] += 1
            on_skip(
                Skip(
                    source=uri, member=member, sha256=digest, reason="duplicate", message=f"same bytes as {first} in this run",
                    cleaned_in_run=None, same_as=first, flow_run_id=flow_run_id,
                )
            )
        else:
            first_in_run[digest] = (uri, member)
            todo.append((uri, member))
    return Plan(todo, reasons)
