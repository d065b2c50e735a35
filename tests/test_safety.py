"""Safety: hostile names stay data, config files are data, cleaning makes no network calls."""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path

import pytest

from cleaners.config import ConfigError, load_config

from .conftest import SEEDS, article_html

ARTICLE = (SEEDS / "000_c1532a8820d5ae7f.txt").read_text(encoding="utf-8")


def test_hostile_names_in_inputs_never_become_output_paths(prefect_server, tmp_path):
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from flows.clean_corpus import clean_corpus

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    rows = [
        {"id": "../../../escaped", "url": "../../../etc/passwd", "text": ARTICLE},
        {"id": "/tmp/absolute", "url": "file:///etc/shadow", "text": ARTICLE + "\nOne more line.", "name": "../x.jsonl"},
    ]
    (src / "export.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=False)
    headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
    html = article_html(ARTICLE)
    writer.write_record(writer.create_warc_record("https://evil.example/../../../../tmp/warc-escape", "response", payload=io.BytesIO(html.encode()), http_headers=headers))
    (src / "crawl.warc").write_bytes(buffer.getvalue())
    (src / "name; rm -rf $(x) `y`.txt").write_text(ARTICLE + "\nA third variant.", encoding="utf-8")

    before = set(tmp_path.parent.iterdir())
    result = clean_corpus(source=str(src), output=str(out))
    assert result["manifest"]["counts"]["records"] == 4
    assert set(tmp_path.parent.iterdir()) == before  # nothing written beside the test folder
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    run_id = result["manifest"]["run_id"]
    assert written == sorted(
        [f"ledger/runs/{run_id}.jsonl", f"ledger/near_duplicates/{run_id}-0000.npz"]
        + [f"{run_id}/{name}" for name in ("documents-00000.jsonl", "manifest.json", "rejects.jsonl", "run.json", "skipped.jsonl")]
    )
    records = [json.loads(line) for f in (out / run_id).glob("documents-*.jsonl") for line in f.read_text().splitlines()]
    assert {r["source"]["url"] for r in records} >= {"../../../etc/passwd", "https://evil.example/../../../../tmp/warc-escape"}  # kept as data


def test_config_files_are_data_only(tmp_path):
    marker = tmp_path / "PWNED"
    bad = tmp_path / "evil.toml"
    bad.write_text(f"[boilerplate]\nstrictness = \"__import__('os').system('touch {marker}')\"\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="strictness"):
        load_config(bad)
    code = tmp_path / "code.toml"
    code.write_text("import os\nos.system('touch PWNED')\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(code)
    assert not marker.exists() and not Path("PWNED").exists()


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to resolve a name or open a connection fails the test."""
    from prefect.logging.handlers import APILogWorker

    # A flow run of an earlier test may still have logs on their way to its loopback Prefect
    # server (sent every few seconds): send them now, so that only cleaning's calls are watched.
    APILogWorker.drain_all()
    attempts: list[str] = []

    def refuse(*args, **kwargs):
        attempts.append(repr(args[:2]))
        raise AssertionError(f"network access attempted: {args[:2]!r}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def test_cleaning_makes_no_network_calls(no_network):
    from cleaners.config import CleanConfig
    from cleaners.inputs.extract import extract_html
    from cleaners.pipeline import InputDocument, RunInfo, clean_document
    from cleaners.record import Record

    config = CleanConfig()
    run = RunInfo(config.config_hash(), processed_at="t")
    for seed in sorted(SEEDS.glob("*.txt")):
        assert isinstance(clean_document(InputDocument(str(seed), seed.read_bytes()), config, run), Record)
    html = article_html(ARTICLE, title="T")
    extraction = extract_html(html, "https://news.example.org/story", time_limit=None)  # in this process, sockets blocked
    assert extraction.text and extraction.metadata["url"] == "https://news.example.org/story"
    assert no_network == []
