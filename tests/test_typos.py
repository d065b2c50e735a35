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


@pytest.mark.parametrize(
    "text",
    [
        # the fix would be a word written only with a capital ("Swedish"): a lowercase edit is wrong either way
        "Now your relationship is in jeopardy because you don't read sweedish, because of all the arguing.",
        # no vowel: an abbreviation the writer typed on purpose
        "It can be objectively tested with compilers and input/output but smth to be aware of for the next time.",
        # a neighbour across punctuation is another phrase: "purty! As" does not back "party"
        "It has a pretty literal, no-nonsense title (and the cover art is so purty!). As for the fruits of this year, see below.",
    ],
)
def test_words_the_writer_meant_stay_as_written(text):
    assert edits(text) == []


@pytest.mark.parametrize(
    "text",
    [
        # two readings: "ads can" or "ad scan" (what was meant)
        "Walmart's Black Friday adscan just went up last night and several deals are already available to buy.",
        # a common word of another language (French "oursins", sea urchins)
        "I remember the weekends spent fishing oursins, or sea urchins, along the rocky coastline of the island.",
        # "on-" is a prefix ("onboard", "onshore", "onchain")
        "The node replays historic mainnet blocks exactly as they occur onchain, with the same gas used by each.",
    ],
)
def test_no_split_where_the_token_reads_otherwise(text):
    assert edits(text) == []


def test_run_togethers_of_two_plain_readings_are_still_split():
    text = ("The hospitals and insurance companiesin the region agreed. They face challengeswith the online attacks, "
            "and relaxingthe rules on doping was arguably the worst idea in the report.")
    assert edits(text) == [
        ("split", "companiesin", "companies in"), ("split", "challengeswith", "challenges with"), ("split", "relaxingthe", "relaxing the"),
    ]


def test_a_slip_in_reported_speech_is_mended_but_a_short_quote_is_kept():
    speech = '"We will seperate the two teams and review every single case before the vote," the minister said on Monday.'
    assert edits(speech) == [("typo", "seperate", "separate")]
    nickname = 'The fans call the striker "the seperate one" and chant it at every single home game of the season.'
    assert edits(nickname) == []


def test_a_long_slip_inside_a_list_item_is_mended_but_not_a_short_token_or_the_first_word():
    assert edits("Cons\n\nNot comfotable for sleeping\n") == [("typo", "comfotable", "comfortable")]
    assert edits("Sunglasses ( goodr for life!)\nBaseball cap\n") == []
    # a heading that lost its drop cap: "Information", not "information"
    assert edits("nformation to Give Your Caterer\n") == []


def test_a_page_full_of_unknown_lowercase_words_is_jargon_not_typos():
    # a build log of a Rust port: 23 of its 50 distinct lowercase words are crate names
    crates = ("libc", "tokio", "errno", "memchr", "bitflags", "linkme", "serde", "itoa", "smallvec", "tempfile", "winapi", "xshell",
              "rustls", "hyper", "anyhow", "thiserror", "clap", "indexmap", "hashbrown", "crossbeam", "parking", "once", "cell",
              "mimalloc", "libloading", "nom", "chrono", "tracing", "futures", "bytes", "reqwest", "axum", "tonic", "prost", "ahash",
              "getrandom")
    jargon = ("Support for m68k isn't merged yet. A PR adding m68k support to rustix will also need to be done, since both of "
              "these crates are dependencies of the compiler. " + " ".join(f"Then {name} builds." for name in crates))
    assert edits(jargon) == []
    # the same slip on an ordinary page is still mended
    assert edits("The cabin has a rustix charm, and the family who built it still visits every single summer.") == [
        ("typo", "rustix", "rustic")
    ]


def test_a_lowercase_word_beside_a_name_is_part_of_it_unless_the_fix_is_a_common_word():
    assert edits("Police said Justine Ruszczyk damond was shot by an officer responding to her call on Saturday night.") == []
    assert edits("If you don't want to adopt a full engine like CedarDB rihgt away, nesting systems can be a good start.") == [
        ("typo", "rihgt", "right")
    ]


@pytest.mark.parametrize(
    "text",
    [
        # one letter more than a word, still reading as English: a coinage, slang or a trade term
        "On the far end of the pork knuckle constitution spectrum, you've got fat chunko. We followed dinner with bubble tea.",
        "The next step is to wire the system components together according to your planset before the inspection day.",
        # a word the writer glosses is meant: a pun, a loanword explained
        "you must not think I am attempting to ridicul (de sac!) you or to be smart, but I am so disturbed by it all.",
        "Chef Hugo Ortega brought street tacos, tamale and elotes (grilled corn) to the forefront of the menu this year.",
        # an item of a list (a line of up to 15 words without a sentence end): a brand, not "nose"
        "UL repair kit (tent split covered in duct tape and noso patch or two)\nPillow (meh, often I do not bring)\n",
        # a run-together the web writes as one word (a brand)
        "No socks, left side, one foot out, mypillow, noise machine and the ceiling fan set to helicopter mode.",
    ],
)
def test_coinages_glossed_words_list_items_and_web_words_stay(text):
    assert edits(text) == []


@pytest.mark.parametrize(
    "text, fixed",
    [
        # the cluster a stray key leaves ("ncj", "cjh") is no English word
        ("The company plans to launcjh the new service across the region next month, a spokeswoman said.", ("launcjh", "launch")),
        # a German word, but far rarer there than "markets" is in English: a slip
        ("Prices in the local markts rose sharply last year, and the council expects them to climb again.", ("markts", "markets")),
        # "at king" is never written: only the slip is left
        ("She said the team is atking the lead in the negotiations with the union over the new contract.", ("atking", "taking")),
        # a parenthesis that opens on a function word is an aside, not a gloss
        ("The comittee (which meets on Fridays) approved the budget for the new library after a long debate.", ("comittee", "committee")),
    ],
)
def test_slips_beside_those_shapes_are_still_mended(text, fixed):
    assert edits(text) == [("typo", *fixed)]
