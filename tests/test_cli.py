"""The command line, as a user runs it: --help, and the README's run command end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    env["PREFECT_API_URL"] = "http://127.0.0.1:9/api"  # as prefect.toml's URL is before `prefect server start`
    out = tmp_path / "output"
    cli = Path(sys.executable).parent / "newsclean"
    proc = subprocess.run(
        [str(cli), "clean", "seeds", str(many), "--out", str(out), "--shard-size", "1", "--report"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
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
