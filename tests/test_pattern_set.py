"""The boilerplate rules' prefiltered pattern tests give the plain answers (issue 38).

:class:`~cleaners.steps.phrase_prefilter.PatternSet` searches a line only with the
patterns whose needed literals it holds; :func:`~cleaners.steps.boilerplate.line_facts`
answers the structural rules' questions once per line. Each must answer as the plain
search of every pattern in order does, on real bench lines (and on their upper- and
title-case forms, and on lines with the characters ignore-case patterns match to ASCII
letters).
"""

from __future__ import annotations

import gzip
import json
import re
from functools import lru_cache
from pathlib import Path

import pytest

from cleaners.steps.boilerplate import (
    _comment_form_line,
    _list_rules,
    _marker_of_line,
    _pattern_set,
    _structure_patterns,
    _thread_rules,
    line_facts,
    rulebook,
    word_count,
)
from cleaners.steps.phrase_prefilter import _lowered, required_literals

BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"
SEEDS = Path(__file__).resolve().parents[1] / "seeds"


@lru_cache(maxsize=1)
def _lines() -> tuple[str, ...]:
    """Seed lines, the lines of the first bench pages in their text forms, and variants."""
    lines = [line for path in sorted(SEEDS.glob("*.txt")) for line in path.read_text(encoding="utf-8").splitlines()]
    if BENCH.exists():
        for name, form, limit in (("scrapinghub", "scraped_text", 150), ("wcxb-dev-articles", "page_text", 60), ("dragnet-train", "scraped_text", 60)):
            with gzip.open(BENCH / f"{name}.jsonl.gz", "rt", encoding="utf-8") as rows:
                for i, row in enumerate(map(json.loads, rows)):
                    if i == limit:
                        break
                    lines += (row[form] or "").splitlines()
    lines = list(dict.fromkeys(line for line in lines if line.strip()))
    lines += [line.upper() for line in lines[:1000]] + [line.title() for line in lines[:1000]]
    lines += ["Sign up for our \u212aeeping newsletter", "\u017fubscribe to our newsletter", "READ MORE \u0130N \u0131T", "  Reply  ", "  12 Comments "]
    return tuple(lines)


def test_the_lines_cover_the_rules():
    lines = _lines()
    assert len(lines) > 8000
    assert sum(rulebook("balanced").first_phrase(line, word_count(line)) is not None for line in lines) > 500


def test_every_pattern_of_the_set_has_a_need_in_every_line_it_matches():
    """A need is only a prefilter if it never skips a match (the set holds the phrase rules,
    the comment markers and the thread, teaser and dated-list patterns)."""
    patterns = _pattern_set()
    checked = 0
    for line in _lines():
        lowered = _lowered(line)
        for i, pattern in enumerate(patterns.patterns):
            if pattern.search(line) or pattern.search(line.strip()):
                checked += 1
                assert patterns.candidates(line) >> i & 1, (pattern.pattern[:60], line)
                needs = required_literals(pattern)
                assert needs is None or lowered is None or any(need in lowered for need in needs), (pattern.pattern[:60], line)
    assert checked > 1000


@pytest.mark.parametrize("strictness", ["balanced", "aggressive"])
def test_the_first_phrase_rule_is_the_plain_loops(strictness):
    book = rulebook(strictness)
    for line in _lines():
        for words in {word_count(line), 2, 200}:
            plain = next((rule for rule in book.phrases if words <= rule.max_words and rule.pattern.search(line)), None)
            assert book.first_phrase(line, words) is plain, line


def test_the_comment_marker_is_the_plain_loops():
    markers = _thread_rules().markers
    for line in _lines():
        for words in {word_count(line), 1}:
            text = line.strip()
            plain = next((m for m in markers if (not m.max_words or words <= m.max_words) and m.pattern.search(text)), None)
            assert _marker_of_line(line, words) is plain, line


def test_the_line_facts_are_the_plain_searches():
    thread, lists = _thread_rules(), _list_rules()
    dated_item, not_a_teaser = _structure_patterns()

    def found(pattern: re.Pattern[str], text: str) -> bool:
        return pattern.search(text) is not None

    for line in _lines():
        words, text = word_count(line), line.strip()
        facts = line_facts(line, words)
        cut = words >= lists["teaser_min_words"] and found(lists["teaser_cut"], line)
        count = found(thread.count, text)
        assert facts == (
            facts.key,
            words <= 30 and found(dated_item, line),
            found(not_a_teaser, line),
            cut,
            cut and found(lists["teaser_elision"], line),
            count,
            count and found(thread.zero_count, text),
            found(thread.heading, text),
            facts.marker,
        ), line
        assert _comment_form_line(text) == found(thread.form, text), line


def test_a_class_of_plain_characters_and_a_repeated_character_are_needs():
    assert required_literals(re.compile(r"^\S.{0,40}\s[>»›]\s+\S")) == (">", "»", "›")
    assert required_literals(re.compile(r"^ {4}|://")) == ("    ", "://")
    assert required_literals(re.compile(r"^[a-z]+\d")) is None  # a range is no short list of characters
    assert required_literals(re.compile(r"^[^>]x")) == ("x",)  # nor is a negated class
