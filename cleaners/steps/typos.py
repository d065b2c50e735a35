"""Step 5: conservative typo repair, guarded so that clean news text stays untouched.

A naive spelling corrector rewrites names ("Peskov" -> "Pskov") and rare words at a rate
no data team would accept. Three narrow rules instead, each with guards from
``rules/typos.toml``. The policy: an edit is made only where the writer certainly meant the
new form; when in doubt, the text stays.

* A **known word is never a typo**: in symspellpy's frequency list, in a dictionary of real
  words however rare (Webster's Second and GCIDE: "balk", "faery", "incompliant"), or
  common on the English web (wordfreq); nor is a common word of another language ("venha",
  "elotes": a loanword or a foreign quote).
* No lowercase token is mended where the writer may mean it as written: in code; a short
  token or the first word of a list item, heading or label (a line of up to 15 words with
  no sentence end); inside a name; inside a short quotation (a nickname, term or phrase as
  said; reported speech is mended); beside another unknown word (garbled, foreign or
  jargon); before a gloss ("ridicul (de sac!)"); without a vowel ("smth"); glued to an
  apostrophe ("killin'") or a host name ("artmann.se"); nor anywhere on a jargon page (a
  fifth of its distinct lowercase words unknown: code, a field's terms).
* ``split``: a long lowercase token unknown to the dictionary that is exactly two frequent
  words run together, one a function word ("theirinterests" -> "their interests"); never a
  prefix and a word ("incompliant", "onchain"), never a token one edit from a common word
  ("attension" is "attention" misspelt, not "at tension"), one that also reads as two
  common content words ("adscan": "ad scan"), a word the web writes ("mypillow") or a
  common word of another language ("oursins"). When the token is also one slip from a
  word, the split wins only if it is no phrase ever written ("atking" is "taking").
* ``typo``: a lowercase token unknown to the dictionary, not used again in the document
  (in any case) or the run, with one common dictionary word at edit distance 1 that a
  keyboard slip explains (a letter dropped, two swapped, a neighbouring key hit instead or
  as well) and that is clearly better than the other slips, by frequency or in context
  (bigrams of the neighbours in the same phrase), and than every other word one edit away
  ("stea" may be "steam" as well as "steal"): "againt" -> "against". Never to a word
  written only with a capital ("sweedish" is not "swedish"). Regional spellings, derived
  forms, compounds the web uses ("firewalk"), loanwords about as common in their language
  as the fix in English ("elotes"), and word-like tokens without context support (a word
  the web uses, a derived form, a slip by ear, a short word plus a letter that still reads
  as English: "chunko") stay.
* ``name_variant``: a capitalised token unknown to the dictionary and rare on the web, whose
  spelling at edit distance 1 dominates in the run in the same full name (with each
  capitalised neighbour: "Vladmir Putin" -> "Vladimir Putin" when the run says "Vladimir
  Putin" many times, but "Fischer Black" stays beside an "Irving Fisher"), when the two
  differ by a keyboard slip, not by case, a letter at the end ("Korean"/"Korea"), an affix
  on the same stem ("Housers"/"Houses") or a capital.

The dictionaries ship inside the packages (symspellpy, english-words, wordfreq): nothing is
downloaded at run time. ``benchmarks/typos_real.py`` measures every edit on real text
against committed verdicts.
"""

from __future__ import annotations

import importlib.resources
import re
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import compress, filterfalse
from typing import Any, Callable, Collection, Hashable, Iterable, Iterator, Sequence, TypeVar

from english_words import get_english_words_set
from symspellpy import SymSpell, Verbosity
from symspellpy.suggest_item import SuggestItem
from wordfreq import zipf_frequency

from cleaners.config import TypoOptions
from cleaners.steps.run_profile import CorpusProfile, capitalised_counts, capitalised_pairs, is_capitalised, protected_spans, tokenise
from cleaners.steps.changed_spans import ProposedEdit, apply_edits
from cleaners.record import Edit
from cleaners.rules import load_rules
from cleaners.tracked_text import TrackedText


#: Distinct tokens whose "known?" answer a lexicon remembers (some 250 bytes each, so
#: about 25 MB at most): enough for the everyday vocabulary of a whole run.
KNOWN_CACHE_SIZE = 100_000

#: Distinct unknown tokens whose common neighbours a lexicon remembers (a few hundred bytes each).
NEIGHBOURS_CACHE_SIZE = 20_000

_T = TypeVar("_T")


@dataclass(frozen=True)
class Lexicon:
    speller: SymSpell
    bigrams: dict[str, int]
    #: Every word of the dictionaries of ``[dictionary] word_lists`` (lowercase): real words,
    #: however rare ("balk", "incompliant", "faery"), that a frequency list misses.
    dictionary: frozenset[str] = frozenset()
    #: Words the dictionaries write only with a capital ("swedish", "monday"), lowercased:
    #: a proper noun or adjective, never the fix of a lowercase token ("sweedish" ->
    #: "swedish" would still be wrong).
    proper: frozenset[str] = frozenset()
    #: The letter trigrams (with "^" and "$" at the word's edges) that many common English
    #: words contain: a token made only of them reads as English (:func:`_reads_as_english`).
    common_trigrams: frozenset[str] = frozenset()
    #: :meth:`_knows`, memoised (bounded): the scan and the typo step ask about every
    #: distinct word of every document, and most words recur across documents.
    knows: Callable[[str], bool] = field(init=False, repr=False, compare=False)
    #: :meth:`_common_neighbours`, memoised (bounded): the split and typo rules both ask it
    #: of a token, and the same unknown words come back document after document.
    common_neighbours: Callable[[str], tuple[SuggestItem, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "knows", lru_cache(maxsize=KNOWN_CACHE_SIZE)(self._knows))
        object.__setattr__(self, "common_neighbours", lru_cache(maxsize=NEIGHBOURS_CACHE_SIZE)(self._common_neighbours))

    def _common_neighbours(self, word: str) -> tuple[SuggestItem, ...]:
        """The frequency list's words one edit from ``word`` (symspellpy's order) seen at
        least ``[typo] min_candidate_count`` times: the corrections worth weighing."""
        least = _settings()["typo"]["min_candidate_count"]
        found = self.speller.lookup(word, Verbosity.ALL, max_edit_distance=1)
        return tuple(c for c in found if c.distance == 1 and c.count >= least)

    def count(self, word: str) -> int:
        return self.speller.words.get(word, 0)

    def _knows(self, word: str) -> bool:
        """In the frequency list or a dictionary, or common enough on the web (wordfreq) to
        be a real word.

        symspellpy's list lacks most American spellings and modern vocabulary ("colors",
        "labor", "analytics", "backend"): on its own it made the corrector rewrite them. It
        also lacks rare real words ("balk", "incompliant"), which a frequency list cannot
        tell from misspellings ("recieve" is as common on the web as "balk"): a dictionary
        can.
        """
        lowered = word.lower()
        return (
            lowered in self.speller.words
            or lowered in self.dictionary
            or web_zipf(lowered) >= _settings()["dictionary"]["known_min_zipf"]
        )


@lru_cache(maxsize=200_000)
def web_zipf(word: str) -> float:
    """wordfreq's Zipf frequency of an English word (0 when never seen; 3 = once per million)."""
    return zipf_frequency(word, "en")


@lru_cache(maxsize=50_000)
def foreign_zipf(word: str) -> float:
    """``word``'s highest Zipf frequency in the ``[typo] loanword_languages``."""
    return max(zipf_frequency(word, lang) for lang in _settings()["typo"]["loanword_languages"])


def is_loanword(word: str) -> bool:
    """A common word (Zipf >= ``loanword_min_zipf``) in one of ``loanword_languages``:
    a loanword ("crema", "terroir") or a word of a foreign sentence quoted in an English
    page ("venha", "digitali"), never an English slip."""
    return foreign_zipf(word) >= _settings()["typo"]["loanword_min_zipf"]


def _loanword_for(word: str, candidate: str) -> bool:
    """``word`` is a common word of another language (:func:`is_loanword`) about as common
    there as ``candidate`` is in English (within ``[typo] loanword_margin`` Zipf): the
    writer more likely used that word ("elotes" beside "elites") than misspelt a much
    commoner English one ("markts", German, is "markets" misspelt)."""
    return is_loanword(word) and foreign_zipf(word) >= web_zipf(candidate) - _settings()["typo"]["loanword_margin"]


@lru_cache(maxsize=50_000)
def derivations(word: str) -> tuple[tuple[str, str], ...]:
    """The ways ``word`` is a known word with a productive prefix or suffix ("uncited",
    "bursty", "repotting", "shriller"): ("prefix", rest) or ("suffix", the known stem: "racy"
    for "raciest", "shop" for "shopper")."""
    rules = _settings()["typo"]["derivation"]
    least, lexicon = rules["min_stem_zipf"], english_lexicon()

    def known(stem: str) -> bool:
        """A word the web writes often enough that is in the dictionary or common in the
        frequency list ("frisky", "barf"): not a stray entry of either ("hure" in "hurs"),
        nor a common misspelling ("seperate" in "seperately")."""
        return web_zipf(stem) >= least and (stem in lexicon.dictionary or lexicon.count(stem) >= _settings()["typo"]["min_candidate_count"])

    min_stem = rules["min_stem_length"]
    found: list[tuple[str, str]] = []
    for prefix in rules["prefixes"]:
        rest = word[len(prefix) :]
        if word.startswith(prefix) and len(rest) >= min_stem and known(rest):
            found.append(("prefix", rest))
    for suffix in rules["suffixes"]:
        stem = word[: -len(suffix)]
        if not word.endswith(suffix) or len(stem) < min_stem:
            continue
        stems = {stem, stem + "e"}
        if stem[-1] == stem[-2:-1]:
            stems.add(stem[:-1])  # "shopper" -> "shop"
        if stem.endswith("i"):
            stems.add(stem[:-1] + "y")  # "cushier" -> "cushy"
        found += [("suffix", known_stem) for known_stem in sorted(stems) if known(known_stem)]
    return tuple(found)


def is_derived_word(word: str, candidate: str | None = None) -> bool:
    """A known word with a productive prefix or suffix: rare as a whole, regular in its
    parts, and not a slip. With ``candidate``, only derivations whose stem the candidate
    does not keep count: "puting" -> "putting" or "thes" -> "these" mends the affix of the
    same stem (a slip), "repotting" -> "reporting" replaces the stem (a different word)."""
    for kind, stem in derivations(word):
        if candidate is None:
            return True
        kept = candidate.startswith(stem) if kind == "suffix" else candidate.endswith(stem)
        if not kept:
            return True
    return False


@lru_cache(maxsize=1)
def english_lexicon() -> Lexicon:
    """Load symspellpy's English dictionaries and the word lists once per process (about 1 s)."""
    files = load_rules("typos")["dictionary"]
    package = importlib.resources.files("symspellpy")
    speller = SymSpell(max_dictionary_edit_distance=1, prefix_length=7)
    speller.load_dictionary(str(package / files["words"]), term_index=0, count_index=1, encoding="utf-8")
    bigrams: dict[str, int] = {}
    for line in (package / files["bigrams"]).read_text(encoding="utf-8").splitlines():
        parts = line.split(" ")
        if len(parts) == 3:
            bigrams[f"{parts[0]} {parts[1]}"] = int(parts[2])
    # Each list is read once, with its capitals: the dictionary is their lowercase union,
    # the proper words come from the capitals of one of them.
    cased = {name: get_english_words_set([name], lower=False, alpha=True) for name in files["word_lists"]}
    dictionary = frozenset(word.lower() for words in cased.values() for word in words)
    return Lexicon(speller, bigrams, dictionary, _proper_words(cased[files["proper_word_list"]]), _common_trigrams(speller.words))


def _common_trigrams(words: dict[str, int]) -> frozenset[str]:
    """The letter trigrams in at least ``[typo.phonotactics] min_words`` of the frequency
    list's words seen ``min_count`` times or more (about 0.3 s, once per process)."""
    rules = _settings()["typo"]["phonotactics"]
    seen: Counter[str] = Counter()
    for word, count in words.items():
        if count >= rules["min_count"] and word.isalpha():
            edged = f"^{word}$"
            seen.update({edged[i : i + 3] for i in range(len(edged) - 2)})
    return frozenset(gram for gram, n in seen.items() if n >= rules["min_words"])


def _reads_as_english(word: str, lexicon: Lexicon) -> bool:
    """Every three-letter run of ``word`` (edges included) is common in English words: the
    token is pronounceable English ("chunko", "planset"), not the cluster a stray key
    leaves ("launcjh", "pkoints")."""
    edged = f"^{word.lower()}$"
    return all(edged[i : i + 3] in lexicon.common_trigrams for i in range(len(edged) - 2))


def _proper_words(cased: Collection[str]) -> frozenset[str]:
    """The words a word list (``cased``, with its capitals) writes only with a capital
    ("Swedish", "Monday"), lowercased; a plural of a lowercase word ("Kids", "Miles" as a
    name) is no proper word."""
    lowercase = {word for word in cased if word.islower()}
    capital_only = {word.lower() for word in cased if word[:1].isupper()} - lowercase
    return frozenset(w for w in capital_only if not (w.endswith("s") and (w[:-1] in lowercase or w[:-2] in lowercase)))


@lru_cache(maxsize=1)
def _settings() -> dict[str, Any]:
    return load_rules("typos")


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int
    prev: str | None
    next: str | None
    #: For a lowercase token: a name right before or after it inside the same sentence (not
    #: one that merely starts the sentence): the token is part of the name ("Justine damond").
    beside_name: bool = False
    #: ``prev`` / ``next`` joined to the token by spaces alone, in the same phrase: the
    #: neighbours a bigram may judge it by ("fat [chunko]. Boba" has neither).
    prev_in_phrase: bool = False
    next_in_phrase: bool = False


def _unknown_tokens(
    text: str,
    words: Sequence[str],
    gaps: Sequence[str],
    candidates: Collection[str],
    knows: Callable[[str], bool],
    skip: Sequence[tuple[int, int]] = (),
) -> Iterator[Token]:
    """Tokens worth a second look: ``candidates`` words outside URLs, handles and the
    ``skip`` spans, not glued to a hyphen, slash or digit (compounds, codes, model names)
    nor to an apostrophe (a marked elision).

    ``words`` and ``gaps`` are ``text`` split by :func:`~cleaners.steps.run_profile.tokenise`;
    neighbours (``prev``, ``next``) are words of the same line; ``knows`` tells a common
    word from a name (``beside_name``).
    """
    protected: list[tuple[int, int]] | None = None
    flags = map(candidates.__contains__, words)
    # Where word ``last`` starts; each candidate's start is counted on from the one before,
    # so the words between two candidates are measured once and the rest never.
    last, start = 0, len(gaps[0])
    for i in compress(range(len(words)), flags):
        start += sum(map(len, words[last:i])) + sum(map(len, gaps[last + 1 : i + 1]))
        last = i
        word = words[i]
        end = start + len(word)
        before = text[start - 1] if start > 0 else " "
        after = text[end] if end < len(text) else " "
        if before in "-/_" or after in "-/_" or before.isdigit() or after.isdigit():
            continue
        if before in "'’" or after in "'’":
            continue  # an elision the writer marked: "killin'", "slurpin’", "'tude"
        if after == "." and text[end + 1 : end + 2].isalnum():
            continue  # a host or file name: "artmann.se", "setup.exe"
        if protected is None:
            protected = protected_spans(text) + list(skip)
        if any(s <= start < e for s, e in protected):
            continue
        prev = words[i - 1] if i > 0 and "\n" not in gaps[i] else None
        nxt = words[i + 1] if i + 1 < len(words) and "\n" not in gaps[i + 1] else None
        yield Token(word, start, end, prev, nxt, word.islower() and _beside_name(words, gaps, i, knows),
                    prev is not None and gaps[i].isspace(), nxt is not None and gaps[i + 1].isspace())


_SENTENCE_BREAK = re.compile(r"[.!?:;\n\"“”(\[]")


def _beside_name(words: Sequence[str], gaps: Sequence[str], i: int, knows: Callable[[str], bool]) -> bool:
    """Word ``i`` has a name beside it in its sentence: a capitalised word that is no common
    word ("Justine damond", not "President sayd") and does not merely start the sentence.
    The word is then likely part of the name."""
    def name(word: str) -> bool:
        return is_capitalised(word) and not knows(word.lower())

    if i > 1 and name(words[i - 1]) and not _SENTENCE_BREAK.search(gaps[i]) and not _SENTENCE_BREAK.search(gaps[i - 1]):
        return True  # the name is not the sentence's first word
    return i + 1 < len(words) and name(words[i + 1]) and not _SENTENCE_BREAK.search(gaps[i + 1])


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
    Never a prefix and a word ("incompliant"), and never a token one edit from a common
    word ("withtout" is "without" misspelt, not "with tout").

    Compounds of two content words ("leaderboard", "dashboarding") are words in their own
    right, and so are a token the web uses ("onboarding", "confit") and a known word with
    a regular affix that the web has seen ("plusher": "plush" + "er", not "plus her"; the
    typo step's derived-word guard), unless both parts are function words: "inthe",
    "withher" are common on the web only as slips.
    """
    s = _settings()["split"]
    if len(token) < s["min_length"] or is_loanword(token):
        return None  # a common word of another language ("oursins") is no run-together
    function_words, prefixes = _split_vocabulary()
    seen = web_zipf(token)
    derived = seen >= _settings()["typo"]["seen_min_zipf"] and is_derived_word(token)
    best: tuple[int, str] | None = None
    for i in range(s["min_part_length"], len(token) - s["min_part_length"] + 1):
        left, right = token[:i], token[i:]
        both = left in function_words and right in function_words
        if not (both or left in function_words or right in function_words) or (derived and not both):
            continue
        if left in prefixes and right not in function_words:
            continue  # "incompliant", "overcommitted": a prefixed word, not "in compliant"
        if seen >= (s["max_token_zipf_function_pair"] if both else s["max_token_zipf"]):
            continue
        weakest = min(lexicon.count(left), lexicon.count(right))
        if weakest >= s["min_part_count"] and (best is None or weakest > best[0]):
            best = (weakest, f"{left} {right}")
    if best is not None and (_near_word(token, lexicon) or _other_cut(token, best[1], lexicon)):
        return None
    return best[1] if best else None


def _other_cut(token: str, chosen: str, lexicon: Lexicon) -> bool:
    """``token`` also reads as a compound of two common content words ("adscan": the writer
    meant "ad scan", not "ads can"): two readings, so no split. Both words must be common
    (``[split] compound_reading_min_zipf``) and neither a function word: "forthe" is no
    "fort he", "challengeswith" no "challenge swith"."""
    settings = _settings()["split"]
    least, common = settings["min_part_length"], settings["compound_reading_min_zipf"]
    function_words, _ = _split_vocabulary()
    cuts = ((token[:i], token[i:]) for i in range(least, len(token) - least + 1))
    return any(
        f"{left} {right}" != chosen
        and all(part not in function_words and part in lexicon.dictionary and web_zipf(part) >= common for part in (left, right))
        for left, right in cuts
    )


@lru_cache(maxsize=1)
def _split_vocabulary() -> tuple[frozenset[str], frozenset[str]]:
    """``[split]`` function words and prefixes, as sets (built once, asked per token)."""
    s = _settings()["split"]
    return frozenset(s["function_words"]), frozenset(s["prefixes"])


def _run_together_reading(token: str, lexicon: Lexicon) -> bool:
    """``token`` also reads as a function word that is a prefix too and a frequent word run
    together ("interms": "in terms"), a cut :func:`_split` never makes."""
    function_words, prefixes = _split_vocabulary()
    least = _settings()["split"]["min_part_count"]
    return any(token.startswith(p) and lexicon.count(token[len(p) :]) >= least for p in function_words & prefixes)


def _near_word(token: str, lexicon: Lexicon) -> bool:
    """A long token one edit from a common word ("withtout": "without"; "attension":
    "attention") is as likely that word misspelt as two words run together. (Short joins
    such as "tobe" are one edit from many words by chance.)"""
    if len(token) < _settings()["split"]["near_word_min_length"]:
        return False
    return bool(lexicon.common_neighbours(token))


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
    if _loanword_for(lowered, candidate) or (web_zipf(lowered) >= guards["seen_min_zipf"] and is_derived_word(lowered, candidate)):
        return False
    return web_zipf(candidate) - web_zipf(word.lower()) >= guards["min_zipf_gain"]


def _regional_variant_guard(word: str, candidate: str) -> bool:
    """A word form the web has seen that differs from the candidate by a regional
    substitution is a variant spelling ("realise"), not a typo. Forms never seen ("sevreal")
    are typos even when they look like such a substitution."""
    return web_zipf(word.lower()) >= _settings()["typo"]["seen_min_zipf"] and _is_regional_variant(word, candidate)


def _bigram_score(lexicon: Lexicon, token: Token, candidate: str) -> int:
    """How often ``candidate`` follows and precedes the token's neighbours in its phrase
    (symspellpy's bigram counts); a neighbour across punctuation ("so [purty]! As") is
    another phrase and says nothing."""
    score = 0
    if token.prev and token.prev_in_phrase:
        score += lexicon.bigrams.get(f"{token.prev.lower()} {candidate}", 0)
    if token.next and token.next_in_phrase:
        score += lexicon.bigrams.get(f"{candidate} {token.next.lower()}", 0)
    return score


@lru_cache(maxsize=1)
def _keyboard_neighbours() -> dict[str, frozenset[str]]:
    """Keys next to each letter on the keyboard of ``[typo.channel] keyboard`` (rows
    staggered by about half a key, as on a real keyboard)."""
    rows = _settings()["typo"]["channel"]["keyboard"]
    position = {ch: (r, c) for r, row in enumerate(rows) for c, ch in enumerate(row)}
    near = {(0, -1), (0, 1), (-1, 0), (-1, 1), (1, -1), (1, 0)}
    return {
        ch: frozenset(other for other, (r2, c2) in position.items() if (r2 - r, c2 - c) in near)
        for ch, (r, c) in position.items()
    }


def _near(a: str, b: str) -> bool:
    return a == b or b in _keyboard_neighbours().get(a, ())


def slip_kind(word: str, candidate: str) -> str | None:
    """How typing ``candidate`` could have produced ``word`` in one keyboard slip, or None.

    The noisy channel: a letter left out ("deletion"), two adjacent letters swapped
    ("transposition"), a key next to the intended one hit instead ("substitution") or as
    well ("insertion": the extra letter is a neighbouring key of, or the same as, a letter
    beside it), or one vowel written for another ("vowel": "definately", "seperate", the
    commonest spelling-by-ear slip). Any other substitution or insertion between keys far
    apart ("burgeons" for "surgeons", "mocktails" for "cocktails", "json" for "son") is a
    different word, not a slip.
    """
    if len(word) + 1 == len(candidate):
        return "deletion"
    if len(word) == len(candidate) + 1:
        for i in range(len(word)):
            if word[:i] + word[i + 1 :] == candidate:
                extra = word[i]
                beside = word[i - 1 : i] + word[i + 1 : i + 2]
                if any(_near(ch, extra) for ch in beside):
                    return "insertion"
        return None
    if len(word) != len(candidate):
        return None
    diff = [i for i, (a, b) in enumerate(zip(word, candidate)) if a != b]
    if len(diff) == 2 and diff[1] == diff[0] + 1 and word[diff[0]] == candidate[diff[1]] and word[diff[1]] == candidate[diff[0]]:
        return "transposition"
    if len(diff) == 1:
        intended, typed = candidate[diff[0]], word[diff[0]]
        if _near(intended, typed):
            return "substitution"
        vowels = _settings()["typo"]["channel"]["sound_alike_vowels"]
        if intended in vowels and typed in vowels:
            return "vowel"  # spelt as pronounced: "definately", "seperate"
    return None


def _correct(token: Token, lexicon: Lexicon) -> str | None:
    """The word the writer certainly meant, or None.

    The keyboard slips one edit away compete as a noisy channel has it: the winner must be
    clear by frequency or by context. The other common words one edit away (not slips) may
    still be what was meant ("stea" is "steam" as well as "steal"; "lept" is "leapt" as well
    as "kept"): the winner must also be more common than each of them by
    ``other_word_ratio`` or fit the context better."""
    s = _settings()["typo"]
    word = token.text
    near = lexicon.common_neighbours(word)
    candidates = [
        c for c in near
        if c.term not in lexicon.proper and slip_kind(word, c.term) is not None
        and _plausible_typo(word, c.term) and not _regional_variant_guard(word, c.term)
    ]
    candidates.sort(key=lambda c: (-c.count, c.term))
    if not candidates:
        return None
    context = {c.term: _bigram_score(lexicon, token, c.term) for c in near}
    top = candidates[0]
    clear_by_frequency = len(candidates) == 1 or top.count >= s["runner_up_ratio"] * candidates[1].count
    chosen: str | None = None
    if clear_by_frequency and context[top.term] >= max(context[c.term] for c in candidates):
        chosen = top.term  # most frequent by far, and no other candidate fits the context better
    else:
        ranked = sorted(((c.term, context[c.term]) for c in candidates), key=lambda item: (-item[1], item[0]))
        runner_up = ranked[1][1] if len(ranked) > 1 else 0
        if ranked[0][1] > 0 and ranked[0][1] >= s["bigram_ratio"] * max(runner_up, 1):
            chosen = ranked[0][0]  # the context decides clearly
    if chosen is None:
        return None
    count = lexicon.count(chosen)
    if any(o.count * s["other_word_ratio"] > count and context[o.term] >= context[chosen] for o in near if o not in candidates):
        return None  # another word one edit away is as likely what was meant
    if _seen_compound(word.lower(), lexicon):
        return None  # a compound the web uses ("firewalk", "hardcode")
    if context[chosen] == 0 and (
        _looks_deliberate(word, chosen) or slip_kind(word, chosen) == "vowel" or (_stray_letter(word, chosen) and _reads_as_english(word, lexicon))
    ):
        return None  # a word-like token, or a slip by ear, needs its neighbours to back the correction
    return chosen


def _stray_letter(word: str, candidate: str) -> bool:
    """A short token that is the candidate plus one letter that is no doubling ("chunko",
    "planset", "upserts"). When it still reads as English (:func:`_reads_as_english`) it
    is as often a coinage, a brand or a term built on the word as a slip, so its neighbours
    must back the correction. (A doubled letter, "sleeep", is a slip.)"""
    if len(word) != len(candidate) + 1 or len(word) > _settings()["typo"]["stray_letter_max_length"]:
        return False
    i = next((k for k, (a, b) in enumerate(zip(word, candidate)) if a != b), len(candidate))
    return word[i] not in (word[i - 1 : i] + word[i + 1 : i + 2])


def _abbreviation(word: str) -> bool:
    """A token without a vowel ("smth", "mgmt", "bldg", "pls") is an abbreviation or a code
    the writer typed on purpose, not a word with one slip."""
    return not any(ch in _settings()["typo"]["vowels"] for ch in word.lower())


def _seen_compound(word: str, lexicon: Lexicon) -> bool:
    """Two common words run together that the web writes as one ("hardcode", "firewalk",
    "mypillow"): a compound or a coinage the writer meant. Unseen joins ("presseed") may
    still be slips."""
    settings = _settings()["typo"]
    if web_zipf(word) < settings["seen_min_zipf"]:
        return False
    shortest, common = settings["compound_min_part"], settings["compound_min_count"]
    return any(lexicon.count(word[:i]) >= common and lexicon.count(word[i:]) >= common for i in range(shortest, len(word) - shortest + 1))


def _looks_deliberate(word: str, candidate: str) -> bool:
    """A token the web uses now and then ("smth", "printf") or built like a word from a
    known stem and a regular affix ("friskier", "retiling"): may be meant as written, so
    it is only corrected when the bigram context supports the correction."""
    lowered = word.lower()
    return web_zipf(lowered) >= _settings()["typo"]["context_required_zipf"] or is_derived_word(lowered)


def _split_word(token: Token, lexicon: Lexicon) -> bool:
    """A word broken by a stray space ("R efuse", "backp ack" from a drop cap or layout):
    joined with a short neighbour it is a known word, so it is not a slip of one letter."""
    longest = _settings()["typo"]["max_split_piece"]
    for piece, joined in ((token.prev, f"{token.prev}{token.text}"), (token.next, f"{token.text}{token.next}")):
        if piece and len(piece) <= longest and piece.isalpha() and lexicon.knows(joined.lower()):
            return True
    return False


@lru_cache(maxsize=1)
def _gloss() -> re.Pattern[str]:
    return re.compile(_settings()["typo"]["gloss"])


@lru_cache(maxsize=1)
def _code_marks() -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{mark})" for mark in _settings()["typo"]["code"]["marks"]))


#: A quotation on one line: double quotes, straight or curly, or single curly quotes that
#: open after a space (an apostrophe ends a word: "don’t" opens nothing).
_QUOTED = re.compile(r'"[^"\n]*"|“[^”\n]*”|(?<!\w)‘[^’\n]*’(?!\w)')


class _Lines:
    """The lines of a text: where the line of a position starts, and whether a line reads
    as code or markup (``printf(``, ``x = 1;``, ``<iframe>``, ``prefix rdfs: <http://...>``),
    where identifiers are not English words.

    Each line is judged once and found by bisection. Judging a token's line afresh for every
    unknown token cost the line's length per token: a page flattened to one line of 100 KB
    of unknown words took a minute, quadratic in the line's length.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._breaks = [m.start() for m in re.finditer("\n", text)]
        self._judged: dict[tuple[str, int], Any] = {}  # (what, line start) -> judgement

    def span_of(self, position: int) -> tuple[int, int]:
        """Start and end (its line break, or the text's end) of the line that holds ``position``."""
        k = bisect_left(self._breaks, position)
        return self._breaks[k - 1] + 1 if k else 0, self._breaks[k] if k < len(self._breaks) else len(self._text)

    def start_of(self, position: int) -> int:
        return self.span_of(position)[0]

    def _of_line(self, what: str, token: Token, judge: Callable[[int, int], Any]) -> Any:
        """``judge(start, end)`` of the token's line, computed once per line and ``what``."""
        start, end = self.span_of(token.start)
        key = (what, start)
        if key not in self._judged:
            self._judged[key] = judge(start, end)
        return self._judged[key]

    def is_label(self, token: Token, min_words: int) -> bool:
        """The token's line is no sentence: fewer than ``min_words`` words and no sentence
        end (a list item, heading, label or caption)."""

        def label(start: int, end: int) -> bool:
            line = self._text[start:end].rstrip()
            return len(line.split()) < min_words and not line.endswith((".", "!", "?"))

        return self._of_line("label", token, label)

    def in_quote(self, token: Token) -> bool:
        """Inside a short quotation on its line (at most ``[typo] quote_max_words`` words):
        a quoted nickname, term, title or foreign phrase ("mkono wa damu"), or a speaker's
        words as said ("we ain't buyin it"), kept as written. A longer quote is reported
        speech, a sentence the reporter typed: a slip there is a slip like any other."""
        most = _settings()["typo"]["quote_max_words"]

        def short_quotes(start: int, end: int) -> list[tuple[int, int]]:
            spans = (m.span() for m in _QUOTED.finditer(self._text, start, end))
            return [(a, b) for a, b in spans if len(self._text[a:b].split()) <= most]

        return any(a < token.start < b for a, b in self._of_line("quotes", token, short_quotes))

    def glossed(self, token: Token) -> bool:
        """The token is followed by a gloss: a parenthesis opening on a lowercase word
        ("ridicul (de sac!)", "elotes (grilled corn)") or ", or" and one ("oursins, or sea
        urchins"). A word the writer explains is a term, a loanword or a pun they mean."""
        return _gloss().match(self._text, token.end) is not None

    def in_code(self, token: Token) -> bool:
        def code(start: int, end: int) -> bool:
            marks = {m.group() for m in _code_marks().finditer(self._text[start:end])}  # sliced: ``^`` is the line's start
            return len(marks) >= _settings()["typo"]["code"]["min_marks"]

        return self._of_line("code", token, code)


_ALPHABET = frozenset("abcdefghijklmnopqrstuvwxyz")


def _one_edit_apart(word: str, other: str) -> bool:
    """``other`` is one deletion, transposition, substitution or insertion away from
    ``word``, or is ``word``; a letter put in must be a-z or one of the word's own
    (lowercased): the spellings a name's slips can make."""
    size = len(word)
    p = next((i for i, (a, b) in enumerate(zip(word, other)) if a != b), min(size, len(other)))
    if len(other) == size + 1:  # insertion
        return other[p + 1 :] == word[p:] and (other[p] in _ALPHABET or other[p] in word.lower())
    if len(other) == size - 1:  # deletion
        return word[p + 1 :] == other[p:]
    if len(other) != size:
        return False
    if p == size or word[p + 1 :] == other[p + 1 :]:  # the same, or one substitution
        return p == size or other[p] in _ALPHABET or other[p] in word.lower()
    return word[p] == other[p + 1] and word[p + 1] == other[p] and word[p + 2 :] == other[p + 2 :]  # transposition


def _deletions(word: str) -> set[str]:
    """``word`` with one character left out, in each way (the keys of :func:`_name_index`)."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _name_index(names: Counter[str], least: int) -> dict[str, list[str]]:
    """The names seen at least ``least`` times, each filed under itself and each of its
    one-letter deletions (a symmetric-delete index).

    Two spellings one edit apart share a key: one is a deletion of the other, or both
    lose the letter that differs (a substitution) or one of the two swapped (a
    transposition). So the names one edit from a name are among those filed under its own
    keys, about ten, found without comparing it with every name of the run or spelling out
    the hundreds of strings one edit away. A rarer name can never dominate, so it is left out.
    """
    index: dict[str, list[str]] = {}
    for name in compress(names, map(least.__le__, names.values())):
        for key in _deletions(name) | {name}:
            index.setdefault(key, []).append(name)
    return index


def _names_one_edit_from(name: str, index: dict[str, list[str]]) -> set[str]:
    """The indexed names one edit from ``name`` (:func:`_one_edit_apart`), ``name`` left out."""
    filed = {other for key in _deletions(name) | {name} for other in index.get(key, ())}
    filed.discard(name)
    return {other for other in filed if _one_edit_apart(name, other)}


def _other_form(name: str, candidate: str) -> bool:
    """Another form of the same name, never a slip: case only ("HubSpot"/"Hubspot"), a
    plural or possessive "s" ("Blancs"), a letter more or less at the end (an inflection or
    derivation: "Korean"/"Korea", "Liked"/"Like"), another affix on the same stem ("Housers"/
    "Houses"), a capital added or dropped ("ArtX"), or a regional
    spelling the web has seen ("Convention Centre" beside a run's many "Convention Center":
    the same guard as for lowercase words)."""
    shorter, longer = sorted((name.lower(), candidate.lower()), key=len)
    return (
        name.lower() == candidate.lower()
        or name.rstrip("s") == candidate.rstrip("s")
        or (len(longer) == len(shorter) + 1 and longer.startswith(shorter))
        or any(kind == "suffix" and candidate.lower().startswith(stem) for kind, stem in derivations(name.lower()))
        or sum(ch.isupper() for ch in name) != sum(ch.isupper() for ch in candidate)
        or _regional_variant_guard(name.lower(), candidate.lower())
    )


def _name_slip(name: str, candidate: str) -> bool:
    """A keyboard slip in a name, not another form of it; keys far apart
    ("Reinhard"/"Reinhart", "Kammock"/"Kammok") are spellings the author may well mean."""
    return not _other_form(name, candidate) and slip_kind(name.lower(), candidate.lower()) is not None


def _name_variant(token: Token, evidence: CorpusProfile | _DocumentEvidence) -> str | None:
    """The dominant spelling one edit away from ``token`` that the run also writes next to
    the same neighbouring name, or None."""
    name = token.text
    if web_zipf(name.lower()) >= _settings()["name_variant"]["own_spelling_min_zipf"]:
        return None  # a spelling the web uses in its own right ("Kellan", "Sefer"): another person
    # The same names come back document after document: the run profile remembers them.
    spellings = evidence.derived(("dominant spellings", name), lambda: _dominant_spellings(name, evidence.capitalised, _index_of(evidence)))
    if not spellings:
        return None
    pairs = evidence.name_pairs
    passing = [(count, candidate) for count, candidate, need_context in spellings if _same_full_name(token, candidate, pairs, need_context)]
    return _most_frequent(passing)


def _same_full_name(token: Token, candidate: str, pairs: Counter[str], need: int) -> bool:
    """The run writes ``candidate`` in the same full name as ``token``: with each of the
    token's capitalised neighbours, of which it needs one ("Fischer Black" becomes "Fisher
    Black" only when the run writes "Fisher Black", not because an "Irving Fisher" is
    frequent)."""
    sides = [f"{token.prev} {candidate}" if token.prev and is_capitalised(token.prev) else None,
             f"{candidate} {token.next}" if token.next and is_capitalised(token.next) else None]
    named = [pair for pair in sides if pair is not None]
    return bool(named) and all(pairs.get(pair, 0) >= need for pair in named)


def _index_of(evidence: CorpusProfile | _DocumentEvidence) -> dict[str, list[str]]:
    """The run's :func:`_name_index`, built once per profile (until its counts change)."""
    s = _settings()["name_variant"]
    least = min(s["min_dominant_count"], s["variant_min_count"])
    return evidence.derived(("name index", least), lambda: _name_index(evidence.capitalised, least))


def _dominant_spellings(name: str, names: Counter[str], index: dict[str, list[str]]) -> tuple[tuple[int, str, int], ...]:
    """The spellings one edit away from ``name`` that dominate it in ``names``, each with
    its count and the context count it needs: (count, spelling, need_context).

    The spellings one edit away come from ``index`` (:func:`_name_index` of ``names``),
    which holds every name frequent enough to dominate. The answer is a set's worth: the
    order of the spellings decides nothing (:func:`_most_frequent` leaves ties alone).
    """
    s = _settings()["name_variant"]
    found = _names_one_edit_from(name, index)
    if not found:
        return ()
    own = names.get(name, 0)
    dominant: list[tuple[int, str, int]] = []
    for candidate in found:
        if not candidate[:1].isupper():
            continue
        count = names.get(candidate, 0)
        if not count or _other_form(name, candidate):
            continue
        # A keyboard slip needs a dominant spelling; any other one-letter variant
        # ("Anthony" beside "Antony") an overwhelming one, in the same name.
        slip = _name_slip(name, candidate)
        need_count, need_ratio, need_context = (
            (s["min_dominant_count"], s["dominance_ratio"], s["min_context_count"]) if slip
            else (s["variant_min_count"], s["variant_ratio"], s["variant_min_context"])
        )
        if count >= need_count and count >= need_ratio * max(own, 1):
            dominant.append((count, candidate, need_context))
    return tuple(dominant)


def _most_frequent(passing: Sequence[tuple[int, str]]) -> str | None:
    """The spelling with the highest count; None on a tie, since the name is then ambiguous.

    (Picking one of the tied spellings by set iteration order made the answer depend on
    the process's string-hash seed: two workers could correct the same name differently.)
    """
    if not passing:
        return None
    top = max(count for count, _ in passing)
    tied = [candidate for count, candidate in passing if count == top]
    return tied[0] if len(tied) == 1 else None


def _out_of_reach(token: Token, lexicon: Lexicon, lines: _Lines, min_line_words: int) -> bool:
    """Where the typo rule mends no token, because the writer may well mean it as written:
    in code; a short token or the first word of a list item, heading or label (a line of
    fewer than ``min_line_words`` words and no sentence end: "Sunglasses ( goodr for
    life!)"); inside a short quotation (a quoted nickname, term or foreign phrase, words as
    said); or beside another unknown lowercase word (garbled, foreign or jargon: "cybe
    rattack", "fdisk, gdisk", "manteb tenan"). (Inside a name, "Justine damond", is judged
    once the fix is known: :func:`_decide`.)"""
    return (
        lines.in_code(token)
        or (lines.is_label(token, min_line_words) and _short_or_first(token))
        or lines.in_quote(token)
        or lines.glossed(token)
        or _beside_unknown(token, lexicon)
    )


def _short_or_first(token: Token) -> bool:
    """In a label line (a list item, heading or caption), the tokens left alone: a short one
    (fewer than ``[typo] label_min_length`` letters: names, brands and codes live there:
    "goodr", "kalio") or the line's first word (a heading may have lost its drop cap:
    "nformation to Give Your Caterer")."""
    return len(token.text) < _settings()["typo"]["label_min_length"] or token.prev is None


def _beside_unknown(token: Token, lexicon: Lexicon) -> bool:
    """Another unknown lowercase word next to the token: the stretch is garbled, foreign or
    jargon ("cybe rattack", "manteb tenan", "severeall instorments"), not one slip."""
    return any(w is not None and w.isalpha() and w.islower() and not lexicon.knows(w) for w in (token.prev, token.next))


def _decide(
    token: Token,
    options: TypoOptions,
    in_doc: Counter[str],
    corpus_unknown: Counter[str],
    evidence: CorpusProfile | _DocumentEvidence,
    lexicon: Lexicon,
    lines: _Lines,
) -> ProposedEdit | None:
    """The one edit (offsets unset) a token deserves, or None."""
    settings = _settings()
    word = token.text
    if word.islower():
        typo = settings["typo"]
        if in_doc[word.lower()] > typo["max_document_count"] or corpus_unknown[word] > typo["max_corpus_count"]:
            return None
        split = _split(word, lexicon)
        slip = None
        if split:
            if _beside_unknown(token, lexicon):
                return None  # garbled around it
            slip = _correct(token, lexicon) if len(word) >= typo["min_length"] else None
            if slip is None:
                return ProposedEdit(0, 0, split, "split", "split.frequent_parts")
            if lexicon.bigrams.get(split, 0):
                return None  # two readings ("offeds": "of feds" or "offers"): no edit
            # the two words are never written together ("atking": "at king"): only the slip is left
        if len(word) < typo["min_length"] or _abbreviation(word) or _split_word(token, lexicon) or _out_of_reach(token, lexicon, lines, typo["min_line_words"]):
            return None
        fixed = slip or _correct(token, lexicon)  # judged once: a token with a split reading was judged above
        if fixed and token.beside_name and web_zipf(fixed) < typo["name_part_max_zipf"]:
            return None  # part of the name ("Justine damond"), unless the fix is one of the commonest words
        if fixed and _run_together_reading(word, lexicon):
            return None  # two readings: "interms" may be "in terms" (a prefix and a word, never split) or "interns"
        return ProposedEdit(0, 0, fixed, "typo", "typo.edit_distance_1") if fixed else None
    names = settings["name_variant"]
    if options.name_variants and is_capitalised(word) and len(word) >= names["min_length"] and in_doc[word.lower()] <= names["max_document_count"]:
        variant = _name_variant(token, evidence)
        return ProposedEdit(0, 0, variant, "name_variant", "name_variant.dominant_spelling") if variant else None
    return None


@lru_cache(maxsize=1)
def _never_correct() -> frozenset[str]:
    return frozenset(_settings()["guards"]["never_correct"])


def _candidate_words(words: Iterable[str], lexicon: Lexicon) -> set[str]:
    """The distinct ``words`` worth a second look: unknown to the dictionary; never one with
    an apostrophe, longer than ``guards.max_length`` or on the ``never_correct`` list.

    A known word is never a typo, in a name too: "Fairy" is no slip of a run's "Faery",
    nor "Liked" of "Like", and a dictionary word that is a slip in a name ("Anthony" for
    "Antony") cannot be told from a second person's real name.
    """
    unknown = set(filterfalse(lexicon.knows, words))
    never = _never_correct()
    longest = _settings()["guards"]["max_length"]
    return {w for w in unknown if len(w) <= longest and "'" not in w and "’" not in w and w.lower() not in never}


def _jargon_page(counts: Counter[str], unknown: Collection[str]) -> bool:
    """A page on which many of the distinct lowercase words are unknown to the dictionaries
    (at least ``[typo] jargon_min_unknown`` of them, and ``jargon_min_share`` of all): code,
    a technical field, another language or slang. Its unknown words are the field's terms
    ("rustix", "upserts", "m68k"), not slips, so no typo or split is made there."""
    settings = _settings()["typo"]
    least = settings["min_length"]
    lowercase = [word for word in counts if len(word) >= least and word.isalpha() and word.islower()]
    strange = sum(1 for word in lowercase if word in unknown)
    return strange >= settings["jargon_min_unknown"] and strange >= settings["jargon_min_share"] * len(lowercase)


def _case_blind_counts(counts: Counter[str], words: Iterable[str]) -> Counter[str]:
    """How often each of ``words`` occurs in the document in any case ("baggu" next to
    "Baggu", "json" next to "JSON": a name or a term), keyed by its lowercase form; from the
    counts of the distinct words, and only for the words asked about."""
    wanted = {word.lower() for word in words}
    lowered = list(map(str.lower, counts))
    found: Counter[str] = Counter()
    for word, n in compress(zip(lowered, counts.values()), map(wanted.__contains__, lowered)):
        found[word] += n
    return found


class _DocumentEvidence:
    """A document's own names, the name-variant rule's evidence when there is no run
    profile: the counts a one-document :class:`CorpusProfile` holds (``add_words``), each
    made when first asked for. Most documents have no variant worth a look at the pairs."""

    def __init__(self, words: Sequence[str], gaps: Sequence[str], counts: Counter[str]) -> None:
        self._words, self._gaps, self._counts = words, gaps, counts
        self._derived: dict[Hashable, Any] = {}

    @cached_property
    def capitalised(self) -> Counter[str]:
        return Counter(capitalised_counts(self._counts))

    @cached_property
    def name_pairs(self) -> Counter[str]:
        return Counter(f"{a} {b}" for a, b in capitalised_pairs(self._words, self._gaps, self.capitalised))

    def derived(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        """:meth:`CorpusProfile.derived`, for this document."""
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]


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
    text = tracked.text
    words, gaps = tokenise(text)
    # Each distinct word is judged once; most words of a document recur.
    counts = Counter(words)
    candidates = _candidate_words(counts, lexicon)
    if _jargon_page(counts, candidates):
        candidates = {word for word in candidates if not word.islower()}  # its unknown words are terms, not slips
    in_doc = _case_blind_counts(counts, candidates)
    # The run profile already counts this document; without one, the document stands alone.
    evidence = profile if profile is not None else _DocumentEvidence(words, gaps, counts)
    corpus_unknown = profile.unknown_lower if profile is not None else Counter()

    proposed: list[ProposedEdit] = []
    decided: dict[tuple[str, str | None, str | None, bool, bool, int, bool, Any], ProposedEdit | None] = {}
    lines = _Lines(text)
    for token in _unknown_tokens(text, words, gaps, candidates, lexicon.knows, skip):
        # A decision depends on the word and its neighbours, and for a lowercase word also
        # on its line (the code-line guard): those are keyed by where their line starts.
        line = lines.start_of(token.start) if token.text.islower() else -1
        # ... and on whether it stands in a short quote or before a gloss.
        setting = (lines.in_quote(token), lines.glossed(token)) if token.text.islower() else None
        key = (token.text, token.prev, token.next, token.prev_in_phrase, token.next_in_phrase, line, token.beside_name, setting)
        if key not in decided:
            decided[key] = _decide(token, options, in_doc, corpus_unknown, evidence, lexicon, lines)
        edit = decided[key]
        if edit is not None:
            proposed.append(ProposedEdit(token.start, token.end, edit.replacement, edit.kind, edit.rule))
    return apply_edits(tracked, proposed)
