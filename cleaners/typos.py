"""Step 5: conservative typo repair, guarded so that clean news text stays untouched.

A naive spelling corrector rewrites names ("Peskov" -> "Pskov") and rare words at a rate
no data team would accept. Three narrow rules instead, each with guards from
``rules/typos.toml``:

* ``split``: a long lowercase token unknown to the dictionary that is exactly two frequent
  words run together ("theirinterests" -> "their interests").
* ``typo``: a lowercase token unknown to the dictionary, not used again in the document or
  the run, with one dictionary word at edit distance 1 that is common and clearly better
  than the alternatives, by frequency or in context (bigrams): "againt" -> "against".
  Regional spelling variants are never "corrected".
* ``name_variant``: a capitalised token unknown to the dictionary whose spelling at edit
  distance 1 dominates in the document and run, next to the same neighbouring name
  ("Vladmir Putin" -> "Vladimir Putin" when the run says "Vladimir Putin" many times).

The dictionary is symspellpy's English frequency list, shipped inside the package, widened
by wordfreq's English web frequencies (no download at run time either).
"""

from __future__ import annotations

import importlib.resources
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterator, Sequence

from symspellpy import SymSpell, Verbosity
from wordfreq import zipf_frequency

from .config import TypoOptions
from .corpus import PROTECTED, WORD, CorpusProfile, is_capitalised
from .edits import ProposedEdit, apply_edits
from .record import Edit
from .rules import load_rules
from .textmap import TrackedText


@dataclass(frozen=True)
class Lexicon:
    speller: SymSpell
    bigrams: dict[str, int]

    def count(self, word: str) -> int:
        return self.speller.words.get(word, 0)

    def knows(self, word: str) -> bool:
        """In the frequency list, or common enough on the web (wordfreq) to be a real word.

        symspellpy's list lacks most American spellings and modern vocabulary ("colors",
        "labor", "analytics", "backend"): on its own it made the corrector rewrite them.
        """
        lowered = word.lower()
        return lowered in self.speller.words or web_zipf(lowered) >= _settings()["dictionary"]["known_min_zipf"]


@lru_cache(maxsize=200_000)
def web_zipf(word: str) -> float:
    """wordfreq's Zipf frequency of an English word (0 when never seen; 3 = once per million)."""
    return zipf_frequency(word, "en")


@lru_cache(maxsize=50_000)
def is_loanword(word: str) -> bool:
    """A common word (wordfreq's small lists: Zipf >= 3) in one of ``loanword_languages``."""
    languages = _settings()["typo"]["loanword_languages"]
    return any(zipf_frequency(word, lang, wordlist="small") >= 3.0 for lang in languages)


@lru_cache(maxsize=50_000)
def is_derived_word(word: str) -> bool:
    """A known word with a productive prefix or suffix ("uncited", "bursty", "repotting",
    "shriller"): rare as a whole, regular in its parts, and not a slip."""
    rules = _settings()["typo"]["derivation"]
    known = english_lexicon().knows
    min_stem = rules["min_stem_length"]
    for prefix in rules["prefixes"]:
        rest = word[len(prefix) :]
        if word.startswith(prefix) and len(rest) >= min_stem and known(rest):
            return True
    for suffix in rules["suffixes"]:
        stem = word[: -len(suffix)]
        if not word.endswith(suffix) or len(stem) < min_stem:
            continue
        stems = {stem, stem + "e"}
        if stem[-1] == stem[-2:-1]:
            stems.add(stem[:-1])  # "shopper" -> "shop"
        if stem.endswith("i"):
            stems.add(stem[:-1] + "y")  # "cushier" -> "cushy"
        if any(known(candidate) for candidate in stems):
            return True
    return False


@lru_cache(maxsize=1)
def english_lexicon() -> Lexicon:
    """Load symspellpy's English dictionaries once per process (about 1 s)."""
    files = load_rules("typos")["dictionary"]
    package = importlib.resources.files("symspellpy")
    speller = SymSpell(max_dictionary_edit_distance=1, prefix_length=7)
    speller.load_dictionary(str(package / files["words"]), term_index=0, count_index=1, encoding="utf-8")
    bigrams: dict[str, int] = {}
    for line in (package / files["bigrams"]).read_text(encoding="utf-8").splitlines():
        parts = line.split(" ")
        if len(parts) == 3:
            bigrams[f"{parts[0]} {parts[1]}"] = int(parts[2])
    return Lexicon(speller, bigrams)


@lru_cache(maxsize=1)
def _settings() -> dict[str, Any]:
    return load_rules("typos")


_LINE = re.compile(r"[^\n]+")


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int
    prev: str | None
    next: str | None


def _unknown_tokens(
    text: str, is_candidate: Callable[[str], bool], skip: Sequence[tuple[int, int]] = ()
) -> Iterator[Token]:
    """Tokens worth a second look: ``is_candidate`` words outside URLs, handles and the
    ``skip`` spans, not glued to a hyphen, slash or digit (compounds, codes, model names)."""
    protected: list[tuple[int, int]] | None = None
    for line in _LINE.finditer(text):
        matches = list(WORD.finditer(line.group()))
        for i, m in enumerate(matches):
            if not is_candidate(m.group()):
                continue
            start, end = line.start() + m.start(), line.start() + m.end()
            before = text[start - 1] if start > 0 else " "
            after = text[end] if end < len(text) else " "
            if before in "-/_" or after in "-/_" or before.isdigit() or after.isdigit():
                continue
            if protected is None:
                protected = [(p.start(), p.end()) for p in PROTECTED.finditer(text)] + list(skip)
            if any(s <= start < e for s, e in protected):
                continue
            prev = matches[i - 1].group() if i > 0 else None
            nxt = matches[i + 1].group() if i + 1 < len(matches) else None
            yield Token(m.group(), start, end, prev, nxt)


def _is_regional_variant(token: str, candidate: str) -> bool:
    """True when one substitution from the variant list turns ``token`` into ``candidate``."""
    for a, b in _settings()["guards"]["variant_substitutions"]:
        for x, y in ((a, b), (b, a)):
            idx = token.find(x)
            while idx != -1:
                if token[:idx] + y + token[idx + len(x) :] == candidate:
                    return True
                idx = token.find(x, idx + 1)
    return False


def _split(token: str, lexicon: Lexicon) -> str | None:
    """Two frequent words run together, one of them a function word ("theirinterests").

    Compounds of two content words ("leaderboard", "dashboarding") are words in their own
    right, and so is a token the web uses ("onboarding", "confit"), unless both parts are
    function words: "inthe" is common on the web only as a slip.
    """
    s = _settings()["split"]
    if len(token) < s["min_length"]:
        return None
    function_words = frozenset(s["function_words"])
    seen = web_zipf(token)
    best: tuple[int, str] | None = None
    for i in range(s["min_part_length"], len(token) - s["min_part_length"] + 1):
        left, right = token[:i], token[i:]
        both = left in function_words and right in function_words
        if not (both or left in function_words or right in function_words):
            continue
        if seen >= (s["max_token_zipf_function_pair"] if both else s["max_token_zipf"]):
            continue
        weakest = min(lexicon.count(left), lexicon.count(right))
        if weakest >= s["min_part_count"] and (best is None or weakest > best[0]):
            best = (weakest, f"{left} {right}")
    return best[1] if best else None


def _plausible_typo(word: str, candidate: str) -> bool:
    """An extra "s", "d" or "r" at the end is an inflection ("tropicals", "influencer"),
    not a slip; and the correction must be far more common on the web than the token
    (common misspellings such as "recieve" are seen there too, a hundred times less often
    than the word they misspell); a common word of another language ("crema", "terroir",
    "alla") is a loanword, not a slip."""
    guards = _settings()["typo"]
    if any(word == candidate + suffix for suffix in guards["inflection_suffixes"]):
        return False
    lowered = word.lower()
    if is_loanword(lowered) or (web_zipf(lowered) >= guards["seen_min_zipf"] and is_derived_word(lowered)):
        return False
    return web_zipf(candidate) - web_zipf(word.lower()) >= guards["min_zipf_gain"]


def _regional_variant_guard(word: str, candidate: str) -> bool:
    """A word form the web has seen that differs from the candidate by a regional
    substitution is a variant spelling ("realise"), not a typo. Forms never seen ("sevreal")
    are typos even when they look like such a substitution."""
    return web_zipf(word.lower()) >= _settings()["typo"]["seen_min_zipf"] and _is_regional_variant(word, candidate)


def _bigram_score(lexicon: Lexicon, token: Token, candidate: str) -> int:
    score = 0
    if token.prev:
        score += lexicon.bigrams.get(f"{token.prev.lower()} {candidate}", 0)
    if token.next:
        score += lexicon.bigrams.get(f"{candidate} {token.next.lower()}", 0)
    return score


def _correct(token: Token, lexicon: Lexicon) -> str | None:
    s = _settings()["typo"]
    word = token.text
    candidates = [
        c
        for c in lexicon.speller.lookup(word, Verbosity.ALL, max_edit_distance=1)
        if c.distance == 1 and _plausible_typo(word, c.term) and not _regional_variant_guard(word, c.term)
    ]
    candidates.sort(key=lambda c: (-c.count, c.term))
    candidates = [c for c in candidates if c.count >= s["min_candidate_count"]]
    if not candidates:
        return None
    context = {c.term: _bigram_score(lexicon, token, c.term) for c in candidates}
    top = candidates[0]
    clear_by_frequency = len(candidates) == 1 or top.count >= s["runner_up_ratio"] * candidates[1].count
    if clear_by_frequency and context[top.term] >= max(context.values()):
        return top.term  # most frequent by far, and no other candidate fits the context better
    ranked = sorted(context.items(), key=lambda item: (-item[1], item[0]))
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    if ranked[0][1] > 0 and ranked[0][1] >= s["bigram_ratio"] * max(runner_up, 1):
        return ranked[0][0]  # the context decides clearly
    return None


def _edits1(word: str) -> set[str]:
    letters = {ch for ch in word.lower()} | set("abcdefghijklmnopqrstuvwxyz")
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    transposes = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in letters}
    inserts = {a + c + b for a, b in splits for c in letters}
    return deletes | transposes | replaces | inserts


def _name_variant(token: Token, names: Counter[str], pairs: Counter[str]) -> str | None:
    s = _settings()["name_variant"]
    own = names.get(token.text, 0)
    best: tuple[int, str] | None = None
    for candidate in _edits1(token.text):
        if candidate == token.text or not candidate[:1].isupper():
            continue
        count = names.get(candidate, 0)
        if count < s["min_dominant_count"] or count < s["dominance_ratio"] * max(own, 1):
            continue
        context = max(
            pairs.get(f"{token.prev} {candidate}", 0) if token.prev else 0,
            pairs.get(f"{candidate} {token.next}", 0) if token.next else 0,
        )
        if context >= s["min_context_count"] and (best is None or count > best[0]):
            best = (count, candidate)
    return best[1] if best else None


def _decide(
    token: Token,
    options: TypoOptions,
    in_doc: Counter[str],
    corpus_unknown: Counter[str],
    evidence: CorpusProfile,
    lexicon: Lexicon,
) -> ProposedEdit | None:
    """The one edit (offsets unset) a token deserves, or None."""
    settings = _settings()
    word = token.text
    if word.islower():
        typo = settings["typo"]
        if in_doc[word] > typo["max_document_count"] or corpus_unknown[word] > typo["max_corpus_count"]:
            return None
        split = _split(word, lexicon)
        if split:
            return ProposedEdit(0, 0, split, "split", "split.frequent_parts")
        fixed = _correct(token, lexicon) if len(word) >= typo["min_length"] else None
        return ProposedEdit(0, 0, fixed, "typo", "typo.edit_distance_1") if fixed else None
    names = settings["name_variant"]
    if options.name_variants and is_capitalised(word) and len(word) >= names["min_length"] and in_doc[word] <= names["max_document_count"]:
        variant = _name_variant(token, evidence.capitalised, evidence.name_pairs)
        return ProposedEdit(0, 0, variant, "name_variant", "name_variant.dominant_spelling") if variant else None
    return None


def repair_typos(
    tracked: TrackedText,
    options: TypoOptions,
    profile: CorpusProfile | None = None,
    skip: Sequence[tuple[int, int]] = (),
) -> tuple[TrackedText, list[Edit]]:
    """Propose and apply guarded typo, split and name-variant edits (none inside ``skip``)."""
    if not options.enabled:
        return tracked, []
    lexicon = english_lexicon()
    settings = _settings()
    never = frozenset(settings["guards"]["never_correct"])
    in_doc = Counter(WORD.findall(tracked.text))
    # The run profile already counts this document; without one, the document stands alone.
    evidence = profile if profile is not None else CorpusProfile.of_texts([tracked.text], lexicon.knows)
    corpus_unknown = profile.unknown_lower if profile is not None else Counter()

    def is_candidate(word: str) -> bool:
        return not lexicon.knows(word) and "'" not in word and "’" not in word and word.lower() not in never

    proposed: list[ProposedEdit] = []
    decided: dict[tuple[str, str | None, str | None], ProposedEdit | None] = {}
    for token in _unknown_tokens(tracked.text, is_candidate, skip):
        key = (token.text, token.prev, token.next)
        if key not in decided:
            decided[key] = _decide(token, options, in_doc, corpus_unknown, evidence, lexicon)
        edit = decided[key]
        if edit is not None:
            proposed.append(ProposedEdit(token.start, token.end, edit.replacement, edit.kind, edit.rule))
    return apply_edits(tracked, proposed)
