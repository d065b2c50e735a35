"""Every bench page through ``clean_document``: what each record holds, and how long it took.

Cleans every page of ``../shared/bench`` (all three sets) in three forms: its
``scraped_text`` and ``page_text`` as text documents, and its ``html`` as the bytes of an
``.html`` file saved in UTF-8 (no HTTP header: the ``<meta>`` is all the page says of its
charset, as for a crawler's file store); then the files of ``seeds/`` (form ``seed``).
Writes one line per document: the sha256 of the record's content (``text``, ``title``,
``language``, ``removed``, ``edits``, ``source``, ``metadata`` and ``stats``, null fields
left out; ``pipeline`` is run metadata), the sha256 of each of those fields on its own (so
that a difference is named), the edit counts by kind, the encoding edits themselves, and
the milliseconds ``clean_document`` took. ``--compare`` reads two such files (two
checkouts, before and after a change) and reports what differs, field by field.

    .venv/bin/python benchmarks/bench_records.py --out FILE.jsonl [--forms scraped_text,page_text,html,seed] [--limit N] [--checkout DIR]
    .venv/bin/python benchmarks/bench_records.py --compare BEFORE.jsonl AFTER.jsonl

Changes that must not change output (a redesign, a speed-up) show ``0 records differ``.
Uses only ``clean_document`` and ``InputDocument``, so an older checkout runs it too:
``--checkout DIR`` cleans with the code of that checkout (``benchmarks/speed.py`` uses it
to hash the records of the commit before a speed-up in the same run).
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
if "--checkout" in sys.argv:  # clean with another checkout's code (read before the imports below)
    ROOT = Path(sys.argv[sys.argv.index("--checkout") + 1]).resolve()
sys.path.insert(0, str(ROOT))

from cleaners.config import CleanConfig  # noqa: E402
from cleaners.pipeline import InputDocument, RunInfo, clean_document  # noqa: E402
from cleaners.record import Record  # noqa: E402

SETS = ("scrapinghub", "wcxb-dev-articles", "dragnet-train")
FORMS = ("scraped_text", "page_text", "html", "seed")
#: The parts of a record hashed on their own, so that ``--compare`` names what differs.
FIELDS = ("text", "title", "language", "removed", "edits", "source", "metadata", "stats")


def documents(forms: tuple[str, ...], limit: int | None) -> Iterator[tuple[str, InputDocument]]:
    """``(key, document)`` for each bench page in each form, then each seed file."""
    for name in SETS if set(forms) - {"seed"} else ():
        with gzip.open(BENCH / f"{name}.jsonl.gz", "rt", encoding="utf-8") as rows:
            for n, line in enumerate(rows):
                if limit is not None and n >= limit:
                    break
                row = json.loads(line)
                for form in (f for f in forms if f != "seed"):
                    body = row[form]
                    if not body.strip():
                        continue
                    key = f"{name}/{row['id']}/{form}"
                    yield key, InputDocument(uri=key, raw=body.encode("utf-8"), format="html" if form == "html" else "text", url=row.get("url"))
    if "seed" in forms:
        for path in sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.txt")):
            yield f"seeds/{path.stem}/seed", InputDocument(uri=f"seeds/{path.name}", raw=path.read_bytes(), format="text")


def digest(result: object) -> dict:
    """What a record says, hashed; a reject's reason."""
    if not isinstance(result, Record):
        return {"reject": getattr(result, "reason", type(result).__name__)}
    content = result.model_dump(mode="json", exclude={"pipeline"}, exclude_none=True)  # a new null field changes nothing
    return {
        "sha256": _hash(content),
        "fields": {name: _hash(content.get(name)) for name in FIELDS},
        "text_sha256": hashlib.sha256(result.text.encode("utf-8")).hexdigest(),
        "edits": dict(sorted(Counter(e.kind for e in result.edits).items())),
        "encoding_edits": [[e.start, e.end, e.before, e.after] for e in result.edits if e.kind == "encoding"],
    }


def _hash(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


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
    examples: dict[str, str] = {}
    for key in keys:
        b, a = before[key], after[key]
        c = by_form.setdefault(key.rsplit("/", 1)[1], Counter())
        c["documents"] += 1
        c["ms before"] += b["ms"]
        c["ms after"] += a["ms"]
        c["records differ"] += b.get("sha256") != a.get("sha256")
        c["texts differ"] += b.get("text_sha256") != a.get("text_sha256")
        for name, value in b.get("fields", {}).items():  # files written before fields were hashed have none
            if name in a.get("fields", {}) and a["fields"][name] != value:
                c[f"field {name}"] += 1
                examples.setdefault(name, key)
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
        fields = {k[len("field "):]: v for k, v in c.items() if k.startswith("field ")}
        if fields:
            print(f"{'':14s} fields that differ: " + ", ".join(f"{name} {count}" for name, count in sorted(fields.items())))
    for name, key in sorted(examples.items()):
        print(f"first document whose {name} differs: {key}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--forms", default=",".join(FORMS))
    parser.add_argument("--limit", type=int, help="first N pages of each set")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    parser.add_argument("--checkout", type=Path, help="clean with the code of this checkout (default: the one this script is in)")
    args = parser.parse_args()
    if args.compare:
        compare(*args.compare)
    elif args.out:
        run(args.out, tuple(args.forms.split(",")), args.limit)
    else:
        parser.error("give --out FILE or --compare BEFORE AFTER")


if __name__ == "__main__":
    main()
