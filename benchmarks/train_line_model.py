"""Train the line model (``cleaners/rules/line_model.json``) on the ``dev`` half only.

Reproducible: the same data and code give the same weights (gradient-boosted trees
on quantile-binned features with Newton leaf values: no sampling, no random state).

* **Data**: every line of both renderings of every ``dev`` page of both development files
  (the ``held`` half is never read here). The rules run first (``apply_rules``), so their
  evidence is part of each line's features.
* **Label**: a line is article text when at least half of its 4-token shingles occur in the
  gold text (short lines: their whole token sequence).
* **Weight**: a line's tokens over its page's tokens, so every page counts the same, as in
  the AEB metric (precision and recall are per-page means).
* **Word table** (``words`` in the JSON): each word's junk log-odds over the pages it is
  on (``line_model.word_table``). The trees learn from *out-of-fold* word features: a page's
  lines are scored with the table of the other half of the training pages, so the trees
  see how much a table trusts words it did not learn from that very page.
* **Fingerprint** (``rules_fingerprint`` in the JSON): a hash of what the rules made of the
  training pages (``diagnose.rules_fingerprint``). A test compares it with today's rules: a
  rule change that alters their evidence on these pages means retraining (``--write``),
  so the weights in the repository are always the ones this script gives.

The removal threshold per strictness level (``model_remove`` in ``rules/structure.toml``)
is chosen by hand from the table this prints: two-fold cross-validation *within* the dev
half (train on one fold, score F1/P/R on the other, then swap).

    .venv/bin/pip install -e '.[train]'   # numpy; the pipeline scores in pure Python
    .venv/bin/python benchmarks/train_line_model.py [--write]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
from diagnose import article_share, gold_index, rules_fingerprint, training_blocks
from quality import RENDERINGS, SETS, evaluate

from cleaners.steps.boilerplate import decide
from cleaners.steps.line_model import FEATURE_NAMES, Layout, LineView, line_features, line_words, word_table

MODEL_PATH = Path(__file__).resolve().parent.parent / "cleaners" / "rules" / "line_model.json"


@dataclass(frozen=True)
class Params:
    """The boosting settings (``benchmarks/line_model_limits.py capacity`` measures others)."""

    rounds: int = 120
    depth: int = 6
    learning_rate: float = 0.15
    bins: int = 32  # quantile bins per feature
    l2: float = 1.0
    min_hessian: float = 0.05


PARAMS = Params()
#: A word enters the table when it is on at least this many training pages (either class).
WORD_MIN_PAGES = 8


@dataclass
class Page:
    id: str
    gold: str
    set: str
    rendering: str
    fold: int
    blocks: list
    layout: Layout
    labels: np.ndarray  # 1 = junk
    weights: np.ndarray

    def views(self) -> list[LineView]:
        return [LineView(b.text, b.category, b.evidence) for b in self.blocks]

    def word_sets(self) -> tuple[set[str], set[str]]:
        """The words of its junk lines, and those of its article lines."""
        junk: set[str] = set()
        article: set[str] = set()
        for block, label in zip(self.blocks, self.labels):
            (junk if label else article).update(line_words(block.text))
        return junk, article


def hash_part(key: str, page_id: str, parts: int = 2) -> int:
    """Which of ``parts`` parts a page falls in, for the split named ``key``: stable, and
    independent of the other splits (and of the dev/held split)."""
    return hashlib.sha256(f"{key}:{page_id}".encode()).digest()[0] % parts


def fold_of(page_id: str) -> int:
    return hash_part("fold", page_id)


def pages(ruled: Iterable[tuple[str, dict, str, list]]) -> list[Page]:
    """Training pages from ``diagnose.training_blocks``: labels, weights and layout per line."""
    out = []
    for name, row, rendering, blocks in ruled:
        index = gold_index(row["gold_text"])
        _, layout = line_features([LineView(b.text, b.category, b.evidence) for b in blocks], {})
        tokens = np.array([max(len(evaluate.tokens(b.text)), 1) for b in blocks], dtype=float)
        labels = np.array([article_share(b.text, index) < 0.5 for b in blocks], dtype=float)
        out.append(Page(row["id"], row["gold_text"], name, rendering, fold_of(row["id"]), blocks, layout,
                        labels, tokens / tokens.sum()))
    return out


@dataclass
class Trees:
    base: float
    trees: list[list[tuple[int, float, int, int, float]]]
    depth: int = PARAMS.depth

    def log_odds(self, x: np.ndarray) -> np.ndarray:
        z = np.full(len(x), self.base)
        rows = np.arange(len(x))
        for tree in self.trees:
            feat, thr, left, right, value = (np.array(col) for col in zip(*tree))
            node = np.zeros(len(x), dtype=int)
            for _ in range(self.depth):
                inner = feat[node] >= 0
                go_left = x[rows, np.where(inner, feat[node], 0)] <= thr[node]
                node = np.where(inner, np.where(go_left, left[node], right[node]), node)
            z += value[node]
        return z


def fit(x: np.ndarray, y: np.ndarray, w: np.ndarray, params: Params = PARAMS) -> Trees:
    """Gradient boosting with Newton leaves on histogram splits (quantile bins)."""
    bins = np.linspace(0, 1, params.bins + 1)[1:-1]
    edges = [np.unique(np.quantile(x[:, j], bins)) for j in range(x.shape[1])]
    xb = np.column_stack([np.searchsorted(edges[j], x[:, j], side="left") for j in range(x.shape[1])])
    prior = float(np.average(y, weights=w))
    model = Trees(float(np.log(prior / (1 - prior))), [], params.depth)
    z = np.full(len(y), model.base)
    for _ in range(params.rounds):
        p = 1 / (1 + np.exp(-z))
        g, h = w * (p - y), w * p * (1 - p)
        tree: list[tuple[int, float, int, int, float]] = []
        _grow(tree, np.arange(len(y)), xb, edges, g, h, 0, params)
        model.trees.append(tree)
        z += Trees(0.0, [tree], params.depth).log_odds(x)
    return model


def _grow(tree: list, idx: np.ndarray, xb: np.ndarray, edges: list, g: np.ndarray, h: np.ndarray, depth: int,
          params: Params) -> int:
    """Append the node for rows ``idx`` (and its subtree) to ``tree``; return its index."""
    node = len(tree)
    gs, hs = g[idx].sum(), h[idx].sum()
    l2, min_hessian = params.l2, params.min_hessian
    tree.append((-1, 0.0, -1, -1, float(-params.learning_rate * gs / (hs + l2))))
    if depth == params.depth or hs < 2 * min_hessian:
        return node
    best = (0.0, -1, -1)
    parent = gs * gs / (hs + l2)
    for j in range(xb.shape[1]):
        nb = len(edges[j]) + 1
        gl = np.cumsum(np.bincount(xb[idx, j], g[idx], minlength=nb))[:-1]
        hl = np.cumsum(np.bincount(xb[idx, j], h[idx], minlength=nb))[:-1]
        ok = (hl >= min_hessian) & (hs - hl >= min_hessian)
        if not ok.any():
            continue
        gain = np.where(ok, gl**2 / (hl + l2) + (gs - gl) ** 2 / (hs - hl + l2) - parent, -np.inf)
        k = int(np.argmax(gain))
        if gain[k] > best[0]:
            best = (float(gain[k]), j, k)
    if best[1] < 0:
        return node
    _, j, k = best
    goes_left = xb[idx, j] <= k
    left = _grow(tree, idx[goes_left], xb, edges, g, h, depth + 1, params)
    right = _grow(tree, idx[~goes_left], xb, edges, g, h, depth + 1, params)
    tree[node] = (j, float(edges[j][k]), left, right, 0.0)
    return node


def table_of(ps: list[Page]) -> dict[str, float]:
    """The word table of these pages (both renderings of a page count as one page)."""
    by_page: dict[str, tuple[set[str], set[str]]] = {}
    for p in ps:
        junk, article = by_page.setdefault(p.id, (set(), set()))
        page_junk, page_article = p.word_sets()
        junk |= page_junk
        article |= page_article
    return word_table((by_page[k] for k in sorted(by_page)), WORD_MIN_PAGES)


def with_words(p: Page, table: dict[str, float]) -> np.ndarray:
    """The page's features with the word columns of ``table``."""
    rows, _ = line_features(p.views(), table)
    return np.array(rows)


def word_fold(page_id: str) -> int:
    return hash_part("words", page_id)


def out_of_fold(ps: list[Page]) -> list[np.ndarray]:
    """Each page's features, its word columns from the table of the other word fold."""
    tables = {k: table_of([p for p in ps if word_fold(p.id) != k]) for k in (0, 1)}
    return [with_words(p, tables[word_fold(p.id)]) for p in ps]


def targets(ps: list[Page]) -> tuple[np.ndarray, np.ndarray]:
    """Every line's label and weight, in page order."""
    return np.concatenate([p.labels for p in ps]), np.concatenate([p.weights for p in ps])


def stacked(ps: list[Page]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Training rows: out-of-fold word columns (see the module docstring)."""
    return (np.vstack(out_of_fold(ps)), *targets(ps))


def predict(features: np.ndarray, model: Trees) -> list[float]:
    return [round(float(v), 3) for v in 1 / (1 + np.exp(-model.log_odds(features)))]


def kept_text(page: Page, scores: list[float], thresholds: dict) -> str:
    blocks = [type(b)(**vars(b)) for b in page.blocks]
    decide(blocks, scores, page.layout, thresholds)
    return "\n".join(b.text for b in blocks if b.category is None)


THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)


def print_table(scored: list[tuple[Page, list[float]]], thresholds: tuple[float, ...] = THRESHOLDS,
                label: str = "remove", digits: int = 3) -> None:
    """F1/P/R of each set and rendering when lines scoring ``>= threshold`` go."""
    print(f"{label:>6s}  " + "  ".join(f"{s[:5]}/{r[:5]:5s} F1{' ' * (digits + 1)}P     R  " for s in SETS for r in RENDERINGS))
    for threshold in thresholds:
        th = {"model_remove": threshold}
        cells = []
        for s in SETS:
            for r in RENDERINGS:
                pairs = [(p.gold, kept_text(p, sc, th)) for p, sc in scored if p.set == s and p.rendering == r]
                res = evaluate.score_pairs(pairs, n_bootstrap=0)
                cells.append(f"{res['f1']:.{digits}f} {res['precision']:.3f} {res['recall']:.3f}")
        print(f"{threshold:6.2f}  " + "  ".join(cells), flush=True)


#: Trains on the first pages and returns a score per line of each of the second.
Scorer = Callable[[list[Page], list[Page]], list[list[float]]]


def model_scores(train: list[Page], test: list[Page], params: Params = PARAMS) -> list[list[float]]:
    """The line model trained on ``train`` (its word table too), scoring ``test``."""
    model = fit(*stacked(train), params)
    table = table_of(train)
    return [predict(with_words(p, table), model) for p in test]


def out_of_fold_scores(ps: list[Page], scorer: Scorer = model_scores) -> list[tuple[Page, list[float]]]:
    """Each page scored by a model trained on the other fold (2-fold CV within ``ps``)."""
    scored: list[tuple[Page, list[float]]] = []
    for fold in (0, 1):
        test = [p for p in ps if p.fold == fold]
        scored += zip(test, scorer([p for p in ps if p.fold != fold], test))
    return scored


def cross_validate(ps: list[Page]) -> None:
    print_table(out_of_fold_scores(ps))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="write rules/line_model.json (trained on all dev pages)")
    parser.add_argument("--no-cv", action="store_true", help="skip the cross-validation table")
    args = parser.parse_args()
    ruled = list(training_blocks("balanced"))
    ps = pages(ruled)
    x, y, w = stacked(ps)
    print(f"{len(ps)} dev pages, {len(y)} lines, {y.mean():.2f} junk", file=sys.stderr)
    if not args.no_cv:
        cross_validate(ps)
    model = fit(x, y, w)
    words = table_of(ps)
    used = Counter(FEATURE_NAMES[n[0]] for tree in model.trees for n in tree if n[0] >= 0)
    print("splits per feature:", dict(used.most_common()))
    if args.write:
        payload = {
            "trained_on": "dev half (sha256(id)[0] even) of ../shared/bench, both renderings; benchmarks/train_line_model.py",
            "lines": int(len(y)),
            "rules_fingerprint": rules_fingerprint(ruled),
            "params": asdict(PARAMS),
            "features": list(FEATURE_NAMES),
            "base": round(model.base, 6),
            "words": words,
            "trees": [[[f, round(t, 6), left, right, round(v, 6)] for f, t, left, right, v in tree]
                      for tree in model.trees],
        }
        MODEL_PATH.write_text(json.dumps(payload, indent=1) + "\n")
        print(f"wrote {MODEL_PATH}", file=sys.stderr)


if __name__ == "__main__":
    main()
