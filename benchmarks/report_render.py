"""How long the review report takes, and how big it gets, for a 10,000-document run.

Builds a synthetic run folder by replicating the seeds run: every seed input is copied
N/5 times under 20 source folders (so the report really reads 10,000 files and has
hosts to filter by), and each copy gets the seed's record with its own URI. The seeds
are cleaned in-process with :mod:`cleaners.run.shards` (no Prefect server needed), unless
``--run`` names an existing seeds run folder.

    .venv/bin/python benchmarks/report_render.py [--docs 10000] [--run RUN_DIR] [--browser]

Prints the time of ``write_report`` and the file size; ``--browser`` also times headless
Chromium loading the page and rendering its first page of documents.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cleaners import storage  # noqa: E402
from cleaners.run import shards as batch
from cleaners.run.folders import RunContext
from cleaners.config import load_config  # noqa: E402
from cleaners.pipeline import RunInfo  # noqa: E402
from cleaners.run.report import write_report  # noqa: E402
from cleaners.inputs.discovery import discover, uris  # noqa: E402

HOSTS = 20
SHARD_SIZE = 500


def seed_records(run_dir: Path | None, scratch: Path) -> list[dict]:
    """The seeds' records: from an existing run folder, or cleaned here without Prefect."""
    if run_dir is None:
        seeds = uris(discover(str(ROOT / "seeds")))
        profile = batch.profile_shard(seeds)
        run_dir = scratch / "seeds-run"
        storage.make_dirs(str(run_dir))
        run = RunInfo(load_config(None).config_hash(), None, "2024-01-01T00:00:00+00:00")
        batch.clean_shard(0, seeds, RunContext.direct(str(run_dir), load_config(None), run), profile)
    lines = [line for shard in sorted(run_dir.glob("documents-*.jsonl")) for line in shard.read_text(encoding="utf-8").splitlines()]
    return [json.loads(line) for line in lines if line.strip()]


def synthetic_run(records: list[dict], docs: int, folder: Path) -> Path:
    """A run folder of ``docs`` records, each pointing at its own copy of a seed input."""
    run = folder / "run"
    run.mkdir(parents=True)
    shards: list[list[str]] = [[]]
    chars_in = chars_out = 0
    removals: dict[str, int] = {}
    for i in range(docs):
        record = json.loads(json.dumps(records[i % len(records)]))
        source = Path(record["source"]["uri"])
        copy = folder / "inputs" / f"site-{i % HOSTS:02d}.example" / f"{i:05d}_{source.name}"
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, copy)
        record["source"]["uri"] = str(copy)
        if len(shards[-1]) == SHARD_SIZE:
            shards.append([])
        shards[-1].append(json.dumps(record, ensure_ascii=False))
        chars_in, chars_out = chars_in + record["stats"]["chars_in"], chars_out + record["stats"]["chars_out"]
        for r in record["removed"]:
            removals[r["category"]] = removals.get(r["category"], 0) + 1
    for n, lines in enumerate(shards):
        (run / f"documents-{n:05d}.jsonl").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    (run / "rejects.jsonl").write_text("", encoding="utf-8")
    manifest = {
        "run_id": "run-benchmark",
        "counts": {"inputs": docs, "records": docs, "rejects": 0},
        "chars": {"in": chars_in, "out": chars_out},
        "removals": dict(sorted(removals.items())),
        "languages": {"en": docs},
        "reject_reasons": {},
        "sources": [str(folder / "inputs")],
    }
    (run / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return run


def time_browser(page: Path, scratch: Path) -> float:
    """Seconds from navigation until the first page of documents is rendered (the page's
    own ``performance.now()`` probe; the wall time of ``--dump-dom`` would mostly measure
    serialising the embedded data back out)."""
    cmd = [
        shutil.which("chromium") or "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={scratch / 'profile'}", "--dump-dom", page.as_uri(),
    ]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=True).stdout
    body = re.search(r"<body[^>]*>", dom)
    rendered = re.search(r'data-rendered-ms="(\d+)"', body.group(0)) if body else None
    if not rendered or 'data-js-ok="1"' not in body.group(0):
        raise SystemExit("the page's script did not finish rendering")
    return int(rendered.group(1)) / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--run", type=Path, default=None, help="an existing seeds run folder")
    parser.add_argument("--browser", action="store_true", help="also time headless Chromium")
    parser.add_argument("--keep", action="store_true", help="keep the synthetic run folder")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="newsclean-report-bench-"))
    try:
        run = synthetic_run(seed_records(args.run, scratch), args.docs, scratch)
        start = time.perf_counter()
        page = Path(write_report(run))
        elapsed = time.perf_counter() - start
        size = page.stat().st_size
        inputs = sum(p.stat().st_size for p in (scratch / "inputs").rglob("*.txt"))
        print(f"documents       {args.docs:,}")
        print(f"write_report    {elapsed:.2f} s ({1000 * elapsed / args.docs:.2f} ms per document)")
        print(f"report.html     {size / 1e6:.1f} MB ({size / args.docs / 1000:.1f} kB per document; inputs total {inputs / 1e6:.1f} MB)")
        if args.browser:
            print(f"chromium        {time_browser(page, scratch):.2f} s from navigation to the first 50 documents rendered")
        if args.keep:
            print(f"kept            {run}")
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
