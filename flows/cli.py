"""``newsclean`` command line: runs the ``clean-corpus`` flow with a progress bar.

Prefect's own console logging is lowered to WARNING by default (``--verbose`` restores
it) so the progress bar stays readable; the flow's logs still reach the Prefect server
and UI. The run is recorded on the server that ``PREFECT_API_URL`` (or the repository's
``prefect.toml``) names when it answers; when none is configured or it does not answer,
Prefect's temporary local server is used, so ``newsclean clean`` works with no server.
"""

from __future__ import annotations

import os
import socket
import sys
from contextlib import nullcontext
from urllib.parse import urlsplit
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(
    name="newsclean",
    help="Clean scraped news articles into audited JSONL (one record per document, every removal explained).",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)
INPUT_FORMATS = ("auto", "text", "html", "jsonl", "warc")


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


def _server_answers(url: str, timeout: float = 1.0) -> bool:
    """Whether anything listens at the host and port of ``url`` (a TCP connect, no request)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def _server_context(verbose: bool = False):
    """Use the configured Prefect server if it is up, else a temporary one (with a note)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    url = PREFECT_API_URL.value()
    if url and _server_answers(url):
        return nullcontext()
    if not verbose:
        _silence_temporary_server()
    if not url:
        return nullcontext()  # Prefect starts its temporary server by itself
    console.print(f"[yellow]note:[/yellow] no Prefect server at {url}; using a temporary local one for this run.")
    return temporary_settings(restore_defaults={PREFECT_API_URL})


def _silence_temporary_server() -> None:
    """Turn off the console of Prefect's temporary server (a subprocess that inherits this
    environment when it starts). Stopped at exit, it sometimes still logs a SQLAlchemy
    "Exception during reset or similar" traceback despite the root level set above. This
    process configured its logging already, so its own warnings still show."""
    from prefect.logging.configuration import ensure_logging_setup

    ensure_logging_setup()
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")


@app.command()
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
        None, "--format", help="Read every input as text, html, jsonl or warc (default: by file name ending, .gz or not, else by content)."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show Prefect's logs on the terminal."),
) -> None:
    """Clean SOURCE... into a new run folder under --out, through the clean-corpus flow."""
    _quiet_prefect(verbose)
    from cleaners.config import ConfigError, load_config
    from cleaners.sources import SourceError

    if input_format is not None and input_format not in INPUT_FORMATS:
        console.print(f"[red]error:[/red] --format must be one of {', '.join(INPUT_FORMATS)}, not {input_format!r}")
        raise typer.Exit(2)
    try:
        load_config(config)  # fail before starting Prefect on a bad config file
        _check_scheduler(dask_address)  # before _check_paths, which makes the --out folder
        _check_paths(source, out)
    except (ConfigError, SourceError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2)

    from flows import clean_corpus as flow_module

    with Progress(
        TextColumn("[bold]{task.description:8s}"), BarColumn(), MofNCompleteColumn(), TextColumn("shards"),
        TextColumn("{task.fields[detail]}"), TimeElapsedColumn(),
        console=console, transient=False,
    ) as progress:
        bars: dict[str, int] = {}
        totals = {"records": 0, "rejects": 0}

        def follow(phase: str, done: int, total: int, summary) -> None:
            if phase not in bars:
                label = "scanning" if phase == "scan" else "cleaning"
                bars[phase] = progress.add_task(label, total=total, detail="")
            if summary is not None:
                totals["records"] += summary.records
                totals["rejects"] += len(summary.rejects)
            detail = "hashing, run-wide counts" if phase == "scan" else f"{totals['records']} records, {totals['rejects']} rejects"
            progress.update(bars[phase], completed=done, total=total, detail=detail)

        flow_module.progress_hook = follow
        try:
            with _server_context(verbose):
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
                )
        except SourceError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2)
        finally:
            flow_module.progress_hook = None
    _print_summary(result)


def _check_paths(source: List[str], out: str) -> None:
    """The mistakes a user makes with paths, caught in a second instead of after Prefect has
    started: a source that names nothing (or an unknown protocol), an empty --out (the run
    folder would go to the filesystem's root), an --out that cannot be a folder."""
    from cleaners.sources import SourceError, discover
    from cleaners.storage import make_dirs

    discover(source)
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
    from cleaners.sources import SourceError
    from flows.runners import SchedulerUnreachable, check_scheduler

    try:
        check_scheduler(address)
    except SchedulerUnreachable as exc:
        raise SourceError(str(exc)) from exc


def _print_summary(result: dict) -> None:
    from cleaners.manifest import summary_table

    table = Table(title="newsclean run summary")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for row in summary_table(result["manifest"]):
        table.add_row(row["figure"], str(row["value"]))
    Console().print(table)
    counts = result["manifest"]["counts"]
    if not counts["inputs"]:  # a successful run of nothing: most likely the wrong folder
        sources = ", ".join(map(str, result["manifest"].get("sources", [])))
        Console().print(f"[yellow]warning:[/yellow] no input files under {sources} (hidden files and folders are not inputs)")
    skipped = counts["skipped"]
    if skipped:
        Console().print(f"{skipped} inputs skipped: cleaned before with this config, or duplicates (skipped.jsonl; --full cleans everything)")
    Console().print(f"run folder: {result['run_dir']}")


@app.command()
def report(
    run_dir: str = typer.Argument(..., help="A run folder (holding manifest.json): a local path or an fsspec URL."),
    out: Optional[str] = typer.Option(None, "--out", "-o", help="HTML file to write, or a folder to write report.html into (default: RUN_DIR/report.html)."),
) -> None:
    """Write a self-contained HTML review page for a run: what was removed and why."""
    from cleaners.report import ReportError, write_report

    try:
        path = write_report(run_dir, out)
    except ReportError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2)
    Console().print(f"report: {path}")


@app.command()
def schema() -> None:
    """Print the JSON Schema of an output record."""
    from cleaners.record import render_schema

    sys.stdout.write(render_schema())


def main() -> None:
    app()


if __name__ == "__main__":
    main()
