"""Article text the cleaner removes: gold lines lost, by rule, per set, rendering and strictness.

F1 mixes two errors; this counts the worse one alone. For every page of ``../shared/bench``
(all three sets) and each dirty rendering, the cleaned text is aligned to the gold line by
line: a gold line's 4-token shingles (as the AEB metric counts tokens) that the input holds
and the cleaned text does not are *lost*, and the line's characters count as removed in
that proportion. Each lost shingle is charged to the removal that covers most of its first
place in the input (that removal's rule), else to ``(not in one removal)`` (an edit
changed it: a typo repair, a rejected page). A page is *emptied* when its input held gold text and
cleaning left nothing (a reject, or an empty text).

Prints per set, rendering and strictness: gold characters in the input, characters
removed and their share of all gold characters, the mean of each page's share (each page
weighs the same, as in the AEB metric, so one long page cannot hide or make the figure),
pages emptied; then the rules by characters removed, the pages that lost most and the
20 worst gold lines (most characters lost) with their rule. A page whose gold keeps its
reader comments (a few of dragnet-train's: "Name — date" lines inside the gold) shows as
a page that lost most of its gold to ``comments.thread``: that is the gold's error.

    .venv/bin/python benchmarks/harm.py [--strictness balanced,aggressive] [--set NAME] [--rendering R] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from quality import MEASURED_SETS, RENDERINGS, evaluate, load  # noqa: E402  (also puts ../shared/bench on sys.path)

from cleaners.config import CleanConfig  # noqa: E402
from cleaners.pipeline import InputDocument, RunInfo, clean_document  # noqa: E402
from cleaners.record import Record  # noqa: E402

NOT_IN_ONE_REMOVAL = "(not in one removal)"
WORST = 20


def shingles(text: str) -> list[tuple[str, ...]]:
    """The AEB metric's 4-token shingles of ``text`` (one shorter shingle for 1-3 tokens)."""
    tokens = evaluate.tokens(text)
    if len(tokens) < 4:
        return [tuple(tokens)] if tokens else []
    return [tuple(tokens[i : i + 4]) for i in range(len(tokens) - 3)]


@dataclass
class Tally:
    """What one (set, rendering, strictness) lost."""

    pages: int = 0
    gold_chars: int = 0
    removed_chars: float = 0.0
    page_shares: dict[str, float] = field(default_factory=dict)  # page -> share of its gold lost
    emptied: list[str] = field(default_factory=list)
    by_rule: Counter = field(default_factory=Counter)
    worst: list[tuple[float, str, str, str]] = field(default_factory=list)  # (chars, page, rule, line)


def page_harm(gold: str, source: str, result: object) -> tuple[int, list[tuple[float, str, str]], bool]:
    """(gold characters the input holds, [(characters lost, rule, gold line)], emptied)."""
    kept = set(shingles(result.text)) if isinstance(result, Record) else set()
    found = list(evaluate.TOKEN_RE.finditer(source))
    where: dict[tuple[str, ...], tuple[int, int]] = {}  # shingle -> its first span in the input
    for i in range(max(len(found) - 3, 1 if found else 0)):
        run = found[i : i + 4]
        where.setdefault(tuple(m.group() for m in run), (run[0].start(), run[-1].end()))
    removals = [(r.start, r.end, r.rule) for r in result.removed] if isinstance(result, Record) else []
    in_input, lost = 0, []
    for line in (g.strip() for g in gold.split("\n")):
        grams = [g for g in shingles(line) if g in where]
        if not grams:
            continue
        in_input += len(line)
        gone = [g for g in grams if g not in kept]
        for rule, n in Counter(_charged(where[g], removals) for g in gone).items():
            lost.append((len(line) * n / len(grams), rule, line))
    emptied = in_input > 0 and not (isinstance(result, Record) and result.text.strip())
    return in_input, lost, emptied


def _charged(span: tuple[int, int], removals: list[tuple[int, int, str]]) -> str:
    """The rule of the removal that covers most of the shingle's span in the input."""
    start, end = span
    overlap, rule = max(((min(end, e) - max(start, s), r) for s, e, r in removals), default=(0, ""))
    return rule if overlap > 0 else NOT_IN_ONE_REMOVAL


def measure(name: str, rendering: str, strictness: str) -> Tally:
    config = CleanConfig.model_validate({"boilerplate": {"strictness": strictness}})
    run = RunInfo(config.config_hash(), processed_at="harm")
    tally = Tally()
    for row in load(name):
        source = row[rendering]
        if not source.strip() or not row["gold_text"].strip():
            continue
        result = clean_document(InputDocument(uri=row["id"], raw=source.encode("utf-8")), config, run)
        in_input, lost, emptied = page_harm(row["gold_text"], source, result)
        tally.pages += 1
        tally.gold_chars += in_input
        if in_input:
            tally.page_shares[row["id"]] = sum(chars for chars, _, _ in lost) / in_input
        if emptied:
            tally.emptied.append(row["id"])
        by_line: Counter = Counter()
        for chars, rule, line in lost:
            tally.removed_chars += chars
            tally.by_rule[rule] += chars
            by_line[(rule, line)] += chars
        tally.worst.extend((chars, row["id"], rule, line) for (rule, line), chars in by_line.items())
        tally.worst = sorted(tally.worst, reverse=True)[:WORST]
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--strictness", default="balanced,aggressive", help="comma-separated levels")
    parser.add_argument("--set", action="append", choices=list(MEASURED_SETS))
    parser.add_argument("--rendering", action="append", choices=list(RENDERINGS))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rows, details = [], []
    print(f"{'set':18s} {'input':13s} {'level':12s} {'pages':>5s} {'gold chars':>11s} {'removed':>9s} {'share':>7s} {'per page':>8s} {'emptied':>7s}")
    for strictness in args.strictness.split(","):
        for name in args.set or MEASURED_SETS:
            for rendering in args.rendering or RENDERINGS:
                t = measure(name, rendering, strictness)
                share = t.removed_chars / t.gold_chars if t.gold_chars else 0.0
                per_page = sum(t.page_shares.values()) / len(t.page_shares) if t.page_shares else 0.0
                worst_pages = sorted(((s, p) for p, s in t.page_shares.items() if s > 0), reverse=True)[:10]
                row = {
                    "set": name, "input": rendering, "strictness": strictness, "pages": t.pages, "gold_chars": t.gold_chars,
                    "removed_chars": round(t.removed_chars), "share": round(share, 5), "mean_page_share": round(per_page, 5),
                    "emptied": t.emptied, "worst_pages": [{"page": p, "share": round(s, 4)} for s, p in worst_pages],
                    "by_rule": {r: round(c) for r, c in t.by_rule.most_common()},
                    "worst": [{"chars": round(c), "page": p, "rule": r, "line": line[:300]} for c, p, r, line in t.worst],
                }
                rows.append(row)
                print(f"{name:18s} {rendering:13s} {strictness:12s} {t.pages:5d} {t.gold_chars:11d} {row['removed_chars']:9d} {share:7.3%} {per_page:8.3%} {len(t.emptied):7d}", flush=True)
                details.append(row)
    for row in details:
        print(f"\n== {row['set']} {row['input']} {row['strictness']}: rules by gold characters removed")
        for rule, chars in list(row["by_rule"].items())[:15]:
            print(f"  {chars:8d}  {rule}")
        print("  pages that lost most: " + ", ".join(f"{w['page'][:12]} {w['share']:.1%}" for w in row["worst_pages"]))
        print(f"  worst {WORST} gold lines:")
        for w in row["worst"]:
            print(f"  {w['chars']:6d}  {w['rule']:32s} {w['page'][:12]:12s} {w['line'][:120]!r}")
        if row["emptied"]:
            print(f"  emptied: {', '.join(p[:16] for p in row['emptied'])}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
