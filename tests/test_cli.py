"""The command line, as a user runs it: --help, and the README's run command end to end."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app

from .conftest import ROOT, SEEDS, article_html

NOISE = ("Traceback", "database is locked", "Error flushing events")


def test_help_documents_every_command():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("clean", "schema"):
        assert command in result.output
    clean_help = CliRunner().invoke(app, ["clean", "--help"])
    for option in ("--out", "--config", "--shard-size", "SOURCE"):
        assert option in clean_help.output


def _option_row(help_text: str, option: str) -> str:
    """The row of the options panel that starts with ``option``."""
    (row,) = [line for line in help_text.splitlines() if line.strip("│ ").startswith(option + " ")]
    return row


def test_clean_help_shows_flags_as_flags_and_lists_the_inputs():
    """typer 0.29 printed every flag with a value type ("--full <bool>", "--help <bool>"),
    as if it took a value. The help also names every input ending the reader accepts
    (cleaners.inputs.discovery, so a new format shows up here) and gives two examples."""
    import re

    from cleaners.inputs.discovery import INPUT_SUFFIXES

    result = CliRunner().invoke(app, ["clean", "--help"])
    assert result.exit_code == 0, result.output
    for flag in ("--full", "--report", "--verbose", "--help"):
        assert "<" not in _option_row(result.output, flag), _option_row(result.output, flag)
    assert "<str>" in _option_row(result.output, "--out") and "<int" in _option_row(result.output, "--workers")
    assert "<" not in _option_row(CliRunner().invoke(app, ["--help"]).output, "--version")

    text = " ".join(result.output.split())
    inputs = text[text.index("Inputs") : text.index("Examples:")]
    endings = {suffix.removesuffix(".gz") for suffix in INPUT_SUFFIXES}
    assert endings <= set(re.findall(r"\.[a-z0-9]+", inputs)), endings - set(re.findall(r"\.[a-z0-9]+", inputs))
    assert {".csv", ".tsv", ".parquet", ".xhtml", ".arc", ".text"} <= set(re.findall(r"\.[a-z0-9]+", inputs))
    assert ".gz" in inputs and "except Parquet" in inputs and "WET" in inputs
    assert "newsclean clean seeds --out output" in text
    assert "newsclean clean 's3://bucket/crawl/*.warc.gz' \\ --strictness aggressive --workers 4" in text
    assert "text, html, jsonl, warc, csv, tsv or parquet" in " ".join(result.output.replace("│", " ").split())  # --format's help


def test_format_accepts_the_new_formats_and_names_them_when_refusing(tmp_path):
    from flows.cli import INPUT_FORMATS

    assert {"csv", "tsv", "parquet"} <= set(INPUT_FORMATS)
    result = CliRunner().invoke(app, ["clean", str(SEEDS), "--out", str(tmp_path / "out"), "--format", "xml"])
    assert result.exit_code == 2
    assert "--format must be one of auto, text, html, jsonl, warc, csv, tsv, parquet, not 'xml'" in " ".join(result.output.split())


def test_the_summary_counts_skipped_inputs_by_reason():
    from flows.cli import _skipped_line

    manifest = {"counts": {"skipped": 12}, "skip_reasons": {"redirect": 2, "unchanged": 5, "unsupported_format": 1, "not_document": 4}}
    assert _skipped_line(manifest) == (
        "12 inputs skipped (unchanged 5, not_document 4, redirect 2, unsupported_format 1): see skipped.jsonl; --full cleans unchanged inputs again"
    )
    assert _skipped_line({"counts": {"skipped": 1}, "skip_reasons": {"duplicate": 1}}) == "1 input skipped (duplicate 1): see skipped.jsonl"
    assert _skipped_line({"counts": {"skipped": 0}, "skip_reasons": {}}) is None


#: case -> files in the working folder, environment variables
API_URL_SOURCES = {
    "nothing": ({}, {}),
    "prefect.toml": ({"prefect.toml": '[api]\nurl = "http://toml:1/api"\n'}, {}),
    "pyproject.toml": ({"pyproject.toml": '[tool.prefect.api]\nurl = "http://pyproject:1/api"\n'}, {}),
    "prefect.toml over pyproject.toml": (
        {"prefect.toml": '[api]\nurl = "http://toml:1/api"\n', "pyproject.toml": '[tool.prefect.api]\nurl = "http://pyproject:1/api"\n'}, {}
    ),
    ".env over prefect.toml": ({".env": "PREFECT_API_URL=http://dotenv:1/api\n", "prefect.toml": '[api]\nurl = "http://toml:1/api"\n'}, {}),
    "active profile": ({"profiles.toml": 'active = "a"\n[profiles.a]\nPREFECT_API_URL = "http://a:1/api"\n[profiles.b]\nPREFECT_API_URL = "http://b:1/api"\n'}, {}),
    "PREFECT_PROFILE": ({"profiles.toml": 'active = "a"\n[profiles.a]\nPREFECT_API_URL = "http://a:1/api"\n[profiles.b]\nPREFECT_API_URL = "http://b:1/api"\n'}, {"PREFECT_PROFILE": "b"}),
    "prefect.toml over the profile": (
        {"prefect.toml": '[api]\nurl = "http://toml:1/api"\n', "profiles.toml": 'active = "a"\n[profiles.a]\nPREFECT_API_URL = "http://a:1/api"\n'}, {}
    ),
    "environment over all": ({"prefect.toml": '[api]\nurl = "http://toml:1/api"\n', ".env": "PREFECT_API_URL=http://dotenv:1/api\n"}, {"PREFECT_API_URL": "http://env:1/api"}),
}


@pytest.mark.parametrize("case", list(API_URL_SOURCES))
def test_the_early_server_start_reads_the_api_url_as_prefect_does(case, tmp_path, monkeypatch):
    """`newsclean clean` starts the temporary server before it imports Prefect (a second),
    when the URL it reads the way Prefect's settings would does not answer: its reading must
    agree with Prefect's, source by source (else a server starts for nothing, or late)."""
    from prefect.settings import Settings

    files, env = API_URL_SOURCES[case]
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.delenv("PREFECT_PROFILE", raising=False)
    monkeypatch.setenv("PREFECT_PROFILES_PATH", str(tmp_path / "profiles.toml"))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    from flows.temporary_server import api_url_without_prefect as _api_url_without_prefect

    assert _api_url_without_prefect() == Settings().api.url


def test_bad_config_is_refused_before_any_work(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[boilerplate]\nstrictness = 'extreme'\n")
    result = CliRunner().invoke(app, ["clean", str(SEEDS), "--out", str(tmp_path), "--config", str(bad)])
    assert result.exit_code == 2
    assert "strictness" in result.output
    assert list(tmp_path.iterdir()) == [bad]


def test_version_and_a_bad_strictness_answer_at_once(tmp_path):
    from cleaners import __version__

    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"newsclean {__version__}"
    result = CliRunner().invoke(app, ["clean", str(SEEDS), "--out", str(tmp_path / "out"), "--strictness", "extreme"])
    assert result.exit_code == 2 and "--strictness must be one of conservative, balanced, aggressive" in result.output
    assert not (tmp_path / "out").exists()
    assert "--strictness" in CliRunner().invoke(app, ["clean", "--help"]).output
    result = CliRunner().invoke(app, ["clean", str(SEEDS), "--out", str(tmp_path / "out"), "--near-duplicates", "drop"])
    assert result.exit_code == 2 and "--near-duplicates must be one of mark, skip, off" in result.output
    assert not (tmp_path / "out").exists()


#: case -> (arguments after `clean`, with {tmp} for the test's folder; what the error says)
PATH_MISTAKES = {
    "empty source": (["", "--out", "{tmp}/out"], "empty source"),
    "missing source": (["{tmp}/nowhere", "--out", "{tmp}/out"], "not found"),
    "unknown protocol": (["foo://bucket/news", "--out", "{tmp}/out"], "Protocol not known"),
    "empty --out": ([str(SEEDS), "--out", ""], "--out is empty"),
    "--out is a file": ([str(SEEDS), "--out", "{tmp}/a-file"], "cannot be used as a folder"),
    "config is a folder": ([str(SEEDS), "--out", "{tmp}/out", "--config", "{tmp}"], "cannot be read"),
}


@pytest.mark.parametrize("case", list(PATH_MISTAKES))
def test_path_mistakes_are_one_line_errors_before_any_work(case, tmp_path):
    """Caught in a second, before Prefect starts, with one line naming the problem (they were
    tracebacks after 15-50 s; an empty --out put the run folder at the filesystem root, and an
    empty source cleaned the working directory). Found by a helper probing the CLI."""
    (tmp_path / "a-file").write_text("x")
    args, message = PATH_MISTAKES[case]
    result = CliRunner().invoke(app, ["clean", *(a.format(tmp=tmp_path) for a in args)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.output.startswith("error:")
    assert message in " ".join(result.output.split())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]  # nothing written


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_dask_address_without_a_scheduler_is_a_one_line_error(tmp_path):
    """It was Dask's 30-second connect timeout, then a traceback, with a run folder made."""
    address = f"tcp://127.0.0.1:{closed_port()}"
    result = CliRunner().invoke(app, ["clean", str(SEEDS), "--out", str(tmp_path / "out"), "--dask-address", address])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.output.startswith("error: no Dask scheduler answers at " + address)
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_a_folder_with_nothing_to_read_is_refused_at_once_and_says_what_it_holds(tmp_path):
    """A folder of PDFs and images was "no input files" after a 44 s server start, exit 0.
    Now the command stops before any server starts, naming the endings it found; hidden
    files and folders are not inputs and not counted."""
    incoming = tmp_path / "incoming"
    (incoming / ".cache").mkdir(parents=True)
    (incoming / ".cache" / "page.html").write_text("<p>hidden folders are not inputs</p>")
    for name in ("a.pdf", "b.pdf", "c.PDF", "scan.png", "photo.jpg", "README"):
        (incoming / name).write_bytes(b"%PDF-1.4 or an image")
    result = CliRunner().invoke(app, ["clean", str(incoming), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert "6 files of other endings (.pdf 3, (no ending) 1, .jpg 1, .png 1) and no input" in message
    assert ".txt" in message and ".warc" in message
    assert not (tmp_path / "out").exists()
    (incoming / "a.pdf").unlink()
    for name in ("b.pdf", "c.PDF", "scan.png", "photo.jpg", "README"):
        (incoming / name).unlink()
    result = CliRunner().invoke(app, ["clean", str(incoming), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "no file (hidden files and folders are not inputs)" in " ".join(result.output.split())


def test_the_flow_on_an_empty_folder_is_a_run_of_nothing(prefect_server, tmp_path):
    """A deployment's nightly folder may have received nothing: the flow itself (no CLI)
    makes a run of nothing, with a warning in the flow run's logs."""
    from flows.clean_corpus import clean_corpus

    (tmp_path / "incoming").mkdir()
    manifest = clean_corpus(source=str(tmp_path / "incoming"), output=str(tmp_path / "out"))["manifest"]
    assert manifest["counts"] == {"inputs": 0, "records": 0, "rejects": 0, "skipped": 0}


def test_a_shard_size_over_the_flows_limit_is_refused_by_the_cli(tmp_path):
    """typer's own range check, in its error box (the flow refused it 15-30 s later)."""
    result = CliRunner().invoke(app, ["clean", str(SEEDS), "--out", str(tmp_path / "out"), "--shard-size", "2000000"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "1000000" in result.output


@pytest.mark.prefect
def test_run_command_without_a_server_ends_cleanly(tmp_path):
    """`newsclean clean` when the configured server is not running: a temporary server, quiet exit.

    120+ task runs: enough that the temporary server, stopped at exit, used to print
    "Error flushing events" tracebacks from its task-run recorder.
    """
    many = tmp_path / "many"
    many.mkdir()
    seed = (SEEDS / "002_625579a92e5a1402.txt").read_text(encoding="utf-8")
    for i in range(60):
        (many / f"copy-{i:02d}.txt").write_text(f"{seed}\nVariant {i} of the related list.", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")  # a new database: the call creates and migrates it
    env["PREFECT_API_URL"] = "http://127.0.0.1:9/api"  # as prefect.toml's URL is before `prefect server start`
    env["NEWSCLEAN_TEST_MARK"] = mark = str(tmp_path)  # inherited by the server process the command starts
    out = tmp_path / "output"
    cli = Path(sys.executable).parent / "newsclean"
    proc = subprocess.run(
        [str(cli), "clean", "seeds", str(many), "--out", str(out), "--shard-size", "1", "--report"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert servers_of(mark) == []  # the command's temporary server ended with it
    for noise in NOISE:
        assert noise not in proc.stdout + proc.stderr
    assert "run folder:" in proc.stdout and "records" in proc.stdout
    assert "no Prefect server at http://127.0.0.1:9/api; using a temporary local one" in " ".join(proc.stderr.split())
    (run_dir,) = out.glob("run-*")
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["counts"] == {"inputs": 65, "records": 65, "rejects": 0, "skipped": 0}
    assert len(manifest["shards"]) == 65
    assert str(run_dir) in proc.stdout.replace("\n", "")
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    assert page.lower().startswith("<!doctype html>") and "Help keep items like this free" in page
    # The run is recorded in the new database, which the server started early had migrated.
    with closing(sqlite3.connect(tmp_path / "prefect-home" / "prefect.db")) as db:
        assert db.execute("select version_num from alembic_version").fetchall()
        (flow_run_id,) = manifest["flow_run_ids"]
        state = db.execute("select state_type from flow_run where id = ?", (flow_run_id,)).fetchone()
        assert state == ("COMPLETED",)


def servers_of(mark: str) -> list[int]:
    """Prefect server processes with NEWSCLEAN_TEST_MARK=mark in their environment."""
    import psutil

    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        try:
            if "prefect.server.api.server:create_app" in " ".join(proc.info["cmdline"] or ()) and proc.environ().get("NEWSCLEAN_TEST_MARK") == mark:
                found.append(proc.pid)
        except psutil.Error:
            pass
    return found


def test_the_cli_runs_on_a_local_dask_cluster(prefect_server, tmp_path):
    """`newsclean clean --workers 2` with its progress display. The CLI's per-document
    progress callback (64eb926) was sent to the workers with the task and could not be
    pickled: every --workers run failed ("cannot pickle '_thread.lock' object"), and no
    test ran the CLI on Dask. A JSONL file of 6 rows is split over 3 of the shards; an
    HTML page is extracted in a worker's extraction subprocess."""
    src = tmp_path / "in"
    src.mkdir()
    for seed in sorted(SEEDS.glob("*.txt"))[:2]:
        (src / seed.name).write_bytes(seed.read_bytes())
    text = (SEEDS / "004_40f3c241e9d272e8.txt").read_text(encoding="utf-8")
    rows = [json.dumps({"url": f"https://example.org/{i}", "text": f"{text}\nLine {i}."}) for i in range(6)]
    (src / "export.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (src / "page.html").write_text(article_html(text, title="A page extracted on a worker"), encoding="utf-8")
    result = CliRunner().invoke(app, ["clean", str(src), "--out", str(tmp_path / "out"), "--workers", "2", "--shard-size", "2"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "splitting" in result.output and "1/1 files" in result.output  # the JSONL file, counted
    (manifest,) = (tmp_path / "out").glob("run-*/manifest.json")
    figures = json.loads(manifest.read_text())
    assert figures["counts"] == {"inputs": 9, "records": 9, "rejects": 0, "skipped": 0}
    assert [s["records"] for s in figures["shards"]] == [2, 2, 2, 2, 1]
    (html,) = [json.loads(line) for f in manifest.parent.glob("documents-*.jsonl") for line in f.read_text().splitlines() if '"format":"html"' in line]
    assert html["metadata"]["title"] == "A page extracted on a worker" and html["source"]["extractor"]
