"""The floors under the speed targets of issue 7: what the required parts alone cost.

Two targets of the throughput issue are ratios that the mandated components decide before
any of newsclean's own cleaning runs. This measures those components alone, on this
machine, over the pages of ``../shared/bench``:

* **Text path** (target: 300 documents per second per core, 3.3 ms per document). The
  mission names ftfy for encoding repair and langdetect for language identification. Per
  ``scraped_text`` document: the libraries as called directly (``ftfy.fix_text``; seeded
  ``langdetect.detect`` on a prefix) and newsclean's faster equivalents
  (``repair_encoding``: ftfy on non-ASCII lines only; ``detect_language``: the exact
  langdetect copy in ``cleaners/steps/langdetect_scorer.py``, foreign-paragraph check off), at several
  prefix lengths. The sum of the two fastest is the best any pipeline with these steps can
  do, with no boilerplate removal, typos, reading or writing.
* **HTML path** (target: 1.2 times ``trafilatura.extract`` alone). The HTML issue asks for
  trafilatura's metadata in the record (title, author, date, sitename, categories, tags,
  description). Per page: ``trafilatura.extract`` alone, the same call with
  ``with_metadata=True``, and newsclean's extraction (``extract_html``: trafilatura with
  metadata, dates without the extensive search) in the calling process (no worker, no
  cleaning); then the two mandated text steps on the extracted text (encoding repair,
  language on a 200-character prefix). Their sum is the least the HTML path can cost.

Times are means over all documents, each step timed on the same document in turn (in a
rotating order), so drift of the machine affects them alike. Compare ratios, not times.

    .venv/bin/python benchmarks/floors.py [--limit N] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ftfy  # noqa: E402
import langdetect  # noqa: E402
import trafilatura  # noqa: E402

from cleaners.config import EncodingOptions, LanguageOptions  # noqa: E402
from cleaners.steps.encoding import repair_encoding  # noqa: E402
from cleaners.inputs.extract import extract_html  # noqa: E402
from cleaners.steps.language import detect_language  # noqa: E402
from cleaners.tracked_text import TrackedText  # noqa: E402
from html_quality import SETS, TRAFILATURA_ALONE, load  # noqa: E402  (TRAFILATURA_ALONE: the benchmark README's reference call)

PREFIXES = (2000, 500, 200)
TEXT_TARGET_DOCS_PER_S = 300
HTML_TARGET_RATIO = 1.2


def rows(limit: int | None) -> list[dict]:
    """The pages of both sets (the first ``limit`` of each)."""
    return [row for name in SETS for row in load(name, limit)]


def langdetect_library(text: str) -> str | None:
    try:
        return langdetect.detect(text)
    except langdetect.LangDetectException:
        return None


def mean_ms(steps: dict[str, Callable[[object], object]], items: list) -> dict[str, float]:
    """Mean milliseconds per item of each step. The steps take turns on each item, each
    item starting with the next step, so no step is always the first on a page."""
    for fn in steps.values():
        fn(items[0])  # warm-up: imports, profiles, compiled patterns
    order = list(steps.items())
    total = dict.fromkeys(steps, 0.0)
    for k, item in enumerate(items):
        for name, fn in order[k % len(order):] + order[: k % len(order)]:
            start = time.perf_counter()
            fn(item)
            total[name] += time.perf_counter() - start
    return {name: 1000 * t / len(items) for name, t in total.items()}


def text_floor(texts: list[str]) -> dict:
    langdetect.DetectorFactory.seed = 0
    encoding = EncodingOptions()
    encoding_steps: dict[str, Callable] = {
        "ftfy.fix_text": ftfy.fix_text,
        "newsclean repair_encoding": lambda t: repair_encoding(TrackedText(t), encoding),
    }
    language_steps: dict[str, Callable] = {}
    for prefix in PREFIXES:
        options = LanguageOptions(prefix_chars=prefix, paragraphs=False)
        language_steps[f"langdetect.detect, {prefix} chars"] = lambda t, p=prefix: langdetect_library(t[:p])
        language_steps[f"newsclean detect_language, {prefix} chars"] = lambda t, o=options: detect_language(t, o)
    ms = mean_ms({**encoding_steps, **language_steps}, texts)
    floor = min(ms[k] for k in encoding_steps) + min(ms[k] for k in language_steps)
    return {"documents": len(texts), "mean_chars": sum(map(len, texts)) / len(texts), "ms_per_document": ms,
            "floor_ms": floor, "floor_docs_per_s_per_core": 1000 / floor,
            "target_ms": 1000 / TEXT_TARGET_DOCS_PER_S}


def html_floor(pages: list[dict]) -> dict:
    extracted: dict[str, str] = {}  # page id -> newsclean's extracted text, kept by the timed step

    def newsclean_extraction(row: dict) -> None:
        extracted[row["id"]] = extract_html(row["html"], row["url"], time_limit=None).text

    steps: dict[str, Callable] = {
        "trafilatura.extract": lambda r: trafilatura.extract(r["html"], url=r["url"], **TRAFILATURA_ALONE),
        "trafilatura.extract, with_metadata": lambda r: trafilatura.extract(
            r["html"], url=r["url"], with_metadata=True, **TRAFILATURA_ALONE),
        "newsclean extraction with metadata": newsclean_extraction,
    }
    ms = mean_ms(steps, pages)
    alone = ms["trafilatura.extract"]
    encoding, language = EncodingOptions(), LanguageOptions(prefix_chars=min(PREFIXES), paragraphs=False)
    after = mean_ms({"encoding repair + language of the extracted text": lambda t: (
        repair_encoding(TrackedText(t), encoding), detect_language(t, language))}, [extracted[r["id"]] or " " for r in pages])
    ms.update(after)
    floor = ms["newsclean extraction with metadata"] + sum(after.values())
    return {"pages": len(pages), "ms_per_page": ms, "ratio_to_extract": {k: v / alone for k, v in ms.items()},
            "floor_ratio": floor / alone, "target_ratio": HTML_TARGET_RATIO}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, help="first N pages of each set (quick runs)")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args()
    data = rows(args.limit)
    text = text_floor([r["scraped_text"] for r in data if r["scraped_text"].strip()])
    print(f"Text path: {text['documents']} scraped_text documents, {text['mean_chars']:.0f} characters on average")
    for name, ms in text["ms_per_document"].items():
        print(f"  {name:42s} {ms:6.2f} ms/document")
    print(f"  floor (fastest encoding repair + fastest language detection): {text['floor_ms']:.2f} ms/document "
          f"= {text['floor_docs_per_s_per_core']:.0f} documents/s/core; the target needs {text['target_ms']:.2f} ms "
          f"({TEXT_TARGET_DOCS_PER_S}/s) for the whole pipeline")
    html = html_floor(data)
    print(f"HTML path: {html['pages']} pages")
    for name, ms in html["ms_per_page"].items():
        print(f"  {name:42s} {ms:6.1f} ms/page  {html['ratio_to_extract'][name]:.2f}x")
    print(f"  floor (newsclean extraction with metadata, then encoding repair and language detection on "
          f"{min(PREFIXES)} characters): {html['floor_ratio']:.2f}x; the target is {HTML_TARGET_RATIO}x "
          "for the whole path (extraction, metadata, every cleaning step)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"text": text, "html": html}, indent=1) + "\n")


if __name__ == "__main__":
    main()
