"""Boilerplate-removal quality on the development benchmark (AEB 4-shingle F1).

Runs the cleaning pipeline (no Prefect: the same ``clean_document`` the flow calls) over
the three files of ``../shared/bench`` and both dirty renderings (``scraped_text``, the
realistic input, and ``page_text``, all visible text), and scores the cleaned text against
``gold_text`` with ``../shared/bench/evaluate.py``. ``dragnet-train`` (its gold leaves the
reader comments out: it measures comment removal) is AGPLv3 data: it is measured here and
rules may be written from it, but the line model never trains on it (``SETS``, which
``train_line_model.py`` and ``diagnose.training_blocks`` read, leaves it out).

Pages are split in two halves by a hash of their id: ``dev`` (look at it while tuning
rules) and ``held`` (never looked at; report it). Prints F1/P/R per set, rendering and
half, next to the untouched input, then removals per category and the 20 most frequent
rules; ``--json`` writes everything.

    .venv/bin/python benchmarks/quality.py [--strictness balanced] [--no-line-model] [--json FILE]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT.parent / "shared" / "bench"
sys.path.insert(0, str(BENCH))

import evaluate  # noqa: E402  (../shared/bench/evaluate.py, standard library only)

from cleaners.config import CleanConfig  # noqa: E402
from cleaners.pipeline import InputDocument, RunInfo, clean_document  # noqa: E402
from cleaners.record import Record  # noqa: E402

#: The sets the line model may train on (their dev halves).
SETS = {"scrapinghub": "scrapinghub.jsonl.gz", "wcxb-dev-articles": "wcxb-dev-articles.jsonl.gz"}
#: Every set measured: SETS and those that are for measuring only (see the module docstring).
MEASURED_SETS = {**SETS, "dragnet-train": "dragnet-train.jsonl.gz"}
RENDERINGS = ("scraped_text", "page_text")


def half_of(page_id: str) -> str:
    """Stable split: the same page is always in the same half."""
    return "dev" if hashlib.sha256(page_id.encode()).digest()[0] % 2 == 0 else "held"


def load(name: str) -> list[dict]:
    with gzip.open(BENCH / MEASURED_SETS[name], "rt", encoding="utf-8") as rows:
        return [json.loads(line) for line in rows]


def clean(text: str, page_id: str, config: CleanConfig, run: RunInfo) -> tuple[str, Record | None]:
    result = clean_document(InputDocument(uri=page_id, raw=text.encode("utf-8")), config, run)
    return (result.text, result) if isinstance(result, Record) else ("", None)


def fig(res: dict) -> str:
    return f"{res['f1']:.3f} / {res['precision']:.3f} / {res['recall']:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--strictness", default="balanced", choices=["conservative", "balanced", "aggressive"])
    parser.add_argument("--no-line-model", action="store_true", help="rules only (boilerplate.line_model = false)")
    parser.add_argument("--set", action="append", choices=list(MEASURED_SETS), help="only these sets (default: all)")
    parser.add_argument("--rendering", action="append", choices=list(RENDERINGS), help="only these renderings (default: both)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    options = {"strictness": args.strictness, "line_model": not args.no_line_model}
    config = CleanConfig.model_validate({"boilerplate": options})
    run = RunInfo(config.config_hash(), processed_at="benchmark")
    results, categories, rules = [], Counter(), Counter()
    print(f"{'set':20s} {'input':13s} {'half':5s} {'n':>4s}  {'untouched F1 / P / R':24s}  newsclean F1 / P / R")
    for name in args.set or MEASURED_SETS:
        rows = load(name)
        for rendering in args.rendering or RENDERINGS:
            by_half: dict[str, list] = {"dev": [], "held": [], "all": []}
            for row in rows:
                text, record = clean(row[rendering], row["id"], config, run) if row[rendering].strip() else ("", None)
                if record is not None:
                    categories.update(r.category for r in record.removed)
                    rules.update(r.rule for r in record.removed)
                item = (row["gold_text"], row[rendering], text)
                by_half[half_of(row["id"])].append(item)
                by_half["all"].append(item)
            for half, items in by_half.items():
                before = evaluate.score_pairs([(g, d) for g, d, _ in items], n_bootstrap=0)
                after = evaluate.score_pairs([(g, p) for g, _, p in items], n_bootstrap=0)
                results.append({"set": name, "input": rendering, "half": half, "n": len(items), "untouched": before, "newsclean": after})
                print(f"{name:20s} {rendering:13s} {half:5s} {len(items):4d}  {fig(before):24s}  {fig(after)}", flush=True)
    print("\nremovals per category:", dict(categories.most_common()))
    print("top 20 rules:")
    for rule, n in rules.most_common(20):
        print(f"  {n:6d}  {rule}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {**options, "results": results, "categories": dict(categories), "top_rules": rules.most_common(20)}
        args.json.write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
