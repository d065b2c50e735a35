"""Throughput, orchestration overhead and memory of the text and HTML paths.

Builds a synthetic corpus of N documents per input kind: ``text`` recombines the scraped
texts of ``../shared/bench`` and ``seeds/`` (each document: the paragraphs of one page
followed by the tail of another, so that every document is different), one file each;
``jsonl`` puts the same documents in one JSONL file (a crawler's export: the flow reads it
in parts of ``--shard-size`` rows, so 2 Dask workers share it); ``html`` samples the saved
pages of ``../shared/bench`` (each copy made unique by a comment, so that none is skipped
as a duplicate). Then it measures, each in a fresh subprocess so that peak RSS
is its own:

* ``loop``: the same shard functions the flow calls, in a plain Python loop (the floor);
* ``local``: the ``clean-corpus`` flow on the default runner (one thread);
* ``local-off``: the same without near-duplicate detection (``local`` minus this is its cost);
* ``dask``: the flow on a temporary Dask LocalCluster of 2 worker processes;
* ``trafilatura`` (HTML only): ``trafilatura.extract`` alone over the same pages, the
  reference the HTML path is compared with.

For the flow modes a real ``prefect server start`` runs on loopback for the whole
benchmark (what a production setup has); its start-up is not counted. Reports documents
per second per core, the ratio of each mode to the loop (orchestration overhead), peak
RSS, and the top cleaning steps by time (cProfile of the loop at the smallest N).

    .venv/bin/python benchmarks/throughput.py --n 1000 20000 [--inputs text,jsonl,html] --json benchmarks/results/throughput.json
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import json
import os
import pstats
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT.parent / "shared" / "bench"
STEPS = {
    "decode_bytes": "decode",
    "repair_encoding": "encoding (ftfy)",
    "normalise_spacing": "spacing",
    "classify_blocks": "boilerplate",
    "detect_language": "language (langdetect)",
    "repair_typos": "typos",
    "add_text": "run profile (pass 1)",
    "extract_html": "html extraction (trafilatura)",
    "decode_html": "html decoding",
    "model_dump_json": "record serialisation",
}


def bench_rows() -> Iterator[dict]:
    """Every page of the development benchmark (both files), in file order."""
    for name in ("scrapinghub.jsonl.gz", "wcxb-dev-articles.jsonl.gz"):
        with gzip.open(BENCH / name, "rt", encoding="utf-8") as rows:
            yield from map(json.loads, rows)


def source_texts() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]
    return texts + [row["scraped_text"] for row in bench_rows() if row["scraped_text"].strip()]


def synthetic_texts(n: int, seed: int = 0) -> Iterator[str]:
    """N documents: one page's paragraphs plus the last third of another page's."""
    rng = random.Random(seed)
    texts = source_texts()
    for _ in range(n):
        base, other = rng.choice(texts), rng.choice(texts).split("\n")
        yield base + "\n" + "\n".join(other[2 * len(other) // 3 :])


def build_corpus(n: int, folder: Path, seed: int = 0) -> None:
    """One text file per document."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, text in enumerate(synthetic_texts(n, seed)):
        (folder / f"doc-{i:06d}.txt").write_text(text, encoding="utf-8")


def build_jsonl_corpus(n: int, folder: Path, seed: int = 0) -> None:
    """The same documents as rows of one JSONL file (a crawler's export), read in parts."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "export.jsonl").open("w", encoding="utf-8") as out:
        for i, text in enumerate(synthetic_texts(n, seed)):
            out.write(json.dumps({"url": f"https://example.org/{i}", "text": text}) + "\n")


def build_html_corpus(n: int, folder: Path, seed: int = 0) -> None:
    """N saved pages of the bench, sampled with replacement, each copy unique by a comment."""
    rng = random.Random(seed)
    pages = [row["html"] for row in bench_rows() if row["html"].strip()]
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"page-{i:06d}.html").write_text(rng.choice(pages) + f"\n<!-- copy {i} -->\n", encoding="utf-8")


BUILDERS = {"text": build_corpus, "jsonl": build_jsonl_corpus, "html": build_html_corpus}


# --- modes (run in a child process) ----------------------------------------------------


def run_trafilatura(corpus: str) -> None:
    import trafilatura

    for path in sorted(Path(corpus).glob("*.html")):
        trafilatura.extract(path.read_text(encoding="utf-8"), include_comments=False, deduplicate=False)


def run_loop(corpus: str, out: str, shard_size: int, profile_to: str | None) -> None:
    from cleaners.run import shards as batch
    from cleaners.run.folders import RunContext
    from cleaners.config import CleanConfig
    from cleaners.pipeline import RunInfo
    from cleaners.inputs.discovery import discover, uris

    config = CleanConfig()
    refs = discover(corpus)
    run = RunInfo(config.config_hash(), "loop", "2026-01-01T00:00:00+00:00")
    os.makedirs(out, exist_ok=True)
    profiler = cProfile.Profile() if profile_to else None
    if profiler:
        profiler.enable()
    # the same work as the flow's tasks: split containers, scan (hash + counts), clean, enter in the ledger
    parts = {}
    for files in batch.split_batches(refs, config):
        parts.update(batch.split_files(files, shard_size, config))
    scans = [batch.scan_shard(g, config) for g in batch.group_files(uris(refs), shard_size, config, parts)]
    profile = batch.merge_profiles(scan.profile for scan in scans)
    documents = [(uri, member) for scan in scans for uri, member, _ in scan.documents]
    for i, group in enumerate(batch.group_refs(documents, shard_size)):
        seek = batch.seek_points(group, parts)
        batch.clean_shard(i, group, RunContext.direct(out, config, run, os.path.join(out, "ledger"), "loop"), profile, seek=seek)
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile_to)


def run_flow(corpus: str, out: str, shard_size: int, workers: int, near_duplicates: str | None = None) -> None:
    from flows.clean_corpus import clean_corpus

    clean_corpus(source=corpus, output=out, shard_size=shard_size, workers=workers, full=True, near_duplicates=near_duplicates)


def child(args: argparse.Namespace) -> None:
    from cleaners.steps.typos import english_lexicon

    english_lexicon()  # start-up cost, not per-document cost
    start = time.perf_counter()
    at_start = resource.getrusage(resource.RUSAGE_SELF)
    cpu_at_start = at_start.ru_utime + at_start.ru_stime  # this process only: the local runner's work, not a Dask worker's
    if args.mode == "loop":
        run_loop(args.corpus, args.out, args.shard_size, args.profile_to)
    elif args.mode == "trafilatura":
        run_trafilatura(args.corpus)
    else:  # "local-off": the local runner without near-duplicate detection (its cost is local minus this)
        run_flow(args.corpus, args.out, args.shard_size, 2 if args.mode == "dask" else 0, "off" if args.mode == "local-off" else None)
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak = max(usage.ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print(json.dumps({"seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime - cpu_at_start, "peak_rss_mb": peak / 1024}))


# --- driver ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(home: Path) -> tuple[subprocess.Popen, dict]:
    port = free_port()
    env = dict(os.environ, PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_API_URL=f"http://127.0.0.1:{port}/api", PREFECT_LOGGING_LEVEL="WARNING")
    server = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import urllib.request

    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1)
            return server, env
        except OSError:
            time.sleep(1)
    server.kill()
    raise RuntimeError("prefect server did not start")


def measure(mode: str, corpus: Path, workdir: Path, env: dict, shard_size: int, profile_to: str | None = None) -> dict:
    out = workdir / f"out-{mode}"
    cmd = [sys.executable, __file__, "--child", "--mode", mode, "--corpus", str(corpus), "--out", str(out), "--shard-size", str(shard_size)]
    if profile_to:
        cmd += ["--profile-to", profile_to]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    shutil.rmtree(out, ignore_errors=True)
    return result


def top_steps(profile_path: str, n_docs: int) -> list[dict]:
    stats = pstats.Stats(profile_path).stats  # type: ignore[attr-defined]
    total = {}
    for (filename, _, func), (_, _, _, cumtime, _) in stats.items():
        if func in STEPS and ("cleaners" in filename or func == "model_dump_json"):
            total[STEPS[func]] = total.get(STEPS[func], 0.0) + cumtime
    ranked = sorted(total.items(), key=lambda kv: -kv[1])[:5]
    whole = sum(total.values())
    return [{"step": step, "ms_per_doc": 1000 * t / n_docs, "share": t / whole} for step, t in ranked]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, nargs="+", default=[1000, 20000])
    parser.add_argument("--modes", default="loop,local,dask")
    parser.add_argument("--inputs", default="text", help="comma-separated input kinds: text (a file per document), jsonl (one file), html")
    parser.add_argument("--shard-size", type=int, default=500)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    modes = args.modes.split(",")
    cores = {"loop": 1, "local": 1, "local-off": 1, "dask": 2, "trafilatura": 1}
    results: dict = {"shard_size": args.shard_size, "runs": []}
    with tempfile.TemporaryDirectory(prefix="newsclean-throughput-") as tmp:
        workdir = Path(tmp)
        server, env = start_server(workdir / "prefect-home")
        try:
            for kind in args.inputs.split(","):
                for n in args.n:
                    corpus = workdir / f"corpus-{kind}-{n}"
                    BUILDERS[kind](n, corpus)
                    floor = None
                    if n == min(args.n):  # a separate profiled loop: cProfile slows what it watches
                        measure("loop", corpus, workdir, env, args.shard_size, str(workdir / f"loop-{kind}.prof"))
                        results.setdefault("top_steps", {})[kind] = top_steps(str(workdir / f"loop-{kind}.prof"), n)
                    kind_modes = modes + (["trafilatura"] if kind == "html" and "trafilatura" not in modes else [])
                    for mode in kind_modes:
                        r = measure(mode, corpus, workdir, env, args.shard_size)
                        r.update(inputs=kind, mode=mode, n=n, docs_per_s_per_core=n / r["seconds"] / cores[mode])
                        if mode == "loop":
                            floor = r["seconds"]
                        r["time_vs_loop"] = r["seconds"] / floor if floor else None
                        results["runs"].append(r)
                        print(f"{kind:4s} n={n:6d} {mode:11s} {r['seconds']:8.1f} s ({r['cpu_seconds']:.1f} s CPU)  {r['docs_per_s_per_core']:7.1f} docs/s/core  "
                              f"x{r['time_vs_loop'] or 0:.3f} of loop  peak RSS {r['peak_rss_mb']:.0f} MB", flush=True)
                    shutil.rmtree(corpus)
        finally:
            server.terminate()
            server.wait(timeout=30)
    for kind, steps in results.get("top_steps", {}).items():
        print(f"top steps ({kind}, loop, n={min(args.n)}):")
        for step in steps:
            print(f"  {step['step']:30s} {step['ms_per_doc']:6.2f} ms/doc  {step['share']:.0%}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
