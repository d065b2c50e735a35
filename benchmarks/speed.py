"""Speed of this checkout against an earlier commit, measured in the same run.

A speed figure measured today and one measured last week on a busy machine cannot be
divided; two checkouts measured side by side, in turns, in one run can. This script checks
out the baseline commit (``--baseline``, default: the last commit before the speed work of
issue 38) in a temporary git worktree and measures both checkouts with the same data and
the same Python environment (each run imports its checkout's code through ``PYTHONPATH``):

* **steps**: each cleaning step's milliseconds per document (the pipeline's own
  :class:`~cleaners.steps.StepStats`, not cProfile totals) over the bench's scraped and page
  texts, and ``clean_document`` as a whole;
* **flow**: documents per second per core of the ``clean-corpus`` flow on the default
  (local, one-thread) runner against a real ``prefect server`` on loopback, over a synthetic
  text corpus of ``--n`` documents (``benchmarks/throughput.py`` builds it and runs the
  flow), and its peak RSS;
* **html**: the whole pipeline on ``--html-pages`` saved bench pages against
  ``trafilatura.extract`` alone (default settings) on the same pages, in the same process;
* **records**: ``benchmarks/bench_records.py`` hashes every record of the bench (three
  forms) and the seeds with each checkout, and compares them field by field: a speed-up
  must leave them byte-identical.

    .venv/bin/python benchmarks/speed.py [--baseline REF] [--n 1000 20000] [--html-pages 300] [--skip records,flow,...] [--json benchmarks/results/speed.json]

Numbers are for the machine it runs on; the ratios ("x faster") are what carries over.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

ROOT = Path(__file__).resolve().parent.parent
#: The last commit before issue 38's speed work (the ftfy gate was its first change).
DEFAULT_BASELINE = "a703bba"
TEXT_FORMS = ("scraped_text", "page_text")
PARTS = ("steps", "flow", "html", "records")


# --- measurements, each in a child process that imports one checkout's code -------------


def warm_up(config: object, info: object) -> None:
    """Clean every seed once: loads the dictionaries and models (start-up, not per-document cost)."""
    from cleaners.pipeline import InputDocument, clean_document

    for path in sorted((ROOT / "seeds").glob("*.txt")):
        clean_document(InputDocument(uri=path.name, raw=path.read_bytes(), format="text"), config, info)  # type: ignore[arg-type]


def child_steps(limit: int | None) -> dict:
    """Per-step ms per document over the bench's text forms (after a warm-up document)."""
    from bench_records import documents  # the bench pages as documents, read as for the records' hashes
    from cleaners.config import CleanConfig
    from cleaners.pipeline import RunInfo, StepStats, clean_document

    config = CleanConfig()
    info = RunInfo(config.config_hash(), processed_at="speed")
    docs = [doc for _, doc in documents(TEXT_FORMS, None)][:limit]
    warm_up(config, info)
    stats = StepStats()
    started = time.perf_counter()
    for doc in docs:
        clean_document(doc, config, info, stats=stats)
    seconds = time.perf_counter() - started
    steps = {name: 1000 * v["seconds"] / len(docs) for name, v in stats.as_dict().items()}
    return {"documents": len(docs), "steps_ms": steps, "clean_document_ms": 1000 * seconds / len(docs)}


def child_html(pages: int) -> dict:
    """The whole pipeline against ``trafilatura.extract`` alone, on the same saved pages."""
    import trafilatura
    from bench_records import documents

    from cleaners.config import CleanConfig
    from cleaners.pipeline import InputDocument, RunInfo, clean_document

    rng = random.Random(0)
    every = [doc.raw for _, doc in documents(("html",), None)]
    sample = rng.sample(every, min(pages, len(every)))
    config = CleanConfig()
    info = RunInfo(config.config_hash(), processed_at="speed")
    warm_up(config, info)
    clean_document(InputDocument(uri="warm-up.html", raw=sample[0], format="html"), config, info)  # starts the extraction worker
    trafilatura.extract(sample[0].decode("utf-8"))
    started = time.perf_counter()
    for raw in sample:
        trafilatura.extract(raw.decode("utf-8"), include_comments=False, deduplicate=False)
    alone = time.perf_counter() - started
    started = time.perf_counter()
    for i, raw in enumerate(sample):
        clean_document(InputDocument(uri=f"page-{i}.html", raw=raw, format="html"), config, info)
    pipeline = time.perf_counter() - started
    return {"pages": len(sample), "trafilatura_ms": 1000 * alone / len(sample), "pipeline_ms": 1000 * pipeline / len(sample), "ratio": pipeline / alone}


def run_child(checkout: Path, part: str, *args: str, env: dict | None = None) -> dict:
    """Run one measurement with ``checkout``'s code; its last output line is the JSON result."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", part, "--checkout", str(checkout), *args]
    environment = dict(env or os.environ, PYTHONPATH=str(checkout))
    done = subprocess.run(command, env=environment, capture_output=True, text=True, cwd=checkout)
    if done.returncode != 0:
        raise RuntimeError(f"{part} on {checkout} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def flow_run(checkout: Path, corpus: Path, workdir: Path, env: dict) -> dict:
    """The flow on the local runner over ``corpus`` with ``checkout``'s code (its own
    ``benchmarks/throughput.py --child``, which matches that checkout's API)."""
    out = workdir / "flow-out"
    command = [sys.executable, str(checkout / "benchmarks" / "throughput.py"), "--child", "--mode", "local", "--corpus", str(corpus), "--out", str(out)]
    done = subprocess.run(command, env=dict(env, PYTHONPATH=str(checkout)), capture_output=True, text=True, cwd=checkout)
    shutil.rmtree(out, ignore_errors=True)
    if done.returncode != 0:
        raise RuntimeError(f"flow on {checkout} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def records_run(checkout: Path, out: Path) -> None:
    command = [sys.executable, str(ROOT / "benchmarks" / "bench_records.py"), "--out", str(out), "--checkout", str(checkout)]
    subprocess.run(command, env=dict(os.environ, PYTHONPATH=str(checkout)), check=True, capture_output=True, text=True, cwd=checkout)


def in_turns(checkouts: dict[str, Path], rounds: int, measure: Callable[[Path], dict], key: str) -> dict[str, dict]:
    """``measure`` each checkout ``rounds`` times, the order reversed every round (so that
    neither always runs first, on a machine whose load drifts); each checkout's best round
    (lowest ``key``) is kept, with every round's ``key`` beside it."""
    best: dict[str, dict] = {}
    order = list(checkouts)
    for round_ in range(rounds):
        for name in order if round_ % 2 == 0 else order[::-1]:
            result = measure(checkouts[name])
            seen = best.get(name, {}).get("rounds", []) + [result[key]]
            if name not in best or result[key] < best[name][key]:
                best[name] = result
            best[name]["rounds"] = seen
    return best


# --- the baseline checkout ---------------------------------------------------------------


@contextmanager
def baseline_checkout(ref: str, workdir: Path) -> Iterator[Path]:
    """A detached worktree of ``ref``, with ``shared`` beside it as the bench expects."""
    sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", ref + "^{commit}"], capture_output=True, text=True, check=True).stdout.strip()
    place = workdir / f"baseline-{sha[:10]}"
    checkout = place / "newsclean"
    place.mkdir(parents=True)
    (place / "shared").symlink_to(ROOT.parent / "shared")
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(checkout), sha], check=True)
    try:
        yield checkout
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(checkout)], check=False)


# --- report -----------------------------------------------------------------------------


def ratio(before: float, after: float) -> str:
    return f"{before / after:.2f}x" if after else "-"


def report(results: dict, baseline: str) -> list[str]:
    """The tables as Markdown lines."""
    lines: list[str] = []
    steps = results.get("steps")
    if steps:
        b, a = steps["baseline"], steps["current"]
        lines += [f"Per step, ms per document, {a['documents']} bench texts ({', '.join(TEXT_FORMS)}):", "",
                  f"| step | {baseline} | this checkout | faster |", "|---|---:|---:|---:|"]
        for name in a["steps_ms"]:
            before, after = b["steps_ms"].get(name, 0.0), a["steps_ms"][name]
            lines.append(f"| {name} | {before:.2f} | {after:.2f} | {ratio(before, after)} |")
        lines += [f"| **clean_document** | {b['clean_document_ms']:.2f} | {a['clean_document_ms']:.2f} | {ratio(b['clean_document_ms'], a['clean_document_ms'])} |", ""]
    for n, runs in sorted(results.get("flow", {}).items(), key=lambda kv: int(kv[0])):
        b, a = runs["baseline"], runs["current"]
        lines += [f"Flow, local runner, {n} text documents: {b['docs_per_s_per_core']:.1f} -> {a['docs_per_s_per_core']:.1f} docs/s/core "
                  f"({ratio(a['docs_per_s_per_core'], b['docs_per_s_per_core'])} faster); peak RSS {b['peak_rss_mb']:.0f} -> {a['peak_rss_mb']:.0f} MB", ""]
    html = results.get("html")
    if html:
        b, a = html["baseline"], html["current"]
        lines += [f"HTML, {a['pages']} pages: pipeline / trafilatura.extract alone {b['ratio']:.2f}x -> {a['ratio']:.2f}x "
                  f"(pipeline {b['pipeline_ms']:.1f} -> {a['pipeline_ms']:.1f} ms per page; trafilatura {b['trafilatura_ms']:.1f} / {a['trafilatura_ms']:.1f})", ""]
    if "records" in results:
        lines += ["Records (bench_records.py --compare):", "", *("    " + line for line in results["records"]), ""]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default=DEFAULT_BASELINE, help=f"commit to compare with (default {DEFAULT_BASELINE})")
    parser.add_argument("--n", type=int, nargs="+", default=[1000, 20000], help="flow corpus sizes")
    parser.add_argument("--html-pages", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2, help="turns of the per-step and HTML measurements (order reversed each turn; best kept)")
    parser.add_argument("--step-docs", type=int, default=None, help="first N bench texts for the per-step table (default: all)")
    parser.add_argument("--skip", default="", help=f"comma-separated parts to leave out: {', '.join(PARTS)}")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--child", choices=("steps", "html"), help=argparse.SUPPRESS)
    parser.add_argument("--checkout", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = child_steps(args.step_docs) if args.child == "steps" else child_html(args.html_pages)
        print(json.dumps(result))
        return
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import throughput  # the corpus builder and the Prefect server of the throughput benchmark

    skip = set(filter(None, args.skip.split(",")))
    results: dict = {"baseline": args.baseline}
    with tempfile.TemporaryDirectory(prefix="newsclean-speed-") as tmp:
        workdir = Path(tmp)
        with baseline_checkout(args.baseline, workdir) as base:
            checkouts = {"baseline": base, "current": ROOT}
            if "steps" not in skip:
                step_args = ["--step-docs", str(args.step_docs)] if args.step_docs else []
                results["steps"] = in_turns(checkouts, args.rounds, lambda path: run_child(path, "steps", *step_args), "clean_document_ms")
                print("\n".join(report({"steps": results["steps"]}, args.baseline)), flush=True)
            if "html" not in skip:
                html_args = ["--html-pages", str(args.html_pages)]
                results["html"] = in_turns(checkouts, args.rounds, lambda path: run_child(path, "html", *html_args), "pipeline_ms")
                print("\n".join(report({"html": results["html"]}, args.baseline)), flush=True)
            if "flow" not in skip:
                server, env = throughput.start_server(workdir / "prefect-home")
                try:
                    for n in args.n:
                        corpus = workdir / f"corpus-{n}"
                        throughput.build_corpus(n, corpus)
                        results.setdefault("flow", {})[str(n)] = runs = {}
                        names = list(checkouts) if len(results["flow"]) % 2 else list(checkouts)[::-1]  # first in turn
                        for name in names:
                            runs[name] = flow_run(checkouts[name], corpus, workdir, env)
                            runs[name]["docs_per_s_per_core"] = n / runs[name]["seconds"]
                        shutil.rmtree(corpus)
                        print("\n".join(report({"flow": {str(n): runs}}, args.baseline)), flush=True)
                finally:
                    server.terminate()
                    server.wait(timeout=30)
            if "records" not in skip:
                for name, path in checkouts.items():
                    records_run(path, workdir / f"records-{name}.jsonl")
                compare = [sys.executable, str(ROOT / "benchmarks" / "bench_records.py"), "--compare", str(workdir / "records-baseline.jsonl"), str(workdir / "records-current.jsonl")]
                results["records"] = subprocess.run(compare, capture_output=True, text=True, check=True).stdout.splitlines()
                print("\n".join(report({"records": results["records"]}, args.baseline)), flush=True)
    print("\n# Summary\n")
    print("\n".join(report(results, args.baseline)))
    results["peak_rss_mb_of_this_script"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
