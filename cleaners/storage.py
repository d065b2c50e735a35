"""Writing run files safely: atomic writes, local paths or fsspec URLs.

Every file a run produces (shards, rejects, skips, manifest, ledger) goes through
:func:`write_atomic`, so a reader never sees a half-written file under its final name.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import uuid
from typing import Iterable

from fsspec.core import url_to_fs


def join(folder: str, name: str) -> str:
    return folder.rstrip("/") + "/" + name


def write_atomic(uri: str, content: str) -> str:
    """Write ``content`` to a temporary name beside ``uri``, then rename; returns sha256.

    A task killed mid-write leaves at most a ``.tmp-*`` file, never a half-written shard
    under its final name.
    """
    data = content.encode("utf-8")
    fs, path = url_to_fs(uri)
    fs.makedirs(posixpath.dirname(path), exist_ok=True)
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
