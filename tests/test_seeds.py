"""The seed expectations of the spine issue: on the seeds cleaned as the flow's tasks clean
them (no Prefect: the fast tier), and the same records from a real flow run."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from cleaners.inputs.decode import decode_bytes

from .conftest import SEEDS

HEADING_NOISE_001 = [
    "President Joe Biden", "French President", "National Security Agency", "United States",
    "Donald Jensen", "Although Kirby", "Bucha and Mariupol", "Jake Sullivan and Defense Secretary Lloyd Austin",
    "Kharkiv and Kherson", "Eastern Europe", "Macron and Biden", "Nicholas Lokker", "Despite Biden",
    "Steven Pifer", "Odessa and Kherson", "German Chancellor Olaf Scholz", "Chancellor Scholz",
    "New Strategic Arms Reduction Treaty",
]


def removed_texts(record: dict, category: str) -> list[str]:
    return [r["text"].strip() for r in record["removed"] if r["category"] == category]


def lines(record: dict) -> list[str]:
    return [line for line in record["text"].split("\n") if line]


def test_one_record_per_seed_and_the_flow_gives_the_same_records(seed_run, seed_records):
    assert sorted(seed_run["records"]) == ["000", "001", "002", "003", "004"]
    assert seed_run["manifest"]["counts"] == {"inputs": 5, "records": 5, "rejects": 0, "skipped": 0}
    for seed, record in seed_records.items():  # the fast tier checks these: the flow must not change them
        flow_record = seed_run["records"][seed]
        assert {k: flow_record[k] for k in ("id", "text", "removed", "edits", "stats", "language")} == {
            k: record[k] for k in ("id", "text", "removed", "edits", "stats", "language")
        }


def test_000_is_left_alone(seed_records):
    record = seed_records["000"]
    original = (SEEDS / "000_c1532a8820d5ae7f.txt").read_text(encoding="utf-8")
    assert record["removed"] == []
    assert record["edits"] == []
    assert record["text"] == "\n\n".join(line for line in original.split("\n") if line.strip())
    assert "Blinken's take on ‘just peace’ in the ongoing war" in lines(record)


def test_001_heading_noise_tweet_donation_and_punctuation(seed_records):
    record = seed_records["001"]
    noise = removed_texts(record, "heading_noise")
    assert Counter(HEADING_NOISE_001) <= Counter(noise), "all 18 entity-name lines are heading_noise"
    kept = lines(record)
    for name in HEADING_NOISE_001:
        assert name not in kept
    assert "Biden’s comments point toward solidarity with the West" in kept
    assert "It’s important to keep an open channel with Russia, but don’t expect peace talks any time soon." in kept
    assert "General news" in removed_texts(record, "navigation")
    social = removed_texts(record, "social")
    assert any("pic.twitter.com/T4vuakfMAb" in t for t in social)
    assert "— Embassy of Germany (@GermanyinUSA) December 2, 2022" in social
    donation = " ".join(removed_texts(record, "donation"))
    assert "Help keep items like this free" in donation
    assert "You can also contribute through" in donation
    assert "Yes I will give $120/year" in donation
    text = record["text"]
    for junk in ("pic.twitter.com", "GermanyinUSA", "Help keep items", "Apple Pay", "$120/year", "Gifts from readers"):
        assert junk not in text
    assert "without power, heating or running water. The ongoing" in text
    assert "paralyze the Russian economy.\n" in text
    assert text.endswith("That really reflects more where we are now than something Biden said.”")
    rules = {e["rule"] for e in record["edits"] if e["kind"] == "punctuation"}
    assert {"period_before_comma", "doubled_period"} <= rules


def test_002_related_posts_list(seed_records):
    record = seed_records["002"]
    related = removed_texts(record, "related")
    assert len(related) == 3
    assert related[0].startswith("- Russia Ready To Continue Diplomacy")
    assert "February" not in record["text"]
    assert record["text"].endswith("removes the threat of their military from the border of Ukraine.")
    assert {r["category"] for r in record["removed"]} == {"related"}


def test_003_newsletter_comments_and_vladimir(seed_records):
    record = seed_records["003"]
    newsletter = removed_texts(record, "newsletter")
    assert "Do you trust the main stream media?" in newsletter
    assert "By submitting your email, you will gain access to our premium UNCENSORED newsletter!" in newsletter
    assert removed_texts(record, "comments") == ["Leave a Reply"]
    text = record["text"]
    assert "newsletter" not in text and "required fields" not in text and "Leave a Reply" not in text
    assert "counterpart Vladimir Putin" in text and "Vladmir" not in text
    edit = next(e for e in record["edits"] if e["before"] == "Vladmir")
    assert edit["after"] == "Vladimir" and edit["kind"] == "name_variant"
    assert text.split("\n")[0] == record["title"] == "Everything you need to know about Biden and Putin’s meeting to discuss foreign affairs"


def test_004_navigation_caption_teasers_and_repairs(seed_records):
    record = seed_records["004"]
    kept = lines(record)
    assert kept[0] == "What to make of the Blinken-Lavrov 'showdown' in Iceland"
    assert kept[1].startswith("The two men represent two countries")
    assert kept[2].startswith("Update 5/19 10 p.m. ET:")
    assert kept[-1].startswith("Or of course Blinken can spend the meeting")
    navigation = removed_texts(record, "navigation")
    for label in ("Follow us on social", "Blinken-lavrov", "Europe"):
        assert label in navigation
    assert any("(vasilis asvestas/Shutterstock)" in t for t in removed_texts(record, "caption"))
    text = record["text"]
    for junk in ("keep reading", "QiOSK", "Israel-Gaza Crisis", "Latest", "JFK", "Shutterstock", "Photo credit"):
        assert junk not in text
    assert "their interests coincide" in text and "theirinterests" not in text
    assert "fight against COVID." in text and "againt" not in text
    assert "\u00a0" not in text and "  " not in text
    kinds = {(e["kind"], e["before"], e["after"]) for e in record["edits"]}
    assert ("split", "theirinterests", "their interests") in kinds
    assert ("typo", "againt", "against") in kinds


def test_every_removal_points_into_the_decoded_input(seed_records):
    for record in seed_records.values():
        decoded = decode_bytes(Path(record["source"]["uri"]).read_bytes()).text
        for removal in record["removed"]:
            assert decoded[removal["start"] : removal["end"]] == removal["text"]
        for edit in record["edits"]:
            assert 0 <= edit["start"] <= edit["end"] <= len(decoded)


def test_names_and_clean_words_are_not_corrected(seed_records):
    typo_befores = {e["before"] for r in seed_records.values() for e in r["edits"] if e["kind"] in ("typo", "split", "name_variant")}
    assert typo_befores == {"theirinterests", "againt", "Vladmir"}
