"""An exact, faster re-implementation of langdetect's detection, for :mod:`cleaners.steps.language`.

Mirrors ``langdetect`` **1.0.9** (``langdetect/detector.py`` and ``langdetect/utils/ngram.py``):
``Detector.append``, ``cleaning_text``, ``_extract_ngrams`` and ``_detect_block``. Given the
same text and seed it returns the same probabilities, bit for bit, because

* the n-gram list has the same n-grams in the same order (``random.choice`` picks by index,
  so the order matters as much as the content);
* the random numbers are those of the same ``random.Random(seed)`` in the same order (one
  ``gauss`` per trial, one ``choice`` per update), read from its raw output (see :class:`_Draws`);
* every floating-point operation is the same one, on the same operands, in the same order
  (``p * (weight + q)``, ``sum`` then ``p / sum``, ``langprob + p / n_trial``); numpy does the
  element-wise ones, each the same IEEE operation as Python's.

langdetect spends its time in Python-level bookkeeping rather than arithmetic: one
``NGram.add_char`` call per character (each doing a binary search for the Unicode block),
string concatenation one character at a time, a method call and a Python loop over the 55
languages per update. Here characters are normalised once each through a cached translation
table, n-grams are produced per word and cached (news text repeats its words) as rows of a
matrix of their language weights, and an update is one numpy operation on a row (see
:func:`detect_block`). The profiles (``word_lang_prob_map``, ``langlist``) are langdetect's
own, loaded once.

``tests/test_language.py`` checks equality with langdetect itself on varied text and on bench
paragraphs; if langdetect (or Python: ``random``, ``sum``) is upgraded, that test is the one to
run (and this module to re-read against the new ``detector.py``).
"""

from __future__ import annotations

import math
import random
import re
import threading
from itertools import chain
from operator import add, itemgetter

import numpy as np
from langdetect import detector_factory
from langdetect.detector import Detector
from langdetect.language import Language
from langdetect.utils.ngram import NGram

MIRRORED_LANGDETECT_VERSION = "1.0.9"

_ALPHA = Detector.ALPHA_DEFAULT
_ALPHA_WIDTH = Detector.ALPHA_WIDTH
_ITERATION_LIMIT = Detector.ITERATION_LIMIT
_PROB_THRESHOLD = Detector.PROB_THRESHOLD
_CONV_THRESHOLD = Detector.CONV_THRESHOLD
_BASE_FREQ = Detector.BASE_FREQ
_N_TRIAL = 7  # Detector.__init__: self.n_trial = 7
_MAX_TEXT_LENGTH = 10000  # Detector.__init__: self.max_text_length = 10000

_SPACES = re.compile(" {2,}")  # append(): a space after a space is dropped
_LATIN = re.compile("[A-z]")  # cleaning_text(): 'A' <= ch <= 'z' (so [\]^_` too)
_NON_LATIN = re.compile("[^\x00-\u02ff]")  # cleaning_text(): ch >= '\u0300', see _clean
_WORD_CACHE_LIMIT = 20_000  # words whose n-grams are kept (about 250 bytes each); emptied when full
_UNKNOWN_LIMIT = 200_000  # n-grams outside the profiles remembered as such (about 100 bytes each)
_FIRST_GROUPS = 12  # five-update groups whose weights a trial gathers first (88% of trials need no more)
_MORE_GROUPS = 8  # and then, as many times as needed
_STREAM_START = 2048  # raw random words made first per seed (a document uses ~500), doubled on need

_lock = threading.Lock()
_profiles: tuple[dict[str, list[float]], list[str]] | None = None


def profiles() -> tuple[dict[str, list[float]], list[str]]:
    """langdetect's ``word_lang_prob_map`` and ``langlist``, from its shared factory (loaded once:
    reading the 55 profiles takes about half a second)."""
    global _profiles
    with _lock:
        if _profiles is None:
            detector_factory.init_factory()
            factory = detector_factory._factory
            _profiles = (factory.word_lang_prob_map, factory.langlist)
    return _profiles


class _Rows(dict):
    """The profile n-grams met so far, numbered: ``rows[gram]`` is the row of ``matrix``
    holding the n-gram's weight per language (``word_lang_prob_map[gram]`` as float64, the
    same numbers), added on first use; None for an n-gram that is not in the profiles (and
    for ' ' alone, which ``NGram.get`` does not yield). Those are kept too (up to a limit),
    as a word has about as many of them as of known ones.

    Rows are added on first sight, so the matrix holds the few thousand n-grams news text uses
    rather than all 87,598 (38 MB, 0.4 s to build). It grows by doubling; a reader takes
    ``matrix`` after its rows exist, and a new matrix is a copy with the old rows, so the rows it
    reads are always there.
    """

    def __init__(self, known: dict[str, list[float]], languages: int) -> None:
        super().__init__()
        self.known = known
        self.grams: list[str] = []
        self.matrix = np.empty((4096, languages))
        self._lock = threading.Lock()
        self._unknown = 0

    def __missing__(self, gram: str) -> int | None:
        if gram not in self.known or gram == " ":
            if self._unknown < _UNKNOWN_LIMIT:
                self._unknown += 1
                self[gram] = None
            return None
        with self._lock:
            if gram in self:
                return self[gram]
            row = len(self.grams)
            if row == len(self.matrix):
                grown = np.empty((2 * row, self.matrix.shape[1]))
                grown[:row] = self.matrix
                self.matrix = grown
            self.matrix[row] = self.known[gram]
            self.grams.append(gram)
            self[gram] = row
        return row


_rows: _Rows | None = None


def _profile_rows() -> _Rows:
    """The shared :class:`_Rows` (made with the profiles)."""
    global _rows
    if _rows is None:
        known, langlist = profiles()
        with _lock:
            if _rows is None:
                _rows = _Rows(known, len(langlist))
    return _rows


class _Normalised(dict):
    """``str.translate`` table: code point -> ``NGram.normalize(chr(code point))``, filled on
    first use of each character (normalize does a binary search over Unicode blocks)."""

    def __missing__(self, code: int) -> str:
        normalised = self[code] = NGram.normalize(chr(code))
        return normalised


_NORMALISED = _Normalised()


def _prepare(text: str) -> str:
    """``Detector.append`` on an empty detector: URLs and e-mail addresses become spaces,
    Vietnamese is normalised, the text is cut at 10,000 characters and runs of spaces are
    collapsed. Each pattern is skipped when a character it needs is absent (the e-mail
    pattern is slow: it tries every position)."""
    if "://" in text:
        text = Detector.URL_RE.sub(" ", text)
    if "@" in text:
        text = Detector.MAIL_RE.sub(" ", text)
    if any(mark in text for mark in NGram.DMARK_CLASS):
        text = NGram.normalize_vi(text)
    return _SPACES.sub(" ", text[:_MAX_TEXT_LENGTH])


def _clean(text: str) -> str:
    """``Detector.cleaning_text``: drop the characters 'A'..'z' when fewer than half as many as
    the non-Latin ones.

    langdetect 1.0.9 means to leave Latin Extended Additional (Vietnamese) out of the
    non-Latin count, but compares ``unicode_block(ch)``, an int, with a block *name*: never
    equal, so every character from U+0300 up counts. That is mirrored here. Counting the
    Latin letters of a whole Latin text is the slow part, so a prefix is tried first: if it
    already has half as many as the non-Latin count, the text is kept as it is.
    """
    non_latin = len(_NON_LATIN.findall(text))
    if not non_latin:
        return text
    if len(_LATIN.findall(text, 0, 4 * non_latin + 64)) * 2 >= non_latin:
        return text
    if len(_LATIN.findall(text)) * 2 < non_latin:
        return _LATIN.sub("", text)
    return text


def _word_rows(word: str, spaced: bool, rows: _Rows) -> list[int]:
    """The n-grams (as rows) ``Detector._extract_ngrams`` yields for one word of normalised
    text, followed by a space when ``spaced`` (all words but maybe the last).

    ``NGram`` restarts its buffer at ' ' after every space, so words are independent: the
    buffer holds the last three characters of ' ' + word (+ ' '), and after each character the
    1-, 2- and 3-grams ending there are kept if they are in the profiles (never ' ' alone).
    ``NGram.capitalword`` skips a character when it and the one before are both uppercase:
    words with fewer than two uppercase characters skip none and take the quick way, three
    strings of 1-, 2- and 3-grams zipped in order (``"\\0 "`` in front makes the first
    character's trigram, which langdetect does not yield, one the profiles lack).
    """
    s = "\0 " + word + " " if spaced else "\0 " + word
    if sum(map(str.isupper, word)) < 2:
        bigrams = map(add, s[1:], s[2:])
        trigrams = map(add, map(add, s, s[1:]), s[2:])
        candidates = chain.from_iterable(zip(s[2:], bigrams, trigrams))
    else:
        candidates = chain.from_iterable(
            (s[k], s[k - 1 : k + 1], s[k - 2 : k + 1])
            for k in range(2, len(s))
            if not (s[k].isupper() and s[k - 1].isupper())
        )
    return [row for row in map(rows.__getitem__, candidates) if row is not None]


class _WordRows(dict):
    """word -> ``_word_rows(word)`` of the word followed by a space, computed on first use
    (news text repeats its words)."""

    def __missing__(self, word: str) -> list[int]:
        found = self[word] = _word_rows(word, True, _profile_rows())
        return found


_WORDS = _WordRows()


def _extract_rows(text: str) -> list[int]:
    """The rows of the n-gram list langdetect 1.0.9 samples for ``text``: ``append(text)``,
    ``cleaning_text()`` then ``_extract_ngrams()``.

    The normalised text is cut at its spaces: every word but the last is followed by one (a
    space after a space adds nothing: ``NGram`` ignores it).
    """
    if len(_WORDS) > _WORD_CACHE_LIMIT:
        _WORDS.clear()
    *spaced, last = _clean(_prepare(text)).translate(_NORMALISED).split(" ")
    found = list(chain.from_iterable(map(_WORDS.__getitem__, filter(None, spaced))))
    if last:
        found += _word_rows(last, False, _profile_rows())
    return found


def extract_ngrams(text: str) -> list[str]:
    """The n-gram list langdetect 1.0.9 samples for ``text`` (for tests and inspection)."""
    rows = _extract_rows(text)
    grams = _profile_rows().grams
    return [grams[row] for row in rows]


class _Stream:
    """The raw 32-bit outputs of ``random.Random(seed)``, in order, made as far as needed.

    ``getrandbits(32)`` returns one Mersenne Twister output as it is; ``random()``,
    ``gauss()`` and ``choice()`` are functions of these (see :class:`_Draws`). A fresh
    ``Random(seed)`` always gives the same outputs, so they are made once per seed.
    """

    def __init__(self, seed: int | None) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.words = np.empty(0, dtype=np.uint32)

    def at_least(self, count: int) -> np.ndarray:
        """The first ``count`` or more outputs (never changed in place: safe to keep)."""
        with self._lock:
            if len(self.words) < count:
                size = max(count, 2 * len(self.words), _STREAM_START)
                more = [self._random.getrandbits(32) for _ in range(size - len(self.words))]
                self.words = np.concatenate([self.words, np.array(more, dtype=np.uint32)])
        return self.words


_STREAMS: dict[int, _Stream] = {}


def _stream(seed: int | None) -> _Stream:
    """The shared stream of ``seed`` (a new one each time for None: ``Random(None)`` is random)."""
    if seed is None:
        return _Stream(None)
    with _lock:
        if seed not in _STREAMS:
            _STREAMS[seed] = _Stream(seed)
        return _STREAMS[seed]


class _Draws:
    """``Random(seed).gauss(0.0, 1.0)`` and ``.choice(seq)`` (``len(seq) == n``) as
    ``_detect_block`` calls them, computed from the raw outputs of :class:`_Stream`.

    CPython 3.11's ``random``: ``choice(seq)`` is ``seq[_randbelow(len(seq))]``, and
    ``_randbelow(n)`` takes ``getrandbits(k)`` (the output shifted right by ``32 - k``, ``k =
    n.bit_length()``) until it is below ``n``. So a trial's draws are the next outputs whose
    shifted value is below ``n``, found for all outputs at once with numpy; a trial takes as
    many as it needs and the next trial starts after the last one taken. ``random()`` is
    ``((a >> 5) * 67108864.0 + (b >> 6)) * (1.0 / 9007199254740992.0)`` of the next two
    outputs, and ``gauss`` makes two normal values from two ``random()`` and keeps the second
    for the next call (Box-Muller, as ``Random.gauss``).
    """

    def __init__(self, seed: int | None, n: int) -> None:
        self._stream = _stream(seed)
        self._n = n
        self._shift = 32 - n.bit_length()
        self._position = 0  # outputs used so far
        self._gauss_next: float | None = None
        self._first = 0  # index in self._accepted of the current trial's first draw
        self._load(_STREAM_START)

    def _load(self, count: int) -> None:
        """Shifted values and accepted positions of the first ``count`` or more outputs."""
        words = self._stream.at_least(count)
        self._words = words
        self._values = words >> self._shift
        self._accepted = np.flatnonzero(self._values < self._n)

    def _random(self) -> float:
        """``Random.random()``: 53 bits from the next two outputs."""
        if self._position + 2 > len(self._words):
            self._load(2 * len(self._words))
        a, b = self._words[self._position : self._position + 2].tolist()
        self._position += 2
        return ((a >> 5) * 67108864.0 + (b >> 6)) * (1.0 / 9007199254740992.0)

    def gauss(self) -> float:
        """``Random.gauss(0.0, 1.0)``, then the trial's draws start."""
        mu, sigma = 0.0, 1.0
        z = self._gauss_next
        self._gauss_next = None
        if z is None:
            x2pi = self._random() * math.tau
            g2rad = math.sqrt(-2.0 * math.log(1.0 - self._random()))
            z = math.cos(x2pi) * g2rad
            self._gauss_next = math.sin(x2pi) * g2rad
        self._first = int(np.searchsorted(self._accepted, self._position))
        return mu + z * sigma

    def peek(self, start: int, count: int) -> list[int]:
        """The indices ``choice`` picks for the current trial's draws ``start .. start+count-1``."""
        end = self._first + start + count
        while end > len(self._accepted):
            self._load(2 * len(self._words))
        return self._values[self._accepted[self._first + start : end]].tolist()

    def take(self, count: int) -> None:
        """End the trial after its first ``count`` draws."""
        self._position = int(self._accepted[self._first + count - 1]) + 1


def _factors(rows: list[int], draws: _Draws, matrix: np.ndarray, weight: float, start: int, count: int) -> np.ndarray:
    """``weight + profile`` of the current trial's draws ``start .. start+count-1``, a row each
    (gathered several groups at a time: more than the trial may use, only ``take`` ends it;
    ``count`` > 1, so ``itemgetter`` gives a tuple)."""
    return matrix[list(itemgetter(*draws.peek(start, count))(rows))] + weight


def _groups(factors: np.ndarray) -> np.ndarray:
    """Factors for updates in fives (the groups between two convergence checks) as groups of
    six rows: an empty row 0, where the probabilities go to be multiplied by the five."""
    count, languages = factors.shape
    groups = np.empty((count // 5, 6, languages))
    groups[:, 1:] = factors.reshape(count // 5, 5, languages)
    return groups


def _normalised(prob: np.ndarray, leader: int) -> tuple[np.ndarray, bool, int]:
    """``_normalize_prob``: ``prob / sum(prob)``, whether its maximum is above 0.99999, and the
    index of the language that leads (to pass to the next call).

    ``sum`` is Python's, on a list, as in langdetect (numpy's adds in another order), and
    ``max(prob / total)`` is ``max(prob) / total``: division by a positive number is
    monotone, also after rounding. The maximum itself is only looked for when the last
    leader has less than half of the total: with half or more, no other language can be
    above 0.99999 (the others share at most the other half, give or take the rounding of
    the sum, 55 units in the last place), and if the leader is, so is the maximum.
    """
    values = prob.tolist()
    total = sum(values)
    top = values[leader]
    if top < 0.5 * total:
        top = max(values)
        leader = values.index(top)
    return prob / total, top / total > _CONV_THRESHOLD, leader


def _trial(rows: list[int], draws: _Draws, matrix: np.ndarray, weight: float) -> np.ndarray:
    """One trial of ``_detect_block``: from the uniform distribution, ``prob[j] *= weight +
    q[j]`` per update, normalised after updates 0, 5, 10, ... until the most probable
    language is above 0.99999 or 1,000 updates.

    A group's five updates are ``np.multiply.reduce`` over its six rows (the probabilities,
    then the five factors): a reduction along the first axis multiplies row by row, ``((p *
    f1) * f2) * ...``, the same products in the same order as five updates (numpy sums
    pairwise, but only additions, and only along a contiguous axis).
    """
    languages = matrix.shape[1]
    factors = _factors(rows, draws, matrix, weight, 0, 1 + 5 * _FIRST_GROUPS)
    prob, converged, leader = _normalised(np.full(languages, 1.0 / languages) * factors[0], 0)  # update 0
    last = 0  # index of the last update done
    groups = _groups(factors[1:])
    while True:
        for group in groups:
            if converged or last >= _ITERATION_LIMIT:
                draws.take(last + 1)
                return prob
            group[0] = prob
            prob, converged, leader = _normalised(np.multiply.reduce(group), leader)
            last += 5
        groups = _groups(_factors(rows, draws, matrix, weight, last + 1, 5 * _MORE_GROUPS))


def _detect_rows(rows: list[int], seed: int | None) -> list[float]:
    """``Detector._detect_block`` on the n-grams of ``rows``: the average over 7 trials of
    naive-Bayes updates on randomly chosen n-grams, each trial with a jittered smoothing
    ``alpha``. One probability per language of ``langlist``."""
    matrix = _profile_rows().matrix  # taken after the rows were added
    draws = _Draws(seed, len(rows))
    langprob = np.zeros(matrix.shape[1])
    for _ in range(_N_TRIAL):
        alpha = _ALPHA + draws.gauss() * _ALPHA_WIDTH
        weight = alpha / _BASE_FREQ
        langprob = langprob + _trial(rows, draws, matrix, weight) / _N_TRIAL
    return langprob.tolist()


def detect_block(ngrams: list[str], seed: int | None) -> list[float]:
    """``Detector._detect_block`` after the n-grams are extracted (``ngrams``: profile n-grams)."""
    rows = _profile_rows()
    return _detect_rows([rows[gram] for gram in ngrams], seed)  # type: ignore[misc]


def probabilities(text: str, seed: int | None) -> list[Language]:
    """``Detector.get_probabilities()`` for a fresh detector with ``seed`` given ``text``:
    languages above 0.1, most probable first. Empty when the text has no known n-gram
    (where langdetect raises ``LangDetectException``)."""
    rows = _extract_rows(text)
    if not rows:
        return []
    _, langlist = profiles()
    result = [Language(lang, p) for lang, p in zip(langlist, _detect_rows(rows, seed)) if p > _PROB_THRESHOLD]
    result.sort(reverse=True)
    return result
