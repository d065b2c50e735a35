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
6 per line: deterministic, no numpy, no network.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate, chain
from importlib import resources
from typing import Callable, Iterable, Mapping, Sequence

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

    def features(self, stoplist: frozenset[str]) -> list[float]:
        """The shape features of the line in a document whose stoplist is ``stoplist``."""
        n = self.tokens
        values = list(self.values)
        values[_STOPWORDS_SLOT] = sum(map(stoplist.__contains__, self.stopwords)) / n if n else 0.0
        return values


def count_words(text: str, word: re.Pattern[str], found: list[str] | None = None) -> int:
    """The matches of ``word`` in ``text``, except that Chinese and Japanese count a word per
    two characters: written without spaces, a whole sentence is one match and would pass
    for a label. ``found``: the matches, when the caller has them already."""
    unspaced = 0 if text.isascii() else len(UNSPACED.findall(text))
    if not unspaced:
        return len(found) if found is not None else len(word.findall(text))
    return len(word.findall(UNSPACED.sub(" ", text))) + unspaced // 2


@lru_cache(maxsize=1 << 14)
def line_shape(text: str) -> LineShape:
    """Memoised: the boilerplate passes score the lines the previous pass kept again, and a
    site's widgets recur from page to page."""
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
    stopword = _any_stopword()
    stopwords = tuple(stopword[t] for t in map(str.casefold, tokens) if t in stopword)
    return LineShape(n, stopwords, values)


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
    scores = [table.get(word, 0.0) for word in line_words(text)]
    if not scores:
        return 0.0, 0.0, 0.0
    return sum(scores) / len(scores), max(scores), min(scores)


@lru_cache(maxsize=1 << 14)
def _default_word_scores(text: str) -> tuple[float, float, float]:
    return word_scores(text, load_model().words)


def _word_columns(texts: Sequence[str], table: Mapping[str, float] | None) -> list[list[float]]:
    """The ``WORD_NAMES`` values of each line (``table`` None: the model's own table)."""
    own = [_default_word_scores(t) if table is None else word_scores(t, table) for t in texts]
    last = len(texts) - 1
    return [
        [*scores, own[i - 1][0] if i else 0.0, own[i + 1][0] if i < last else 0.0]
        for i, scores in enumerate(own)
    ]


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


#: The ``evidence_*`` features of a line, by the category of its evidence.
_EVIDENCE_VALUES = {c: tuple(float(c == other) for other in EVIDENCE_CATEGORIES) for c in EVIDENCE_CATEGORIES}
_NO_EVIDENCE = (0.0,) * len(EVIDENCE_CATEGORIES)


def line_features(
    lines: Sequence[LineView], words: Mapping[str, float] | None = None
) -> tuple[list[list[float]], Layout]:
    """One feature vector per line, in ``FEATURE_NAMES`` order, and the page layout.
    ``words``: the word table to use (training); the model's own by default."""
    if not lines:
        return [], Layout(0, -1, 0)
    line_shapes = [line_shape(line.text) for line in lines]
    stoplist = _document_stoplist(Counter(chain.from_iterable(s.stopwords for s in line_shapes)))
    shapes = [s.features(stoplist) for s in line_shapes]
    lengths = [s.tokens for s in line_shapes]
    sentence = [s[4] > 0 for s in shapes]
    first, last = body_span(lengths, sentence)
    comments_from = _comment_section_start([line.text for line in lines])
    keys = [normalised_line(line.text) for line in lines]
    seen = Counter(keys)
    rows = []
    last_index = len(lines) - 1
    runs = _short_runs(lengths)
    doc_short = sum(n <= 8 for n in lengths) / len(lengths)
    doc_tokens = max(sum(lengths), 1)
    doc_log_lines = math.log1p(len(lines))
    prose = [n if sentence[k] and n >= 12 else 0 for k, n in enumerate(lengths)]
    prose_lines_before = list(accumulate((n > 0 for n in prose), initial=0))
    prose_tokens_before = list(accumulate(prose, initial=0))
    total_lines, total_tokens = prose_lines_before[-1], prose_tokens_before[-1]
    word_columns = _word_columns([line.text for line in lines], words)
    for i, (line, shape) in enumerate(zip(lines, shapes)):
        before, after = i < first, i > last
        distance = (first - i) if before else (i - last) if after else 0
        prev_line, next_line = (lines[i - 1] if i else None), (lines[i + 1] if i < last_index else None)
        position = [
            i / last_index if last_index else 0.0,
            float(before),
            float(after),
            float(not before and not after),
            math.log1p(distance),
            float(i >= comments_from),
            float(seen[keys[i]] > 1),
        ]
        context = [
            shapes[i - 1][0] if prev_line else 0.0,
            shapes[i + 1][0] if next_line else 0.0,
            shapes[i - 1][4] if prev_line else 0.0,
            shapes[i + 1][4] if next_line else 0.0,
            float(bool(prev_line and prev_line.evidence)),
            float(bool(next_line and next_line.evidence)),
            float(line.category is not None and not line.evidence),
            shapes[i - 2][0] if i >= 2 else 0.0,
            shapes[i + 2][0] if i + 2 <= last_index else 0.0,
            math.log1p(runs[i]),
            doc_short,
            doc_log_lines,
            lengths[i] / doc_tokens,
            math.log1p(prose_lines_before[i]),
            math.log1p(total_lines - prose_lines_before[i + 1]),
            prose_tokens_before[i] / doc_tokens,
            (total_tokens - prose_tokens_before[i + 1]) / doc_tokens,
        ]
        evidence = _EVIDENCE_VALUES.get(line.category, _NO_EVIDENCE) if line.evidence else _NO_EVIDENCE
        short = shape[2]
        crosses = [short * before, short * after, shape[4] * (1.0 - shape[2]) * float(not before and not after)]
        rows.append([*shape, *position, *context, *evidence, *crosses, *word_columns[i]])
    return rows, Layout(first, last, comments_from)


@dataclass(frozen=True)
class LineModel:
    """Gradient-boosted decision trees over ``FEATURE_NAMES``.

    Each tree is a tuple of nodes ``(feature, threshold, left, right, value)``; a node with
    ``feature == -1`` is a leaf whose ``value`` is added to the log-odds. A line goes left
    when ``features[feature] <= threshold``.
    """

    base: float
    trees: tuple[tuple[tuple[int, float, int, int, float], ...], ...]
    #: Junk log-odds per word (see :func:`word_table`), trained with the trees.
    words: Mapping[str, float] = field(default_factory=dict, compare=False)
    log_odds: Callable[[Sequence[float]], float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "log_odds", _compiled(self))

    def junk_probability(self, features: Sequence[float]) -> float:
        z = self.log_odds(features)
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


def _compiled(model: LineModel) -> Callable[[Sequence[float]], float]:
    """The ensemble as one generated function of nested ``if``s (about 6x faster than
    walking the node tuples). Same comparisons and the same additions in the same order,
    so the scores are identical; the source holds only numbers read with int()/float().
    Each feature the trees test is read into a local once (``x7 = x[7]``), not once per
    node."""
    used = sorted({node[0] for tree in model.trees for node in tree if node[0] >= 0})
    source = ["def log_odds(x):", *(f"    x{f} = x[{f}]" for f in used), f"    z = {model.base!r}"]

    def emit(tree: tuple[tuple[int, float, int, int, float], ...], index: int, depth: int) -> None:
        feature, threshold, left, right, value = tree[index]
        pad = "    " * depth
        if feature < 0:
            source.append(f"{pad}z += {value!r}")
            return
        source.append(f"{pad}if x{feature} <= {threshold!r}:")
        emit(tree, left, depth + 1)
        source.append(f"{pad}else:")
        emit(tree, right, depth + 1)

    for tree in model.trees:
        emit(tree, 0, 1)
    source.append("    return z")
    namespace: dict[str, Callable[[Sequence[float]], float]] = {}
    exec(compile("\n".join(source), "<line model>", "exec"), namespace)  # noqa: S102
    return namespace["log_odds"]


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
    rows, layout = line_features(lines)
    return [round(model.junk_probability(row), 3) for row in rows], layout
