"""An exact, faster re-implementation of langdetect's detection, for :mod:`cleaners.steps.language`.

Mirrors ``langdetect`` **1.0.9** (``langdetect/detector.py`` and ``langdetect/utils/ngram.py``):
``Detector.append``, ``cleaning_text``, ``_extract_ngrams`` and ``_detect_block``. Given the
same text and seed it returns the same probabilities, bit for bit, because

* the n-gram list has the same n-grams in the same order (``random.choice`` picks by index,
  so the order matters as much as the content);
* the same ``random.Random(seed)`` object makes the same calls in the same order
  (one ``gauss`` per trial, one ``choice`` per update);
* every floating-point operation is the same one, on the same operands, in the same order
  (``p * (weight + q)``, ``sum`` then ``p / sum``, ``langprob + p / n_trial``).

langdetect spends its time in Python-level bookkeeping rather than arithmetic: one
``NGram.add_char`` call per character (each doing a binary search for the Unicode block),
string concatenation one character at a time, a method call per update. Here characters
are normalised once each through a cached translation table, n-grams are produced per
word and cached (news text repeats its words), and the five updates between two
convergence checks are done in one pass (see :func:`detect_block`). The profiles
(``word_lang_prob_map``, ``langlist``) are langdetect's own, loaded once.

``tests/test_language.py`` checks equality with langdetect itself on varied text; if
langdetect is upgraded, that test is the one to run (and this module to re-read against
the new ``detector.py``).
"""

from __future__ import annotations

import random
import re
import sys
import threading
from itertools import chain

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
_SEGMENT = re.compile("[^ ]+ ?")  # a word and the space after it, if any
_WORD_CACHE_LIMIT = 20_000  # words whose n-grams are kept (about 360 bytes each); emptied when full

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


def _word_ngrams(segment: str, known: dict[str, list[float]]) -> tuple[str, ...]:
    """The n-grams ``Detector._extract_ngrams`` yields for one word of normalised text
    (``segment`` is the word, plus its trailing space unless it ends the text).

    ``NGram`` restarts its buffer at ' ' after every space, so words are independent: the
    buffer holds the last three characters of ' ' + word, and after each character the 1-,
    2- and 3-grams ending there are kept if they are in the profiles (never ' ' alone).
    ``NGram.capitalword`` skips a character when it and the one before are both uppercase.
    The n-grams are interned: the word cache then holds one copy of each.
    """
    s = " " + segment
    found = []
    for k in range(1, len(s)):
        ch = s[k]
        if ch.isupper() and s[k - 1].isupper():
            continue
        if ch != " " and ch in known:
            found.append(sys.intern(ch))
        gram = s[k - 1 : k + 1]
        if gram in known:
            found.append(sys.intern(gram))
        if k >= 2:
            gram = s[k - 2 : k + 1]
            if gram in known:
                found.append(sys.intern(gram))
    return tuple(found)


class _WordNgrams(dict):
    """segment -> ``_word_ngrams(segment)``, computed on first use (news text repeats its words)."""

    def __missing__(self, segment: str) -> tuple[str, ...]:
        grams = self[segment] = _word_ngrams(segment, profiles()[0])
        return grams


_WORDS = _WordNgrams()


def extract_ngrams(text: str) -> list[str]:
    """The n-gram list langdetect 1.0.9 samples for ``text``: ``append(text)``,
    ``cleaning_text()`` then ``_extract_ngrams()``."""
    profiles()
    if len(_WORDS) > _WORD_CACHE_LIMIT:
        _WORDS.clear()
    segments = _SEGMENT.findall(_clean(_prepare(text)).translate(_NORMALISED))
    return list(chain.from_iterable(map(_WORDS.__getitem__, segments)))


def detect_block(ngrams: list[str], seed: int | None) -> list[float]:
    """``Detector._detect_block`` after the n-grams are extracted: the average over 7 trials
    of naive-Bayes updates on randomly chosen n-grams, each trial with a jittered smoothing
    ``alpha``. One probability per language of ``langlist``.

    langdetect updates one n-gram at a time (``prob[j] *= weight + q[j]``) and normalises and
    checks convergence after updates 0, 5, 10, ... The n-grams drawn do not depend on the
    probabilities, so the five updates between two checks are done in one pass over the
    languages: ``p * (weight + qa) * (weight + qb) * ...`` multiplies left to right, the same
    operations in the same order as five passes, for a fifth of the loop overhead. The
    ``random.Random`` calls are the same and in the same order (``gauss`` then the draws).
    """
    known, langlist = profiles()
    n = len(langlist)
    rng = random.Random(seed)  # == Random() then .seed(seed), as Detector does
    choice = rng.choice
    langprob = [0.0] * n
    for _ in range(_N_TRIAL):
        alpha = _ALPHA + rng.gauss(0.0, 1.0) * _ALPHA_WIDTH
        weight = alpha / _BASE_FREQ
        qa = known[choice(ngrams)]  # update i = 0, then the first check
        prob = [p * (weight + a) for p, a in zip([1.0 / n] * n, qa)]
        i = 0
        while True:
            total = sum(prob)  # _normalize_prob
            prob = [p / total for p in prob]
            if max(prob) > _CONV_THRESHOLD or i >= _ITERATION_LIMIT:
                break
            qa, qb, qc, qd, qe = [known[choice(ngrams)] for _ in range(5)]  # updates i+1 .. i+5
            prob = [
                p * (weight + a) * (weight + b) * (weight + c) * (weight + d) * (weight + e)
                for p, a, b, c, d, e in zip(prob, qa, qb, qc, qd, qe)
            ]
            i += 5
        langprob = [mean + p / _N_TRIAL for mean, p in zip(langprob, prob)]
    return langprob


def probabilities(text: str, seed: int | None) -> list[Language]:
    """``Detector.get_probabilities()`` for a fresh detector with ``seed`` given ``text``:
    languages above 0.1, most probable first. Empty when the text has no known n-gram
    (where langdetect raises ``LangDetectException``)."""
    ngrams = extract_ngrams(text)
    if not ngrams:
        return []
    _, langlist = profiles()
    result = [Language(lang, p) for lang, p in zip(langlist, detect_block(ngrams, seed)) if p > _PROB_THRESHOLD]
    result.sort(reverse=True)
    return result
