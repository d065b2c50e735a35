"""The ``clean-corpus`` Prefect flow: thin orchestration over :mod:`cleaners.batch`.

Two passes over sharded inputs: ``profile-shard`` tasks gather run-wide counts (used by
the name-variant and typo guards), then ``clean-shard`` tasks clean and write one JSONL
shard each. The flow writes ``rejects.jsonl`` and ``manifest.json`` last, so a run folder
with a manifest is a complete run. Every rule and threshold lives in ``cleaners/``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Callable

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.runtime import flow_run
from prefect.task_runners import TaskRunner
from pydantic import Field

from cleaners import batch, manifest as manifest_mod
from cleaners.config import CleanConfig, load_config
from cleaners.corpus import CorpusProfile
from cleaners.pipeline import RunInfo
from cleaners.report import write_report
from cleaners.sources import discover, shards, uris
from flows.runners import running_pool, task_runner_for

#: Set by the CLI to follow progress: called with (done_shards, total_shards, summary).
progress_hook: Callable[[int, int, batch.ShardSummary | None], None] | None = None


class Opaque:
    """Carries a value past Prefect's parameter introspection.

    Prefect walks collection parameters item by item (to find futures); for a run profile
    with millions of counter entries that costs more than the task. Prefect's own
    ``quote`` is unwrapped by the thread runner but arrives as a bare tuple on Dask, so
    this plain holder is used instead.
    """

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __getstate__(self) -> tuple[object]:
        return (self.value,)  # a tuple: pickle skips __setstate__ for a falsy state

    def __setstate__(self, state: tuple[object]) -> None:
        (self.value,) = state


@task(name="profile-shard", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def profile_shard_task(shard_uris: list[str]) -> CorpusProfile:
    return batch.profile_shard(shard_uris)


@task(name="clean-shard", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def clean_shard_task(index: int, shard_uris: list[str], run_dir: str, config: CleanConfig, run: RunInfo, profile: Opaque) -> batch.ShardSummary:
    return batch.clean_shard(index, shard_uris, run_dir, config, run, profile.value)


def _run_id(started: datetime, flow_run_id: str | None) -> str:
    suffix = (flow_run_id or "local")[:8]
    return f"run-{started.strftime('%Y%m%dT%H%M%SZ')}-{suffix}"


def _report(done: int, total: int, summary: batch.ShardSummary | None) -> None:
    if progress_hook is not None:
        progress_hook(done, total, summary)


def _clean_shards(runner: TaskRunner, groups: list[list[str]], run_dir: str, config: CleanConfig, run: RunInfo) -> list[batch.ShardSummary]:
    """Both passes over the shards on ``runner``, inside the current flow run.

    The runner is used directly rather than through a subflow so that the (possibly huge)
    list of input URIs is never stored as a flow-run parameter on the Prefect server.
    """
    with running_pool(runner) as pool:
        profiles = [pool.submit(profile_shard_task, {"shard_uris": group}) for group in groups]
        profile = batch.merge_profiles(f.result() for f in profiles)
        shared = Opaque(profile)
        futures = [
            pool.submit(clean_shard_task, {"index": i, "shard_uris": group, "run_dir": run_dir, "config": config, "run": run, "profile": shared})
            for i, group in enumerate(groups)
        ]
        summaries: list[batch.ShardSummary] = []
        for done, future in enumerate(as_completed(futures), start=1):
            summaries.append(future.result())
            _report(done, len(groups), summaries[-1])
    return sorted(summaries, key=lambda s: s.index)


@flow(name="clean-corpus", log_prints=True)
def clean_corpus(
    source: str | list[str] = "seeds",
    output: str = "output",
    shard_size: Annotated[int, Field(ge=1, le=1_000_000)] = 500,
    config: str | None = None,
    workers: Annotated[int, Field(ge=0, le=1024)] = 0,
    dask_address: str | None = None,
    report: bool = False,
) -> dict:
    """Clean every input under ``source`` into an audited JSONL run folder under ``output``.

    Args:
        source: a folder, a glob, a file, or a list of them; local paths or fsspec URLs.
        output: folder that receives one run folder per run.
        shard_size: documents per task (hundreds to thousands: a task costs ~10 ms).
        config: path to a TOML file of cleaning options; built-in defaults when omitted.
        workers: 0 runs shards on a thread in this process; N > 0 starts a temporary Dask
            LocalCluster of N worker processes on loopback.
        dask_address: address of an existing Dask scheduler (``tcp://host:port``); wins
            over ``workers``.
        report: also write ``report.html`` (the review page) into the run folder.
    """
    logger = get_run_logger()
    started = datetime.now(timezone.utc)
    cleaning = load_config(config)
    flow_run_id = flow_run.get_id()
    run_id = _run_id(started, flow_run_id)
    refs = discover(source)  # before creating anything: a wrong source leaves no trace
    run_dir = batch.join(output, run_id)
    batch.make_dirs(run_dir)
    groups = [uris(group) for group in shards(refs, shard_size)]
    logger.info("%d inputs in %d shards -> %s", len(refs), len(groups), run_dir)
    _report(0, len(groups), None)

    run = RunInfo(cleaning.config_hash(), str(flow_run_id) if flow_run_id else None, started.isoformat(timespec="seconds"))
    # The validated config travels to the tasks, not its path: loaded and hashed once, and
    # workers on other machines need not see the file.
    summaries = _clean_shards(task_runner_for(workers, dask_address), groups, run_dir, cleaning, run)

    rejects = [r for s in summaries for r in s.rejects]
    rejects_sha = batch.write_jsonl(batch.join(run_dir, "rejects.jsonl"), rejects)
    manifest = manifest_mod.build_manifest(
        run_id=run_id,
        flow_run_id=run.flow_run_id,
        started_at=started.isoformat(timespec="seconds"),
        ended_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        config_hash=run.config_hash,
        config=cleaning.model_dump(mode="json"),
        sources=[source] if isinstance(source, str) else list(source),
        summaries=summaries,
        rejects_sha256=rejects_sha,
    )
    batch.write_json(batch.join(run_dir, "manifest.json"), manifest)
    if report:  # after the manifest: the page is built from the finished run folder
        write_report(run_dir)
    create_table_artifact(key="newsclean-run-summary", table=manifest_mod.summary_table(manifest), description=f"newsclean run {run_id}")
    create_markdown_artifact(key="newsclean-run-report", markdown=manifest_mod.summary_markdown(manifest, run_dir), description=f"newsclean run {run_id}")
    logger.info("%d records, %d rejects -> %s", manifest["counts"]["records"], manifest["counts"]["rejects"], run_dir)
    return {"run_dir": run_dir, "manifest": manifest}
