"""Boilerplate removal beyond the phrase rules: the guards added after measuring the
development benchmark, the line model, and site templates (real files on disk)."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest

from cleaners.run import shards as batch

from cleaners.run.folders import RunContext
from cleaners.steps.boilerplate import apply_rules, classify_blocks, word_count
from cleaners.config import CleanConfig, TypoOptions
from cleaners.steps.line_model import (
    FEATURE_NAMES, WORD_NAMES, WORD_SCORE_LIMIT, LineView, line_features, load_model, word_table,
)
from cleaners.pipeline import RunInfo
from cleaners.rules import load_rules
from cleaners.tracked_text import TrackedText
from cleaners.steps.typos import repair_typos

from .test_cleaners import ARTICLE, ARTICLE_2, decisions

BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"
ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"


# --- rule guards -----------------------------------------------------------------------


def test_a_newsletter_offer_goes_but_an_article_about_newsletters_stays():
    text = "\n".join(
        [
            ARTICLE,
            "The newsletter industry has never been healthier, on paper:",
            "Newsletters are booming. More people are writing them, and more people are paying for them.",
            ARTICLE_2,
            "Get our weekly newsletter for the stories you missed",
        ]
    )
    rules = decisions(text)
    assert rules["The newsletter industry has never been healthier, on paper:"] is None
    assert rules["Newsletters are booming. More people are writing them, and more people are paying for them."] is None
    assert rules["Get our weekly newsletter for the stories you missed"] == "newsletter.newsletter_mention"


def test_breadcrumbs_go_but_code_arrows_comparisons_and_list_items_stay():
    text = "\n".join(["Home › World › Europe", ARTICLE, "A[SQL Query] --> B[Parser]", "B --> C[Query Planner]", ARTICLE_2])
    rules = {b.text: b.rule for b in apply_rules(text)}
    assert rules["Home › World › Europe"] == "navigation.breadcrumb"
    assert rules["A[SQL Query] --> B[Parser]"] is None and rules["B --> C[Query Planner]"] is None
    code = ["WHERE u.created_at > '2024-01-01'", "HAVING COUNT(*) > 5", 'echo "print(1)" > hello.py', "- If orderAmount > 5000 → Send premium email"]
    rules = {b.text: b.rule for b in apply_rules("\n".join([ARTICLE, *code, "News › Women's Health › Diet", ARTICLE_2]))}
    assert [rules[line] for line in code] == [None] * 4
    assert rules["News › Women's Health › Diet"] == "navigation.breadcrumb"


def test_payment_and_trial_lines_go_but_an_article_mentioning_cards_keeps_its_list():
    # The shape of wcxb guides (../shared/bench, dev half): a list item naming a credit card
    # used to open a donation region that took the whole list with it.
    items = ["- Access to customer lists", "- Customer credit card information", "- Your pricing structure", "- Product designs"]
    sentence = "Knowing the truth means you can give your plants exactly what they need, with no guesswork and no guilt."
    appeal = "We accept credit card, Apple Pay and Google Pay. You can also contribute through"
    rules = decisions("\n".join([ARTICLE, "Hackers can steal:", *items, sentence, ARTICLE_2, appeal, "No credit card required."]))
    assert [rules[item] for item in items] == [None] * 4 and rules[sentence] is None
    assert rules[appeal] == "donation.payment_methods"
    assert rules["No credit card required."] == "advertising.free_trial"


def test_unspaced_scripts_are_counted_in_words_so_their_prose_is_no_lead_label():
    japanese = [
        "Kindle書籍を読む場合は、一般的にスマホやタブレットなどのモバイル端末で読むことが多いと思いますが、パソコンでそのまま読みたい時もあります。",
        "このご時世パスワードの強化は非常に重要なことであり、日に日に増えていくそのパスワード群を管理するにはパスワード管理ソフトの存在は不可欠です。",
        "困った挙げ句、色々調べた結果、別の方法でこの設定を変更することにしました。",
    ]
    assert word_count(japanese[0]) >= 25
    assert all(b.category is None for b in apply_rules("\n".join(japanese)))


def test_a_text_without_body_has_no_lead_zone():
    text = "Характеристики бега можно увеличить за счет кодов\n- player.setav speedmult 100\n- player.setav health 500\n- player.setav stamina 500"
    assert all(b.rule != "navigation.lead_label" for b in apply_rules(text))


def test_a_button_repeated_three_times_seeds_no_teaser_region():
    text = "\n".join(
        [ARTICLE, "Apple AirPods Pro for $235", "- See it now: Amazon", "Nintendo Switch Lite for $200",
         "- See it now: Amazon", "Sonos Move for $400", "- See it now: Amazon", ARTICLE_2]
    )  # fmt: skip
    rules = {b.text: b.rule for b in apply_rules(text)}
    assert rules["Nintendo Switch Lite for $200"] is None and rules["Sonos Move for $400"] is None
    assert not any(rule and rule.startswith("related.") for rule in rules.values())


def test_repeated_code_list_items_and_links_in_the_body_are_not_teaser_cards():
    # From wcxb pages (../shared/bench): a tutorial shows the same query twice, a review repeats
    # a spec item, a reference list repeats a link. Article structure, not teaser cards: no
    # related region grows from them over the short lines around.
    query = ["SELECT * FROM orders WHERE customer_id = 42;", "-- Bad: the planner scans every row",
             "ORDER BY created_at DESC", "SELECT * FROM orders WHERE customer_id = 42;"]
    specs = ["- 360° sensor for obstacle detection", "- pendulum suspended mowing deck", "- 360° sensor for obstacle detection"]
    link = ["https://www.nature.com/articles/s43016-021-00400-y", "Climate impacts on crops", "https://www.nature.com/articles/s43016-021-00400-y"]
    # ... and code without semicolons, indented code, a function's header, a table row.
    keyset = ["SELECT * FROM orders", "WHERE created_at < last_seen", "SELECT * FROM orders"]
    conflict = ["def login(email, password):", "    return auth_service.verify(email, password)", "=======",
                "def login(email, password):", "    return auth_service.verify(email, password)"]
    table = ["| Strength | Choose any two days |", "| Cardio | 30 minutes |", "| Strength | Choose any two days |"]
    structure = query + specs + link + keyset + conflict + table
    text = "\n".join([ARTICLE, *query, ARTICLE_2, *specs, ARTICLE, *link, ARTICLE_2, *keyset, ARTICLE, *conflict, ARTICLE_2, *table, ARTICLE])
    rules = {b.text: b.rule for b in apply_rules(text)}
    assert all(rules[line] is None for line in structure), rules
    # A headline repeated after the body (image alt text, then the link) still is one.
    card = "Home Depot sales miss, shares plunge"
    rules = {b.text: b.rule for b in apply_rules("\n".join([ARTICLE, ARTICLE_2, card, card, "Ad Choices"]))}
    assert rules[card] == "related.teaser_headline"


def test_the_page_title_goes_from_the_lead_only_when_a_body_follows():
    title = "Council backs harbour homes plan"
    rules = lambda *lines: [b.rule for b in apply_rules("\n".join(lines), page_title=title)]  # noqa: E731
    # Matched on the casefolded words: trafilatura may render the heading's punctuation apart.
    assert rules("News", "Council backs harbour homes plan!", ARTICLE, ARTICLE_2)[1] == "other.page_title"
    assert rules(title, ARTICLE, title, ARTICLE_2) == ["other.page_title", None, None, None]  # after the body: kept
    # No body: a short page keeps its only heading.
    assert rules(title, "The old harbour warehouses at dusk")[0] is None
    # Not the title: a different headline stays, and without a page title nothing changes.
    assert rules("Harbour homes plan faces new vote", ARTICLE)[0] is None
    assert apply_rules("\n".join([title, ARTICLE]))[0].rule is None


def test_the_page_title_matches_without_the_sites_name_around_it():
    # Real <title>s of ../shared/bench pages whose headline trafilatura put atop the body.
    def first_rule(headline: str, title: str) -> str | None:
        return apply_rules("\n".join([headline, ARTICLE, ARTICLE_2]), page_title=title)[0].rule

    assert first_rule("Is Football Violence a Crime?", "Opinion | Is Football Violence a Crime?") == "other.page_title"
    assert first_rule(
        "NASA adds five companies to commercial lunar lander program",
        "NASA adds five companies to commercial lunar lander program - SpaceNews.com",
    ) == "other.page_title"
    assert first_rule(  # the headline holds a dash of its own; the site's name follows another
        "The Early Reviews For Google's Stadia Gaming Platform Are Here — And They're Not Great",
        "The Early Reviews For Google's Stadia Gaming Platform Are Here — And They're Not Great - Digg",
    ) == "other.page_title"
    # Not the headline: the site's name alone, a part too short to tell, a colon's halves
    # (short lead lines may still go for what they are: a label, not the title).
    not_title = [
        ("SpaceNews.com", "NASA adds five companies to commercial lunar lander program - SpaceNews.com"),
        ("Home", "Home - Acme"),
        ("Bubonic plague in China", "Bubonic plague in China: Third case of plague as panic begins"),
        ("A different headline for the story", "Council backs harbour homes plan | Herald"),
    ]
    assert [first_rule(line, title) for line, title in not_title] == ["navigation.lead_label", "navigation.site_chrome", None, None]


def test_teaser_age_stamps_go_with_their_cards_but_prose_about_days_ago_stays():
    # The tail of a real page_text rendering (CBS News, ../shared/bench/scrapinghub): teaser
    # cards of a headline and an age stamp. "ago" inside a sentence is article text.
    said = "The minister said 3 days ago that the talks would resume, and two hours ago his office confirmed a date."
    cards = ["Woman risks her life to save a koala", "14H ago", "Disney+ user accounts found on hacking sites",
             "10H ago", "Mall stores that don't exist anymore", "12H ago 34 photos"]
    text = "\n".join([ARTICLE, said, ARTICLE_2, *cards])
    rules = decisions(text)
    assert rules[said] is None and rules[ARTICLE] is None and rules[ARTICLE_2] is None
    assert [rules[line] for line in cards[1::2]] == ["related.age_stamp"] * 3
    assert all(rules[headline] is not None and rules[headline].startswith("related.") for headline in cards[0::2])
    assert decisions("\n".join([ARTICLE, "Updated 16M ago", ARTICLE_2]))["Updated 16M ago"] == "related.age_stamp"


#: Page chrome from ../shared/bench pages (scraped_text and page_text renderings, and lines in their
#: style), with the rule that must remove it: publication stamps, share links, buttons and labels,
#: consent banners, form messages, photo and reporting credits, tagged teaser links, promotion
#: banners, affiliate disclosures.
PAGE_CHROME = {
    "Last updated on September 16th, 2023 at 09:27 am": "navigation.dateline",
    "Published 22 hours ago": "navigation.dateline",
    "\uae30\uc0ac\uc785\ub825 :[ 2018-08-25 15:24 ]": "navigation.dateline",  # Korean "article entered"
    "Updated 10:01 pm PST, Tuesday, November 19, 2019": "navigation.dateline",
    "Click to share on Mastodon (Opens in new window)": "navigation.share_links",
    "Check Price on Amazon": "advertising.shop_button",
    "View Deal": "advertising.shop_button",
    "The technical storage or access is required to create user profiles to send advertising, or to track the user "
    "on a website or across several websites for similar marketing purposes.": "legal.consent_notice",
    "These cookies are necessary for the website to function and cannot be switched off.": "legal.consent_notice",
    "We and our 100 partners store and/or access information on a device, such as unique IDs in cookies to process "
    "personal data.": "legal.consent_notice",
    "By using Conductor, you agree to our Terms of Service and Privacy Policy.": "legal.consent_notice",
    "We use cookies to ensure that we give you the best experience on our website.": "legal.cookies",
    "Check Price at Amazon $399 List": "advertising.shop_button",
    "Get a Quote from Mayflower": "advertising.shop_button",
    "8 min read": "navigation.reading_time",
    "Sorry, something went wrong.": "navigation.site_chrome",
    "Copy a direct link to this comment to your clipboard": "comments.prompt",
    "Blinken in Reykjavik. (Cpl. Jered T. Stone/ Marine Corps)": "caption.credit_slash",
    "Keith Bradsher contributed reporting from Hong Kong.": "caption.reporting_credit",
    "Fox News\u2019 Jessica Napoli contributed to this report.": "caption.reporting_credit",
    "(Reporting by Greg Roumeliotis, Joshua Franklin, Koh Gui Qing, with reporting by Herb Lash and Megan Davies, "
    "editing by Martin Howell.)": "caption.reporting_credit",
    "Reporting by Jane Doe; Editing by Mark Potter": "caption.reporting_credit",
    "Copyright \u24d2 Entermedia.co.kr. \ubb34\ub2e8\uc804\uc7ac \ubc0f \uc7ac\ubc30\ud3ec \uae08\uc9c0": "legal.copyright",
    "Lakers vs Nets: NBA make final decision on game amid China turmoil [VIDEO]": "related.tagged_teaser",
    "Reading Time: 11 minutes": "navigation.reading_time",
    "Tempo de leitura: 2 minutos": "navigation.reading_time",
    "This site uses Akismet to reduce spam. Learn how your comment data is processed.": "comments.form_notice",
    "By checking this box and submitting this form, I consent to receive marketing and promotional texts.":
        "legal.consent_notice",
    "Free standard shipping on orders $40+": "advertising.promo_banner",
    "Free express shipping on orders \u00a5990 or more. For more information on shipping rates and timelines, please "
    "visit our international page": "advertising.promo_banner",
    "Save my name, email, and website in this browser for the next time I comment.": "comments.form_notice",
    "The material on this site may not be reproduced, distributed, transmitted, cached or otherwise used, except with "
    "the prior written permission of Advance Local.": "legal.copyright",
    "We and our partners process data to provide:": "legal.consent_notice",
    "Thank you! Your submission has been received!": "navigation.widget_message",
    "This field is for validation purposes and should be left unchanged.": "navigation.widget_message",
    "A .gov website belongs to an official government organization in the United States.": "navigation.widget_message",
    "About the Author": "navigation.site_chrome",
    "In this article:": "navigation.site_chrome",
    "We independently review everything we recommend. When you buy through our links, we may earn a commission.":
        "advertising.affiliate_disclosure",
    "Microsoft may earn an Affiliate Commission if you purchase something through recommended links in this article.":
        "advertising.affiliate_disclosure",
    "Products are chosen independently by our editors. Purchases made through our links may earn us a commission.":
        "advertising.affiliate_disclosure",
    "If you buy something through this post, IGN may get a share of the sale. For more, learn more.":
        "advertising.affiliate_disclosure",
    "Every item on this page was chosen by an editor. We may earn commission on some of the items you choose to buy.":
        "advertising.affiliate_disclosure",
    "This site is protected by reCAPTCHA and the Google Privacy Policy and Terms of Service apply.": "legal.consent_notice",
    "This work is licensed under a Creative Commons Attribution-NoDerivatives 4.0 International License.": "legal.copyright",
    "Please enable JavaScript to view the comments powered by Disqus. comments powered by Disqus": "comments.form_notice",
    "Click to email a link to a friend (Opens in new window) Email": "navigation.share_links",
    "PUBLISHED: 00:01, Tue, Nov 19, 2019 | UPDATED: 10:43, Tue, Nov 19, 2019": "navigation.dateline",
    "Learn more \u2192": "navigation.site_chrome",
    "$75 at Amazon": "advertising.shop_button",
    "Check Amazon (on sale!) $300 List": "advertising.shop_button",
    "Support independent local journalism. Donate today from just $5 a month.": "donation.appeal_headline",
}

#: Article lines that share words with those rules and must stay.
ARTICLE_NEAR_CHROME = [
    "Updated: the story now includes the minister's reply to the committee.",
    "Update 5/19: Blinken and Lavrov met again on Wednesday, officials said.",
    "Published in 2019, the report found that most local newsrooms had cut staff since 2008.",
    "Regulators said the companies must ask users for consent before they place third-party cookies on their devices.",
    "Shoppers increasingly check the price on Amazon before they buy anything in a store, the survey found.",
    "\u201cWe process personal data lawfully and we use cookies only with consent,\u201d the company said in a statement.",
    "Read the full review in our March issue, where we test twelve laptops side by side for a month.",
    "It took him 8 minutes to read the whole report aloud to the committee, the minister said.",
    "The average reading time was 11 minutes, and most participants finished the whole text.",
    "Reporting by the Guardian revealed that the minister had misled parliament about the contract.",
    "Five researchers contributed to this report, which found rising rents across the city.",
    "Watch the video [VIDEO] below, in which the mayor explains the plan to residents of the district.",
    "Free shipping on all orders ended in 2019, when the retailer began to charge for small parcels.",
    "By checking the box, voters could ask for a paper ballot, which the county then mailed to them.",
    "In this article we compare twelve laptops that cost less than $1,000 and last a full working day.",
    "The report may not be reproduced in full, the court ruled, but reporters may quote from it.",
    "Official websites use plain language, the agency's guide says, so that every reader can follow them.",
    "Publishers may earn a commission when readers click links to retailers, a study of 500 sites found.",
    "Our system gives partners their own booking links: you receive new customers, and affiliates earn commissions.",
    "The photo is licensed under a Creative Commons licence, the museum said, so anyone may reuse it.",
    "Shares closed at $75 at the end of trading on Friday, up from $62 a week earlier.",
    "These cookies are baked with rye flour, which gives them a darker colour and a nutty taste.",
    "These cookies are perfect for a holiday table, and you can freeze the dough for up to three months.",
    # list items of wcxb pages (../shared/bench, dev half) whose parentheses hold a slash: no photo credit
    "- Best Overall: Adidas Adizero Evo SL (Men\u2019s/Women\u2019s)",
    "5. Google Cloud (Pub/Sub, Dataflow and BigQuery)",
    "Get Dashlane Password Manager for Free (Upgrade to Premium for $4.99/mo)",
    "- Journal issue details (e.g., publication date and volume/issue number)",
    "- Full-service HR outsourcing (PEO / co-employment)",
]


@pytest.mark.parametrize("line", [*PAGE_CHROME, *ARTICLE_NEAR_CHROME])
def test_page_chrome_goes_by_its_rule_and_article_lines_near_it_stay(line):
    rules = decisions("\n".join([ARTICLE, line, ARTICLE_2]))
    assert rules[line] == PAGE_CHROME.get(line)
    assert rules[ARTICLE] is None and rules[ARTICLE_2] is None


def test_an_inline_also_read_link_goes_alone_and_the_subheadings_around_it_stay():
    # The shape of a wcxb page (../shared/bench, dev half): an "Also Read" link between a
    # paragraph and the article's next subheading. A teaser card's heading would go with its
    # evidence; an inline link has no card around it.
    link = "Also Read: Financial Fraud Detection Using Machine Learning"
    subheadings = ["Trend Analysis", "Best Practices for Implementing Machine Learning"]
    text = "\n".join([ARTICLE, subheadings[0], ARTICLE_2, link, subheadings[1], ARTICLE])
    rules = decisions(text)
    assert rules[link] == "related.read_more_link"
    assert [rules[line] for line in subheadings] == [None, None]


STYLE_GUIDE = [  # a guide in the shape of wcxb pages (../shared/bench, dev half): a topic, then its paragraph
    ("Art Deco", "Art Deco is a furniture style that emerged after the Exposition Internationale in Paris, with bold geometry, lacquered wood and chrome."),
    ("Rococo", "Rococo furniture, born in France under Louis XV, is all about curves, gilded carving and pastel upholstery that softens a formal room."),
    ("Scandinavian", "Scandinavian design favours pale woods and simple lines, and the chairs of Alvar Aalto show why it suits small city flats so well."),
    ("Mid-Century Modern", "Mid-Century Modern pieces, like those of Charles Eames, mix organic shapes with new materials such as moulded plywood and fibreglass."),
]


def test_topic_subheadings_echoed_by_their_paragraph_stay_but_a_keyword_widget_goes():
    # A subheading names its paragraph's topic, often in one word and at the paragraph's
    # start; seed 001's keyword widget echoes multi-word names from inside each paragraph.
    # Judged line by line the two look alike (155 subheadings to 14 junk lines on the wcxb
    # dev half), so the decision is the page's pattern of echoes.
    guide = decisions("\n".join([ARTICLE, *(line for pair in STYLE_GUIDE for line in pair)]))
    assert [guide[heading] for heading, _ in STYLE_GUIDE] == [None] * 4
    widget_lines = ["Exposition Internationale", "Louis XV", "Alvar Aalto", "Charles Eames"]
    widget = decisions("\n".join([ARTICLE, *(line for (_, paragraph), echo in zip(STYLE_GUIDE, widget_lines) for line in (echo, paragraph))]))
    assert [widget[line] for line in widget_lines] == ["heading_noise.entity_echo"] * 4
    assert [widget[paragraph] for _, paragraph in STYLE_GUIDE] == [None] * 4


def test_trending_headings_and_the_comment_login_line_go_but_a_sentence_about_trends_stays():
    login = "Please log in using one of these methods to post your comment:"  # WordPress.com's comment form
    sentence = "Trending news about the summit dominated social media on Thursday, officials said."
    rules = decisions("\n".join([ARTICLE, sentence, ARTICLE_2, "Trending News", "Bill Hoppe", login]))
    assert rules["Trending News"] == "related.section_marker" and rules[login] == "comments.form_notice"
    assert rules[sentence] is None


def test_english_words_missing_from_the_frequency_list_are_not_corrected():
    text = "The colors centered on labor analytics, a leaderboard of chatbots and backend tropicals."
    fixed, edits = repair_typos(TrackedText(text + " Officials recieve the goverment plan."), TypoOptions())
    assert [(e.before, e.after) for e in edits] == [("recieve", "receive"), ("goverment", "government")]
    assert fixed.text.startswith(text)


# --- the line model --------------------------------------------------------------------


def test_model_file_matches_the_feature_code():
    model = load_model()
    assert model.trees and all(node[0] < len(FEATURE_NAMES) for tree in model.trees for node in tree)
    rows, layout = line_features([LineView(ARTICLE, None, False), LineView("Leave a Reply", "comments", True)])
    assert len(rows[0]) == len(FEATURE_NAMES) and layout.zone(1) == "comments"


def test_the_word_table_keeps_words_on_enough_pages_with_clipped_log_odds():
    """A word on too few pages (a site's names) stays out of the table, and no word's score
    can outweigh the rest of its line on its own."""
    pages = [({"subscribe"}, {"said"})] * 30 + [({"newsletter"}, {"zorblat"})] * 5
    table = word_table(pages, min_pages=8)
    assert set(table) == {"subscribe", "said"}  # "newsletter" and "zorblat" are on 5 pages only
    assert table["subscribe"] == WORD_SCORE_LIMIT and table["said"] == -WORD_SCORE_LIMIT  # log 31, clipped
    mixed = word_table([({"subscribe"}, {"said"})] * 8 + [({"said"}, {"subscribe"})] * 2, min_pages=8)
    assert mixed == {"said": -1.0986, "subscribe": 1.0986}  # log((8+1)/(2+1)), add-one smoothed


def test_the_model_scores_a_lines_words_with_its_own_table():
    """The shipped model carries the table it was trained with: widget vocabulary scores as
    junk, reporting as article text, and a line's neighbours see its score."""
    lines = ["Sign up for our newsletter and unsubscribe at any time.", ARTICLE]
    rows, _ = line_features([LineView(line, None, False) for line in lines])
    at = {name: FEATURE_NAMES.index(name) for name in WORD_NAMES}
    assert load_model().words and rows[0][at["words_junk"]] > 0 > rows[1][at["words_junk"]]
    assert rows[1][at["prev_words_junk"]] == rows[0][at["words_junk"]] and rows[0][at["next_words_junk"]] == rows[1][at["words_junk"]]


def test_reader_comments_after_a_comment_heading_are_removed_as_comments():
    seed = (SEEDS / "000_c1532a8820d5ae7f.txt").read_text(encoding="utf-8").strip()
    comments = [
        "Great article, thanks for sharing!",
        "I disagree with the premise. Diplomacy has failed every time it was tried with this government.",
        "Reply",
        "Who wrote this? Sources please.",
    ]
    blocks = classify_blocks(seed + "\n4 Comments\n" + "\n".join(comments))
    by_text = {b.text: b for b in blocks}
    assert all(by_text[c].category == "comments" for c in comments), [(c, by_text[c].rule, by_text[c].score) for c in comments]
    assert all(b.category is None for b in blocks if b.text in seed)


def _seed_article(name: str = "000_c1532a8820d5ae7f.txt") -> str:
    return (SEEDS / name).read_text(encoding="utf-8").strip()


READER_COMMENTS = [
    "Thanks for this write-up, it explains the talks much better than anything I read elsewhere this week.",
    "I disagree with the premise. Diplomacy has failed every time it was tried with this government, and it will fail again.",
    "Who wrote this? The quotes are real but the conclusion does not follow from them at all, in my opinion.",
]


@pytest.mark.parametrize("heading", ["Comments", "Top Rated Comments", "12 thoughts on \u201cNever say never\u201d", "Leave a Reply"])
def test_prose_comments_after_a_thread_heading_go_with_the_heading_as_evidence(heading):
    article = _seed_article()
    blocks = classify_blocks(article + "\n" + heading + "\n" + "\n".join(READER_COMMENTS))
    by_text = {b.text: b for b in blocks}
    for comment in READER_COMMENTS:
        assert by_text[comment].rule == "comments.thread", (comment, by_text[comment].rule)
        assert heading[:20] in by_text[comment].detail
    assert all(b.category is None for b in blocks if b.text in article)


def test_comment_count_links_and_toolbar_buttons_do_not_open_a_thread():
    first, *rest = _seed_article().split("\n")
    paragraphs = [line for line in rest if line.strip()]
    # A byline's "124 Comments" link after the first paragraph: most of the article follows.
    blocks = classify_blocks("\n".join([first, "124 Comments", *paragraphs]))
    assert not any(b.rule == "comments.thread" for b in blocks)
    # "Comments" among share buttons, then the article.
    blocks = classify_blocks("\n".join([first, "Facebook", "Twitter", "Comments", "Email", *paragraphs]))
    assert not any(b.rule == "comments.thread" for b in blocks)
    # A counter on every teaser of a list is not a heading either.
    teasers = ["Notes app with end-to-end encryption and sync across all your devices.", "11 comments",
               "Open-source workspace with a Kanban board, a whiteboard and a Pomodoro timer.", "4 comments"]
    blocks = classify_blocks("\n".join([first, *paragraphs, *teasers]))
    assert not any(b.rule == "comments.thread" for b in blocks)


def test_a_discussion_subheading_is_not_a_comment_thread():
    first, *rest = _seed_article().split("\n")
    paragraphs = [line for line in rest if line.strip()]
    blocks = classify_blocks("\n".join([first, *paragraphs[:3], "Discussion", *paragraphs[3:]]))
    assert all(b.category is None for b in blocks if b.text in paragraphs)


def test_reply_buttons_open_a_thread_without_a_heading():
    article = _seed_article()
    thread = [READER_COMMENTS[0], "ReplyDelete", READER_COMMENTS[1], "ReplyDelete", READER_COMMENTS[2]]
    blocks = classify_blocks(article + "\n" + "\n".join(thread))
    by_text = {b.text: b for b in blocks}
    assert [by_text[c].category for c in READER_COMMENTS] == ["comments"] * 3
    assert all(b.category is None for b in blocks if b.text in article)
    # One reply button alone is not a thread: the comment before it is not claimed by the thread.
    blocks = classify_blocks(article + "\n" + READER_COMMENTS[1] + "\nReply")
    assert not any(b.rule == "comments.thread" for b in blocks)
    # Comment headers ("Name says:") start the thread at themselves.
    thread = ["Jane Doe says:", READER_COMMENTS[0], "Sam Roe says:", READER_COMMENTS[1]]
    blocks = classify_blocks(article + "\n" + "\n".join(thread))
    assert {b.text for b in blocks if b.rule == "comments.thread"} >= set(thread)
    # So do readers' voices: greetings and praise of the post, two of them.
    thread = ["Great article! " + READER_COMMENTS[0], READER_COMMENTS[1], "Hi Melissa,", READER_COMMENTS[2]]
    blocks = classify_blocks(article + "\n" + "\n".join(thread))
    assert {b.text for b in blocks if b.rule == "comments.thread"} == set(thread)
    assert all(b.category is None for b in blocks if b.text in article)
    # A blog's readers thank the column and the series (wcxb, dev half: a design column whose
    # comments came without names or buttons).
    thread = ["Thanks for another great post, Arlyn.", READER_COMMENTS[0], "Great column! " + READER_COMMENTS[1], "I love these posts!"]
    blocks = classify_blocks(article + "\n" + "\n".join(thread))
    assert {b.text for b in blocks if b.rule == "comments.thread"} == set(thread)
    # One alone is not a thread.
    blocks = classify_blocks(article + "\nThanks for sharing.\n" + READER_COMMENTS[1])
    assert not any(b.rule == "comments.thread" for b in blocks)


JAPANESE_ARTICLE = [
    "東京都は二十日、都内の公立小中学校で来年度から給食費を無償化する方針を明らかにした。",
    "対象となるのは約六十万人の児童と生徒で、必要な予算はおよそ三百億円に上る見込みだという。",
    "知事は記者会見で「子育て世帯の負担を少しでも軽くしたい」と述べ、区市町村と協議を進める考えを示した。",
    "一方、財源の確保については議会から慎重な意見も出ており、今後の審議が注目される。",
]


@pytest.mark.parametrize("strictness", ["balanced", "aggressive"])
def test_a_japanese_article_is_prose_not_a_run_of_labels(strictness):
    """Written without spaces, a Japanese sentence is one ``\\w+`` token: the body finder and
    the line model must count its words and see its 。 as a sentence end."""
    menu = ["ホーム", "ニュース", "政治", "経済", "スポーツ", "ログイン"]
    related = ["関連記事", "都の教育予算、過去最大に", "給食の物価高対策で補助金", "新着記事", "区議会で予算案を可決"]
    lines = [*menu, *JAPANESE_ARTICLE, *related]
    _, layout = line_features([LineView(line, None, False) for line in lines])
    assert (layout.body_first, layout.body_last) == (len(menu), len(menu) + len(JAPANESE_ARTICLE) - 1)
    blocks = classify_blocks("\n".join(lines), strictness)
    kept = [b.text for b in blocks if b.category is None]
    assert all(line in kept for line in JAPANESE_ARTICLE), [(b.text[:12], b.rule) for b in blocks]


def test_a_repeated_paragraph_goes_and_its_first_copy_stays():
    first, *rest = _seed_article().split("\n")
    paragraphs = [line for line in rest if line.strip()]
    caption = ("Antony Blinken speaks to reporters at the State Department in Washington on Monday, "
               "a day after his interview with The Atlantic, in which he did not rule out a meeting "
               "between the two presidents, was published online.")
    text = "\n".join([first, caption, *paragraphs, caption, paragraphs[0]])
    blocks = classify_blocks(text, "aggressive")
    copies = [b for b in blocks if b.text in (caption, paragraphs[0])]
    assert [b.rule for b in copies] == [None, None, "other.repeated_paragraph", "other.repeated_paragraph"]
    assert copies[2].detail == "repeats line 2" and copies[3].detail == "repeats line 3"
    assert all(b.category is None for b in blocks if b.text in (first, *paragraphs[1:]))
    # Off by default: an article may repeat a line.
    assert not any(b.rule == "other.repeated_paragraph" for b in classify_blocks(text))


def test_scores_are_recorded_deterministic_and_removals_explained():
    text = (SEEDS / "004_40f3c241e9d272e8.txt").read_text(encoding="utf-8")
    first, second = classify_blocks(text), classify_blocks(text)
    assert [(b.rule, b.score) for b in first] == [(b.rule, b.score) for b in second]
    assert all(b.score is not None and 0.0 <= b.score <= 1.0 for b in first)
    threshold = load_rules("structure")["balanced"]["model_remove"]
    for block in first:
        if block.rule and block.rule.endswith(".line_model"):
            assert block.score >= threshold and block.rule.split(".")[0] in ("navigation", "related", "comments", "other") or block.evidence is False


def test_switching_the_line_model_off_leaves_the_rules_alone():
    text = (SEEDS / "001_68972bff8665e00a.txt").read_text(encoding="utf-8")
    rules_only = classify_blocks(text, line_model=False)
    assert not any(b.rule and b.rule.endswith(".line_model") for b in rules_only)
    assert [b.rule for b in rules_only] == [b.rule for b in apply_rules(text)]


def _dev_pages(name: str, count: int) -> list[dict]:
    """The first ``count`` pages of the benchmark's dev half (the half the model trained on)."""
    pages = []
    with gzip.open(BENCH / name, "rt", encoding="utf-8") as rows:
        for line in rows:
            row = json.loads(line)
            if hashlib.sha256(row["id"].encode()).digest()[0] % 2 == 0 and row["page_text"].strip():
                pages.append(row)
            if len(pages) == count:
                break
    return pages


@pytest.mark.skipif(not BENCH.exists(), reason="../shared/bench is not beside the repository")
def test_on_real_page_text_menus_go_and_the_article_stays():
    import sys

    sys.path.insert(0, str(BENCH))
    import evaluate  # ../shared/bench/evaluate.py

    pages = _dev_pages("scrapinghub.jsonl.gz", 30)
    before = evaluate.score_pairs([(p["gold_text"], p["page_text"]) for p in pages], n_bootstrap=0)
    cleaned = []
    for page in pages:
        kept = [b.text for b in classify_blocks(page["page_text"]) if b.category is None]
        cleaned.append((page["gold_text"], "\n".join(kept)))
    after = evaluate.score_pairs(cleaned, n_bootstrap=0)
    assert after["precision"] >= before["precision"] + 0.2, (before, after)
    assert after["recall"] >= before["recall"] - 0.05, (before, after)


# --- site templates --------------------------------------------------------------------

TEMPLATE_LINES = ["Home | World | Politics | Business | Opinion", "Copyright Example Times Media Group. Terms of use."]


def _site(tmp_path: Path, documents: int) -> list[str]:
    """``documents`` real seed paragraphs, each page wrapped in the site's template."""
    paragraphs = [p for seed in sorted(SEEDS.glob("*.txt")) for p in seed.read_text(encoding="utf-8").split("\n") if len(p.split()) > 30]
    folder = tmp_path / "example-times"
    folder.mkdir()
    uris = []
    for i in range(documents):
        body = paragraphs[2 * i : 2 * i + 2]
        extra = ["Most read: the week in pictures"] if i < 2 else []
        path = folder / f"page-{i}.txt"
        path.write_text("\n".join([TEMPLATE_LINES[0], *body, *extra, TEMPLATE_LINES[1]]) + "\n", encoding="utf-8")
        uris.append(str(path))
    return uris


def _clean_site(tmp_path: Path, uris: list[str]) -> list[dict]:
    profile = batch.profile_shard(uris)
    out = tmp_path / "out"
    out.mkdir()
    config = CleanConfig()
    batch.clean_shard(0, uris, RunContext.direct(str(out), config, RunInfo(config.config_hash(), processed_at="test")), profile)
    return [json.loads(line) for line in (out / batch.shard_file_name(0)).read_text(encoding="utf-8").splitlines()]


def test_site_template_lines_are_removed_with_their_counts(tmp_path):
    uris = _site(tmp_path, 6)
    records = _clean_site(tmp_path, uris)
    assert len(records) == 6
    folder = uris[0].rsplit("/", 1)[0]
    for record in records:
        template = [r for r in record["removed"] if r["text"] in TEMPLATE_LINES]
        assert {r["text"] for r in template} == set(TEMPLATE_LINES), record["removed"]
        assert {r["rule"] for r in template} == {"navigation.site_template"}
        assert {r["detail"] for r in template} == {f"in 6 of 6 documents from {folder}"}
        assert not any(line in record["text"] for line in TEMPLATE_LINES)
    # A line on two pages of six is below the document-frequency threshold.
    assert sum("Most read: the week in pictures" in r["text"] for r in records) == 2


def test_too_few_documents_of_a_site_make_no_template(tmp_path):
    uris = _site(tmp_path, 4)
    records = _clean_site(tmp_path, uris)
    assert not any(r["rule"] == "navigation.site_template" for record in records for r in record["removed"])


# --- phrase prefilter ------------------------------------------------------------------


def _bench_lines(limit: int = 300) -> list[str]:
    lines = [line for path in sorted(SEEDS.glob("*.txt")) for line in path.read_text(encoding="utf-8").splitlines()]
    if BENCH.exists():
        with gzip.open(BENCH / "scrapinghub.jsonl.gz", "rt", encoding="utf-8") as rows:
            for i, row in enumerate(map(json.loads, rows)):
                if i == limit:
                    break
                lines += (row["scraped_text"] or "").splitlines()
    return [line for line in lines if line.strip()]


def test_every_phrase_pattern_that_can_match_anywhere_has_a_prefilter():
    """An unanchored pattern without needs is searched on every line of every page: one such
    rule (a cased symbol such as "ⓒ" in an alternative, which no lowercase substring test can
    stand for) made the phrase pass measurably slower. Anchored patterns fail fast anyway."""
    from cleaners.steps.boilerplate import rulebook
    from cleaners.steps.phrase_prefilter import anchored_at_start, required_literals

    unfiltered = [
        f"{rule.category}.{rule.name}" for rule in rulebook("balanced").phrases
        if required_literals(rule.pattern) is None and not anchored_at_start(rule.pattern)
    ]
    assert unfiltered == []


def test_the_phrase_prefilter_never_skips_a_line_its_pattern_matches():
    """The substring prefilter only saves searches that would fail: over real lines, their
    upper-case and title-case forms, and lines holding the characters that ignore-case
    patterns match to ASCII letters (K, ſ, İ, ı), every match has one of the rule's needs."""
    from cleaners.steps.boilerplate import _first_phrase_rule, rulebook
    from cleaners.steps.phrase_prefilter import _lowered, required_literals

    book = rulebook("balanced")
    needs = {id(rule): required_literals(rule.pattern) for rule in book.phrases}
    lines = _bench_lines()
    lines += [line.upper() for line in lines[:2000]] + [line.title() for line in lines[:2000]]
    lines += ["Sign up for our \u212aeeping newsletter", "\u017fubscribe to our newsletter", "READ MORE \u0130N \u0131T"]
    checked = matched = 0
    for line in lines:
        lowered = _lowered(line)
        for rule in book.phrases:
            if needs[id(rule)] is None or not rule.pattern.search(line):
                continue
            matched += 1
            assert lowered is None or any(need in lowered for need in needs[id(rule)]), (rule.name, line)
        checked += 1
        # and the memoised first-rule answer is the plain first match in rule order
        words = word_count(line)
        plain = next((r for r in book.phrases if words <= r.max_words and r.pattern.search(line)), None)
        assert _first_phrase_rule(line, words, "balanced") is plain
    assert checked > 1000 and matched > 20


@pytest.mark.skipif(not BENCH.exists(), reason="../shared/bench is not beside the repository")
@pytest.mark.parametrize("page_id", ["dev-0454", "dev-4691"])
def test_a_page_whose_junk_peels_over_many_passes_is_cleaned_to_its_fixed_point(page_id):
    """Two wcxb page_text renderings that lose lines over 5 and 9 boilerplate passes: with
    the old bound of 4, cleaning the record's text again removed more (on dev-0454, most of
    the page's remaining junk: F1 0.424 at 4 passes, 0.906 at its fixed point). Cleaning the
    output again must change nothing."""
    from cleaners.pipeline import clean_text

    with gzip.open(BENCH / "wcxb-dev-articles.jsonl.gz", "rt", encoding="utf-8") as rows:
        page = next(row for row in map(json.loads, rows) if row["id"] == page_id)
    config = CleanConfig()
    first, _ = clean_text(page["page_text"], config)
    second, _ = clean_text(first.text, config)
    assert (second.text, second.removed, second.edits) == (first.text, [], [])


# --- the line model's weights are the training script's ------------------------------


@pytest.mark.skipif(not BENCH.exists(), reason="../shared/bench is not beside the repository")
@pytest.mark.slow
def test_the_line_model_was_trained_on_the_evidence_todays_rules_give():
    """The model learned how far to trust each rule's evidence on the dev pages. A rule
    change that alters that evidence leaves it trusting rules that no longer exist; the
    weights in the repository must be what benchmarks/train_line_model.py gives today."""
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from diagnose import rules_fingerprint, training_blocks

    model = json.loads((ROOT / "cleaners" / "rules" / "line_model.json").read_text())
    ruled = list(training_blocks("balanced"))
    assert len(ruled) > 1000  # both renderings of the ~500 dev pages
    assert rules_fingerprint(ruled) == model["rules_fingerprint"], (
        "the rules now decide differently on the training pages: retrain with "
        "`.venv/bin/python benchmarks/train_line_model.py --write` (pip install -e '.[train]')"
    )
