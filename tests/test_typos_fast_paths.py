"""The typo step's fast paths (issue 38) give what the plain computations they replace
gave, on real bench text: the name index finds exactly the spellings one edit away, a
lone document's evidence holds what a one-document run profile holds, and the case-blind
counts, candidate words and token offsets are those of the straightforward code."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from itertools import filterfalse
from pathlib import Path

import pytest

from cleaners.steps.run_profile import CorpusProfile, capitalised_counts, is_capitalised, protected_spans, tokenise
from cleaners.steps.typos import (
    _ALPHABET,
    _candidate_words,
    _case_blind_counts,
    _DocumentEvidence,
    _name_index,
    _names_one_edit_from,
    _never_correct,
    _settings,
    _unknown_tokens,
    english_lexicon,
)

BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"

pytestmark = pytest.mark.skipif(not BENCH.exists(), reason="../shared/bench is not beside the repository")


def _bench_texts(count: int = 60) -> list[str]:
    """The page_text of the first ``count`` pages of each bench set: long, name-rich text."""
    texts: list[str] = []
    for name in ("scrapinghub", "wcxb-dev-articles", "dragnet-train"):
        with gzip.open(BENCH / f"{name}.jsonl.gz", "rt", encoding="utf-8") as rows:
            for n, line in enumerate(rows):
                if n >= count:
                    break
                texts.append(json.loads(line)["page_text"])
    return texts


def _one_edit_spellings(word: str) -> set[str]:
    """The reference: every string one deletion, transposition, substitution or insertion
    away from ``word`` (letters a-z and the word's own, lowercased), as the step once
    spelt them all out to intersect with the run's names."""
    letters = _ALPHABET.union(word.lower())
    spellings: set[str] = set()
    for i in range(len(word) + 1):
        head, tail = word[:i], word[i:]
        spellings.update(f"{head}{ch}{tail}" for ch in letters)
        if tail:
            rest = tail[1:]
            spellings.add(head + rest)
            spellings.update(f"{head}{ch}{rest}" for ch in letters)
            if rest:
                spellings.add(f"{head}{rest[0]}{tail[0]}{rest[1:]}")
    return spellings


def _edge_names() -> Counter[str]:
    """Spellings one edit apart in every way, and near misses two edits apart."""
    names = ["Vladimir", "Vladmir", "Vladimri", "Vladimr", "Vladimiir", "Vladimer", "VladimiR", "Wladimir",
             "Vladimirs", "Lavdimir", "Vldaimir", "Ana", "Anna", "Anne", "Nna", "Éric", "Érica", "Ériç", "Erić",
             "Ab", "Ba", "A", "Aa", "Müller", "Muller", "Mülller", "Mülelr", "İstanbul", "Istanbul", "İstanbull"]
    return Counter(names)


def _assert_index_matches(names: Counter[str]) -> None:
    index = _name_index(names, 1)
    for name in names:
        expected = (names.keys() & _one_edit_spellings(name)) - {name}
        assert _names_one_edit_from(name, index) == expected, name


def test_the_name_index_finds_exactly_the_spellings_one_edit_away_on_edge_cases():
    _assert_index_matches(_edge_names())


def test_the_name_index_finds_exactly_the_spellings_one_edit_away_on_bench_names():
    names: Counter[str] = Counter()
    for text in _bench_texts():
        names.update(CorpusProfile.of_texts([text], english_lexicon().knows).capitalised)
    assert len(names) > 5_000
    _assert_index_matches(names)


def test_the_name_index_leaves_out_names_too_rare_to_dominate():
    names = Counter({"Vladimir": 3, "Vladimr": 2, "Vladmir": 1})
    assert _names_one_edit_from("Vladmir", _name_index(names, 3)) == {"Vladimir"}
    assert _names_one_edit_from("Vladimir", _name_index(names, 3)) == set()


def test_a_lone_documents_evidence_is_a_one_document_run_profile():
    knows = english_lexicon().knows
    for text in _bench_texts(20):
        words, gaps = tokenise(text)
        profile = CorpusProfile()
        profile.add_words(words, gaps, knows)
        evidence = _DocumentEvidence(words, gaps, Counter(words))
        assert evidence.capitalised == profile.capitalised
        assert evidence.name_pairs == profile.name_pairs


def test_capitalised_counts_are_the_words_is_capitalised_keeps_in_order():
    """The run profile and a lone document's evidence both filter by :func:`capitalised_counts`:
    the same entries, in the same order, as testing each word with ``is_capitalised``."""
    for text in _bench_texts(20) + ["Ünited ÉTAT İstanbul ǅemal ᾈ a Ab AB ab 'Tis"]:
        counts = Counter(tokenise(text)[0])
        plain = {word: n for word, n in counts.items() if is_capitalised(word)}
        assert list(capitalised_counts(counts).items()) == list(plain.items())


def _plain_candidates(words: Counter[str]) -> set[str]:
    """The reference: every distinct word asked of ``Lexicon.knows``, then the guards."""
    lexicon = english_lexicon()
    longest = _settings()["guards"]["max_length"]
    unknown = set(filterfalse(lexicon.knows, words))
    return {w for w in unknown if len(w) <= longest and "'" not in w and "’" not in w and w.lower() not in _never_correct()}


def test_case_blind_counts_and_candidates_are_those_of_the_plain_computation():
    lexicon = english_lexicon()
    for text in _bench_texts(20):
        words, _ = tokenise(text)
        counts = Counter(words)
        candidates = _candidate_words(counts, lexicon)
        assert candidates == _plain_candidates(counts)
        plain = Counter(map(str.lower, words))
        found = _case_blind_counts(counts, candidates)
        assert {w: found[w.lower()] for w in candidates} == {w: plain[w.lower()] for w in candidates}


def test_token_offsets_point_at_the_token_on_real_text():
    lexicon = english_lexicon()
    for text in _bench_texts(20):
        words, gaps = tokenise(text)
        candidates = _candidate_words(Counter(words), lexicon)
        tokens = list(_unknown_tokens(text, words, gaps, candidates, lexicon.knows))
        assert all(text[t.start : t.end] == t.text for t in tokens)
        assert not any(s <= t.start < e for t in tokens for s, e in protected_spans(text))
