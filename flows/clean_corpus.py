"""The ``clean-corpus`` Prefect flow: thin orchestration over :mod:`cleaners.run.shards`.

``split-containers`` tasks first count the documents of JSONL and WARC files, so that a
large one is read in parts by several tasks. Then two passes over sharded inputs:
``scan-shard`` tasks hash every input and gather run-wide counts (used by the
name-variant, typo and site-template guards); the flow then skips the inputs the ledger
says were already cleaned with this config (and exact duplicates), hands the merged counts
to every task through one ``share-profile`` task, and ``clean-shard`` tasks clean the
rest and write one JSONL shard each (with a MinHash signature of each record). Then one
``find-near-duplicates`` task matches the signatures against each other and the ledger's
history, and ``mark-shard`` tasks write the verdicts into the shards holding later copies.
The flow writes ``skipped.jsonl`` as it plans (near-duplicate skips last), and
``rejects.jsonl`` and ``manifest.json`` last, so a run folder with a manifest is a
complete run. Every rule and threshold lives in ``cleaners/``.

Tasks are retried, with a delay, only for storage errors (``OSError`` while reading
inputs or writing files); a document that fails to clean becomes a reject instead.
"""

from __future__ import annotations

import pickle
from functools import partial
from datetime import datetime, timezone
from typing import Annotated, Callable, Literal

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.task_runners import TaskRunner
from pydantic import Field

from cleaners import __version__
from cleaners.run import shards as batch
from cleaners.run import ledger as ledger_mod
from cleaners.run import manifest as manifest_mod
from cleaners.run import folders as runs
from cleaners.run import near_duplicates as near
from cleaners.config import CleanConfig, load_config
from cleaners.steps.run_profile import CorpusProfile
from cleaners.run.report import write_report
from cleaners.run.folders import RunContext
from cleaners.inputs.discovery import InputRef, SourceError, count_endings, find_files, uris
from cleaners.run.storage import AtomicWriter, join, jsonl_row
from flows.progress import SILENT, RunProgress
from flows.runners import as_finished, check_scheduler, running_pool, task_runner_for

#: The listener of the runs of this process: the CLI sets its own for its run.
progress: RunProgress = SILENT


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


#: Waits before the 1st, 2nd and 3rd retry of a task hit by a storage error.
RETRY_DELAYS = [2, 10, 30]


def is_storage_error(task, task_run, state) -> bool:
    """Retry condition: only ``OSError`` (storage), never a bug or a bad parameter."""
    try:
        state.result()
    except OSError:
        return True
    except BaseException:
        return False
    return False


storage_retries = dict(retries=len(RETRY_DELAYS), retry_delay_seconds=RETRY_DELAYS, retry_condition_fn=is_storage_error)


@task(name="split-containers", cache_policy=NO_CACHE, **storage_retries)
def split_containers_task(container_uris: list[str], shard_size: int, config: CleanConfig) -> dict[str, list[tuple[batch.Part, int]]]:
    """Each JSONL or WARC file's parts of ``shard_size`` documents (counted, not parsed)."""
    return batch.split_files(container_uris, shard_size, config)


@task(name="scan-shard", cache_policy=NO_CACHE, **storage_retries)
def scan_shard_task(shard_uris: list[batch.Piece], config: CleanConfig) -> bytes:
    """The shard's :class:`~cleaners.run.shards.ShardScan`, pickled.

    The flow unpickles each shard's counts as it merges them, so the entries it keeps are
    allocated together; handed over as live objects, they pinned memory interleaved with
    Prefect's per-task allocations and the flow's peak grew with the number of shards
    (at 4,000 documents in shards of 100: 369 MB, against 326 MB this way).
    """
    return pickle.dumps(batch.scan_shard(shard_uris, config), protocol=pickle.HIGHEST_PROTOCOL)


@task(name="read-ledger", cache_policy=NO_CACHE, **storage_retries)
def read_ledger_task(ledger: str, config_hash: str, exclude_run: str, wanted: Opaque) -> Opaque:
    """What the ledger knows of the run's documents (``wanted``: their content hashes)."""
    return Opaque(ledger_mod.load(ledger, config_hash, exclude_run, wanted.value))


@task(name="share-profile", cache_policy=NO_CACHE)
def share_profile_task(profile: Opaque) -> Opaque:
    """The run profile, as a task result that every ``clean-shard`` task takes as input.

    Handed to each task as a plain parameter, the profile was pickled once per task: on
    Dask, 40 copies of a 13 MB profile waited in the flow process for their tasks (793 MB
    at 20,000 documents, against 273 MB after the scan). As the result of one task it
    travels once to each worker, which keeps it for all its tasks; on the local runner the
    result is the flow's own object.
    """
    return profile


@task(name="clean-shard", cache_policy=NO_CACHE, **storage_retries)
def clean_shard_task(index: int, refs: Opaque, run: RunContext, profile: Opaque, seek: dict[str, batch.Part]) -> batch.ShardSummary:
    return batch.clean_shard(index, refs.value, run, profile.value, _document_counter(index), seek)


def _document_counter(index: int) -> Callable[[bool], None] | None:
    """The listener's ``document`` for one shard, looked up where the task runs.

    On Dask the task's function is pickled by value (its module name holds the Task, not
    the function), with the globals it names: naming ``progress`` itself sent the CLI's
    listener, locks and all, and ``--workers`` failed with "cannot pickle
    '_thread.lock'". This module function is pickled by reference, so a worker reads its
    own listener: the silent one.
    """
    listener = progress
    return None if listener is SILENT else partial(listener.document, index)


@task(name="find-near-duplicates", cache_policy=NO_CACHE, **storage_retries)
def find_near_duplicates_task(ledger: str, run_id: str, shards: list[int], config: CleanConfig) -> near.RunDecision:
    """The run's near-duplicates, from the shards' signatures and the ledger's history
    (signatures only: no document text travels)."""
    return near.decide_run(ledger, run_id, shards, config.near_duplicates)


@task(name="mark-shard", cache_policy=NO_CACHE, **storage_retries)
def mark_shard_task(summary: batch.ShardSummary, marks: dict, run: RunContext) -> tuple[batch.ShardSummary, list]:
    return batch.mark_shard(summary, marks, run)


@task(name="seal-ledger", cache_policy=NO_CACHE, **storage_retries)
def seal_ledger_task(ledger: str, run_id: str) -> int:
    return ledger_mod.seal(ledger, run_id)


# The flow function names these two, never ``progress`` itself: on Dask the flow's function
# travels pickled by value with the globals it names (see _document_counter), and the CLI's
# listener holds locks; module functions travel by reference.
def _report(phase: str, done: int, total: int, summary: batch.ShardSummary | None = None) -> None:
    progress.phase(phase, done, total, summary)


def _announce(**facts: object) -> None:
    progress.announce(**facts)


def _split(pool: TaskRunner, refs: list[InputRef], shard_size: int, config: CleanConfig) -> dict[str, list[tuple[batch.Part, int]]]:
    """The parts of every JSONL and WARC file: a large one is scanned and cleaned by
    several tasks at once, not by one."""
    batches = batch.split_batches(refs, config)
    futures = [pool.submit(split_containers_task, {"container_uris": b, "shard_size": shard_size, "config": config}) for b in batches]
    parts: dict[str, list[tuple[batch.Part, int]]] = {}
    files = sum(map(len, batches))
    if files:
        _report("split", 0, files)
    for future in as_finished(futures):
        parts.update(future.result())
        _report("split", len(parts), files)
    return parts


def _scan(pool: TaskRunner, refs: list[InputRef], shard_size: int, config: CleanConfig) -> tuple[list, CorpusProfile, dict, list]:
    """First pass: every document with its sha256 (in input order), the merged profile, the
    parts of the container files (where the cleaning pass seeks to), and the members that
    are no documents (in input order).

    Each shard's profile is merged as soon as its task completes and its future dropped:
    holding every shard's counts until the last one finished made the flow's peak memory
    grow with the number of shards.
    """
    parts = _split(pool, refs, shard_size, config)
    groups = batch.group_files(uris(refs), shard_size, config, parts)
    futures = [pool.submit(scan_shard_task, {"shard_uris": group, "config": config}) for group in groups]
    index_of = {future.task_run_id: i for i, future in enumerate(futures)}
    documents: list[list] = [[] for _ in groups]
    skips: list[list] = [[] for _ in groups]
    profile = CorpusProfile()
    _report("scan", 0, len(groups))
    for done, future in enumerate(as_finished(futures), start=1):
        scan: batch.ShardScan = pickle.loads(future.result())
        documents[index_of[future.task_run_id]] = scan.documents
        skips[index_of[future.task_run_id]] = scan.skips
        profile.absorb(scan.profile)  # sums of counts: the same in any completion order
        _report("scan", done, len(groups))
    return [doc for shard in documents for doc in shard], profile, parts, [skip for shard in skips for skip in shard]


def _clean_shards(
    runner: TaskRunner, run: RunContext, inputs: list[InputRef], others: list[InputRef], shard_size: int, full: bool,
) -> tuple[list[batch.ShardSummary], ledger_mod.Plan, int, str, dict | None]:
    """Scan, plan and clean on ``runner``, inside the current flow run.

    The runner is used directly rather than through a subflow so that the (possibly huge)
    list of input URIs is never stored as a flow-run parameter on the Prefect server.
    Documents to clean are re-sharded after the skips, so shards stay full in incremental
    runs; the skips go to ``skipped.jsonl`` as the plan finds them, after the files of
    other endings (``others``) and the members that are no documents. Returns the shard
    summaries, the plan, the number of inputs found and the sha256 of ``skipped.jsonl``.
    """
    logger = get_run_logger()
    with running_pool(runner) as pool:
        documents, profile, parts, not_documents = _scan(pool, inputs, shard_size, run.config)
        shared = pool.submit(share_profile_task, {"profile": Opaque(profile)})
        del profile  # the task's result holds it from now on
        seen = {}
        if not full:  # only the entries of this run's contents: the ledger grows night after night
            wanted = Opaque({digest for _, _, digest in documents if digest is not None})
            seen = read_ledger_task(run.ledger, run.info.config_hash, run.run_id, wanted).value
        flow_run_id = run.info.flow_run_id
        # streamed: most of a nightly run is skips; near-duplicate skips come last, after the cleaning
        with AtomicWriter(join(run.run_dir, "skipped.jsonl")) as skipped_file:
            write_skip = lambda skip: skipped_file.write(jsonl_row(skip.model_dump(mode="json")))  # noqa: E731
            passed = [batch.unsupported_skip(ref, flow_run_id) for ref in others]
            passed += [batch.not_document_skip(item, flow_run_id) for item in not_documents]
            work = ledger_mod.plan(documents, seen, flow_run_id, write_skip, passed)
            found = len(documents) + len(passed)
            del seen, documents, passed, not_documents  # not needed while the shards are cleaned
            groups = batch.group_refs(work.todo, shard_size)
            reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(work.skip_reasons.items()))
            logger.info("%d inputs in %d files: %d to clean in %d shards, %d skipped%s", found, len(inputs) + len(others), len(work.todo), len(groups), work.skipped, f" ({reasons})" if reasons else "")
            _report("clean", 0, len(groups))
            futures = [
                pool.submit(
                    clean_shard_task,
                    {"index": i, "refs": Opaque(group), "run": run, "profile": shared, "seek": batch.seek_points(group, parts)},
                )
                for i, group in enumerate(groups)
            ]
            summaries: list[batch.ShardSummary] = []
            for done, future in enumerate(as_finished(futures), start=1):
                summaries.append(future.result())
                _report("clean", done, len(groups), summaries[-1])
            summaries.sort(key=lambda s: s.index)
            near_found = None
            if run.config.near_duplicates.mode != "off":
                summaries, near_found = _near_duplicates(pool, run, summaries, write_skip, work)
    return summaries, work, found, skipped_file.sha256, near_found


def _near_duplicates(
    pool: TaskRunner, run: RunContext, summaries: list[batch.ShardSummary], write_skip: Callable, work: ledger_mod.Plan
) -> tuple[list[batch.ShardSummary], dict]:
    """Find the run's near-duplicates (one task, signatures only) and write the verdicts into
    the shards that hold later copies (a task each); in ``skip`` mode the copies' skips are
    written and counted. Returns the updated summaries and the run's near-duplicate figures."""
    logger = get_run_logger()
    _report("near-duplicates", 0, 1)  # steps: finding them, then marking each shard that holds copies
    found: near.RunDecision = pool.submit(
        find_near_duplicates_task, {"ledger": run.ledger, "run_id": run.run_id, "shards": [s.index for s in summaries], "config": run.config}
    ).result()
    by_index = {s.index: s for s in summaries}
    futures = [
        pool.submit(mark_shard_task, {"summary": by_index[index], "marks": marks, "run": run}) for index, marks in sorted(found.marks.items())
    ]
    _report("near-duplicates", 1, 1 + len(futures))
    marked: dict[int, tuple[batch.ShardSummary, list]] = {}
    for done, future in enumerate(as_finished(futures), start=2):
        summary, skips = future.result()
        marked[summary.index] = (summary, skips)
        _report("near-duplicates", done, 1 + len(futures))
    for index in sorted(marked):  # skips in shard order, whatever order the tasks finished in
        summary, skips = marked[index]
        by_index[index] = summary
        for skip in skips:
            write_skip(skip)
            work.skip_reasons["near_duplicate"] += 1
    figures = {"mode": run.config.near_duplicates.mode, **found.summary()}
    logger.info(
        "near-duplicates: %d of %d compared records match an earlier one, in %d clusters (history: %d documents)",
        found.copies, found.compared, found.clusters, found.history,
    )
    return [by_index[i] for i in sorted(by_index)], figures


@flow(name="clean-corpus", log_prints=True)
def clean_corpus(
    source: str | list[str] = "seeds",
    output: str = "output",
    shard_size: Annotated[int, Field(ge=1, le=1_000_000)] = 500,
    config: str | None = None,
    workers: Annotated[int, Field(ge=0, le=1024)] = 0,
    dask_address: str | None = None,
    report: bool = False,
    full: bool = False,
    ledger: str | None = None,
    input_format: Literal["auto", "text", "html", "jsonl", "warc", "csv", "tsv", "parquet"] | None = None,
    strictness: Literal["conservative", "balanced", "aggressive"] | None = None,
    near_duplicates: Literal["mark", "skip", "off"] | None = None,
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
        full: clean every input, even those the ledger says were cleaned with this config.
        ledger: folder of the incremental-run ledger; default ``<output>/ledger``.
        input_format: read every input as this format (overrides ``[input] format`` of the
            config; default: by file name ending, else by content).
        strictness: how much boilerplate goes (overrides ``[boilerplate] strictness`` of the
            config; ``aggressive`` for all-visible-text input such as ``page_text``).
        near_duplicates: what to do with later copies of a story (overrides
            ``[near_duplicates] mode`` of the config): ``mark``, ``skip`` or ``off``.
    """
    logger = get_run_logger()
    started = datetime.now(timezone.utc)
    cleaning = load_config(config).overridden(input_format=input_format, strictness=strictness, near_duplicates=near_duplicates)
    flow_run_id = str(flow_run.get_id() or "local")
    _announce(flow_run_id=flow_run_id)
    if not str(output).strip():  # "" + "/run-..." is a run folder at the filesystem's root
        raise SourceError("output is empty: name the folder that receives the run folder")
    ledger = ledger or ledger_mod.default_location(output)
    # before creating anything: a wrong source or scheduler leaves no trace; never the run's own output
    inputs, others = find_files(source, exclude=[output, ledger])  # others: listed as skipped, not passed over in silence
    if dask_address:
        check_scheduler(dask_address)
    if not inputs:
        logger.warning("no input files under %s (hidden files and folders are not inputs)", source)
    sources = [source] if isinstance(source, str) else list(source)
    run, left = runs.open_run(sources, output, ledger, cleaning, shard_size, full, flow_run_id, started, __version__)
    if run.resumed:  # the same command, after a run that was killed
        logger.warning("resuming unfinished run %s (its process is gone); removed %d temporary files", run.run_id, left)
    _announce(run_id=run.run_id, run_dir=run.run_dir)
    logger.info("%d inputs -> %s (ledger %s%s)", len(inputs), run.run_dir, ledger, ", full run" if full else "")

    # The validated config travels to the tasks in the context, not its path: loaded and
    # hashed once, and workers on other machines need not see the file.
    runner = task_runner_for(workers, dask_address)
    summaries, work, found, skipped_sha, near_found = _clean_shards(runner, run, inputs, others, shard_size, full)
    manifest = runs.finish_run(
        run, summaries, work, found, len(inputs) + len(others), skipped_sha, datetime.now(timezone.utc).isoformat(timespec="seconds"),
        count_endings(others), near_found,
    )
    _announce(complete=True)
    seal_ledger_task(ledger, run.run_id)  # after the manifest: a sealed run is a complete run
    if report:  # after the manifest: the page is built from the finished run folder
        write_report(run.run_dir)
    run_id, run_dir = run.run_id, run.run_dir
    create_table_artifact(key="newsclean-run-summary", table=manifest_mod.summary_table(manifest), description=f"newsclean run {run_id}")
    create_markdown_artifact(key="newsclean-run-report", markdown=manifest_mod.summary_markdown(manifest, run_dir), description=f"newsclean run {run_id}")
    counts = manifest["counts"]
    logger.info("%d records, %d rejects, %d skipped -> %s", counts["records"], counts["rejects"], counts["skipped"], run_dir)
    return {"run_dir": run_dir, "manifest": manifest}
