"""How far can the line model go on this data? Does more data, capacity or context help?

Each measurement is the 2-fold cross-validation of ``train_line_model.py`` within the dev half
(train on one fold, score the other, swap; the held half is never read) and prints F1/P/R
to 4 decimals per set and rendering at the removal thresholds, to compare with ``baseline``:

* ``baseline``: the line model as trained today.
* ``curve``: the same model trained on a quarter and a half of its training fold (1/8 and
  1/4 of the dev pages instead of 1/2): does it still learn from more pages?
* ``capacity``: 300 trees at learning rate 0.06; trees of depth 8 instead of 6.
* ``stack``: a second model that also sees the first one's scores of the line, of its
  neighbours and of the rest of the page (a learned smoothing along the page). It trains on
  the first model's out-of-fold scores of its training pages, as it would meet them at run
  time.
* ``words``: one more feature, a logistic regression over the line's hashed word unigrams
  and bigrams and its first and last words (out of fold, as above). Needs scikit-learn.

    .venv/bin/pip install -e '.[train]'
    .venv/bin/python benchmarks/line_model_limits.py [baseline curve capacity stack words]

About 40 minutes for all five on a 2-core machine (``stack`` is the longest, about 11).
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
import time
from typing import Callable

import numpy as np
from diagnose import training_blocks
from train_line_model import (
    PARAMS, Page, Params, Scorer, fit, hash_part, model_scores, out_of_fold, out_of_fold_scores, pages, predict, print_table,
    table_of, targets, with_words,
)

THRESHOLDS = (0.5, 0.8, 0.9)


def trained_on_part(quarters: int) -> Scorer:
    """The line model trained on ``quarters`` quarters of the training fold."""
    return lambda train, test: model_scores([p for p in train if hash_part("curve", p.id, 4) < quarters], test)


def with_params(params: Params) -> Scorer:
    return lambda train, test: model_scores(train, test, params)


def _inner_out_of_fold(train: list[Page], scorer: Scorer) -> dict[int, list[float]]:
    """Scores of the training pages (by ``id``), each from a model trained on the other
    half of them (a second split, independent of the outer folds)."""
    inner = [dataclasses.replace(p, fold=hash_part("inner", p.id)) for p in train]
    scores = {id(copy): s for copy, s in out_of_fold_scores(inner, scorer)}
    return {id(p): scores[id(copy)] for p, copy in zip(train, inner)}


def score_context(page: Page, scores: list[float]) -> np.ndarray:
    """Per line: its first-stage score, its neighbours' (two each side, -1 past the ends),
    the highest and lowest within three lines, the token-weighted mean of the lines before it,
    after it and of the page, the mean of the next and previous five, and the signed log
    length of the run of lines on the same side of 0.5 it is part of."""
    s, w = np.asarray(scores, dtype=float), page.weights
    n = len(s)
    pad = np.concatenate([[-1.0, -1.0], s, [-1.0, -1.0]])
    weighted_before = np.concatenate([[0.0], np.cumsum(s * w)])
    weight_before = np.concatenate([[0.0], np.cumsum(w)])
    high = s > 0.5
    run = np.zeros(n)
    start = 0
    for i in range(1, n + 1):
        if i == n or high[i] != high[start]:
            run[start:i] = (i - start) * (1 if high[start] else -1)
            start = i
    rows = []
    for i in range(n):
        window = s[max(0, i - 3) : i + 4]
        after_w = weight_before[n] - weight_before[i + 1]
        after = (weighted_before[n] - weighted_before[i + 1]) / after_w if after_w > 0 else -1.0
        before = weighted_before[i] / weight_before[i] if weight_before[i] > 0 else -1.0
        nxt, prv = s[i + 1 : i + 6], s[max(0, i - 5) : i]
        rows.append([
            s[i], pad[i + 1], pad[i + 3], pad[i], pad[i + 4], window.max(), window.min(), after, before,
            weighted_before[n] / weight_before[n], nxt.mean() if len(nxt) else -1.0,
            prv.mean() if len(prv) else -1.0, np.sign(run[i]) * np.log1p(abs(run[i])),
        ])  # fmt: skip
    return np.array(rows)


def with_extra_columns(first: Scorer, columns: Callable[[Page, list[float]], np.ndarray]) -> Scorer:
    """A second model over the line features plus ``columns`` of the first scorer's scores:
    out of fold on the training pages, from the whole training fold on the test pages."""

    def scorer(train: list[Page], test: list[Page]) -> list[list[float]]:
        train_scores = _inner_out_of_fold(train, first)
        test_scores = first(train, test)
        x = np.vstack([np.hstack([f, columns(p, train_scores[id(p)])]) for p, f in zip(train, out_of_fold(train))])
        model = fit(x, *targets(train))
        table = table_of(train)
        return [predict(np.hstack([with_words(p, table), columns(p, s)]), model) for p, s in zip(test, test_scores)]

    return scorer


_WORD = re.compile(r"\w+")


def _terms(text: str) -> list[str]:
    words = [w.lower() for w in _WORD.findall(text)]
    terms = words + [f"{a}_{b}" for a, b in zip(words, words[1:])]
    return terms + [f"first:{words[0]}", f"last:{words[-1]}"] if words else terms


def word_regression(train: list[Page], test: list[Page]) -> list[list[float]]:
    """A logistic regression over hashed terms of the line, weighted like the line model."""
    try:
        from sklearn.feature_extraction.text import HashingVectorizer
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        sys.exit("words needs scikit-learn: .venv/bin/pip install -e '.[train]'")
    vectorizer = HashingVectorizer(analyzer=_terms, n_features=2**20, alternate_sign=False)
    x = vectorizer.transform([b.text for p in train for b in p.blocks])
    y, w = targets(train)
    model = LogisticRegression(max_iter=2000).fit(x, y, sample_weight=w * len(train))
    return [list(model.predict_proba(vectorizer.transform([b.text for b in p.blocks]))[:, 1]) for p in test]


def one_column(page: Page, scores: list[float]) -> np.ndarray:
    return np.asarray(scores, dtype=float)[:, None]


MEASUREMENTS: dict[str, list[tuple[str, Scorer]]] = {
    "baseline": [("line model (1/2 of dev)", model_scores)],
    "curve": [("trained on 1/8 of dev", trained_on_part(1)), ("trained on 1/4 of dev", trained_on_part(2))],
    "capacity": [
        ("300 trees, learning rate 0.06", with_params(dataclasses.replace(PARAMS, rounds=300, learning_rate=0.06))),
        ("depth 8", with_params(dataclasses.replace(PARAMS, depth=8))),
    ],
    "stack": [("second stage over the first one's scores", with_extra_columns(model_scores, score_context))],
    "words": [("plus a word-regression feature", with_extra_columns(word_regression, one_column))],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("measurements", nargs="*", metavar="MEASUREMENT",
                        help=f"any of {', '.join(MEASUREMENTS)} (default: all)")
    args = parser.parse_args()
    unknown = set(args.measurements) - set(MEASUREMENTS)
    if unknown:
        parser.error(f"unknown measurement(s): {', '.join(sorted(unknown))}")
    started = time.monotonic()
    ps = pages(training_blocks("balanced"))
    for name in args.measurements or MEASUREMENTS:
        for label, scorer in MEASUREMENTS[name]:
            print(f"\n== {name}: {label}", flush=True)
            print_table(out_of_fold_scores(ps, scorer), THRESHOLDS, digits=4)
            print(f"   ({time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
