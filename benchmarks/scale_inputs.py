"""Costs that grow with what a nightly job accumulates, measured on files made here.

* ``ledger``: a ledger of ``--entries`` past inputs (one finished run), read for a run of
  1,000 documents of which 500 are in it. The run needs only its own documents' entries
  (``wanted``); reading the whole map is what a run did before. Time and peak RSS of each.
* ``skips``: a nightly run whose ``--entries`` documents were all cleaned before: the plan
  and ``skipped.jsonl``. Each skip written as the plan finds it (now), against every skip
  held as an object and a dict, then joined into one string and written (what the flow did).
* ``warc``: a WARC.gz of ``--pages`` bench pages (a request record before each response,
  one gzip member per record, as crawlers write them), split in parts of ``--part-size``
  documents. Time of the split and of reading every part, as the scan and the cleaning
  pass each do: each part decompressing the file up to its start (as before), then each
  part starting to decompress at its first record's gzip member.
* ``jsonl-gz``: a JSONL export of ``--pages`` bench pages (``{url, html}`` rows) gzipped
  whole, one deflate stream, split and read the same way: each part decompressing the file
  up to its start (as before), then each part starting at its access point.

Each measurement runs in a fresh process, so the peak RSS is its own.

    .venv/bin/python benchmarks/scale_inputs.py ledger --entries 1000000
    .venv/bin/python benchmarks/scale_inputs.py skips --entries 1000000
    .venv/bin/python benchmarks/scale_inputs.py warc --pages 4000 --part-size 250
    .venv/bin/python benchmarks/scale_inputs.py jsonl-gz --pages 4000 --part-size 250
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import hashlib
import io
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cleaners.config import InputOptions  # noqa: E402
from cleaners.inputs.files import read_documents, split_container  # noqa: E402
from cleaners.run.ledger import Entry, Seen, load, plan, render  # noqa: E402
from cleaners.run.storage import AtomicWriter, jsonl_row, write_atomic  # noqa: E402
from throughput import bench_rows  # noqa: E402  (this folder is on the path: run as a script)

CONFIG_HASH = "c" * 64


def digest(i: int) -> str:
    return hashlib.sha256(str(i).encode()).hexdigest()


def write_ledger(root: Path, entries: int) -> None:
    (root / "runs").mkdir(parents=True)
    with open(root / "runs" / "run-1.jsonl", "w", encoding="utf-8") as out:
        for start in range(0, entries, 10_000):
            out.write(render(
                Entry(digest(i), CONFIG_HASH, f"/crawl/day-{i // 10_000}/{i}.html", None, "record", "run-1", "documents-00000.jsonl")
                for i in range(start, min(entries, start + 10_000))
            ))


def measure_ledger(root: Path, entries: int, whole: bool) -> dict:
    wanted = {digest(i) for i in range(entries - 500, entries + 500)}
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    seen = load(str(root), CONFIG_HASH) if whole else load(str(root), CONFIG_HASH, wanted=wanted)
    return {"read": "whole map" if whole else "the run's hashes", "entries kept": len(seen),
            "seconds": round(time.perf_counter() - started, 2),
            "peak RSS added MB": round((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)}


def measure_skips(folder: Path, entries: int, held: bool) -> dict:
    documents = [(f"/crawl/day-{i // 10_000}/{i}.html", None, digest(i)) for i in range(entries)]
    seen = {d: Seen("run-1", uri) for uri, _, d in documents}
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    if held:
        skips: list = []
        plan(documents, seen, None, skips.append)
        rows = [skip.model_dump(mode="json") for skip in skips]
        write_atomic(str(folder / "skipped.jsonl"), "".join(map(jsonl_row, rows)))
    else:
        with AtomicWriter(str(folder / "skipped.jsonl")) as out:
            plan(documents, seen, None, lambda skip: out.write(jsonl_row(skip.model_dump(mode="json"))))
    return {"skips": "held, then written" if held else "written as found", "documents": entries,
            "seconds": round(time.perf_counter() - started, 1),
            "peak RSS added MB": round((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)}


def write_warc(path: Path, pages: int) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    rows = list(bench_rows())
    rng = random.Random(1)
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        for i in range(pages):
            row = rng.choice(rows)
            url = (row["url"] or "https://example.org/page") + f"?copy={i}"
            request = StatusAndHeaders("GET / HTTP/1.1", [("Host", "example.org")], is_http_request=True)
            writer.write_record(writer.create_warc_record(url, "request", http_headers=request, payload=io.BytesIO(b"")))
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            body = io.BytesIO((row["html"] + f"<!-- {i} -->").encode("utf-8"))
            writer.write_record(writer.create_warc_record(url, "response", http_headers=headers, payload=body))


def write_jsonl_gz(path: Path, pages: int) -> None:
    rows = list(bench_rows())
    rng = random.Random(1)
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=6) as out:
        for i in range(pages):
            row = rng.choice(rows)
            out.write(json.dumps({"url": (row["url"] or "https://example.org/page") + f"?copy={i}", "html": row["html"] + f"<!-- {i} -->"}) + "\n")


def measure_parts(path: Path, part_size: int, from_start: bool) -> dict:
    """The split, then every part read once; ``from_start``: without the parts' seek aids."""
    options, limit = InputOptions(), 5_000_000
    started = time.perf_counter()
    parts = split_container(str(path), options, limit, part_size)
    split = time.perf_counter() - started
    aided = sum(part.raw_offset is not None or part.gzip_index is not None for part, _ in parts)
    if from_start:
        parts = [(dataclasses.replace(part, raw_offset=None, gzip_index=None), n) for part, n in parts]
    reads = []
    for part, _ in parts:
        started = time.perf_counter()
        for _ in read_documents(str(path), options, limit, part):
            pass
        reads.append(time.perf_counter() - started)
    return {"parts": len(parts), "compressed MB": round(path.stat().st_size / 1e6),
            "decompressing": "from the file's start" if from_start else f"from the part's member or access point ({aided} parts)",
            "split seconds": round(split, 1), "all parts seconds": round(sum(reads), 1),
            "last part seconds": round(reads[-1], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["ledger", "skips", "warc", "jsonl-gz"])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--pages", type=int, default=4000)
    parser.add_argument("--part-size", type=int, default=250)
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the child process's work: a file to measure
    parser.add_argument("--whole", action="store_true", help=argparse.SUPPRESS)  # ledger: the whole map; skips: held
    parser.add_argument("--from-start", action="store_true", help=argparse.SUPPRESS)  # warc, jsonl-gz: as before
    args = parser.parse_args()
    if args.measure:
        target = Path(args.measure)
        if args.what == "ledger":
            result = measure_ledger(target, args.entries, args.whole)
        elif args.what == "skips":
            result = measure_skips(target, args.entries, args.whole)
        else:
            result = measure_parts(target, args.part_size, args.from_start)
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / {"ledger": "ledger", "skips": "run", "warc": "crawl.warc.gz", "jsonl-gz": "export.jsonl.gz"}[args.what]
        if args.what == "ledger":
            write_ledger(target, args.entries)
        elif args.what == "warc":
            write_warc(target, args.pages)
        elif args.what == "jsonl-gz":
            write_jsonl_gz(target, args.pages)
        for extra in ([["--from-start"], []] if args.what in ("warc", "jsonl-gz") else [["--whole"], []]):
            command = [sys.executable, __file__, args.what, "--measure", str(target), "--entries", str(args.entries),
                       "--part-size", str(args.part_size), *extra]
            print(subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
