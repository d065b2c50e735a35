"""The line model's fast paths give exactly what the straightforward computation gives, on
real bench text: the trees evaluated as arrays against a walk of the node tuples, the
feature matrix against the per-line features of ``tests/line_model_reference.py`` (issue
38: records must stay byte-identical)."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import numpy as np
import pytest

from cleaners.steps.boilerplate import apply_rules
from cleaners.steps.line_model import (
    FEATURE_NAMES, LineModel, LineView, _key_words, count_words, line_features, line_words, load_model, score_lines,
)  # fmt: skip
from cleaners.steps.site_templates import normalised_line
from tests import line_model_reference as reference

BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"
SETS = ("scrapinghub.jsonl.gz", "wcxb-dev-articles.jsonl.gz", "dragnet-train.jsonl.gz")


def _bench_documents(per_set: int) -> list[list[LineView]]:
    """The line model's input for the first ``per_set`` pages of each bench set, both text
    renderings: the blocks the rules leave, as ``score_lines`` sees them."""
    documents = []
    for name in SETS:
        with gzip.open(BENCH / name, "rt", encoding="utf-8") as rows:
            for _, line in zip(range(per_set), rows):
                row = json.loads(line)
                for form in ("scraped_text", "page_text"):
                    blocks = apply_rules(row[form])
                    if blocks:
                        documents.append([LineView(b.text, b.category, b.evidence) for b in blocks])
    return documents


@pytest.fixture(scope="module")
def bench_documents() -> list[list[LineView]]:
    if not BENCH.exists():
        pytest.skip("../shared/bench is not beside the repository")
    return _bench_documents(12)


def reference_log_odds(model: LineModel, row: list[float]) -> float:
    """The trees walked node by node, leaf values added in the trees' order (what the
    generated ``if`` function did before the trees became arrays)."""
    z = model.base
    for tree in model.trees:
        node = tree[0]
        while node[0] >= 0:
            node = tree[node[2] if row[node[0]] <= node[1] else node[3]]
        z += node[4]
    return z


def reference_probability(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


def test_the_tree_arrays_give_the_node_walks_log_odds_bit_for_bit(bench_documents):
    model = load_model()
    lines = 0
    for views in bench_documents:
        rows, _ = line_features(views)
        fast = model.log_odds(np.array(rows, dtype=np.float64)).tolist()
        assert fast == [reference_log_odds(model, row) for row in rows]  # exact float equality
        lines += len(rows)
    assert lines > 1000


def test_the_tree_arrays_send_a_line_right_on_nan_as_python_does():
    """``nan <= t`` is False in Python and numpy alike: a NaN feature goes right."""
    model = load_model()
    row = [math.nan] * len(FEATURE_NAMES)
    assert model.log_odds(np.array([row])).tolist() == [reference_log_odds(model, row)]


def test_scores_are_the_rounded_reference_probabilities(bench_documents):
    model = load_model()
    for views in bench_documents[:10]:
        rows, _ = line_features(views)
        expected = [reference_probability(reference_log_odds(model, row)) for row in rows]
        assert model.junk_probabilities(np.array(rows)) == expected  # before rounding, exactly
        scores, _ = score_lines(views)
        assert scores == [round(p, 3) for p in expected]


def test_log_odds_beyond_the_clip_give_the_reference_probability():
    z = np.array([-1e9, -50.0, -49.999, 0.0, 49.999, 50.0, 1e9])
    clipped = np.clip(z, -50.0, 50.0).tolist()
    assert [1.0 / (1.0 + math.exp(-v)) for v in clipped] == [reference_probability(v) for v in z.tolist()]


def test_an_empty_document_scores_nothing():
    scores, layout = score_lines([])
    assert scores == [] and layout.body_last == -1


def test_the_feature_matrix_equals_the_per_line_features(bench_documents):
    """Every feature of every line, exactly (``==`` on floats), with the model's word table
    and with a training table."""
    table = {"said": -2.0, "subscribe": 2.5, "newsletter": 3.0, "the": -0.25}
    for views in bench_documents:
        assert line_features(views) == reference.line_features(views)
        assert line_features(views, table) == reference.line_features(views, table)


def test_short_documents_have_the_reference_features():
    """One and two lines: no neighbours, a rel_position of 0.0, empty shifts."""
    for texts in (["Subscribe"], ["A headline", "Sign up for our newsletter."], [""]):
        views = [LineView(text, None, False) for text in texts]
        assert line_features(views) == reference.line_features(views)


def test_words_and_counts_from_the_key_equal_those_from_the_text(bench_documents):
    """The word scores read the words off ``normalised_line`` (one tokenisation less), and
    ``count_words`` skips the CJK scan by ``max``: the same words and counts as before, on
    every bench line and on the characters where casefolding or scripts are tricky."""
    tricky = ["İstanbul ﬁnds ß and Σ", "x²½ under_score 3rd", "日本語のテキストです。Hello", "ｈａｌｆ　ｗｉｄｔｈ ＡＢＣ１２"]
    texts = [view.text for views in bench_documents for view in views] + tricky
    for text in texts:
        assert _key_words(normalised_line(text)) == reference.line_words(text) == line_words(text)
        assert count_words(text, reference._TOKEN) == reference.count_words(text, reference._TOKEN)


def test_features_with_a_training_table_need_no_trained_model(monkeypatch):
    """``benchmarks/train_line_model.py`` computes features before a model for them exists:
    only the model's own word scores read ``rules/line_model.json``."""
    from cleaners.steps import line_model

    def no_model() -> LineModel:
        raise RuntimeError("rules/line_model.json was trained on other features")

    monkeypatch.setattr(line_model, "load_model", no_model)
    views = [LineView("A line no other test scores, 1 of 2.", None, False), LineView("Zorblat subscribe", None, False)]
    rows, _ = line_features(views, {"subscribe": 2.0})
    assert rows[1][FEATURE_NAMES.index("words_max")] == 2.0
