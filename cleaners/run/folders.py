"""Run folders: what a run was asked to do, and resuming a run that was killed.

A run writes ``run.json`` into its folder before any shard: its parameters and its owner
(host and process id). ``manifest.json`` is written last, so a folder with ``run.json`` and
no manifest is a run that has not finished. When the same command runs again (same
parameters) and that run's owner process is gone, the new run *resumes* it: same run id
and folder, shards already committed are kept (their summaries are in the ledger parts,
checked against the shard's document list and the file's sha256), the others are cleaned,
and leftover temporary files of the killed process are removed. In the end every
document is in exactly one shard file of one complete run folder.

Only runs owned by this host are resumed (a process on another host cannot be checked);
a run whose owner is still alive is left alone, so two concurrent runs never share a folder.

:func:`open_run` and :func:`finish_run` are a run's bookkeeping from its start to its
manifest, with no Prefect in them: the flow calls them around its tasks, and a
:class:`RunContext` carries what every task needs to know about the run.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Mapping, Sequence

from fsspec.core import url_to_fs

from cleaners.run.storage import join, make_dirs, write_json, write_jsonl

if TYPE_CHECKING:  # the pipeline's import is heavy; this module stays light
    from cleaners.run.shards import ShardSummary
    from cleaners.config import CleanConfig
    from cleaners.run.ledger import Plan
    from cleaners.pipeline import RunInfo

INTENT = "run.json"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class RunFolder:
    run_id: str
    uri: str
    intent: dict


def owner() -> dict:
    return {"host": socket.gethostname(), "pid": os.getpid()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owner_gone(intent: dict) -> bool:
    """Whether the process that owned a run is certainly not running any more."""
    who = intent.get("owner") or {}
    return who.get("host") == socket.gethostname() and isinstance(who.get("pid"), int) and not _alive(who["pid"])


def find_resumable(output: str, params: dict) -> RunFolder | None:
    """The unfinished run under ``output`` started with the same ``params``, if its owner is gone."""
    fs, root = url_to_fs(output)
    if not fs.exists(root):
        return None
    for path in sorted(fs.glob(f"{root.rstrip('/')}/run-*/{INTENT}"), reverse=True):  # newest first
        folder = path.rsplit("/", 1)[0]
        if fs.exists(f"{folder}/{MANIFEST}"):
            continue
        with fs.open(path, "rt", encoding="utf-8") as handle:
            intent = json.load(handle)
        if intent.get("params") == params and owner_gone(intent):
            return RunFolder(intent["run_id"], join(output, folder.rsplit("/", 1)[1]), intent)
    return None


def write_intent(run_dir: str, run_id: str, params: dict, started_at: str, flow_run_ids: list[str]) -> dict:
    intent = {"run_id": run_id, "params": params, "started_at": started_at, "owner": owner(), "flow_run_ids": flow_run_ids}
    write_json(join(run_dir, INTENT), intent)
    return intent


def remove_temporary_files(folder: str) -> int:
    """Delete ``*.tmp-*`` files a killed writer left under ``folder``; returns how many."""
    fs, root = url_to_fs(folder)
    if not fs.exists(root):
        return 0
    leftovers = [p for p in fs.find(root) if ".tmp-" in p.rsplit("/", 1)[-1]]
    for path in leftovers:
        fs.rm(path)
    return len(leftovers)


def remove_stale_shards(run_dir: str, parts_dir: str, run_id: str, shards: int) -> int:
    """Delete shard files (and their ledger parts) numbered ``shards`` or above.

    A resumed run whose inputs changed since it was killed may plan fewer shards than the
    first attempt committed; those files would otherwise hold documents twice.
    """
    from cleaners.run.shards import shard_file_name  # batch imports the pipeline; keep this module light

    removed = 0
    fs, root = url_to_fs(run_dir)
    for path in fs.glob(f"{root.rstrip('/')}/documents-*.jsonl"):
        index = int(path.rsplit("-", 1)[1].split(".")[0])
        if index >= shards and path.endswith(shard_file_name(index)):
            fs.rm(path)
            removed += 1
    pfs, proot = url_to_fs(parts_dir)
    if pfs.exists(proot):
        for path in pfs.glob(f"{proot.rstrip('/')}/{run_id}-*"):
            index = int(path.rsplit("/", 1)[1][len(run_id) + 1 :].split(".")[0])
            if index >= shards:
                pfs.rm(path)
    return removed


@dataclass(frozen=True)
class RunContext:
    """One run: its folder, its ledger, its validated config and the metadata stamped on
    its records. Tasks take this one value instead of the same five parameters each."""

    run_id: str | None
    run_dir: str
    ledger: str | None  # None: shards are not entered in a ledger (a direct call)
    config: "CleanConfig"
    info: "RunInfo"
    sources: list[str] = field(default_factory=list)
    started_at: str | None = None
    flow_run_ids: list[str] = field(default_factory=list)
    resumed: bool = False  # the folder of a killed run with the same parameters, taken over

    @classmethod
    def direct(cls, run_dir: str, config: "CleanConfig", info: "RunInfo | None" = None, ledger: str | None = None, run_id: str | None = None) -> "RunContext":
        """A context for cleaning shards from Python into ``run_dir`` without the flow (a
        notebook, a benchmark, a test): no ledger unless one is named with a ``run_id``."""
        if info is None:
            from cleaners.pipeline import RunInfo

            info = RunInfo(config.config_hash())
        return cls(run_id, run_dir, ledger, config, info)


def run_id_for(started: datetime, flow_run_id: str) -> str:
    return f"run-{started.strftime('%Y%m%dT%H%M%SZ')}-{flow_run_id[:8]}"


def open_run(
    sources: list[str], output: str, ledger: str, config: "CleanConfig", shard_size: int, full: bool, flow_run_id: str,
    started: datetime, version: str,
) -> tuple[RunContext, int]:
    """The run's folder, new or resumed, with its intent written (before any shard).

    A killed run started with the same parameters (sources, config, shard size, ``full``,
    ledger, version) is resumed: same id and folder, its temporary files removed. Returns
    the context and how many temporary files were removed."""
    from cleaners.pipeline import RunInfo

    params = {"sources": sources, "config_hash": config.config_hash(), "shard_size": shard_size, "full": full, "ledger": ledger, "version": version}
    resumed = find_resumable(output, params)
    left = 0
    if resumed is not None:
        run_id, run_dir, started_at = resumed.run_id, resumed.uri, resumed.intent["started_at"]
        flow_run_ids = resumed.intent["flow_run_ids"] + [flow_run_id]
        from cleaners.run.ledger import parts_location

        left = remove_temporary_files(run_dir) + remove_temporary_files(parts_location(ledger))
    else:
        run_id, started_at, flow_run_ids = run_id_for(started, flow_run_id), started.isoformat(timespec="seconds"), [flow_run_id]
        run_dir = join(output, run_id)
        make_dirs(run_dir)
    write_intent(run_dir, run_id, params, started_at, flow_run_ids)
    info = RunInfo(config.config_hash(), flow_run_id, started_at)
    return RunContext(run_id, run_dir, ledger, config, info, sources, started_at, flow_run_ids, resumed is not None), left


def finish_run(
    run: RunContext, summaries: Sequence["ShardSummary"], plan: "Plan", found: int, files: int, skipped_sha256: str,
    ended_at: str, unsupported_endings: Mapping[str, int] | None = None, near_duplicates: dict | None = None,
) -> dict:
    """Write ``rejects.jsonl`` and then ``manifest.json`` (a folder with a manifest is a
    complete run); returns the manifest. A resumed run first drops shard files its new
    plan no longer has."""
    from cleaners.run import manifest as manifest_mod
    from cleaners.run.ledger import parts_location

    if run.resumed:
        remove_stale_shards(run.run_dir, parts_location(run.ledger), run.run_id, len(summaries))
    rejects = [r for s in summaries for r in s.rejects]
    rejects_sha = write_jsonl(join(run.run_dir, "rejects.jsonl"), rejects)
    manifest = manifest_mod.build_manifest(
        run_id=run.run_id,
        flow_run_id=run.info.flow_run_id,
        flow_run_ids=run.flow_run_ids,
        started_at=run.started_at,
        ended_at=ended_at,
        config_hash=run.info.config_hash,
        config=run.config.model_dump(mode="json"),
        sources=run.sources,
        inputs=found,
        files=files,
        summaries=summaries,
        rejects_sha256=rejects_sha,
        skip_reasons=plan.skip_reasons,
        skipped_sha256=skipped_sha256,
        ledger=run.ledger,
        unsupported_endings=unsupported_endings,
        near_duplicates=near_duplicates,
    )
    write_json(join(run.run_dir, MANIFEST), manifest)
    return manifest
