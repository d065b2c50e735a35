"""What a caller hears while the ``clean-corpus`` flow runs: one listener object.

The flow reports its phases, each shard's summary, the run folder it claims and, inside a
shard, each document. The default listener hears nothing (a deployment run); the command
line sets its own (progress bars, and what Ctrl-C needs to say how to resume). It lives
in a module of its own, with no Prefect import, so that the CLI can build one before the
flow's module (and Prefect) is imported.
"""

from __future__ import annotations

from typing import Any


class RunProgress:
    """A run's listener; every method is called on the flow's thread, but :meth:`document`,
    called on the thread of the task that cleans the shard (local runner only: a Dask
    worker has its own, silent, listener)."""

    def phase(self, name: str, done: int, total: int, summary: Any | None = None) -> None:
        """``name``: "split" (JSONL, WARC and table files counted; only when there are
        some), "scan" (the first pass, in shards), "clean" (shards, each with its
        :class:`~cleaners.run.shards.ShardSummary` as it completes) or "near-duplicates"
        (finding them, then marking each shard that holds a later copy; not when off)."""

    def document(self, shard: int, is_record: bool) -> None:
        """One document of ``shard`` done: a record (True) or a reject (False)."""

    def announce(self, **facts: Any) -> None:
        """What is known of the run so far: ``flow_run_id`` as the flow starts, then
        ``run_id`` and ``run_dir`` once the run folder is claimed, then ``complete=True``
        once the manifest is written."""


#: The listener of runs in this process (the command line replaces it for its run).
SILENT = RunProgress()
