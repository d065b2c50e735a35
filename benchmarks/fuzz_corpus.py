"""A corpus of broken inputs mixed with good ones, through `newsclean clean`, fully accounted.

Builds (seeded, reproducible) at least ``--broken`` broken inputs of every kind the
pipeline must survive, mixed with ``--good`` good documents (real pages of
``../shared/bench`` as scraped text, HTML files, JSONL rows and WARC responses), runs the
real command line on them, and checks:

* 0 crashes: the command exits 0 and no reject has reason ``internal_error``;
* the invariant: the manifest's ``inputs == records + rejects + skipped``, and ``inputs``
  equals the number of documents the generator wrote (counted independently);
* every reject reason count equals what the generator planted;
* every good document is present as a record at its (file, member).

    .venv/bin/python benchmarks/fuzz_corpus.py [--broken 1100] [--good 300] [--json FILE]

``tests/test_fuzz.py`` runs the same generator, smaller, through the cleaning tasks.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT.parent / "shared" / "bench"
#: Config of the fuzz run: a small size limit so that "too large" inputs stay cheap to make.
CONFIG = '[limits]\nmax_bytes = 300000\n'
MAX_BYTES = 300_000


#: Number of broken-input kinds (the first round writes the one truly empty file).
KINDS = 18


@dataclass
class Planted:
    """What the generator wrote: documents, expected reject and skip reasons, good documents."""

    documents: int = 0
    reasons: Counter = field(default_factory=Counter)
    skips: Counter = field(default_factory=Counter)
    good: set[tuple[str, int | None]] = field(default_factory=set)

    def bad(self, reason: str, n: int = 1) -> None:
        self.documents += n
        self.reasons[reason] += n

    def skip(self, reason: str, n: int = 1) -> None:
        """An input that is no document (a crawl's request record, a PDF response)."""
        self.documents += n
        self.skips[reason] += n

    def ok(self, name: str, member: int | None = None) -> None:
        self.documents += 1
        self.good.add((name, member))


def bench_pages(limit: int, rng: random.Random) -> list[dict]:
    rows = []
    for name in ("scrapinghub.jsonl.gz", "wcxb-dev-articles.jsonl.gz"):
        with gzip.open(BENCH / name, "rt", encoding="utf-8") as handle:
            rows += [
                r for r in map(json.loads, handle)
                if len(r["scraped_text"]) > 1500 and len(r["gold_text"]) > 800 and r.get("lang") == "en" and len(r["html"].encode()) < MAX_BYTES
            ]
    rng.shuffle(rows)
    return rows[:limit]


def warc_bytes(records: list[tuple[str, str, bytes]], tail: bytes = b"") -> bytes:
    """A WARC of (kind, content type, payload) records; kind is 'html', 'other' or 'request'."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=False)
    for i, (kind, content_type, payload) in enumerate(records):
        url = f"https://fuzz.example/page-{i}"
        if kind == "request":
            headers = StatusAndHeaders("GET / HTTP/1.1", [("Host", "fuzz.example")], is_http_request=True)
            writer.write_record(writer.create_warc_record(url, "request", http_headers=headers, payload=io.BytesIO(b"")))
        else:
            headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(payload), http_headers=headers))
    return buffer.getvalue() + tail


def build(folder: Path, broken: int, good: int, seed: int = 0) -> Planted:
    """Write the corpus into ``folder``; returns what was planted."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    planted = Planted()
    pages = bench_pages(good, rng)
    article = pages[0]["scraped_text"].encode("utf-8")

    def unique(text: str, i: int) -> str:
        return f"{text}\n\nFuzz corpus note {i}: this copy is numbered {i * 7919 % 100003}."

    # --- good documents: text files, HTML files, JSONL rows, WARC responses ---------------
    for i, page in enumerate(pages):
        kind = i % 4
        if kind == 0:
            name = f"good-{i:05d}.txt"
            (folder / name).write_text(unique(page["scraped_text"], i), encoding="utf-8")
            planted.ok(name)
        elif kind == 1:
            name = f"good-{i:05d}.html"
            (folder / name).write_text(page["html"], encoding="utf-8")
            planted.ok(name)
        elif kind == 2:
            name = f"good-{i:05d}.jsonl"
            rows = [json.dumps({"url": page["url"], "text": unique(page["scraped_text"], i), "id": page["id"], "extra": i}), f"{{truncated json {i}"]
            (folder / name).write_text("\n".join(rows) + "\n", encoding="utf-8")
            planted.ok(name, 1)
            planted.bad("malformed_jsonl")
        else:
            name = f"good-{i:05d}.warc.gz"
            payload = page["html"].encode("utf-8")
            data = warc_bytes([("request", "", b""), ("html", "text/html; charset=utf-8", payload), ("other", "application/pdf", b"%PDF-1.4 ...")])
            (folder / name).write_bytes(gzip.compress(data, mtime=0))
            planted.ok(name, 2)
            planted.skip("not_document", 2)  # the request record and the PDF response

    # --- broken inputs, round robin over the kinds ---------------------------------------------
    latin_garbage = bytes(range(0x80, 0x100)) * 4
    bomb = gzip.compress(bytes(8 << 20), compresslevel=9, mtime=0)  # 8 MiB of zeros in about 8 KiB
    # Every broken input is unique (an exact copy would rightly be skipped as a duplicate),
    # except the empty file, of which there is one.
    makers = [
        ("empty", lambda i: (f"bad-{i:05d}-empty.txt", b"" if i < KINDS else b" " * (i + 1))),
        ("empty", lambda i: (f"bad-{i:05d}-blank.txt", b"\n\t " * (i + 1))),
        ("binary", lambda i: (f"bad-{i:05d}-image.txt", b"\x89PNG\r\n\x1a\n" + rng.randbytes(rng.randint(10, 3000)))),
        ("binary", lambda i: (f"bad-{i:05d}-paper.txt", b"%PDF-1.5\n" + rng.randbytes(2000))),
        ("binary", lambda i: (f"bad-{i:05d}-tool.txt", b"\x7fELF\x02\x01\x01\x00" + rng.randbytes(2000))),
        ("binary", lambda i: (f"bad-{i:05d}-nul.txt", b"text with a\x00NUL byte %d" % i)),
        ("undecodable|binary", lambda i: (f"bad-{i:05d}-garbage.txt", latin_garbage + rng.randbytes(64))),
        ("too_large", lambda i: (f"bad-{i:05d}-huge.txt", article * (MAX_BYTES // len(article) + 2) + b"%d" % i)),
        ("corrupt_gzip", lambda i: (f"bad-{i:05d}-corrupt.txt.gz", b"\x1f\x8b\x08\x00" + rng.randbytes(300))),
        ("corrupt_gzip", lambda i: (f"bad-{i:05d}-cut.txt.gz", gzip.compress(article + b"%d" % i, mtime=0)[: rng.randint(20, 200)])),
        ("too_large", lambda i: (f"bad-{i:05d}-bomb.txt.gz", bomb + gzip.compress(b"%d" % i, mtime=0))),
        ("empty_after_cleaning", lambda i: (f"bad-{i:05d}-junk.txt", b"Advertisement\n" * (i // 16 + 1) + b"Leave a Reply\n")),
        ("no_article", lambda i: (f"bad-{i:05d}-gallery.html", b"<html><body><img src='x%d.jpg'></body></html>" % i)),
        ("malformed_warc", lambda i: (f"bad-{i:05d}-broken.warc", b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: %d\r\n\r\nshort" % (99999 + i))),
        ("malformed_jsonl", lambda i: (f"bad-{i:05d}-rows.jsonl", b'{"text": %d}\n' % i)),
        ("malformed_jsonl", lambda i: (f"bad-{i:05d}-escape.jsonl", json.dumps({"id": f"../../../etc/passwd-{i}", "html": ""}).encode() + b"\n")),
        ("empty", lambda i: (f"bad-{i:05d}-blank.jsonl", b"\n" * (i + 1))),
        ("empty", lambda i: (f"bad-{i:05d}-info.warc", b"WARC/1.0\r\nWARC-Type: warcinfo\r\nWARC-Record-ID: <urn:uuid:%d>\r\nContent-Length: 0\r\n\r\n\r\n\r\n" % i)),
    ]
    for i in range(broken):
        reason, make = makers[i % len(makers)]
        name, data = make(i)
        (folder / name).write_bytes(data)
        planted.bad(reason)
    return planted


def run_cli(source: Path, out: Path) -> tuple[int, float, str]:
    config = out.parent / "fuzz-config.toml"
    config.write_text(CONFIG, encoding="utf-8")
    cli = Path(sys.executable).parent / "newsclean"
    started = time.perf_counter()
    proc = subprocess.run([str(cli), "clean", str(source), "--out", str(out), "--config", str(config), "--shard-size", "200"], capture_output=True, text=True, cwd=ROOT)
    return proc.returncode, time.perf_counter() - started, proc.stderr[-4000:]


def merged(reasons: Counter) -> Counter:
    """Reason counts with 'binary' and 'undecodable' in one bucket (random bytes may be either)."""
    out: Counter = Counter()
    for reason, n in reasons.items():
        out["binary|undecodable" if reason in ("binary", "undecodable", "undecodable|binary") else reason] += n
    return out


def check(out: Path, planted: Planted) -> dict:
    (run_dir,) = out.glob("run-*")
    manifest = json.loads((run_dir / "manifest.json").read_text())
    counts = manifest["counts"]
    records = [json.loads(line) for f in sorted(run_dir.glob("documents-*.jsonl")) for line in f.read_text().splitlines()]
    present = {(Path(r["source"]["uri"]).name, r["source"]["member"]) for r in records}
    reasons = Counter(manifest["reject_reasons"])
    return {
        "documents_planted": planted.documents,
        "broken_planted": sum(planted.reasons.values()),
        "good_planted": len(planted.good),
        "counts": counts,
        "invariant_holds": counts["inputs"] == counts["records"] + counts["rejects"] + counts["skipped"] == planted.documents,
        "internal_errors": reasons.get("internal_error", 0),
        "reject_reasons": dict(sorted(reasons.items())),
        "planted_reasons": dict(sorted(planted.reasons.items())),
        "reasons_match": merged(reasons) == merged(planted.reasons),
        "skips_match": manifest["skip_reasons"] == dict(planted.skips),
        "good_missing": sorted(f"{n}#{m}" for n, m in planted.good - present),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--broken", type=int, default=1100)
    parser.add_argument("--good", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    with tempfile.TemporaryDirectory(prefix="newsclean-fuzz-") as tmp:
        source, out = Path(tmp) / "corpus", Path(tmp) / "out"
        planted = build(source, args.broken, args.good, args.seed)
        print(f"corpus: {planted.documents} documents in {sum(1 for _ in source.iterdir())} files ({sum(planted.reasons.values())} broken, {len(planted.good)} good)")
        code, seconds, stderr = run_cli(source, out)
        result = {"exit_code": code, "seconds": round(seconds, 1)}
        if code == 0:
            result |= check(out, planted)
        else:
            result["stderr"] = stderr
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    ok = code == 0 and result["invariant_holds"] and not result["internal_errors"] and result["reasons_match"] and result["skips_match"] and not result["good_missing"]
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
