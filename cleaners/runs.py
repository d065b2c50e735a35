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
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass

from fsspec.core import url_to_fs

from .storage import join, write_json

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
    from .batch import shard_file_name  # batch imports the pipeline; keep this module light

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
