"""The line model: boosted decision trees over per-line features, scored in pure Python.

Phrase rules catch widgets that announce themselves ("Sign up for our newsletter"). Most
junk in scraped text does not: calls to action, teaser headlines after the article, reader
comments, product boxes. What gives it away is shape and place, which this module turns
into numbers:

* **shape**: length, sentence punctuation, title case, stopword share, digits, links;
* **place**: relative position, before / inside / after the article body (the densest run
  of prose, found as a maximum-sum run of line scores), inside a comment section;
* **context**: the shape of the neighbouring lines and the phrase evidence around them;
* **evidence**: which rule categories fired on the line (the model learns how far to trust
  each one);
* **words**: how much more often the line's words occur in junk lines than in article lines
  of the training pages ("affiliate", "subscribe", "advertise" against "said", "told"), from
  a table of the words found on enough training pages to tell (:func:`word_table`).

The weights live in ``rules/line_model.json``, written by ``benchmarks/train_line_model.py``
from the ``dev`` half of the development benchmark only. Scoring walks 120 trees of depth
6 for all lines of a document at once, as arrays (numpy): deterministic, no network.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, repeat
from importlib import resources
from typing import Iterable, Mapping, Sequence

import numpy as np

from cleaners.rules import load_rules
from cleaners.steps.stopwords import all_stoplists
from cleaners.steps.site_templates import normalised_line

_TOKEN = re.compile(r"\w+")
#: Scripts written without spaces between words (Han, kana): about two characters a word.
UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_URLISH = re.compile(r"https?://|www\.|\.com\b|@\w|\S+@\S+\.\w")
_BULLET = re.compile(r"\s*[-–—•*·▪►>]\s")  # at the start of the line (used with .match)

#: Categories whose phrase evidence is a feature of its own.
EVIDENCE_CATEGORIES = (
    "navigation", "newsletter", "donation", "related", "social",
    "comments", "caption", "heading_noise", "advertising", "legal",
)  # fmt: skip


@dataclass(frozen=True)
class LineView:
    """What the model needs to know about one line (kept separate from ``Block``)."""

    text: str
    category: str | None
    evidence: bool


@lru_cache(maxsize=1)
def _any_stopword() -> dict[str, str]:
    """The words of every stoplist (only these tokens take part in the stoplist vote), each
    mapped to one shared copy of itself, so the memoised line shapes do not keep their own."""
    return {word: word for word in frozenset().union(*all_stoplists())}


def _document_stoplist(counts: Counter[str]) -> frozenset[str]:
    """The stoplist that covers most of the document's tokens: its language, roughly.
    ``counts``: how often each casefolded token occurs (tokens in no stoplist may be left
    out, they count for none)."""
    best, best_hits = frozenset(), 0
    for stoplist in all_stoplists():
        hits = sum(map(counts.__getitem__, stoplist.intersection(counts)))
        if hits > best_hits:
            best, best_hits = stoplist, hits
    return best


def _prose_score(words: int, sentence_like: bool) -> float:
    """Per-line score whose maximum-sum run is the article body."""
    if sentence_like and words >= 12:
        return float(words)
    return -3.0 if words < 8 else -1.0


def body_span(lengths: Sequence[int], sentence_like: Sequence[bool]) -> tuple[int, int]:
    """``(first, last)`` line indexes of the densest run of prose (Kadane's algorithm)."""
    best, best_span, run, run_start = -math.inf, (0, -1), 0.0, 0
    for i, (words, sentence) in enumerate(zip(lengths, sentence_like)):
        score = _prose_score(words, sentence)
        if run <= 0:
            run, run_start = score, i
        else:
            run += score
        if run > best:
            best, best_span = run, (run_start, i)
    return best_span if best > 0 else (0, -1)


@lru_cache(maxsize=1)
def _comment_heading() -> re.Pattern[str]:
    return re.compile(load_rules("comments")["section_start"])


def _comment_section_start(texts: Sequence[str]) -> int:
    """Index of the first comment-section heading ("12 Comments"), or ``len(texts)``."""
    pattern = _comment_heading()
    for i, text in enumerate(texts):
        if pattern.search(text.strip()):
            return i
    return len(texts)


def _ends_sentence(stripped: str) -> bool:
    r"""Sentence punctuation, then only closing quotes and brackets: the regex
    ``[.!?…。！？]["”’)\]」』）]*$`` without scanning the whole line. (``stripped`` has no trailing
    whitespace, so ``$`` cannot match before a final newline.)"""
    core = stripped.rstrip(_CLOSERS)
    return bool(core) and core[-1] in _SENTENCE_MARKS


_SENTENCE_MARKS = ".!?…。！？"  # with the ideographic full stop and full-width marks
_CLOSERS = "\"”’)]」』）"


def _link_like(text: str) -> bool:
    """``_URLISH.search(text)``, skipped when the line holds none of the strings every
    match contains (``://``, ``www.``, ``.com``, ``@``): most lines."""
    return ("@" in text or "://" in text or "www." in text or ".com" in text) and _URLISH.search(text) is not None


@dataclass(frozen=True, slots=True)
class LineShape:
    """What a line's text alone says, computed once per distinct line (see :func:`line_shape`)."""

    tokens: int
    #: The casefolded ``\w+`` tokens that are in some stoplist, repeats kept (for the
    #: stoplist vote and the stopword share; other tokens count for no stoplist).
    stopwords: tuple[str, ...]
    #: ``SHAPE_NAMES`` values, with 0.0 in the stopword slot (filled in per document).
    values: tuple[float, ...]
    #: ``normalised_line(text)``: lines with equal keys are duplicates.
    key: str

    def stopword_share(self, stoplist: frozenset[str]) -> float:
        """The stopwords feature of the line in a document whose stoplist is ``stoplist``."""
        n = self.tokens
        return sum(map(stoplist.__contains__, self.stopwords)) / n if n else 0.0


def count_words(text: str, word: re.Pattern[str], found: list[str] | None = None) -> int:
    """The matches of ``word`` in ``text``, except that Chinese and Japanese count a word per
    two characters: written without spaces, a whole sentence is one match and would pass
    for a label. ``found``: the matches, when the caller has them already."""
    # max(text) below U+3040: no character of ``UNSPACED`` (a quick test, not a scan by regex)
    unspaced = 0 if text.isascii() or max(text) < "\u3040" else len(UNSPACED.findall(text))
    if not unspaced:
        return len(found) if found is not None else len(word.findall(text))
    return len(word.findall(UNSPACED.sub(" ", text))) + unspaced // 2


@lru_cache(maxsize=1 << 14)
def line_shape(text: str) -> LineShape:
    """Everything the model reads from a line's text alone, in one memoised value (one cache
    look-up per line and document). Memoised: the boilerplate passes score the lines the
    previous pass kept again, and a site's widgets recur from page to page."""
    tokens = _TOKEN.findall(text)
    n = count_words(text, _TOKEN, tokens)
    words = text.split()
    stripped = text.rstrip()
    initials = [w[0] for w in words if w[0].isalpha()]  # of the words that start with a letter
    values = (
        math.log1p(n),
        1.0 if n <= 3 else 0.0,
        1.0 if n <= 8 else 0.0,
        1.0 if n >= 25 else 0.0,
        1.0 if _ends_sentence(stripped) else 0.0,
        1.0 if stripped.endswith(":") else 0.0,
        sum(map(str.isupper, initials)) / len(initials) if initials else 0.0,
        0.0,  # _STOPWORDS_SLOT
        sum(map(str.isdigit, tokens)) / n if n else 0.0,
        1.0 if _link_like(text) else 0.0,
        1.0 if _BULLET.match(text) else 0.0,
        1.0 if n >= 2 and text.upper() == text and any(c.isalpha() for c in text) else 0.0,
        1.0 if "|" in text or "›" in text or "»" in text else 0.0,
        min(sum(map(len, tokens)) / n, 15.0) / 15.0 if n else 0.0,
    )
    # the casefolded tokens in some stoplist (its values are the words, never empty)
    stopwords = tuple(filter(None, map(_any_stopword().get, map(str.casefold, tokens))))
    return LineShape(n, stopwords, values, normalised_line(text))


@lru_cache(maxsize=1 << 14)
def _own_word_scores(key: str) -> tuple[float, float, float]:
    """``word_scores(text, load_model().words)`` of a line whose ``normalised_line`` is
    ``key`` (not in :func:`line_shape`: training scores lines before a model exists)."""
    return _mean_max_min(list(map(load_model().words.get, _key_words(key), repeat(0.0))))


def _key_words(key: str) -> list[str]:
    r"""``line_words(text)`` from ``normalised_line(text)``: the key keeps every ``\w`` run of
    the casefolded line, and the letter runs lie inside them; a run of letters only
    (``isalpha``: neither digit nor ``_``) is one word, others are split by the regex."""
    words: list[str] = []
    for token in key.split(" "):
        if token.isalpha():
            words.append(token)
        else:
            words += _WORD.findall(token)
    return words


SHAPE_NAMES = (
    "log_tokens", "tokens_le3", "tokens_le8", "tokens_ge25", "sentence_end", "ends_colon",
    "title_case", "stopwords", "digits", "link_like", "bullet", "all_caps", "separators",
    "word_length",
)  # fmt: skip
#: The one shape feature that depends on the document (its stoplist), filled in per document.
_STOPWORDS_SLOT = SHAPE_NAMES.index("stopwords")
POSITION_NAMES = (
    "rel_position", "before_body", "after_body", "in_body", "lines_to_body", "in_comments", "duplicate",
)  # fmt: skip
CONTEXT_NAMES = (
    "prev_log_tokens", "next_log_tokens", "prev_sentence_end", "next_sentence_end",
    "prev_evidence", "next_evidence", "region", "prev2_log_tokens", "next2_log_tokens",
    "short_run", "doc_short_share", "doc_log_lines", "token_share",
    "prose_before", "prose_after", "prose_tokens_before", "prose_tokens_after",
)  # fmt: skip
WORD_NAMES = ("words_junk", "words_max", "words_min", "prev_words_junk", "next_words_junk")
FEATURE_NAMES = (
    SHAPE_NAMES + POSITION_NAMES + CONTEXT_NAMES + tuple(f"evidence_{c}" for c in EVIDENCE_CATEGORIES)
    + ("short_before_body", "short_after_body", "prose_in_body") + WORD_NAMES
)  # fmt: skip

#: A word's junk log-odds is clipped to this, so one rare word cannot decide a line alone.
WORD_SCORE_LIMIT = 3.0
_WORD = re.compile(r"[^\W\d_]+")


def line_words(text: str) -> list[str]:
    """The casefolded words (letters only) of a line, as the word table knows them."""
    return _WORD.findall(text.casefold())


def word_table(pages: Iterable[tuple[set[str], set[str]]], min_pages: int) -> dict[str, float]:
    """Junk log-odds per word, from ``(words in junk lines, words in article lines)`` per page.

    Counted in pages, not occurrences, so one site's repeated widget weighs as one page; a
    word enters only when it is on ``min_pages`` pages or more (rarer words are a site's
    names, not a widget's vocabulary). Add-one smoothing, clipped to ``WORD_SCORE_LIMIT``.
    """
    junk, article, n = Counter(), Counter(), 0
    for junk_words, article_words in pages:
        junk.update(junk_words)
        article.update(article_words)
        n += 1
    table = {}
    for word in sorted(junk.keys() | article.keys()):
        if junk[word] + article[word] < min_pages:
            continue
        score = math.log((junk[word] + 1) / (n + 2)) - math.log((article[word] + 1) / (n + 2))
        table[word] = round(max(-WORD_SCORE_LIMIT, min(WORD_SCORE_LIMIT, score)), 4)
    return table


def word_scores(text: str, table: Mapping[str, float]) -> tuple[float, float, float]:
    """``(mean, max, min)`` junk log-odds of the line's words (unknown words count 0)."""
    return _mean_max_min([table.get(word, 0.0) for word in line_words(text)])


def _mean_max_min(scores: list[float]) -> tuple[float, float, float]:
    if not scores:
        return 0.0, 0.0, 0.0
    return sum(scores) / len(scores), max(scores), min(scores)


def _short_runs(lengths: Sequence[int], short: int = 8) -> list[int]:
    """For each short line, the length of the run of consecutive short lines it is in."""
    runs = [0] * len(lengths)
    i = 0
    while i < len(lengths):
        if lengths[i] > short:
            i += 1
            continue
        j = i
        while j < len(lengths) and lengths[j] <= short:
            j += 1
        runs[i:j] = [j - i] * (j - i)
        i = j
    return runs


@dataclass(frozen=True)
class Layout:
    """Where the article body and the comment section are, in line indexes."""

    body_first: int
    body_last: int
    comments_from: int

    def zone(self, i: int) -> str:
        """``lead``, ``body``, ``tail`` (after the body) or ``comments``."""
        if i >= self.comments_from:
            return "comments"
        if i < self.body_first:
            return "lead"
        return "tail" if i > self.body_last else "body"


#: Each feature's column in a feature matrix.
_AT = {name: i for i, name in enumerate(FEATURE_NAMES)}
_EVIDENCE_AT = {c: _AT[f"evidence_{c}"] for c in EVIDENCE_CATEGORIES}


def line_features(
    lines: Sequence[LineView], words: Mapping[str, float] | None = None
) -> tuple[list[list[float]], Layout]:
    """One feature vector per line, in ``FEATURE_NAMES`` order, and the page layout.
    ``words``: the word table to use (training); the model's own by default."""
    features, layout = feature_matrix(lines, words)
    return features.tolist(), layout


def feature_matrix(lines: Sequence[LineView], words: Mapping[str, float] | None = None) -> tuple[np.ndarray, Layout]:
    """:func:`line_features` as a lines x ``FEATURE_NAMES`` array, built column by column.

    Every value is what a per-line computation gives, bit for bit: the arithmetic is exact
    (0/1 products, shifts) or one correctly rounded division of the same two numbers, and
    logarithms come from ``math.log1p`` (:func:`_log1p_of_counts`), not numpy's."""
    if not lines:
        return np.zeros((0, len(FEATURE_NAMES))), Layout(0, -1, 0)
    shapes = [line_shape(line.text) for line in lines]
    stoplist = _document_stoplist(Counter(chain.from_iterable(s.stopwords for s in shapes)))
    x = np.zeros((len(lines), len(FEATURE_NAMES)))
    x[:, : len(SHAPE_NAMES)] = [s.values for s in shapes]
    x[:, _STOPWORDS_SLOT] = [s.stopword_share(stoplist) for s in shapes]
    lengths = [s.tokens for s in shapes]
    first, last = body_span(lengths, (x[:, _AT["sentence_end"]] > 0).tolist())
    layout = Layout(first, last, _comment_section_start([line.text for line in lines]))
    _position_columns(x, layout, [s.key for s in shapes])
    _context_columns(x, lines, np.array(lengths))
    _evidence_columns(x, lines)
    own = [_own_word_scores(s.key) for s in shapes] if words is None else [word_scores(line.text, words) for line in lines]
    _word_columns(x, np.array(own))
    return x, layout


def _position_columns(x: np.ndarray, layout: Layout, keys: list[str]) -> None:
    """``POSITION_NAMES`` and the crosses of shape and place (``short_before_body``...)."""
    n = len(keys)
    index = np.arange(n)
    before, after = index < layout.body_first, index > layout.body_last
    in_body = ~before & ~after
    distance = np.where(before, layout.body_first - index, np.where(after, index - layout.body_last, 0))
    seen = Counter(keys)
    x[:, _AT["rel_position"]] = index / (n - 1) if n > 1 else 0.0
    x[:, _AT["before_body"]] = before
    x[:, _AT["after_body"]] = after
    x[:, _AT["in_body"]] = in_body
    x[:, _AT["lines_to_body"]] = _log1p_of_counts(distance)
    x[:, _AT["in_comments"]] = index >= layout.comments_from
    x[:, _AT["duplicate"]] = [seen[key] > 1 for key in keys]
    short = x[:, _AT["tokens_le8"]]
    x[:, _AT["short_before_body"]] = short * before
    x[:, _AT["short_after_body"]] = short * after
    x[:, _AT["prose_in_body"]] = x[:, _AT["sentence_end"]] * (1.0 - short) * in_body


def _context_columns(x: np.ndarray, lines: Sequence[LineView], lengths: np.ndarray) -> None:
    """``CONTEXT_NAMES``: the neighbours' shape and evidence, and the document's prose."""
    log_tokens, sentence_end = x[:, _AT["log_tokens"]], x[:, _AT["sentence_end"]]
    _shifted(x, "prev_log_tokens", log_tokens, 1)
    _shifted(x, "next_log_tokens", log_tokens, -1)
    _shifted(x, "prev2_log_tokens", log_tokens, 2)
    _shifted(x, "next2_log_tokens", log_tokens, -2)
    _shifted(x, "prev_sentence_end", sentence_end, 1)
    _shifted(x, "next_sentence_end", sentence_end, -1)
    evidence = np.array([bool(line.evidence) for line in lines])
    _shifted(x, "prev_evidence", evidence, 1)
    _shifted(x, "next_evidence", evidence, -1)
    x[:, _AT["region"]] = [line.category is not None and not line.evidence for line in lines]
    x[:, _AT["short_run"]] = _log1p_of_counts(np.array(_short_runs(lengths.tolist())))
    x[:, _AT["doc_short_share"]] = int((lengths <= 8).sum()) / len(lengths)
    x[:, _AT["doc_log_lines"]] = math.log1p(len(lines))
    doc_tokens = max(int(lengths.sum()), 1)
    x[:, _AT["token_share"]] = lengths / doc_tokens
    prose = np.where((sentence_end > 0) & (lengths >= 12), lengths, 0)
    lines_before = np.concatenate([[0], np.cumsum(prose > 0)])  # prose lines before line i
    tokens_before = np.concatenate([[0], np.cumsum(prose)])
    x[:, _AT["prose_before"]] = _log1p_of_counts(lines_before[:-1])
    x[:, _AT["prose_after"]] = _log1p_of_counts(lines_before[-1] - lines_before[1:])
    x[:, _AT["prose_tokens_before"]] = tokens_before[:-1] / doc_tokens
    x[:, _AT["prose_tokens_after"]] = (tokens_before[-1] - tokens_before[1:]) / doc_tokens


def _evidence_columns(x: np.ndarray, lines: Sequence[LineView]) -> None:
    """``evidence_*``: 1.0 in the column of the category whose phrase evidence the line has."""
    for i, line in enumerate(lines):
        if line.evidence and line.category in _EVIDENCE_AT:
            x[i, _EVIDENCE_AT[line.category]] = 1.0


def _word_columns(x: np.ndarray, own: np.ndarray) -> None:
    """``WORD_NAMES``: each line's ``(mean, max, min)`` word scores and its neighbours' means."""
    x[:, _AT["words_junk"] : _AT["words_min"] + 1] = own
    _shifted(x, "prev_words_junk", own[:, 0], 1)
    _shifted(x, "next_words_junk", own[:, 0], -1)


def _shifted(x: np.ndarray, name: str, column: np.ndarray, by: int) -> None:
    """Column ``name`` of line ``i`` is ``column[i - by]`` (the line ``by`` before; after,
    when negative), 0.0 where there is no such line (``x`` starts as zeros)."""
    if by > 0:
        x[by:, _AT[name]] = column[:-by]
    else:
        x[:by, _AT[name]] = column[-by:]


def _log1p_of_counts(counts: np.ndarray) -> np.ndarray:
    """``math.log1p`` of each count (non-negative integers), looked up in a table of
    ``math.log1p`` values: numpy's ``log1p`` may differ from the C library's in the last bit."""
    if not counts.size:
        return np.zeros(0)
    return _log1p_table(int(counts.max()).bit_length())[counts]


@lru_cache(maxsize=None)
def _log1p_table(bits: int) -> np.ndarray:
    """``math.log1p(k)`` for ``k < 2 ** bits``."""
    return np.array([math.log1p(k) for k in range(1 << bits)])


Tree = tuple[tuple[int, float, int, int, float], ...]


@dataclass(frozen=True)
class LineModel:
    """Gradient-boosted decision trees over ``FEATURE_NAMES``.

    Each tree is a tuple of nodes ``(feature, threshold, left, right, value)``; a node with
    ``feature == -1`` is a leaf whose ``value`` is added to the log-odds. A line goes left
    when ``features[feature] <= threshold``.
    """

    base: float
    trees: tuple[Tree, ...]
    #: Junk log-odds per word (see :func:`word_table`), trained with the trees.
    words: Mapping[str, float] = field(default_factory=dict, compare=False)
    arrays: TreeArrays = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "arrays", TreeArrays.of(self.trees))

    def log_odds(self, features: np.ndarray) -> np.ndarray:
        """The log-odds of each row of ``features`` (lines x ``FEATURE_NAMES``)."""
        return self.arrays.log_odds(self.base, features)

    def junk_probabilities(self, features: np.ndarray) -> list[float]:
        """The junk probability of each row, by ``math.exp`` per line (numpy's ``exp`` may
        differ from the C library's in the last bit, and scores are compared in records)."""
        clipped = np.clip(self.log_odds(features), -50.0, 50.0).tolist()  # exact, as max(min(z, 50), -50)
        return [1.0 / (1.0 + math.exp(-z)) for z in clipped]


@dataclass(frozen=True)
class TreeArrays:
    """All trees' nodes in flat arrays, to walk every line of a document through every tree
    at once (numpy), instead of a Python ``if`` per node and line.

    Leaves point to themselves (feature 0, threshold +inf), so every walk takes ``depth``
    steps and a line that reached its leaf early stays there. The comparison is the trees'
    ``x <= threshold`` (a NaN feature goes right, as in Python)."""

    feature: np.ndarray  # int, per node
    threshold: np.ndarray  # float64, per node
    #: Node ``k``'s right child at ``2k``, its left child at ``2k + 1`` (indexed by
    #: ``2k + goes_left``: one gather per step instead of two and a ``where``).
    children: np.ndarray
    value: np.ndarray  # float64: the leaf's value, 0.0 for inner nodes
    roots: np.ndarray  # the first node of each tree, in the trees' order
    depth: int

    @classmethod
    def of(cls, trees: Sequence[Tree]) -> TreeArrays:
        feature, threshold, children, value, roots = [], [], [], [], []
        for tree in trees:
            offset = len(feature)
            roots.append(offset)
            for i, (f, t, left, right, v) in enumerate(tree):
                leaf = f < 0
                feature.append(0 if leaf else f)
                threshold.append(math.inf if leaf else t)
                children += [offset + i, offset + i] if leaf else [offset + right, offset + left]
                value.append(v if leaf else 0.0)
        return cls(
            np.array(feature, dtype=np.intp), np.array(threshold, dtype=np.float64), np.array(children, dtype=np.intp),
            np.array(value, dtype=np.float64), np.array(roots, dtype=np.intp), max(map(_depth, trees), default=0),
        )  # fmt: skip

    def leaves(self, features: np.ndarray) -> np.ndarray:
        """The leaf each line (row) reaches in each tree: lines x trees node indexes."""
        n, width = features.shape
        flat = features.ravel()
        row_start = (np.arange(n, dtype=np.intp) * width)[:, None]
        node = np.broadcast_to(self.roots, (n, len(self.roots)))
        for _ in range(self.depth):
            goes_left = flat.take(row_start + self.feature.take(node)) <= self.threshold.take(node)
            node = self.children.take(2 * node + goes_left)
        return node

    def log_odds(self, base: float, features: np.ndarray) -> np.ndarray:
        """``base`` plus each tree's leaf value, added tree by tree in the trees' order (a
        running sum, ``np.add.accumulate``, not numpy's pairwise ``sum``): the same float
        additions in the same order as ``z = base; z += leaf`` per tree, so the same bits."""
        values = self.value[self.leaves(features)].T  # trees x lines
        terms = np.concatenate([np.full((1, values.shape[1]), base), values])
        return np.add.accumulate(terms, axis=0)[-1]


def _depth(tree: Tree, index: int = 0) -> int:
    feature, _, left, right, _ = tree[index]
    return 0 if feature < 0 else 1 + max(_depth(tree, left), _depth(tree, right))


@lru_cache(maxsize=1)
def load_model() -> LineModel:
    data = json.loads(resources.files("cleaners.rules").joinpath("line_model.json").read_text(encoding="utf-8"))
    if tuple(data["features"]) != FEATURE_NAMES:
        raise RuntimeError("rules/line_model.json was trained on other features: run benchmarks/train_line_model.py")
    trees = tuple(tuple((int(f), float(t), int(l), int(r), float(v)) for f, t, l, r, v in tree) for tree in data["trees"])
    return LineModel(float(data["base"]), trees, data["words"])


def score_lines(lines: Sequence[LineView]) -> tuple[list[float], Layout]:
    """Probability that each line is not article text (rounded so records are stable)."""
    model = load_model()
    features, layout = feature_matrix(lines)
    return [round(p, 3) for p in model.junk_probabilities(features)], layout
