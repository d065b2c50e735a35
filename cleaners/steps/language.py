"""Step 6: language identification with langdetect, seeded and on a bounded prefix.

langdetect samples n-grams at random: without a fixed seed the same text can get different
answers on different runs. It also costs about 30 ms per 5 KB, so only a prefix of the
cleaned text is used; a few thousand characters are plenty to identify a language.
Detection runs through :mod:`.langdetect_scorer`, an exact copy of langdetect's algorithm on its own
profiles (same languages, same probabilities to the last bit) at under half the cost.

Paragraphs in another language (a quoted statement, a bilingual page) are flagged, not
removed. langdetect is unreliable on short or name-heavy text, so only long, mostly
lowercase paragraphs with few of the document language's stopwords are checked (thresholds
in ``rules/language.toml``); that screen also keeps the cost down to the suspects.
"""

from __future__ import annotations

import re
from operator import itemgetter

from cleaners.config import LanguageOptions
from cleaners.steps.langdetect_scorer import probabilities
from cleaners.record import ForeignParagraph, Language
from cleaners.rules import load_rules
from cleaners.steps.stopwords import stoplist

_PARAGRAPH = re.compile(r"[^\n]+")
_WORD = re.compile(r"[^\W\d_]+")
_ASCII_WORD = re.compile(r"[A-Za-z]+")  # _WORD on ASCII text (the letters of \w), checked faster

def _detect(text: str, options: LanguageOptions) -> tuple[str | None, float]:
    """Code and rounded probability of the most probable language of the text's prefix, as a
    fresh langdetect detector seeded with ``options.seed`` gives them (:mod:`.langdetect_scorer` is an
    exact, faster copy of its algorithm); ``(None, 0.0)`` when nothing is detected."""
    found = probabilities(text[: options.prefix_chars], options.seed)
    if not found:
        return None, 0.0
    return found[0].lang, round(found[0].prob, 4)


def detect_language(text: str, options: LanguageOptions) -> Language:
    """``{code, probability}`` of the text's language (code None when undetectable), and
    its foreign paragraphs when ``options.paragraphs``."""
    if not options.enabled or not text.strip():
        return Language(code=None, probability=0.0)
    code, probability = _detect(text, options)
    foreign = foreign_paragraphs(text, code, options) if code else []
    return Language(code=code, probability=probability, foreign_paragraphs=foreign)


def foreign_paragraphs(text: str, document_code: str, options: LanguageOptions) -> list[ForeignParagraph]:
    """Paragraphs (lines) of ``text`` reliably detected as another language than ``document_code``."""
    stopwords = stoplist(document_code)
    if not options.paragraphs or stopwords is None:
        return []  # no screen for this language: checking every paragraph would be slow
    rules = load_rules("language")["paragraphs"]
    flagged = []
    for match in _PARAGRAPH.finditer(text):
        paragraph = match.group()
        if len(paragraph) < rules["min_chars"] or not _suspect(paragraph, stopwords, rules):
            continue
        code, probability = _detect(paragraph, options)
        if code and code != document_code and probability >= rules["min_probability"]:
            flagged.append(ForeignParagraph(start=match.start(), end=match.end(), code=code, probability=probability))
    return flagged


def _suspect(paragraph: str, stopwords: frozenset[str], rules: dict) -> bool:
    """The screen before detection: mostly lowercase words (names and headlines fool
    langdetect) with few of the document language's stopwords. The counts are done by
    C-level ``map`` over the words (this runs on every long paragraph of every document)."""
    words = (_ASCII_WORD if paragraph.isascii() else _WORD).findall(paragraph)
    count = len(words) or 1  # no words: both shares are 0.0
    lowercase = sum(map(str.islower, map(itemgetter(0), words))) / count
    if lowercase < rules["min_lowercase_share"]:
        return False
    in_language = sum(map(stopwords.__contains__, map(str.casefold, words))) / count
    return not in_language > rules["max_stopword_share"]


def move_to(text: str, before: str, paragraphs: list[ForeignParagraph]) -> list[ForeignParagraph]:
    """The same paragraphs in ``text``, an edited version of ``before`` with the same lines
    (edits inside lines shift offsets but never add or remove a line)."""
    old = [m.span() for m in _PARAGRAPH.finditer(before)]
    new = [m.span() for m in _PARAGRAPH.finditer(text)]
    moved = []
    for paragraph in paragraphs:
        start, end = new[old.index((paragraph.start, paragraph.end))]
        moved.append(paragraph.model_copy(update={"start": start, "end": end}))
    return moved
