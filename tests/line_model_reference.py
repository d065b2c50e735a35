"""The line model's features computed line by line, as ``cleaners/steps/line_model.py`` did
before issue 38 (commit bc2d784): the reference the array version must equal bit for bit
(``tests/test_line_model.py``). Not memoised, not used by the pipeline."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from itertools import accumulate, chain
from typing import Mapping, Sequence

from cleaners.steps.line_model import (
    _BULLET, _STOPWORDS_SLOT, _TOKEN, _WORD, EVIDENCE_CATEGORIES, UNSPACED, Layout, LineView, _any_stopword,
    _comment_section_start, _document_stoplist, _ends_sentence, _link_like, _short_runs, body_span, load_model,
)  # fmt: skip
from cleaners.steps.site_templates import normalised_line

_EVIDENCE_VALUES = {c: tuple(float(c == other) for other in EVIDENCE_CATEGORIES) for c in EVIDENCE_CATEGORIES}
_NO_EVIDENCE = (0.0,) * len(EVIDENCE_CATEGORIES)


@dataclass(frozen=True)
class LineShape:
    tokens: int
    stopwords: tuple[str, ...]
    values: tuple[float, ...]

    def features(self, stoplist: frozenset[str]) -> list[float]:
        n = self.tokens
        values = list(self.values)
        values[_STOPWORDS_SLOT] = sum(map(stoplist.__contains__, self.stopwords)) / n if n else 0.0
        return values


def count_words(text: str, word: re.Pattern[str], found: list[str] | None = None) -> int:
    unspaced = 0 if text.isascii() else len(UNSPACED.findall(text))
    if not unspaced:
        return len(found) if found is not None else len(word.findall(text))
    return len(word.findall(UNSPACED.sub(" ", text))) + unspaced // 2


def line_shape(text: str) -> LineShape:
    tokens = _TOKEN.findall(text)
    n = count_words(text, _TOKEN, tokens)
    words = text.split()
    stripped = text.rstrip()
    initials = [w[0] for w in words if w[0].isalpha()]
    values = (
        math.log1p(n),
        1.0 if n <= 3 else 0.0,
        1.0 if n <= 8 else 0.0,
        1.0 if n >= 25 else 0.0,
        1.0 if _ends_sentence(stripped) else 0.0,
        1.0 if stripped.endswith(":") else 0.0,
        sum(map(str.isupper, initials)) / len(initials) if initials else 0.0,
        0.0,
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


def line_words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def word_scores(text: str, table: Mapping[str, float]) -> tuple[float, float, float]:
    scores = [table.get(word, 0.0) for word in line_words(text)]
    if not scores:
        return 0.0, 0.0, 0.0
    return sum(scores) / len(scores), max(scores), min(scores)


def _word_columns(texts: Sequence[str], table: Mapping[str, float] | None) -> list[list[float]]:
    own = [word_scores(t, load_model().words if table is None else table) for t in texts]
    last = len(texts) - 1
    return [
        [*scores, own[i - 1][0] if i else 0.0, own[i + 1][0] if i < last else 0.0]
        for i, scores in enumerate(own)
    ]


def line_features(
    lines: Sequence[LineView], words: Mapping[str, float] | None = None
) -> tuple[list[list[float]], Layout]:
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
