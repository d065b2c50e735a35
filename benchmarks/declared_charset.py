"""Pages that declare a single-byte charset, given as text strings, as UTF-8 files and as true files.

Old news and blog pages declare ``<meta charset=windows-1252>`` (or ``iso-8859-1``) and keep
that declaration wherever they are stored afterwards: a crawler's JSONL export holds the page
as a *string* (already decoded), a browser's "save page" or a crawler's file store writes it
as *UTF-8 bytes* with the old ``<meta>`` unchanged. Only the page served by the old server
is really windows-1252 bytes. The article is the same in all three; so must the records be.

This builds 40 such pages from ``../shared/bench`` (the bench's pages that declare a
single-byte charset and hold non-ASCII text, then pages with non-ASCII text whose charset
declaration is rewritten to ``windows-1252``/``iso-8859-1``, as on an old site; only pages
windows-1252 can encode, so that the true file exists), writes them in the three forms and
cleans each document with ``clean_document`` (after a warm-up), reporting per form:

* seconds per page (mean and max),
* encoding edits (the true windows-1252 files are the reference: their pages have no
  mojibake, so edits beyond theirs were made on text that was never broken),
* records whose ``text`` is identical to the true file's record,
* records with mojibake left (a UTF-8 sequence shown as windows-1252, such as ``Ã©``,
  that the true file's record does not have).

    .venv/bin/python benchmarks/declared_charset.py [--pages 40] [--json FILE]

Measured (stop 30, this 2-core machine) before and after the fix of issue 37: see docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cleaners.config import CleanConfig  # noqa: E402
from cleaners.steps.encoding import LEFTOVER_MOJIBAKE  # noqa: E402
from cleaners.inputs.files import InputDocument, read_documents  # noqa: E402
from cleaners.pipeline import RunInfo, clean_document  # noqa: E402
from cleaners.record import Record  # noqa: E402

BENCH = ROOT.parent / "shared" / "bench"
BENCH_FILES = ("scrapinghub", "wcxb-dev-articles", "dragnet-train")
SINGLE_BYTE_LABELS = ("windows-1252", "iso-8859-1")
#: A page needs this many non-ASCII characters to tell the decodings apart clearly.
MIN_NON_ASCII = 20

_META = re.compile(r"""(<meta\b[^>]*?\bcharset\s*=\s*["']?\s*)([A-Za-z0-9_.:+-]+)""", re.IGNORECASE)
_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)


def _declared(html: str) -> str | None:
    match = _META.search(html[:4096])
    return match.group(2).lower() if match else None


def _declaring(html: str, label: str) -> str | None:
    """The page with its charset declaration saying ``label`` (None: nowhere to put it)."""
    if _META.search(html[:4096]):
        return _META.sub(lambda m: m.group(1) + label, html, count=1)
    head = _HEAD.search(html)
    if head is None:
        return None
    return html[: head.end()] + f'<meta charset="{label}">' + html[head.end() :]


def _usable(html: str) -> bool:
    if sum(1 for ch in html if ord(ch) > 127) < MIN_NON_ASCII:
        return False
    try:
        html.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def select_pages(count: int) -> tuple[list[tuple[str, str, str]], int]:
    """(page key, url, html declaring a single-byte charset), real declarations first (0:
    all usable pages); and how many of them declared one on the web."""
    real, rewritable = [], []
    for name in BENCH_FILES:
        with gzip.open(BENCH / f"{name}.jsonl.gz", "rt", encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                html = row["html"]
                if not _usable(html):
                    continue
                key = f"{name}:{row['id']}"
                order = hashlib.sha256(key.encode()).hexdigest()
                if _declared(html) in SINGLE_BYTE_LABELS:
                    real.append((order, key, row.get("url") or "", html))
                else:
                    rewritable.append((order, key, row.get("url") or "", html))
    pages = [(key, url, html) for _, key, url, html in sorted(real)]
    for n, (_, key, url, html) in enumerate(sorted(rewritable)):
        if count and len(pages) >= count:
            break
        declared = _declaring(html, SINGLE_BYTE_LABELS[n % 2])
        if declared is not None:
            pages.append((key, url, declared))
    return (pages[:count] if count else pages), min(len(real), count or len(real))


def write_forms(pages: list[tuple[str, str, str]], folder: Path) -> dict[str, list[str]]:
    """The three forms of the pages on disk; returns each form's input files."""
    export = folder / "export.jsonl"
    with export.open("w", encoding="utf-8") as handle:
        for key, url, html in pages:
            handle.write(json.dumps({"url": url, "html": html, "id": key}, ensure_ascii=False) + "\n")
    forms: dict[str, list[str]] = {"jsonl string": [str(export)], "utf-8 file": [], "windows-1252 file": []}
    for n, (_, _, html) in enumerate(pages):
        for form, codec in (("utf-8 file", "utf-8"), ("windows-1252 file", "cp1252")):
            path = folder / form.split()[0] / f"{n:03d}.html"
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(html.encode(codec))
            forms[form].append(str(path))
    return forms


def clean_form(files: list[str], config: CleanConfig, run: RunInfo) -> list[tuple[InputDocument, object, float]]:
    out = []
    for uri in files:
        for doc in read_documents(uri, config.input, config.limits.max_bytes):
            started = time.perf_counter()
            result = clean_document(doc, config, run)
            out.append((doc, result, time.perf_counter() - started))
    return out


def _mojibake(text: str) -> int:
    return len(LEFTOVER_MOJIBAKE.findall(text))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=40, help="how many pages (0: every usable bench page)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    pages, declared_on_the_web = select_pages(args.pages)
    config = CleanConfig()
    run = RunInfo(config.config_hash(), processed_at="benchmark")
    with tempfile.TemporaryDirectory() as tmp:
        forms = write_forms(pages, Path(tmp))
        clean_form(forms["windows-1252 file"][:1], config, run)  # warm-up: worker, dictionaries
        results = {form: clean_form(files, config, run) for form, files in forms.items()}
    reference = [r for _, r, _ in results["windows-1252 file"]]
    print(f"{len(pages)} pages ({declared_on_the_web} declared a single-byte charset on the web, the others' declaration rewritten)")
    print(f"{'form':20s} {'s/page':>7s} {'max s':>7s} {'enc. edits':>10s} {'same text':>9s} {'mojibake':>8s}  encodings")
    rows = []
    for form, items in results.items():
        seconds = [t for _, _, t in items]
        records = [r for _, r, _ in items]
        edits = sum(sum(1 for e in r.edits if e.kind == "encoding") for r in records if isinstance(r, Record))
        same = sum(1 for r, ref in zip(records, reference) if isinstance(r, Record) and isinstance(ref, Record) and r.text == ref.text)
        moji = sum(1 for r, ref in zip(records, reference) if isinstance(r, Record) and _mojibake(r.text) > (_mojibake(ref.text) if isinstance(ref, Record) else 0))
        encodings = sorted({r.source.encoding for r in records if isinstance(r, Record)})
        row = {
            "form": form, "pages": len(items), "seconds_per_page": round(sum(seconds) / len(seconds), 3), "max_seconds": round(max(seconds), 3),
            "encoding_edits": edits, "same_text_as_windows_1252_file": same, "records_with_mojibake_left": moji,
            "rejects": sum(1 for r in records if not isinstance(r, Record)), "encodings": encodings,
        }
        rows.append(row)
        print(f"{form:20s} {row['seconds_per_page']:7.3f} {row['max_seconds']:7.2f} {edits:10d} {same:6d}/{len(items):<2d} {moji:8d}  {', '.join(encodings)}", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"pages": [k for k, _, _ in pages], "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
