"""The typo, split and name-variant steps on the shapes real text gave them wrong (issue 33):
a rare real word, a quoted foreign phrase or slang, two people with similar names, word
forms of one stem, a prefixed word, a misspelling that is no run-together; and the plain
misspellings they must still fix. ``benchmarks/typos_real.py`` measures the same on every
gold text of the benchmark."""

from __future__ import annotations

import pytest

from cleaners.config import TypoOptions
from cleaners.steps.run_profile import CorpusProfile
from cleaners.tracked_text import TrackedText
from cleaners.steps.typos import _other_form, english_lexicon, repair_typos


def edits(text: str, profile: CorpusProfile | None = None) -> list[tuple[str, str, str]]:
    return [(e.kind, e.before, e.after) for e in repair_typos(TrackedText(text), TypoOptions(), profile)[1]]


def run_profile(texts: list[str]) -> CorpusProfile:
    return CorpusProfile.of_texts(texts, english_lexicon().knows)


@pytest.mark.parametrize(
    "text",
    [
        # a rare real word is in the dictionary: not "ball"
        "Lawmakers may balk at the plan, aides said on Tuesday after the vote.",
        # a prefixed word is never split into "in compliant"
        "The firm was found incompliant with the new rules by the regulator last year.",
        # a quoted nickname in another language, and quoted slang: someone's words as said
        'In the village they call him "mkono wa damu", the bloody hand, and few dare to cross him.',
        '"We ain\'t buyin it," one trader said as the market fell for the third straight day.',
        # an elision the writer marked
        "Grandma kept saying you're killin' me, and we laughed at the table for an hour.",
        # a misspelling of one word is no run-together ("at tension")
        "The report was sent to my attension this morning by the team leader of the night shift.",
        # a list item: no sentence to judge the token by
        "Sunglasses ( goodr for life!)",
        # a host name
        "He gave me a folder on artmann.se, and suddenly I had a place on the internet.",
    ],
)
def test_what_the_writer_may_mean_as_written_is_left_alone(text):
    assert edits(text) == []


def test_two_people_with_similar_surnames_keep_their_names():
    run = ["Economist Irving Fisher wrote about debt deflation. Irving Fisher was right."] * 6
    article = "The Black-Scholes model is named for Fischer Black and Myron Scholes, who published it."
    assert edits(article, run_profile([*run, article])) == []


def test_a_known_word_is_never_a_name_variant_of_another_form():
    run = ["The Faery Queen was staged. The Faery Queen ran long. The Faery Queen closed."] * 6
    article = "The Fairy Queen is a poem by Spenser."
    assert edits(article, run_profile([*run, article])) == []
    run = ["Like Button Inc. grew. Like Button Inc. hired. Like Button Inc. sold."] * 6
    article = "Liked Button Inc. was a rival."
    assert edits(article, run_profile([*run, article])) == []


@pytest.mark.parametrize("name, other", [("Korean", "Korea"), ("Liked", "Like"), ("Housers", "Houses"), ("Blancs", "Blanc")])
def test_inflections_and_derivations_are_other_forms_not_slips(name, other):
    assert _other_form(name, other)


def test_a_name_slip_against_the_runs_full_name_is_still_mended():
    run = ["Vladimir Putin said so. Vladimir Putin left."] * 4
    article = "Vladmir Putin arrived in Minsk on Monday."
    assert edits(article, run_profile([*run, article])) == [("name_variant", "Vladmir", "Vladimir")]


def test_plain_misspellings_and_run_togethers_are_still_fixed():
    text = ("He was succesfully treated and the two cases were handled seperately by the hospital staff. "
            "We want to imporve the disparites between schools, and the assigment was late again. "
            "There were sevreal reasons inthe report.")
    assert edits(text) == [
        ("typo", "succesfully", "successfully"), ("typo", "seperately", "separately"), ("typo", "imporve", "improve"),
        ("typo", "disparites", "disparities"), ("typo", "assigment", "assignment"), ("typo", "sevreal", "several"),
        ("split", "inthe", "in the"),
    ]


def test_a_dash_between_capitalised_words_ends_a_name():
    # A comment header "Kean — July 17th, 2012" pairs no name with the month.
    from cleaners.steps.run_profile import capitalised_runs

    assert list(capitalised_runs("Kean — July 17th, 2012, 7:05 pm")) == []
    assert list(capitalised_runs("Jean-Paul Sartre wrote")) == [("Jean", "Paul"), ("Paul", "Sartre")]  # a hyphen joins
