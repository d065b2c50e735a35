"""Worst-case shapes of text: does the cost of one document grow with its length, or faster?

Nightly runs meet pages no article looks like: a page flattened to one line, thousands of
one-word lines, a block of unknown tokens (codes, handles, OCR noise), Title-Case menus, a
line of mojibake, a page whose declared charset is wrong.
The text path has no per-document time limit (HTML extraction has one), so each step must
stay linear in the document's length. This builds each shape (seeded, from the seeds'
words) at two sizes, cleans it once with ``clean_document`` after a warm-up (dictionaries
loaded), and reports the seconds and the growth: (time at the larger size / time at the
smaller) / (size ratio). About 1 is linear; about the size ratio is quadratic.

    .venv/bin/python benchmarks/worst_case.py [--sizes 100000,400000] [--shapes a,b] [--json FILE]

Found with it (stop 25): the typo step's code-line guard read a token's whole line again
for every unknown word in it; 100 KB of unknown words on one line took 67 s, 205 KB 257 s.
Stop 30: the encoding step's diff of a repaired line (difflib) took 18 s on 25 KB of
mojibake on one line and 158 s on 50 KB; the mojibake shape at 1 MB:
``--shapes "mojibake on one line" --sizes 250000,1000000``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cleaners.config import CleanConfig  # noqa: E402
from cleaners.inputs.files import InputDocument  # noqa: E402
from cleaners.pipeline import RunInfo, clean_document  # noqa: E402

SEED_TEXT = "\n\n".join(path.read_text(encoding="utf-8") for path in sorted((ROOT / "seeds").glob("*.txt")))
WORDS = SEED_TEXT.split()
LETTERS = "abcdefghijklmnopqrstuvwxyz"
#: Non-English sentences for the charset shapes: accents, curly quotes, dashes, Cyrillic.
FOREIGN = (
    "Le café « Chez Zoë » a fermé ses portes — après quarante-deux années, dit André Lefèvre… ",
    "Мэр города объявил в среду, что новая линия трамвая откроется весной. ",
)


def _unknown(rnd: random.Random) -> str:
    return "".join(rnd.choice(LETTERS) for _ in range(8))


def _with_foreign(n: int, rnd: random.Random) -> str:
    """About ``n`` characters: seed sentences with a French or Russian one every ~500."""
    out, size = [], 0
    while size < n:
        piece = " ".join(rnd.choice(WORDS) for _ in range(80)) + ". " + rnd.choice(FOREIGN)
        out.append(piece)
        size += len(piece)
    return "".join(out)[:n]


def _mojibake_line(n: int, rnd: random.Random) -> bytes:
    """One line of UTF-8 text decoded as windows-1252, saved as UTF-8 (a repaired page's worst)."""
    return _with_foreign(n, rnd).encode("utf-8").decode("sloppy-windows-1252").encode("utf-8")


def _windows_1252_declared_utf8(n: int, rnd: random.Random) -> tuple[bytes, str]:
    """An HTML page of windows-1252 bytes whose <meta> says UTF-8 (Russian left out: not in windows-1252)."""
    text = _with_foreign(n, rnd).replace(FOREIGN[1], FOREIGN[0])
    body = "".join(f"<p>{text[i : i + 600]}</p>\n" for i in range(0, len(text), 600))
    page = f'<html><head><meta charset="utf-8"><title>Worst case</title></head><body><article>{body}</article></body></html>'
    return page.encode("cp1252"), "html"


#: shape -> builder(size in characters, random) -> text of about that size, or the bytes of
#: a document of about that size and their format
SHAPES: dict[str, Callable[[int, random.Random], str | bytes | tuple[bytes, str]]] = {
    "article flattened to one line": lambda n, rnd: " ".join((SEED_TEXT * (n // len(SEED_TEXT) + 1)).split())[:n],
    "unknown words on one line": lambda n, rnd: SEED_TEXT[:3000] + "\n\n" + " ".join(_unknown(rnd) for _ in range(n // 9)),
    "capitalised unknown words": lambda n, rnd: SEED_TEXT[:3000] + "\n\n" + " ".join(_unknown(rnd).capitalize() for _ in range(n // 9)),
    "one word per line": lambda n, rnd: "\n".join(rnd.choice(WORDS) for _ in range(n // 7)),
    "Title-Case lines": lambda n, rnd: "\n".join(" ".join(w.capitalize() for w in rnd.sample(WORDS, 4)) for _ in range(n // 30)),
    "article lines shuffled": lambda n, rnd: "\n".join(rnd.choice(SEED_TEXT.splitlines()) for _ in range(n // 80)),
    "one paragraph repeated": lambda n, rnd: "\n\n".join([SEED_TEXT[:2000]] * (n // 2000)),
    "markup and code in prose": lambda n, rnd: SEED_TEXT[:3000] + "\n\n" + " ".join(f"{rnd.choice(['<div>', '{x}', 'a == b', 'f()', '->'])} {rnd.choice(WORDS)}" for _ in range(n // 12)),
    "URLs": lambda n, rnd: " ".join(f"https://example.com/{rnd.randrange(10**9)}" for _ in range(n // 30)),
    "no spaces": lambda n, rnd: "a" * n,
    "mojibake on one line": _mojibake_line,
    "windows-1252 page declared UTF-8": _windows_1252_declared_utf8,
}


def measure(shape: str, size: int, config: CleanConfig, run: RunInfo) -> dict:
    built = SHAPES[shape](size, random.Random(f"{shape}:{size}"))
    raw, fmt = built if isinstance(built, tuple) else (built.encode("utf-8") if isinstance(built, str) else built, "text")
    started = time.perf_counter()
    result = clean_document(InputDocument(uri=f"worst-case/{shape}", raw=raw, format=fmt), config, run)
    return {"shape": shape, "kb": round(len(raw) / 1000), "seconds": round(time.perf_counter() - started, 3), "result": type(result).__name__}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,400000", help="two sizes in characters")
    parser.add_argument("--shapes", help="comma-separated shape names (default: all)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    small, large = (int(x) for x in args.sizes.split(","))
    shapes = args.shapes.split(",") if args.shapes else list(SHAPES)
    config = CleanConfig()
    run = RunInfo(config.config_hash(), processed_at="benchmark")
    clean_document(InputDocument(uri="warm-up", raw=SEED_TEXT.encode()), config, run)  # loads the dictionaries
    rows = []
    print(f"{'shape':32s} {'KB':>6s} {'s':>8s} {'KB':>6s} {'s':>8s}  growth (1 = linear)")
    for shape in shapes:
        a, b = measure(shape, small, config, run), measure(shape, large, config, run)
        growth = (b["seconds"] / max(a["seconds"], 1e-3)) / (b["kb"] / max(a["kb"], 1))
        rows.append({"shape": shape, "small": a, "large": b, "growth": round(growth, 2)})
        print(f"{shape:32s} {a['kb']:6d} {a['seconds']:8.2f} {b['kb']:6d} {b['seconds']:8.2f}  {growth:.2f}", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"sizes": [small, large], "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
