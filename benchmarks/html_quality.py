"""HTML extraction quality on the development benchmark (AEB 4-shingle F1), from the ``html`` field.

Scores, against ``gold_text`` of both files of ``../shared/bench`` and with its own
``evaluate.py``, in one run:

  (a) ``trafilatura.extract`` alone: plain defaults, ``include_comments=False``,
      ``deduplicate=False`` (the reference figure of the benchmark's README);
  (b) readability-lxml alone (``Document.summary()`` rendered to text), if installed;
  (c) newsclean's ``cleaners.inputs.extract.extract_html`` (worker subprocess with the default time limit);
  (d) newsclean's whole HTML path: ``clean_document`` on the page (decoding, (c), then the
      text cleaners, which also use the page's metadata title) with the default
      ``CleanConfig``; a reject scores as empty text.

F1 / P / R per set and per half (pages whose ``sha256(id)[0]`` is even are ``dev``, the
others ``held``; anything tuned is tuned on ``dev`` only), then the mean time per page of
each column ((d) = extraction + cleaning), the in-process time of ``extract_html`` (so
the worker's overhead shows) and a check that the worker and in-process outputs are
identical (determinism).

    .venv/bin/python benchmarks/html_quality.py [--limit N] [--json FILE] [--time-limit S]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT.parent / "shared" / "bench"
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import evaluate  # noqa: E402  (../shared/bench/evaluate.py, standard library only)
import trafilatura  # noqa: E402

from cleaners.config import CleanConfig  # noqa: E402
from cleaners.inputs.extract import DEFAULT_TIME_LIMIT, ExtractionError, HtmlExtractor, block_text, extract_html  # noqa: E402
from cleaners.pipeline import InputDocument, RunInfo, clean_document  # noqa: E402
from cleaners.record import Record  # noqa: E402

SETS = {"scrapinghub": "scrapinghub.jsonl.gz", "wcxb-dev-articles": "wcxb-dev-articles.jsonl.gz"}
COLUMNS = ("trafilatura", "readability", "extract_html", "extract_html+clean")

#: Column (a): the README's reference call (trafilatura 2.3.1 defaults otherwise).
TRAFILATURA_ALONE = {"include_comments": False, "deduplicate": False, "include_tables": True, "output_format": "txt"}



def half_of(page_id: str) -> str:
    """Stable split: the same page is always in the same half."""
    return "dev" if hashlib.sha256(page_id.encode()).digest()[0] % 2 == 0 else "held"


def load(name: str, limit: int | None) -> list[dict]:
    rows = []
    with gzip.open(BENCH / SETS[name], "rt", encoding="utf-8") as lines:
        for line in lines:
            if limit is not None and len(rows) >= limit:
                break
            rows.append(json.loads(line))
    return rows


def readability_text(html: str, url: str | None) -> str | None:
    """readability-lxml's article, one line per block element; None when not installed."""
    try:
        from readability import Document
    except ImportError:
        return None
    import lxml.html

    summary = Document(html, url=url).summary(html_partial=True)
    if not summary.strip():
        return ""
    return block_text(lxml.html.fromstring(summary))


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, (time.perf_counter() - start) * 1000


def fig(res: dict) -> str:
    return f"{res['f1']:.3f} / {res['precision']:.3f} / {res['recall']:.3f}"


def run_page(row: dict, extractor: HtmlExtractor, config: CleanConfig, run: RunInfo, time_limit: float) -> dict:
    html, url, page_id = row["html"], row["url"], row["id"]
    out: dict = {"id": page_id, "half": half_of(page_id), "gold": row["gold_text"], "ms": {}, "notes": []}
    text, out["ms"]["trafilatura"] = timed(trafilatura.extract, html, url=url, **TRAFILATURA_ALONE)
    out["trafilatura"] = text or ""
    text, ms = timed(readability_text, html, url)
    if text is not None:
        out["readability"], out["ms"]["readability"] = text, ms
    try:
        extraction, out["ms"]["extract_html"] = timed(extractor.extract, html, url, time_limit)
        out["extract_html"], out["extractor"], out["notes"] = extraction.text, extraction.extractor, extraction.notes
    except ExtractionError as exc:  # a timeout is a reject in the pipeline: empty text here
        out["extract_html"], out["extractor"], out["error"] = "", None, f"{type(exc).__name__}: {exc}"
        out["ms"]["extract_html"] = time_limit * 1000
        extraction = None
    in_process, out["ms"]["extract_html_in_process"] = timed(extract_html, html, url, time_limit=None)
    out["same_in_process"] = extraction is not None and in_process == extraction
    # (d) is the pipeline's own HTML path: decoding, extraction in the worker, the text
    # cleaners with the page's metadata (its title). The bench holds decoded pages: their
    # bytes are UTF-8 whatever the page's <meta> says, which the header states.
    doc = InputDocument(uri=page_id, raw=html.encode("utf-8"), format="html", url=url, content_type="text/html; charset=utf-8")
    result, out["ms"]["extract_html+clean"] = timed(clean_document, doc, config, run, None)
    out["extract_html+clean"] = result.text if isinstance(result, Record) else ""
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, help="first N pages of each set (quick runs)")
    parser.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT, help="extract_html's per-page limit, seconds")
    parser.add_argument("--json", type=Path, help="write all figures (and per-page scores) to this file")
    args = parser.parse_args()
    config = CleanConfig()
    run = RunInfo(config.config_hash(), None, "2026-01-01T00:00:00+00:00")
    results, timings, checks, pages = [], {}, {}, {}
    with HtmlExtractor(time_limit=args.time_limit) as extractor:
        extractor.extract("<html><body><p>warm-up</p></body></html>")  # worker start-up is not a page's cost
        extract_html("<html><body><p>warm-up</p></body></html>", time_limit=None)
        warm_up = b"<html><body><p>A warm-up sentence for the cleaners.</p></body></html>"
        clean_document(InputDocument(uri="warm-up", raw=warm_up, format="html"), config, run, None)  # models, the pipeline's worker
        for name in SETS:
            rows = load(name, args.limit)
            started = time.time()
            outs = []
            for i, row in enumerate(rows, 1):
                outs.append(run_page(row, extractor, config, run, args.time_limit))
                if i % 100 == 0:
                    print(f"  {name}: {i}/{len(rows)} pages, {time.time() - started:.0f} s", file=sys.stderr, flush=True)
            columns = [c for c in COLUMNS if all(c in o for o in outs)]
            for half in ("dev", "held", "all"):
                items = [o for o in outs if half == "all" or o["half"] == half]
                scores = {c: evaluate.score_pairs([(o["gold"], o[c]) for o in items], n_bootstrap=0) for c in columns}
                if half == "all":
                    for c in columns:
                        scores[c] = evaluate.score_pairs([(o["gold"], o[c]) for o in items])  # with ± (bootstrap)
                results.append({"set": name, "half": half, "n": len(items), "scores": scores})
            timing_keys = [*columns, "extract_html_in_process"]
            timings[name] = {k: sum(o["ms"][k] for o in outs) / len(outs) for k in timing_keys}
            checks[name] = {
                "pages": len(outs),
                "worker_equals_in_process": sum(o["same_in_process"] for o in outs),
                "errors": [{"id": o["id"], "error": o["error"]} for o in outs if "error" in o],
                "extractors": {e: sum(o["extractor"] == e for o in outs) for e in sorted({str(o["extractor"]) for o in outs})},
                "empty_extract_html": sum(not o["extract_html"].strip() for o in outs),
                "rejected_by_cleaners": sum(bool(o["extract_html"].strip()) and not o["extract_html+clean"] for o in outs),
            }
            pages[name] = [
                {"id": o["id"], "half": o["half"], **{c: evaluate.score_pairs([(o["gold"], o[c])], n_bootstrap=0)["f1"] for c in columns}}
                for o in outs
            ]
    print(f"\nAEB F1 / P / R (letters: (a) {COLUMNS[0]}, (b) {COLUMNS[1]}, (c) {COLUMNS[2]}, (d) {COLUMNS[3]})")
    print(f"{'set':18s} {'half':4s} {'n':>4s}  " + "  ".join(f"{c:24s}" for c in COLUMNS))
    for res in results:
        cells = [fig(res["scores"][c]) if c in res["scores"] else "-" for c in COLUMNS]
        print(f"{res['set']:18s} {res['half']:4s} {res['n']:4d}  " + "  ".join(f"{cell:24s}" for cell in cells))
    print("\n± (bootstrap std of F1, all pages): " + "; ".join(
        f"{r['set']} " + ", ".join(f"{c} {r['scores'][c]['f1_std']:.3f}" for c in r["scores"]) for r in results if r["half"] == "all"))
    print("\nmean ms per page (one process):")
    for name, t in timings.items():
        print(f"  {name:18s} " + "  ".join(f"{k} {v:.1f}" for k, v in t.items()))
    print("\nchecks:")
    for name, c in checks.items():
        print(f"  {name:18s} " + json.dumps({k: v for k, v in c.items()}))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {"time_limit": args.time_limit, "limit": args.limit, "trafilatura": trafilatura.__version__,
                   "results": results, "ms_per_page": timings, "checks": checks, "pages": pages}
        args.json.write_text(json.dumps(payload, indent=1) + "\n")


if __name__ == "__main__":
    main()
