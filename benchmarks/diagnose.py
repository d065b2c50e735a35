"""Where does boilerplate removal gain and lose? Line-level diagnosis on the dev half.

For every line of the rendering, the share of its 4-token shingles that occur in the gold
text says whether it is article text (>= 0.5) or junk. Per removal rule this prints how
many article tokens it cut (recall cost) and how many junk tokens it removed (precision
gain); for kept lines, how many junk tokens remain, by position in the page. It also
scores the *oracle* line filter (keep exactly the article lines): the ceiling of any
line-level classifier.

Only the ``dev`` half is used (the ``held`` half is for reporting, never for tuning).

    .venv/bin/python benchmarks/diagnose.py [--rendering scraped_text] [--set scrapinghub]
"""

from __future__ import annotations

import argparse
import hashlib
from collections import Counter
from typing import Iterable, Iterator

from quality import MEASURED_SETS, RENDERINGS, SETS, evaluate, half_of, load  # noqa: F401  (sets up sys.path)

# Tokens as the AEB metric counts them: evaluate.tokens (\w+).

from cleaners.steps.boilerplate import Block, apply_rules, classify_blocks
from cleaners.config import CleanConfig
from cleaners.steps.encoding import repair_encoding
from cleaners.steps.spacing import normalise_spacing
from cleaners.tracked_text import TrackedText



def ngrams(tokens: list[str], n: int = 4) -> list[tuple[str, ...]]:
    if len(tokens) < n:
        return [tuple(tokens)] if tokens else []
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def gold_index(gold: str) -> set[tuple[str, ...]]:
    """All 1..4-grams of the gold, so short lines can be looked up too."""
    toks = evaluate.tokens(gold)
    return {tuple(toks[i : i + n]) for n in range(1, 5) for i in range(len(toks) - n + 1)}


def article_share(line: str, index: set[tuple[str, ...]]) -> float:
    grams = ngrams(evaluate.tokens(line))
    return sum(g in index for g in grams) / len(grams) if grams else 1.0


def prepared(text: str, config: CleanConfig) -> str:
    tracked, _ = repair_encoding(TrackedText(text), config.encoding)
    tracked, _ = normalise_spacing(tracked, True)
    return tracked.text


def training_blocks(strictness: str = "balanced") -> Iterator[tuple[str, dict, str, list[Block]]]:
    """``(set, row, rendering, blocks)`` for both renderings of every dev page: the lines the
    line model trains on, with the rules' decisions as their evidence."""
    config = CleanConfig()
    for name in SETS:
        for row in load(name):
            if half_of(row["id"]) != "dev":
                continue
            for rendering in RENDERINGS:
                if row[rendering].strip() and (blocks := apply_rules(prepared(row[rendering], config), strictness)):
                    yield name, row, rendering, blocks


def rules_fingerprint(pages: Iterable[tuple[str, dict, str, list[Block]]]) -> str:
    """sha256 of what the rules made of the training pages: each line's text, category, rule
    and evidence. Stored in ``rules/line_model.json`` when it is trained; a rule change
    that alters it means the model learned from evidence the rules no longer give
    (``tests/test_boilerplate.py`` checks it)."""
    digest = hashlib.sha256()
    for _, row, rendering, blocks in pages:
        digest.update(f"{row['id']}\t{rendering}\n".encode())
        for b in blocks:
            digest.update(f"{b.text}\t{b.category}\t{b.rule}\t{b.evidence}\n".encode())
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rendering", default="scraped_text")
    parser.add_argument("--set", action="append", choices=list(MEASURED_SETS))
    parser.add_argument("--strictness", default="balanced")
    parser.add_argument("--show", help="print removed article lines of this rule")
    parser.add_argument("--rules-only", action="store_true", help="without the line model")
    parser.add_argument("--show-kept", type=int, default=0, help="print this many kept junk lines")
    args = parser.parse_args()
    config = CleanConfig()
    cut = Counter()  # rule -> article tokens removed
    gained = Counter()  # rule -> junk tokens removed
    kept_junk = Counter()  # position -> junk tokens kept
    kept_examples: list[str] = []
    pairs, oracle = [], []
    for name in args.set or SETS:
        for row in load(name):
            if half_of(row["id"]) != "dev" or not row[args.rendering].strip():
                continue
            index = gold_index(row["gold_text"])
            text = prepared(row[args.rendering], config)
            blocks = (apply_rules if args.rules_only else classify_blocks)(text, args.strictness)
            keep, ideal = [], []
            for b in blocks:
                share = article_share(b.text, index)
                ntok = len(evaluate.tokens(b.text))
                if share >= 0.5:
                    ideal.append(b.text)
                if b.category is None:
                    keep.append(b.text)
                    if share < 0.5:
                        pos = "lead" if b.index < len(blocks) * 0.2 else "tail" if b.index > len(blocks) * 0.8 else "middle"
                        kept_junk[pos] += ntok
                        if len(kept_examples) < args.show_kept:
                            kept_examples.append(f"[{pos}] {b.text[:160]}")
                elif share >= 0.5:
                    cut[b.rule] += ntok
                    if args.show == b.rule:
                        print(f"CUT {row['id'][:10]} {b.text[:200]}")
                else:
                    gained[b.rule] += ntok
            pairs.append((row["gold_text"], "\n".join(keep)))
            oracle.append((row["gold_text"], "\n".join(ideal)))
    res = evaluate.score_pairs(pairs, n_bootstrap=0)
    ora = evaluate.score_pairs(oracle, n_bootstrap=0)
    print(f"n={len(pairs)} F1/P/R {res['f1']:.3f}/{res['precision']:.3f}/{res['recall']:.3f}"
          f"  oracle {ora['f1']:.3f}/{ora['precision']:.3f}/{ora['recall']:.3f}")
    print(f"{'rule':40s} {'article cut':>12s} {'junk removed':>12s}")
    for rule in sorted(set(cut) | set(gained), key=lambda r: -cut[r]):
        print(f"{rule:40s} {cut[rule]:12d} {gained[rule]:12d}")
    print("junk tokens kept by position:", dict(kept_junk))
    for line in kept_examples:
        print("KEPT", line)


if __name__ == "__main__":
    main()
