"""Every bench page through ``clean_document``: what each record holds, and how long it took.

Cleans every page of ``../shared/bench`` (all three sets) in three forms: its
``scraped_text`` and ``page_text`` as text documents, and its ``html`` as the bytes of an
``.html`` file saved in UTF-8 (no HTTP header: the ``<meta>`` is all the page says of its
charset, as for a crawler's file store). Writes one line per document: the sha256 of the
record's content (``text``, ``title``, ``language``, ``removed``, ``edits``, ``source`` and
``stats``, null fields left out; ``pipeline`` is run metadata), the edit counts by kind, the encoding edits
themselves, and the milliseconds ``clean_document`` took. ``--compare`` reads two such files
(two checkouts, before and after a change) and reports what differs.

    .venv/bin/python benchmarks/bench_records.py --out FILE.jsonl [--forms scraped_text,page_text,html] [--limit N]
    .venv/bin/python benchmarks/bench_records.py --compare BEFORE.jsonl AFTER.jsonl

Changes that must not change output (a redesign, a speed-up) show ``0 records differ``.
Uses only ``clean_document`` and ``InputDocument``, so an older checkout runs it too (copy
the script there).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT.parent / "shared" / "bench"
sys.path.insert(0, str(ROOT))

from cleaners.config import CleanConfig  # noqa: E402
from cleaners.pipeline import InputDocument, RunInfo, clean_document  # noqa: E402
from cleaners.record import Record  # noqa: E402

SETS = ("scrapinghub", "wcxb-dev-articles", "dragnet-train")
FORMS = ("scraped_text", "page_text", "html")


def documents(forms: tuple[str, ...], limit: int | None) -> Iterator[tuple[str, InputDocument]]:
    for name in SETS:
        with gzip.open(BENCH / f"{name}.jsonl.gz", "rt", encoding="utf-8") as rows:
            for n, line in enumerate(rows):
                if limit is not None and n >= limit:
                    break
                row = json.loads(line)
                for form in forms:
                    body = row[form]
                    if not body.strip():
                        continue
                    key = f"{name}/{row['id']}/{form}"
                    yield key, InputDocument(uri=key, raw=body.encode("utf-8"), format="html" if form == "html" else "text", url=row.get("url"))


def digest(result: object) -> dict:
    """What a record says, hashed; a reject's reason."""
    if not isinstance(result, Record):
        return {"reject": getattr(result, "reason", type(result).__name__)}
    content = result.model_dump(mode="json", exclude={"pipeline"}, exclude_none=True)  # a new null field changes nothing
    return {
        "sha256": hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest(),
        "text_sha256": hashlib.sha256(result.text.encode("utf-8")).hexdigest(),
        "edits": dict(sorted(Counter(e.kind for e in result.edits).items())),
        "encoding_edits": [[e.start, e.end, e.before, e.after] for e in result.edits if e.kind == "encoding"],
    }


def run(out: Path, forms: tuple[str, ...], limit: int | None) -> None:
    config = CleanConfig()
    info = RunInfo(config.config_hash(), processed_at="bench")
    clean_document(InputDocument(uri="warm-up", raw=b"<html><body><p>" + b"Warm up. " * 40 + b"</p></body></html>", format="html"), config, info)
    total: Counter = Counter()
    ms: Counter = Counter()
    with out.open("w", encoding="utf-8") as handle:
        for key, doc in documents(forms, limit):
            started = time.perf_counter()
            result = clean_document(doc, config, info)
            elapsed = (time.perf_counter() - started) * 1000
            form = key.rsplit("/", 1)[1]
            total[form] += 1
            ms[form] += elapsed
            handle.write(json.dumps({"key": key, "ms": round(elapsed, 2), **digest(result)}, ensure_ascii=False) + "\n")
    for form in forms:
        print(f"{form:14s} {total[form]:5d} documents  {ms[form] / max(total[form], 1):8.1f} ms per document")


def compare(before_path: Path, after_path: Path) -> None:
    before = {r["key"]: r for r in map(json.loads, before_path.open(encoding="utf-8"))}
    after = {r["key"]: r for r in map(json.loads, after_path.open(encoding="utf-8"))}
    keys = [k for k in before if k in after]
    by_form: dict[str, Counter] = {}
    for key in keys:
        b, a = before[key], after[key]
        c = by_form.setdefault(key.rsplit("/", 1)[1], Counter())
        c["documents"] += 1
        c["ms before"] += b["ms"]
        c["ms after"] += a["ms"]
        c["records differ"] += b.get("sha256") != a.get("sha256")
        c["texts differ"] += b.get("text_sha256") != a.get("text_sha256")
        eb, ea = len(b.get("encoding_edits", [])), len(a.get("encoding_edits", []))
        c["encoding edits before"] += eb
        c["encoding edits after"] += ea
        c["documents with more encoding edits"] += ea > eb
        c["documents with fewer encoding edits"] += ea < eb
    print(f"{len(keys)} documents in both files ({len(before)} and {len(after)} in each)")
    for form, c in by_form.items():
        n = c["documents"]
        print(
            f"{form:14s} {n:5d} documents: {c['records differ']} records differ, {c['texts differ']} texts differ; "
            f"encoding edits {c['encoding edits before']} -> {c['encoding edits after']} "
            f"({c['documents with more encoding edits']} documents with more, {c['documents with fewer encoding edits']} with fewer); "
            f"ms per document {c['ms before'] / n:.1f} -> {c['ms after'] / n:.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--forms", default=",".join(FORMS))
    parser.add_argument("--limit", type=int, help="first N pages of each set")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = parser.parse_args()
    if args.compare:
        compare(*args.compare)
    elif args.out:
        run(args.out, tuple(args.forms.split(",")), args.limit)
    else:
        parser.error("give --out FILE or --compare BEFORE AFTER")


if __name__ == "__main__":
    main()
