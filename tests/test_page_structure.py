"""Decisions over a page's structure (issue 32): reader-comment sections found from what scraped
text keeps of them, lists and teaser runs decided as a whole, navigation rows, the body guard
that gives article lines back, and the cells of a layout row decided apart. Each pattern has
real-shaped positives and negatives (the shapes come from the benchmark's pages)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cleaners.steps.boilerplate import classify_blocks
from cleaners.config import CleanConfig
from cleaners.steps.pieces import kept_spans
from cleaners.pipeline import InputDocument, RunInfo, clean_document
from cleaners.record import Record

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
ARTICLE = (SEEDS / "000_c1532a8820d5ae7f.txt").read_text(encoding="utf-8").strip()
CONFIG = CleanConfig()
RUN = RunInfo(CONFIG.config_hash(), processed_at="test")

#: Reader comments as scraped text keeps them: their "Name - date" headers gone.
COMMENTS = [
    "I have been saying this for years. The talks were never going to work while the shelling continues.",
    "Thanks for the clear summary, it explains the diplomacy much better than the cable news coverage did.",
    "Does anyone know whether the French proposal was ever published in full? I could not find it anywhere.",
    "Peace on whose terms, though? Nobody in this article asks the people who actually live there.",
]


def rules_of(text: str, strictness: str = "balanced") -> dict[str, str | None]:
    return {b.text: b.rule for b in classify_blocks(text, strictness)}


def article_kept(rules: dict[str, str | None]) -> bool:
    return all(rules[line] is None for line in ARTICLE.split("\n") if line.strip() and line in rules and len(line.split()) >= 25)


# --- comment sections -------------------------------------------------------------------


@pytest.mark.parametrize(
    "banner",
    [
        "{ 19 comments… read them below or add one }",
        "Comments (186)",
        "Reader Comments (1)",
        "Comments»",
        "8 appreciated comments on \u201cNever say never\u201d",
        "One comment",
        "There are 12 comments.",
        "Login or register to post comments",
        "Both comments and pings are currently closed.",
        "No readers like this yet.",
        "\u2190 Older Comments",
        "We require civility in the comments: keep your comments on topic.",
    ],
)
def test_a_comment_banner_count_or_form_line_opens_the_thread(banner):
    rules = rules_of(ARTICLE + "\n" + banner + "\n" + "\n".join(COMMENTS))
    assert [rules[c] for c in COMMENTS] == ["comments.thread"] * len(COMMENTS)
    assert article_kept(rules)


def test_a_bare_count_opens_the_thread_after_the_article_but_not_near_the_top():
    first, *rest = [line for line in ARTICLE.split("\n") if line.strip()]
    assert rules_of("\n".join([ARTICLE, "46 Comments", *COMMENTS]))[COMMENTS[0]] == "comments.thread"
    # The byline's link after the first paragraph, with the article still to come; and a
    # zero count, after which an article may go on ("0 comments" is a post-meta widget).
    for near_the_top in (
        "\n".join([first, "46 Comments", *rest, *COMMENTS]),
        "\n".join([first, *rest[:2], "0 Comments", *rest[2:], *COMMENTS]),
    ):
        rules = rules_of(near_the_top)
        assert "comments.thread" not in rules.values() and article_kept(rules)


def test_an_article_about_public_comments_is_not_a_comment_thread():
    consultation = [
        "Residents must register online to submit their comments by March 3, the planning office said.",
        "Public comments must be submitted in writing, and all comments are published on the council website.",
        "There were 1,200 comments on the first draft, most of them about the height of the towers.",
    ]
    rules = rules_of(ARTICLE + "\n" + "\n".join(consultation))
    assert all(rules[line] is None for line in consultation)


def test_comment_header_and_footer_lines_open_the_thread_when_they_repeat_around_comments():
    typepad = [COMMENTS[0], "Posted by: Reagan Cerisano | November 13, 2012 at 12:31 PM",
               COMMENTS[1], "Posted by: David Scott | November 13, 2012 at 01:22 PM"]
    rules = rules_of(ARTICLE + "\n" + "\n".join(typepad))
    assert {line: rules[line] for line in typepad} == dict.fromkeys(typepad, "comments.thread")
    headers = ["Mary Lynch July 1, 2012 at 6:54 pm", COMMENTS[2], "John Quiggin 11.06.12 at 9:34 pm", COMMENTS[3]]
    rules = rules_of(ARTICLE + "\n" + "\n".join(headers))
    assert all(rules[line] == "comments.thread" for line in headers)
    buttons = [COMMENTS[0], "[Reply]", COMMENTS[1], "Report Post \u00bb", COMMENTS[2], "Rate This: 0 0"]
    rules = rules_of(ARTICLE + "\n" + "\n".join(buttons))
    assert all(rules[line] == "comments.thread" for line in buttons)


def test_one_dateline_or_a_toolbar_of_buttons_is_no_thread():
    # A byline with a time, once, after the first paragraph (a news site's dateline).
    first, *rest = [line for line in ARTICLE.split("\n") if line.strip()]
    rules = rules_of("\n".join([first, "by Lucy Zhang on Wednesday, October 19, 2011 at 1:31pm", *rest]))
    assert "comments.thread" not in rules.values()
    # "Like", "Like" in a share toolbar: markers with no comment between them.
    rules = rules_of("\n".join([ARTICLE, "Like", "Like", "Thread", "Log in", *rest[:2]]))
    assert "comments.thread" not in rules.values() and article_kept(rules)
    # "Dear Barack Obama," opens an open letter, not a comment.
    letter = ["Dear Barack Obama,", *rest]
    rules = rules_of("\n".join([first, *letter, "Thank you for reading this letter, and thank you for your service."]))
    assert "comments.thread" not in rules.values()


def test_the_short_lines_just_above_a_thread_stay_with_the_article():
    last = "The committee is scheduled to present its findings in late February."
    rules = rules_of("\n".join([ARTICLE, last, "(Editing by Jane Doe)", "There are no comments yet"]))
    assert rules["There are no comments yet"] == "comments.thread"
    assert rules[last] is None


# --- lists and teasers --------------------------------------------------------------------


def test_a_run_of_teasers_cut_with_read_more_goes_whole_with_their_titles():
    teasers = [
        "Nintendo to Celebrate the U.S. Launch of Wii U",
        "First Wii U consoles go on sale in New York on Nov. 18 with a midnight launch event Read more...",
        "Sony cuts the price of the PlayStation Vita",
        "The handheld will cost $199 from next week in North America, the company said on Monday [\u2026]",
    ]
    rules = rules_of(ARTICLE + "\n" + "\n".join(teasers))
    assert all(rules[t].startswith("related.") for t in teasers)
    assert article_kept(rules)


def test_one_read_more_line_or_an_ellipsis_is_no_teaser_run():
    single = "The handheld will cost $199 from next week in North America, the company said on Monday [\u2026]"
    rules = rules_of(ARTICLE + "\n" + single)
    assert rules[single] != "related.teaser_excerpt"
    trailing = ["So, to get this party started in force\u2026", "And then the band played on until the morning\u2026"]
    rules = rules_of(ARTICLE + "\n" + "\n".join(trailing))
    assert all(rules[t] != "related.teaser_excerpt" for t in trailing)


def test_an_articles_own_quotations_cut_with_an_elision_stay():
    # A report quoting a wire story in excerpts, each cut with "[...]": article text.
    quoted = [
        "Update: The wire service later today reported:",
        "A federal appeals court ruled Monday that the trust must stay with the state, clearing the way for a sale of its assets in two small towns. [...]",
        "The panel did not rule on the constitutional question. Instead, it found the group had waited too long to act. [...]",
        "The decision was taken unanimously by the three judges, the court said.",
    ]
    rules = rules_of(ARTICLE + "\n" + "\n".join(quoted) + "\n" + ARTICLE.split("\n")[-1])
    assert all(rules[q] != "related.teaser_excerpt" for q in quoted)


def test_a_list_heading_takes_its_whole_list_but_not_the_next_subheading():
    items = [
        "'Naive and trusting' backpacker gave list of fears to her killer",
        "Babies and mothers died in what may be worst ever maternity scandal",
        "Foreign Secretary defends handling of crash suspect's immunity",
        "Storm Ciara: flood warnings issued across the north of England",
        "Prince Andrew steps back from royal duties after interview",
    ]
    rules = rules_of(ARTICLE + "\nMore from UK\n" + "\n".join(items))
    assert all(rules[item] is not None and rules[item].startswith("related.") for item in items)
    # A heading of the article itself, followed by its prose, ends the list.
    subheading = "What the council decided"
    prose = ("The council voted on Tuesday to extend the riverside path by four kilometres, ending a debate "
             "that had divided residents of the waterfront for more than two years.")
    text = "\n".join([ARTICLE, "More from UK", *items[:3], subheading, prose])
    rules = rules_of(text)
    assert rules[subheading] is None and rules[prose] is None


# --- navigation rows ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "line, rule",
    [
        ("\u00ab Color Life | Main | flower magazine \u00bb", "navigation.prev_next"),
        ("Previous post: Porque quebrar um copo significa sorte", "navigation.prev_next"),
        ("Next Post \u2192", "navigation.prev_next"),
        ("| Previous Article | Next Article |", "navigation.prev_next"),
        ("Tagged with BlackBerry, BlackBerry 10, Research In Motion, RIM", "navigation.tag_list"),
        ("Home \u00bb Follow Our Journey \u00bb The Ultimate 12-Month Wedding Planning Timeline", "navigation.breadcrumb_home"),
    ],
)
def test_previous_next_rows_tag_lists_and_long_breadcrumbs_go(line, rule):
    assert rules_of(ARTICLE + "\n" + line)[line] == rule


@pytest.mark.parametrize(
    "line",
    [
        "In the next article, I'm going to share the mindset tips that helped me through the first year.",
        "My previous post addressed an objection to the plan that several readers had raised.",
        "Home is where the heart is, the mayor said, and the new houses will be homes for families.",
        "Labels: budget, council, housing",
    ],
)
def test_sentences_about_posts_and_homes_stay(line):
    assert rules_of(ARTICLE + "\n" + line)[line] is None


# --- the body guard ------------------------------------------------------------------------


def test_a_wrapped_sentence_keeps_its_continuation():
    lines = ARTICLE.split("\n")
    wrapped = ["The minister said the talks would resume in the spring, and that both sides had agreed to the",
               "terms of the ceasefire"]
    text = "\n".join([*lines[:3], *wrapped, *lines[3:]])
    rules = rules_of(text)
    assert rules[wrapped[0]] is None and rules[wrapped[1]] is None


def test_field_lines_are_kept_together_when_most_of_them_stay():
    fields = ["Company Size: 10-50", "Founded: 2012", "Headquarters: Lisbon, Portugal", "Industry: Logistics software"]
    for strictness in ("balanced", "aggressive"):
        rules = rules_of(ARTICLE + "\n" + "\n".join(fields) + "\n" + ARTICLE.split("\n")[-1], strictness)
        decided = {rules[f] is None for f in fields}
        assert decided == {True} or decided == {False}, (strictness, {f: rules[f] for f in fields})


def test_no_page_with_article_prose_is_emptied():
    # Prose under a menu and a pile of link lines: the aggressive level's line model
    # removed every line of such pages; what only weak rules removed comes back.
    menu = ["Home", "News", "Sport", "Weather", "More"]
    prose = "The council voted on Tuesday to extend the riverside cycle path by four kilometres, ending a debate that had divided residents for more than two years."
    for strictness in ("balanced", "aggressive"):
        record = clean_document(InputDocument("mem://p.txt", "\n".join([*menu, prose, *menu]).encode()),
                                CleanConfig.model_validate({"boilerplate": {"strictness": strictness}}), RUN)
        assert isinstance(record, Record) and prose in record.text


# --- parts of a line ------------------------------------------------------------------------


def test_a_layout_rows_junk_cells_go_with_their_own_offsets_and_its_article_cell_stays():
    article_cell = ("The council voted on Tuesday to turn the old harbour warehouses into two hundred "
                    "affordable homes, ending a dispute that has lasted more than a decade.")
    row = f"| Skip to main content | Photo: Jane Doe/Reuters | {article_cell} |"
    raw = (ARTICLE + "\n" + row + "\n").encode()
    record = clean_document(InputDocument("mem://row.txt", raw), CONFIG, RUN)
    assert isinstance(record, Record) and article_cell in record.text
    decoded = raw.decode()
    cells = [r for r in record.removed if r.detail and r.detail.startswith("cell ")]
    assert [(r.rule, r.text) for r in cells] == [
        ("navigation.site_chrome", "| Skip to main content | "), ("caption.credit_label", "Photo: Jane Doe/Reuters | ")]
    for removal in cells:
        assert decoded[removal.start : removal.end] == removal.text
    assert "Skip to main content" not in record.text and "Photo: Jane Doe" not in record.text


def test_a_data_table_is_never_split_into_cells():
    table = ["| Model | Range | Price |", "|---|---|---|", "| Niu Kqi3 Max | 40 km | Home |", "| Hiboy S2 Pro | 30 km | Next |"]
    blocks = classify_blocks(ARTICLE + "\n" + "\n".join(table))
    assert all(not b.cuts for b in blocks)


def test_rows_of_one_width_without_a_rule_are_a_data_table_too():
    # A poll's results as a scraper that drops the |---| rule renders them.
    table = ["| Response | Votes | % | Prev | Diff |", "| Yes | 164 | 81% | 76% | +5% |", "| No | 25 | 12% | 14% | -2% |"]
    blocks = classify_blocks(ARTICLE + "\n" + "\n".join(table))
    assert all(not b.cuts for b in blocks)
    row = "| Home | Refer a friend | Privacy Policy |"  # one row alone is still a layout row
    blocks = classify_blocks(ARTICLE + "\n" + row + "\nThe council will meet again next month to vote on the final plan for the harbour.")
    assert [b for b in blocks if b.text == row][0].category or [b for b in blocks if b.text == row][0].cuts


def test_a_footer_blob_loses_its_legal_items_and_keeps_its_sentence():
    blob = ("All data gathered by the newsroom from public filings, court records and the county's property "
            "register over the past twelve months, and checked by two reporters before publication. "
            "\u00a9 2012 The Harbour Gazette. All rights reserved. | Privacy Policy | Terms of Use")
    lines = [line for line in ARTICLE.split("\n") if line.strip()]
    blocks = classify_blocks("\n".join([*lines, blob]))
    last = blocks[-1]
    assert last.category is None
    assert {c.rule for c in last.cuts} == {"legal.copyright", "legal.policy_links"}
    kept = "".join(last.text[a:b] for a, b in kept_spans(len(last.text), last.cuts))
    assert kept.startswith("All data gathered by the newsroom") and "\u00a9" not in kept


def test_an_article_paragraph_near_the_end_is_no_footer_blob():
    # Sentences only, no bar, bullet or "©": one of them reads like a donation prompt.
    paragraph = ("Employer-sponsored retirement plans provide unparalleled tax advantages and investment growth. "
                 "In 2019, you can contribute up to $19,000 pretax to a 401(k) and $6,000 to a traditional IRA "
                 "for which you can get a tax deduction on your current year's tax return.")
    lines = [line for line in ARTICLE.split("\n") if line.strip()]
    blocks = classify_blocks("\n".join([*lines, paragraph]))
    assert blocks[-1].category is None and not blocks[-1].cuts

