"""``newsclean`` command line: runs the ``clean-corpus`` flow with a progress bar.

Prefect's own console logging is lowered to WARNING by default (``--verbose`` restores
it) so the progress bar stays readable; the flow's logs still reach the Prefect server
and UI. The run is recorded on the server that ``PREFECT_API_URL`` (or the repository's
``prefect.toml``) names when it answers; when none is configured or it does not answer,
Prefect's temporary local server is used, so ``newsclean clean`` works with no server:
started early, in parallel with this process's own imports (see :class:`TemporaryServer`),
and stopped with the command.

Ctrl-C stops a run at once with one line and exit status 130 (see :class:`Interrupt`):
the run folder is left as a killed run leaves it, and the same command resumes it.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
from contextlib import nullcontext
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.core import TyperCommand, TyperGroup

from flows.interrupt import Interrupt
from flows.progress import SILENT, RunProgress
from flows.temporary_server import ServerFailed, TemporaryServer, server_answers


class _FlagsAsFlags:
    """typer 0.29's help prints a value type after every flag, as if it took a value
    ("--full <bool>", "--help <bool>"); with an empty metavar the column stays blank."""

    def get_params(self, ctx):
        params = super().get_params(ctx)
        for param in params:
            if getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = ""
        return params


class _Command(_FlagsAsFlags, TyperCommand):
    pass


class _Group(_FlagsAsFlags, TyperGroup):
    pass


app = typer.Typer(
    name="newsclean",
    help="Clean scraped news articles into audited JSONL (one record per document, every removal explained).",
    no_args_is_help=True,
    add_completion=False,
    cls=_Group,
)
console = Console(stderr=True)
INPUT_FORMATS = ("auto", "text", "html", "jsonl", "warc", "csv", "tsv", "parquet")
STRICTNESS_LEVELS = ("conservative", "balanced", "aggressive")
NEAR_DUPLICATE_MODES = ("mark", "skip", "off")


def _print_version(value: bool) -> None:
    if value:
        from cleaners import __version__

        sys.stdout.write(f"newsclean {__version__}\n")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """Clean scraped news articles into audited JSONL (one record per document, every removal explained)."""


def _quiet_prefect(verbose: bool) -> None:
    """Defaults for a terminal run; must happen before Prefect is imported."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        # The temporary server is stopped while its task-run recorder still flushes:
        # harmless "Error flushing events" tracebacks that a user must not be shown.
        os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "CRITICAL")
        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "error")
        # The same shutdown race cancels the server's open SQLite connections; SQLAlchemy's
        # pool then logs "Exception during reset or similar" with a traceback through the
        # root logger, in the server's subprocess too (hence an environment variable).
        os.environ.setdefault("PREFECT_LOGGING_ROOT_LEVEL", "CRITICAL")
        # Ctrl-C ends this process without multiprocessing's finalizers (see Interrupt): the
        # resource tracker of a --workers run, a child that inherits this environment, then
        # unlinks the Dask workers' semaphores itself, warning about "leaked" ones.
        os.environ.setdefault("PYTHONWARNINGS", "ignore::UserWarning:multiprocessing.resource_tracker")


def _server_context(verbose: bool, server: TemporaryServer):
    """Use the configured Prefect server if it is up, else the temporary one (with a note):
    ``server``, started early by :func:`clean` when the configured one seemed down, else now.

    Returns the context to run the flow in, and the configured server's URL when it is
    the one used (None for a temporary server)."""
    import prefect.flow_engine  # noqa: F401  (the flow's first call imports it: here it overlaps the server's start)
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, PREFECT_UI_URL, temporary_settings

    url = PREFECT_API_URL.value()
    if url and url != server.refused and server_answers(url):
        server.terminate()  # started on a wrong guess (stop() waits for it at the end)
        return nullcontext(), url
    if not verbose:
        _silence_temporary_server()
    if url:
        console.print(f"[yellow]note:[/yellow] no Prefect server at {url}; using a temporary local one for this run.")
    try:
        server.start()
        if verbose:
            console.print(f"temporary Prefect server: {server.api_url}", highlight=False)
        server.wait(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value())
    except (ServerFailed, OSError) as exc:
        console.print(f"[red]error:[/red] the temporary Prefect server did not start: {exc}")
        raise typer.Exit(1)
    server.used = True
    # No UI is served (PREFECT_UI_ENABLED=0): no "View at" link, as on Prefect's own temporary server.
    return temporary_settings({PREFECT_API_URL: server.api_url, PREFECT_UI_URL: ""}), None


def _silence_temporary_server() -> None:
    """Turn off the console of Prefect's temporary server (a subprocess that inherits this
    environment when it starts). Stopped at exit, it sometimes still logs a SQLAlchemy
    "Exception during reset or similar" traceback despite the root level set above. This
    process configured its logging already, so its own warnings still show."""
    from prefect.logging.configuration import ensure_logging_setup

    ensure_logging_setup()
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")


@app.command(cls=_Command)
def clean(
    source: List[str] = typer.Argument(..., help="Folders, globs or files to clean (local paths or fsspec URLs)."),
    out: str = typer.Option("output", "--out", "-o", help="Folder that receives the run folder."),
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="TOML file of cleaning options (defaults built in)."),
    shard_size: int = typer.Option(500, "--shard-size", min=1, max=1_000_000, help="Documents per task."),
    workers: int = typer.Option(0, "--workers", "-w", min=0, max=1024, help="Run on a temporary local Dask cluster of N worker processes (0: one local thread)."),
    dask_address: Optional[str] = typer.Option(None, "--dask-address", help="Run on an existing Dask scheduler, e.g. tcp://10.0.0.5:8786."),
    report: bool = typer.Option(False, "--report", help="Also write report.html into the run folder."),
    full: bool = typer.Option(False, "--full", help="Clean every input, also those already cleaned with this config (see --ledger)."),
    ledger: Optional[str] = typer.Option(None, "--ledger", help="Ledger folder of incremental runs (default: OUT/ledger)."),
    input_format: Optional[str] = typer.Option(
        None, "--format", help=f"Read every input as {', '.join(INPUT_FORMATS[1:-1])} or {INPUT_FORMATS[-1]} (default: by file name ending, .gz or not, else by content)."
    ),
    strictness: Optional[str] = typer.Option(
        None, "--strictness", "-s", help="How much boilerplate goes: conservative, balanced or aggressive (default: the config's, balanced). Use aggressive for all-visible-text input."
    ),
    near_duplicates: Optional[str] = typer.Option(
        None, "--near-duplicates", help="Later copies of a story: mark (default: their records name the earlier record), skip (to skipped.jsonl) or off."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show Prefect's logs on the terminal."),
) -> None:
    """Clean SOURCE... into a new run folder under --out, through the clean-corpus flow.

    Inputs, by file name ending (also gzipped, .gz, except Parquet):
      text .txt .text, HTML .html .htm .xhtml, JSON lines .jsonl .ndjson,
      tables .csv .tsv .parquet, web archives .warc .arc (and Common Crawl's WET: .warc.wet)

    Examples:
      newsclean clean seeds --out output
      newsclean clean 's3://bucket/crawl/*.warc.gz' \\
          --strictness aggressive --workers 4
    """
    _quiet_prefect(verbose)
    from cleaners.config import ConfigError, load_config
    from cleaners.inputs.discovery import SourceError

    if input_format is not None and input_format not in INPUT_FORMATS:
        console.print(f"[red]error:[/red] --format must be one of {', '.join(INPUT_FORMATS)}, not {input_format!r}")
        raise typer.Exit(2)
    if strictness is not None and strictness not in STRICTNESS_LEVELS:
        console.print(f"[red]error:[/red] --strictness must be one of {', '.join(STRICTNESS_LEVELS)}, not {strictness!r}")
        raise typer.Exit(2)
    if near_duplicates is not None and near_duplicates not in NEAR_DUPLICATE_MODES:
        console.print(f"[red]error:[/red] --near-duplicates must be one of {', '.join(NEAR_DUPLICATE_MODES)}, not {near_duplicates!r}")
        raise typer.Exit(2)
    try:
        load_config(config)  # fail before starting Prefect on a bad config file
        _check_scheduler(dask_address)  # before _check_paths, which makes the --out folder
        _check_paths(source, out)
    except (ConfigError, SourceError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2)

    with TemporaryServer.early(verbose) as server, Interrupt(verbose, console) as interrupt, Progress(
        TextColumn("[bold]{task.description:9s}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[unit]}"),
        TextColumn("{task.fields[detail]}"), TimeElapsedColumn(),
        console=console, transient=False,
    ) as progress:
        from flows import clean_corpus as flow_module  # imports Prefect (seconds): Ctrl-C is handled already

        interrupt.progress = progress
        flow_module.progress = _Bars(progress, interrupt)
        try:
            context, interrupt.server_url = _server_context(verbose, server)
            with context:
                result = flow_module.clean_corpus(
                    source=source if len(source) > 1 else source[0],
                    output=out,
                    shard_size=shard_size,
                    config=str(config) if config else None,
                    workers=workers,
                    dask_address=dask_address,
                    report=report,
                    full=full,
                    ledger=ledger,
                    input_format=input_format,
                    strictness=strictness,
                    near_duplicates=near_duplicates,
                )
        except SourceError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2)
        finally:
            flow_module.progress = SILENT
    _print_summary(result)


class _Bars(RunProgress):
    """The flow's listener on a terminal: a bar per phase, the records and rejects so far
    beside the cleaning bar (counted document by document on the local runner, shard by
    shard on Dask), and what Ctrl-C needs to say how to resume."""

    LABELS = {
        "split": ("splitting", "files", "counting documents in JSONL, WARC and table files"),
        "scan": ("scanning", "shards", "hashing, run-wide counts"),
        "near-duplicates": ("near-dups", "steps", "MinHash index"),
    }

    def __init__(self, bars: Progress, interrupt: "Interrupt") -> None:
        self.bars = bars
        self.interrupt = interrupt
        self.ids: dict[str, int] = {}
        self.records = self.rejects = 0
        self.in_flight: dict[int, list[int]] = {}  # shard index -> [records, rejects] so far
        self.counting = threading.Lock()  # document() runs on the task's thread

    def counts(self) -> str:
        with self.counting:
            records = self.records + sum(r for r, _ in self.in_flight.values())
            rejects = self.rejects + sum(j for _, j in self.in_flight.values())
        return f"{records} records, {rejects} rejects"

    def phase(self, name: str, done: int, total: int, summary=None) -> None:
        label, unit, detail = self.LABELS.get(name, ("cleaning", "shards", None))
        if name not in self.ids:
            self.ids[name] = self.bars.add_task(label, total=total, detail="", unit=unit)
        if summary is not None:  # the shard's own figures replace what was counted live
            with self.counting:
                self.in_flight.pop(summary.index, None)
                self.records += summary.records
                self.rejects += len(summary.rejects)
        if name == "clean":
            self.interrupt.shards = (done, total)
        self.bars.update(self.ids[name], completed=done, total=total, detail=detail or self.counts())

    def document(self, shard: int, is_record: bool) -> None:
        with self.counting:
            self.in_flight.setdefault(shard, [0, 0])[0 if is_record else 1] += 1
        if "clean" in self.ids:
            self.bars.update(self.ids["clean"], detail=self.counts())

    def announce(self, **facts) -> None:
        self.interrupt.run.update(facts)


def _check_paths(source: List[str], out: str) -> None:
    """The mistakes a user makes with paths, caught in a second instead of after Prefect has
    started: a source that names nothing (or an unknown protocol), an empty --out (the run
    folder would go to the filesystem's root), an --out that cannot be a folder."""
    from cleaners.inputs.discovery import INPUT_ENDINGS, SourceError, describe_endings, discover, other_endings
    from cleaners.run.storage import make_dirs

    if not discover(source):
        others = other_endings(source)
        found = f"{describe_endings(others)} and no input" if others else "no file (hidden files and folders are not inputs)"
        endings = INPUT_ENDINGS
        raise SourceError(f"nothing to read under {' '.join(source)}: {found}; inputs end in {endings} (or .gz)")
    if not out.strip():
        raise SourceError("--out is empty: name the folder that receives the run folder")
    try:
        make_dirs(out)
    except (OSError, ValueError, ImportError) as exc:  # an existing file, no permission, unknown protocol
        raise SourceError(f"--out {out!r} cannot be used as a folder: {exc}") from exc
    if "://" not in out and not os.access(out, os.W_OK):
        raise SourceError(f"--out {out!r} is not writable")


def _check_scheduler(address: str | None) -> None:
    """A --dask-address where no scheduler answers, caught in seconds (Dask's own connect
    timeout is 30 s, then a traceback). Raised as a SourceError: one more thing the command
    line names that is not there. Imports Dask (and Prefect) only when an address is given."""
    if not address:
        return
    from cleaners.inputs.discovery import SourceError
    from flows.runners import SchedulerUnreachable, check_scheduler

    try:
        check_scheduler(address)
    except SchedulerUnreachable as exc:
        raise SourceError(str(exc)) from exc


def _print_summary(result: dict) -> None:
    from cleaners.run.manifest import summary_table

    table = Table(title="newsclean run summary")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for row in summary_table(result["manifest"]):
        table.add_row(row["figure"], str(row["value"]))
    Console().print(table)
    if line := _skipped_line(result["manifest"]):
        Console().print(line, highlight=False)
    Console().print(f"run folder: {result['run_dir']}")


def _skipped_line(manifest: dict) -> str | None:
    """"12 inputs skipped (unchanged 5, not_document 4, ...): see skipped.jsonl; --full
    cleans unchanged inputs again", the reasons most frequent first (None: none skipped)."""
    skipped = manifest["counts"]["skipped"]
    if not skipped:
        return None
    reasons = sorted((manifest.get("skip_reasons") or {}).items(), key=lambda item: (-item[1], item[0]))
    listed = f" ({', '.join(f'{reason} {n}' for reason, n in reasons)})" if reasons else ""
    again = "; --full cleans unchanged inputs again" if dict(reasons).get("unchanged") else ""
    return f"{skipped} input{'s' if skipped != 1 else ''} skipped{listed}: see skipped.jsonl{again}"


@app.command(cls=_Command)
def report(
    run_dir: str = typer.Argument(..., help="A run folder (holding manifest.json): a local path or an fsspec URL."),
    out: Optional[str] = typer.Option(None, "--out", "-o", help="HTML file to write, or a folder to write report.html into (default: RUN_DIR/report.html)."),
) -> None:
    """Write a self-contained HTML review page for a run: what was removed and why."""
    from cleaners.run.report import ReportError, write_report

    try:
        path = write_report(run_dir, out)
    except ReportError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2)
    Console().print(f"report: {path}")


@app.command(cls=_Command)
def schema() -> None:
    """Print the JSON Schema of an output record."""
    from cleaners.record import render_schema

    sys.stdout.write(render_schema())


def main() -> None:
    try:
        app()
    finally:
        # At exit the interpreter's garbage collections walk every object that Prefect, Dask
        # and the cleaning steps made (over half a million after a run): 1.5-2 s of a short
        # command. Frozen, those objects are left out of them (gc.freeze); atexit handlers and
        # reference counting run as before, and the system takes back the memory.
        gc.freeze()


if __name__ == "__main__":
    main()
