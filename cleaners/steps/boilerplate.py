"""Step 4: boilerplate removal by category, line by line, every decision explained.

The text is split into blocks (non-empty lines: in scraped text a line is a paragraph, a
heading or a widget). Each block is either kept or given a category and the rule that
decided. The passes, in order (thresholds in ``rules/structure.toml``):

1. **Phrase rules** (``rules/<category>.toml``): strong textual evidence such as "Leave a
   Reply", "pic.twitter.com/...", "By submitting your email ... newsletter".
2. **Structural line rules**: an embedded tweet's body just before its "— Name (@handle)
   date" line; lists of dated headlines; entity-name lines that only echo the start of
   the next paragraph (``heading_noise``).
3. **Regions**: a widget is more than its one tell-tale line. Short lines next to evidence
   are absorbed into its region ("Do you trust the main stream media?" above a sign-up
   form), and two pieces of evidence of the same category close together are joined, over
   long lines only in the tail of the text, where teaser cards and appeals live.
4. **Lead labels and repeated headlines**: short label lines before the article body
   ("Europe", "Blinken-lavrov"); a headline repeated within a few lines after the body has
   started is a teaser card (image alt text + title), which seeds a ``related`` region.
5. **The comment thread**: after a heading such as "Comments" or "12 thoughts on ..." that
   follows the article's first prose, every line is a reader comment.

The article body itself (long sentence-like lines) is only removed by phrase rules that
allow long lines or by a region bridge in the tail: removing article text is worse than
leaving junk.

After the rules, the line model (``line_model.py``) removes unassigned lines it is confident
are junk. For HTML, a second extractor's article for the same page is a second opinion
(:class:`SecondOpinion`): a line it leaves out goes on weaker doubt from the model.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate
from typing import Any, Callable, NamedTuple

from cleaners.steps.line_model import Layout, LineView, count_words, score_lines
from cleaners.steps.phrase_prefilter import PatternSet
from cleaners.steps.pieces import Cut, PieceRules, cut_pieces, footer_segments, layout_cells
from cleaners.rules import load_rules, phrase_categories
from cleaners.steps.site_templates import normalised_line

_WORD = re.compile(r"\w[\w'’.-]*")


@lru_cache(maxsize=1 << 14)
def word_count(text: str) -> int:
    """Words in ``text``; for Chinese and Japanese, characters / 2 (no spaces to split on).

    Memoised: each boilerplate pass splits the lines the previous pass kept again."""
    return count_words(text, _WORD)


#: A line ending in one of these is not a heading (full-width forms for Chinese and Japanese).
NOT_A_HEADING_END = ".!?:;,。！？：；，、"
#: ... nor a label, when it ends in a closing quote or bracket either.
_TERMINAL = NOT_A_HEADING_END + "\"”’)」』）"


@dataclass
class Block:
    """One non-empty line of the current text."""

    index: int
    start: int
    end: int
    text: str
    words: int
    category: str | None = None
    rule: str | None = None
    evidence: bool = False
    score: float | None = None
    detail: str | None = None
    #: Parts of a kept line removed on their own (see :mod:`cleaners.steps.pieces`), in order.
    cuts: list[Cut] = field(default_factory=list)
    #: What the rules ask of the line's text alone (see :func:`line_facts`).
    facts: LineFacts = field(default=None, repr=False, compare=False)  # type: ignore[assignment]

    def assign(self, category: str, rule: str, evidence: bool = False) -> None:
        self.category, self.rule, self.evidence = category, rule, evidence


@dataclass(frozen=True)
class PhraseRule:
    category: str
    name: str
    pattern: re.Pattern[str]
    max_words: int


@dataclass(frozen=True)
class Rulebook:
    phrases: tuple[PhraseRule, ...]
    #: Categories whose evidence grows into a region of neighbouring lines (``grows`` in the
    #: category's file) ...
    growing: frozenset[str]
    #: ... except the evidence of these rules (``grows = false`` on the rule): a one-line
    #: widget, such as an inline "Also read: <headline>" link, has no card around it.
    single_line: frozenset[str]
    connectors: frozenset[str]
    title_separator: re.Pattern[str]
    title_part_min_words: int
    thresholds: dict[str, Any]
    #: ``allowed[n]``: the phrase rules that allow a line of ``n`` words (the last entry: of
    #: any longer line), as bits of their positions in ``phrases`` (and in
    #: :func:`_pattern_set`, which starts with them), so the per-line test checks no bounds.
    allowed: tuple[int, ...] = ()

    def first_phrase(self, text: str, words: int) -> PhraseRule | None:
        """The first phrase rule in rule order that matches a line of ``words`` words, if any."""
        found = _pattern_set().first(text, self.allowed[min(words, len(self.allowed) - 1)])
        return None if found is None else self.phrases[found]


def _allowed_bits(phrases: tuple[PhraseRule, ...]) -> tuple[int, ...]:
    """``Rulebook.allowed``: per word count, the bits of the phrase rules a line that long may match."""
    longest = max((rule.max_words for rule in phrases), default=0)
    return tuple(sum(1 << i for i, rule in enumerate(phrases) if words <= rule.max_words) for words in range(longest + 2))


class LineFacts(NamedTuple):
    """What the structural rules ask of a line's text alone, found once per line: the
    boilerplate passes classify the same lines again (see :func:`line_facts`). A test that
    a rule makes only of lines of some length is made only of those: some of these patterns
    take long on a long line."""

    #: The line's words, casefolded, for "the same line" (``site_templates.normalised_line``).
    key: str
    #: A line of 30 words or fewer that ``dated_item_pattern`` (structure.toml) finds a match in.
    dated: bool
    #: ``not_a_teaser_pattern`` finds a match.
    not_a_teaser: bool
    #: A line of ``teaser_min_words`` or more that ``teaser_cut`` of ``[lists]`` (related.toml)
    #: finds a match in; ``teaser_elision`` too.
    teaser_cut: bool
    teaser_elision: bool
    #: ``[thread]``'s ``count``, ``zero_count`` and ``heading`` (comments.toml) find a match
    #: in the stripped line (``form``, asked of short lines only: :func:`_comment_form_line`).
    count: bool
    zero_count: bool
    heading: bool
    #: The first comment-marker kind the line is (see :func:`_marker_of`).
    marker: ThreadMarker | None


@lru_cache(maxsize=1 << 15)
def line_facts(line: str, words: int) -> LineFacts:
    """The facts of a line of ``words`` words, memoised on the line. The patterns are
    prefiltered together (:func:`_pattern_set`): most tests cost a bit test."""
    thread, lists = _thread_rules(), _list_rules()
    dated_item, not_a_teaser = _structure_patterns()
    found = _pattern_set().finder(line)
    text = line.strip()
    teaser_cut = words >= lists["teaser_min_words"] and found(lists["teaser_cut"], line)
    count = found(thread.count, text)
    return LineFacts(
        key=normalised_line(line),
        dated=words <= 30 and found(dated_item, line),
        not_a_teaser=found(not_a_teaser, line),
        teaser_cut=teaser_cut,
        teaser_elision=teaser_cut and found(lists["teaser_elision"], line),
        count=count,
        zero_count=count and found(thread.zero_count, text),
        heading=found(thread.heading, text),
        marker=_marker_of_line(line, words),
    )


@lru_cache(maxsize=1 << 14)
def _comment_form_line(text: str) -> bool:
    """``[thread]``'s ``form`` finds a match in the (stripped) line: memoised, prefiltered."""
    return _pattern_set().finder(text)(_thread_rules().form, text)


@lru_cache(maxsize=1)
def _phrase_files() -> tuple[tuple[PhraseRule, ...], frozenset[str], frozenset[str]]:
    """The phrase rules of the category files, the growing categories and the single-line
    rules (see :class:`Rulebook`): the same at every strictness level."""
    phrases: list[PhraseRule] = []
    growing: set[str] = set()
    single_line: set[str] = set()
    for category in phrase_categories():
        data = load_rules(category)
        if data.get("grows"):
            growing.add(category)
        for p in data["phrase"]:
            if p.get("grows") is False:
                single_line.add(f"{category}.{p['name']}")
            pattern = re.compile(p["pattern"])
            phrases.append(PhraseRule(category, p["name"], pattern, p["max_words"]))
    return tuple(phrases), frozenset(growing), frozenset(single_line)


@lru_cache(maxsize=1)
def _structure_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """``dated_item_pattern`` and ``not_a_teaser_pattern`` of ``rules/structure.toml``."""
    structure = load_rules("structure")
    return re.compile(structure["dated_item_pattern"]), re.compile(structure["not_a_teaser_pattern"])


@lru_cache(maxsize=1)
def _pattern_set() -> PatternSet:
    """Every pattern the rules test whole lines with, in one set: the phrase rules (first,
    at their positions in ``Rulebook.phrases``), the comment-thread markers and patterns,
    the teaser and list patterns. A line's needed literals are found once for all of them
    (and once per line: see :class:`cleaners.steps.phrase_prefilter.PatternSet`)."""
    thread, lists = _thread_rules(), _list_rules()
    singles = [*_structure_patterns(), lists["teaser_cut"], lists["teaser_elision"], thread.count, thread.zero_count, thread.heading, thread.form]
    return PatternSet([rule.pattern for rule in _phrase_files()[0]] + [m.pattern for m in thread.markers] + singles)


@lru_cache(maxsize=4)
def rulebook(strictness: str) -> Rulebook:
    """Compile the rule files once per process and strictness level."""
    structure = load_rules("structure")
    phrases, growing, single_line = _phrase_files()
    return Rulebook(
        phrases=phrases,
        allowed=_allowed_bits(phrases),
        growing=growing,
        single_line=single_line,
        connectors=frozenset(structure["name_connectors"]),
        title_separator=re.compile(structure["title_separator_pattern"]),
        title_part_min_words=structure["title_part_min_words"],
        thresholds=dict(structure[strictness]),
    )


def split_blocks(text: str) -> list[Block]:
    """The lines of ``text`` that hold more than whitespace, with their spans.

    A whitespace-only line is a paragraph break, like an empty one, and goes with the
    blank lines when the kept blocks are joined. (The spacing step empties such lines;
    with it off, a block without a character would break every rule that reads a line's
    last character.)
    """
    blocks: list[Block] = []
    start = 0
    for line in text.split("\n"):
        if line and not line.isspace():
            words = word_count(line)
            blocks.append(Block(len(blocks), start, start + len(line), line, words, facts=line_facts(line, words)))
        start += len(line) + 1
    return blocks


#: Given a line, why it is a site-template line ("in 9 of 10 documents from ..."), or None.
TemplateCheck = Callable[[str], "str | None"]


@dataclass(frozen=True)
class SecondOpinion:
    """Another extractor's article for the same HTML page (readability's, which trafilatura
    computes anyway: ``extract.Extraction.second_opinion``).

    Two extractors that work differently seldom keep the same junk: a line trafilatura
    keeps and readability leaves out is doubtful, and the line model needs less confidence
    to remove it (``second_opinion_remove``). Lines are compared as sequences of casefolded
    word tokens, so spacing and line breaks do not matter.
    """

    source: str
    #: The article's tokens, space-separated, with a space at each end.
    tokens: str

    @classmethod
    def of(cls, text: str, source: str) -> SecondOpinion:
        return cls(source, f" {normalised_line(text)} ")

    def holds(self, line: str) -> bool:
        """Whether the other article contains the line's words in the same order (a line
        without words: yes, there is nothing to disagree on)."""
        key = normalised_line(line)
        return not key or f" {key} " in self.tokens


def classify_blocks(
    text: str,
    strictness: str = "balanced",
    line_model: bool = True,
    templates: TemplateCheck | None = None,
    page_title: str | None = None,
    second_opinion: SecondOpinion | None = None,
) -> list[Block]:
    """Split ``text`` into blocks and decide, for each, keep (category None) or remove.

    ``page_title``: the title an HTML page's metadata gives (see :func:`_page_title`);
    ``second_opinion``: another extractor's article for the page (see :func:`disagree`)."""
    blocks = apply_rules(text, strictness, templates, page_title)
    if blocks and line_model:
        scores, layout = score_lines([LineView(b.text, b.category, b.evidence) for b in blocks])
        decide(blocks, scores, layout, rulebook(strictness).thresholds)
        if second_opinion is not None:
            disagree(blocks, second_opinion, layout, rulebook(strictness).thresholds)
    _repeated_paragraphs(blocks, rulebook(strictness).thresholds["repeat_min_words"])
    guard_body(blocks, rulebook(strictness).thresholds)
    _cut_pieces(blocks, strictness)
    return blocks


def apply_rules(
    text: str, strictness: str = "balanced", templates: TemplateCheck | None = None, page_title: str | None = None
) -> list[Block]:
    """Passes 1-5: what the rules alone decide (the line model's input)."""
    book = rulebook(strictness)
    blocks = split_blocks(text)
    if not blocks:
        return blocks
    t = book.thresholds
    _apply_phrase_rules(blocks, strictness)
    if templates is not None:
        _site_template(blocks, templates)
    _tweet_bodies(blocks)
    _dated_lists(blocks, t["dated_list_min_items"])
    _teaser_runs(blocks, _list_rules())
    _heading_noise(blocks, book.connectors, t)
    tail_start = int(len(text) * t["tail_fraction"])
    _grow_regions(blocks, book, t, tail_start)
    _list_runs(blocks, _list_rules())
    body_start = _body_start(blocks, t["body_min_words"])
    if page_title:
        _page_title(blocks, body_start, title_forms(page_title, book.title_separator, book.title_part_min_words))
    _lead_labels(blocks, body_start, t["lead_label_max_words"])
    _repeated_headlines(blocks, body_start, t["repeat_window"], t["headline_max_words"])
    _comment_thread(blocks, body_start, t)
    _grow_regions(blocks, book, t, tail_start)
    return blocks


# --- pass 1: phrases -------------------------------------------------------------------


def _apply_phrase_rules(blocks: list[Block], strictness: str) -> None:
    for block in blocks:
        rule = _first_phrase_rule(block.text, block.words, strictness)
        if rule is not None:
            block.assign(rule.category, f"{rule.category}.{rule.name}", evidence=True)


@lru_cache(maxsize=1 << 14)
def _first_phrase_rule(text: str, words: int, strictness: str) -> PhraseRule | None:
    """The first phrase rule that matches the line, if any.

    Memoised on the line: the boilerplate passes re-classify the lines the previous pass
    kept, and a site's widgets recur from page to page; the regex searches are the cost
    (one pass for most lines: see :class:`cleaners.steps.phrase_prefilter.PatternSet`).
    """
    return rulebook(strictness).first_phrase(text, words)


def _site_template(blocks: list[Block], templates: TemplateCheck) -> None:
    """Lines the run has seen on most pages of this site (see :mod:`cleaners.steps.site_templates`)."""
    for block in blocks:
        if block.category is None and (detail := templates(block.text)) is not None:
            block.assign("navigation", "navigation.site_template", evidence=True)
            block.detail = detail


# --- pass 2: structural line rules -----------------------------------------------------


def _tweet_bodies(blocks: list[Block]) -> None:
    """The line before a "— Name (@handle) date" attribution is the embedded post."""
    for prev, block in zip(blocks, blocks[1:]):
        if block.rule == "social.tweet_attribution" and prev.words <= 80 and prev.category in (None, "social"):
            if prev.category is None:
                prev.assign("social", "social.embedded_post", evidence=True)


def _dated_lists(blocks: list[Block], min_items: int) -> None:
    """Runs of "Headline - Month D, YYYY" lines (``dated_item_pattern``) are lists of other stories."""
    run: list[Block] = []
    for block in [*blocks, None]:
        if block is not None and block.category is None and block.words <= 30 and block.facts.dated:
            run.append(block)
            continue
        if len(run) >= min_items:
            for item in run:
                item.assign("related", "related.dated_headline_list", evidence=True)
        run = []


@lru_cache(maxsize=1)
def _list_rules() -> dict[str, Any]:
    """``[lists]`` of ``rules/related.toml``, its patterns compiled."""
    lists = dict(load_rules("related")["lists"])
    for key in ("teaser_cut", "teaser_elision"):
        lists[key] = re.compile(lists[key])
    return lists


_BULLET = re.compile(r"^\s*[-–•*·▪►]\s")


def _teaser_titles(blocks: list[Block], block: Block, is_cut: set[int], rules: dict[str, Any]) -> list[Block]:
    """The title and date lines directly above an excerpt: short, kept, no sentence and no
    introduction (a line ending in "." or ":" leads into the excerpt, as a quote's does)."""
    titles = []
    for above in reversed(blocks[max(block.index - rules["teaser_title_lines"], 0) : block.index]):
        if above.category is not None or above.index in is_cut or above.words > rules["teaser_title_max_words"] or above.text.rstrip()[-1:] in ".:;,":
            break
        titles.append(above)
    return titles


def _teaser_runs(blocks: list[Block], rules: dict[str, Any]) -> None:
    """Two or more excerpts that end in a cut ("[…]", "Read more »") are teasers of other
    posts: they go, each with the title and date lines directly above it.

    A bare elision ("[…]", "[...]") also closes an article's own quotation of a source, so an
    excerpt cut so counts only under a title line; a link ("Read more »") is a teaser alone."""
    cuts = [b for b in blocks if b.category is None and b.words >= rules["teaser_min_words"] and b.facts.teaser_cut]
    is_cut = {b.index for b in cuts}
    teasers = []
    for block in cuts:
        titles = _teaser_titles(blocks, block, is_cut, rules)
        if titles or not block.facts.teaser_elision:
            teasers.append((block, titles))
    if len(teasers) < rules["teaser_min_lines"]:
        return
    for block, titles in teasers:
        block.assign("related", "related.teaser_excerpt", evidence=True)
        for title in titles:
            title.assign("related", "related.teaser_excerpt")


def _list_runs(blocks: list[Block], rules: dict[str, Any]) -> None:
    """A list heading ("More from UK") takes the headline-sized lines after it, beyond the few
    a region absorbs; a line followed by long prose is a subheading and ends the run."""
    for heading in [b for b in blocks if b.rule == "related.section_marker"]:
        for block in blocks[heading.index + 1 : heading.index + 1 + rules["list_max_lines"]]:
            if block.words > rules["list_item_max_words"] or (block.words >= 12 and block.text.rstrip().endswith(".")):
                break
            if block.category is not None:
                continue
            if _BULLET.match(block.text):
                break  # a bulleted list under "Also read:" is often the article's own reading list
            nxt = blocks[block.index + 1] if block.index + 1 < len(blocks) else None
            if nxt is not None and nxt.category is None and nxt.words >= rules["list_stop_prose_words"]:
                break
            block.assign("related", "related.list_item")


def _is_name_line(block: Block, connectors: frozenset[str], max_words: int) -> bool:
    words = block.text.split()
    if not 1 <= len(words) <= max_words or block.text.rstrip()[-1] in _TERMINAL:
        return False
    return all(w[0].isupper() or w[0].isdigit() or w.lower() in connectors for w in words) and words[0][0].isupper()


def _heading_noise(blocks: list[Block], connectors: frozenset[str], t: dict[str, Any]) -> None:
    """Entity-name lines ("Bucha and Mariupol") echoed verbatim by the next paragraph.

    A keyword widget that a scraper pulled in before each paragraph looks like that; so does
    a real subheading ("Art Deco" over "Art Deco is a furniture style..."). They differ as a
    pattern over the whole page: the widget echoes several multi-word names, mostly from
    inside the paragraph; subheadings name the paragraph's topic, often in one word and at
    its start. So the lines go only when the page's echoes together look like the widget
    (on the dev half of wcxb, echoes judged one by one were 155 subheadings to 14 junk).
    """
    echoes = []  # (line, where the next paragraph echoes it)
    for block, nxt in zip(blocks, blocks[1:]):
        if (
            block.category is None
            and nxt.words >= t["heading_noise_next_min_words"]
            and _is_name_line(block, connectors, t["heading_noise_max_words"])
            and (at := nxt.text.find(block.text.strip())) >= 0
        ):
            echoes.append((block, at))
    if len(echoes) < t["heading_noise_min_lines"]:
        return
    multiword = sum(block.words >= 2 for block, _ in echoes) / len(echoes)
    inside = sum(at > 0 for _, at in echoes) / len(echoes)
    if multiword >= t["heading_noise_min_multiword_share"] and inside >= t["heading_noise_min_inside_share"]:
        for block, _ in echoes:
            block.assign("heading_noise", "heading_noise.entity_echo")


# --- pass 3: regions -------------------------------------------------------------------


def _grow_regions(blocks: list[Block], book: Rulebook, t: dict[str, Any], tail_start: int) -> None:
    seeds = [b for b in blocks if b.evidence and b.category in book.growing and b.rule not in book.single_line]
    for block in seeds:
        _absorb_neighbours(blocks, block, t)
    _bridge(blocks, seeds, t, tail_start)


def _absorb_neighbours(blocks: list[Block], seed: Block, t: dict[str, Any]) -> None:
    """Short unassigned lines next to evidence belong to the same widget."""
    for step in (-1, 1):
        i = seed.index + step
        taken = 0
        while 0 <= i < len(blocks) and taken < t["absorb_max_lines"]:
            block = blocks[i]
            if block.category is None and block.words <= t["short_max_words"]:
                block.assign(seed.category, f"{seed.category}.region")
                taken += 1
            elif block.category != seed.category:
                break
            i += step


def _bridge(blocks: list[Block], seeds: list[Block], t: dict[str, Any], tail_start: int) -> None:
    """Join two pieces of same-category evidence (``seeds``, in text order) that are at most
    a few lines apart."""
    last_evidence: dict[str, int] = {}
    for block in seeds:
        prev = last_evidence.get(block.category)
        if prev is not None and 0 < block.index - prev - 1 <= t["bridge_max_lines"]:
            between = blocks[prev + 1 : block.index]
            short_only = all(b.words <= t["short_max_words"] for b in between if b.category is None)
            if short_only or blocks[prev].start >= tail_start:
                for b in between:
                    if b.category is None:
                        b.assign(block.category, f"{block.category}.region")
        last_evidence[block.category] = block.index


# --- pass 4: lead labels and repeated headlines -----------------------------------------


def _body_start(blocks: list[Block], min_words: int) -> int:
    """Index of the first unassigned line that reads like article prose."""
    for block in blocks:
        if block.category is None and block.words >= min_words:
            return block.index
    return len(blocks)


def title_forms(title: str, separator: re.Pattern[str], min_words: int) -> frozenset[str]:
    """The normalised forms of a page's ``<title>`` that a headline line may take: the
    whole title, and the part before or after each site separator ("Headline - Site",
    "Opinion | Headline", "Headline — Part two - Site") when it is ``min_words`` long."""
    cuts = [(m.start(), m.end()) for m in separator.finditer(title)]
    parts = [title[:start] for start, _ in cuts] + [title[end:] for _, end in cuts]
    forms = {normalised_line(part) for part in parts}
    forms = {form for form in forms if form.count(" ") + 1 >= min_words}
    return frozenset(forms | {normalised_line(title)}) - {""}


def _page_title(blocks: list[Block], body_start: int, forms: frozenset[str]) -> None:
    """The first line before the article body that repeats the page's title.

    An HTML page's title comes with its metadata and is the record's ``title``. trafilatura
    puts the headline at the top of the text on about one page in five (when the heading
    sits inside the article's container), so it is removed there: the text of a page is its
    body, on every page alike. ``forms``: the title and its parts without the site's name
    (:func:`title_forms`). Only when a body follows, so that no page is reduced to nothing.
    """
    if body_start >= len(blocks):
        return
    for block in blocks[:body_start]:
        if block.category is None and normalised_line(block.text) in forms:
            block.assign("other", "other.page_title")
            block.detail = "the page's title, in the record's title"
            return


def _lead_labels(blocks: list[Block], body_start: int, max_words: int) -> None:
    """Short unpunctuated lines before the body. A text with no body line at all (a short
    note, a list) has no lead zone: its short lines are the content."""
    if body_start == len(blocks):
        return
    for block in blocks[:body_start]:
        if block.category is None and block.words <= max_words and block.text.rstrip()[-1] not in _TERMINAL:
            block.assign("navigation", "navigation.lead_label")


def _open_to_teaser(block: Block) -> bool:
    """Unassigned, or absorbed into a related region: a repeated line there is a teaser."""
    return block.category is None or block.rule == "related.region"


def _repeated_headlines(blocks: list[Block], body_start: int, window: int, max_words: int) -> None:
    """A line repeated within ``window`` lines: before the body a duplicate, after it a teaser.

    A line that recurs three times or more is not a teaser card (a repeated button, a
    table label, an FAQ heading), nor is a line of code, a list item or a link
    (``not_a_teaser``): those are left to the line model and seed no region.
    """
    keys = [b.facts.key for b in blocks]
    counts = Counter(keys)
    for block in blocks:
        if not _open_to_teaser(block) or not 3 <= block.words <= max_words or block.facts.not_a_teaser:
            continue
        key = keys[block.index]
        if counts[key] >= 3:
            continue
        for other in blocks[block.index + 1 : block.index + 1 + window]:
            if keys[other.index] == key and _open_to_teaser(other):
                if block.index < body_start:
                    other.assign("navigation", "navigation.repeated_line")
                else:
                    block.assign("related", "related.teaser_headline", evidence=True)
                    other.assign("related", "related.teaser_headline", evidence=True)
                break


# --- pass 5: the reader-comment thread ---------------------------------------------------


@dataclass(frozen=True)
class ThreadMarker:
    """One kind of line a reader comment brings (``[[thread.marker]]`` in ``rules/comments.toml``)."""

    name: str
    pattern: re.Pattern[str]
    before: bool  # heads its comment (the thread starts at it), else a button under it
    strong: bool  # two of any strong kinds open a thread
    max_words: int  # 0: any length
    in_comment: bool  # the marker is the comment's own first words ("Great post! ...")


@dataclass(frozen=True)
class ThreadRules:
    """The patterns of ``[thread]`` in ``rules/comments.toml``."""

    heading: re.Pattern[str]
    count: re.Pattern[str]
    zero_count: re.Pattern[str]
    form: re.Pattern[str]
    markers: tuple[ThreadMarker, ...]
    #: ``marker_bits[n]``: the kinds a line of ``n`` words may be (the last entry: any
    #: longer line), as bits of positions in ``markers``.
    marker_bits: tuple[int, ...]


@lru_cache(maxsize=1)
def _thread_rules() -> ThreadRules:
    thread = load_rules("comments")["thread"]
    markers = tuple(
        ThreadMarker(m["name"], re.compile(m["pattern"]), m["at"] == "before", m["strong"], m["max_words"], m.get("in_comment", False))
        for m in thread["marker"]
    )
    longest = max((m.max_words for m in markers), default=0)
    bits = tuple(sum(1 << i for i, m in enumerate(markers) if not m.max_words or words <= m.max_words) for words in range(longest + 2))
    return ThreadRules(*(re.compile(thread[key]) for key in ("heading", "count", "zero_count", "form")), markers, bits)


class _Prose:
    """Prose before and after each line, in constant time per line.

    Prose: the words of sentence-like lines of twelve words or more. The sums are taken
    once per document, so a page with thousands of candidate headings stays linear.
    """

    def __init__(self, blocks: list[Block]) -> None:
        prose = (b.words if _is_prose(b) else 0 for b in blocks)
        self._before = list(accumulate(prose, initial=0))  # _before[i]: prose words in lines < i

    def before(self, index: int) -> int:
        return self._before[index]

    def in_tail(self, index: int) -> bool:
        """Whether less prose follows the line than precedes it."""
        return self._before[-1] - self._before[index + 1] <= self._before[index]


_SENTENCE_END = ".!?…\"”’)。！？」』）"
_PROSE_MIN_WORDS = 12


def _is_prose(block: Block) -> bool:
    return block.words >= _PROSE_MIN_WORDS and block.text.rstrip()[-1] in _SENTENCE_END


def _in_toolbar(blocks: list[Block], block: Block) -> bool:
    """A "Comments" button among share and navigation buttons, not a section heading."""
    neighbours = blocks[max(block.index - 1, 0) : block.index] + blocks[block.index + 1 : block.index + 2]
    return any(b.evidence and b.category in ("navigation", "social") for b in neighbours)


def _comment_thread(blocks: list[Block], body_start: int, t: dict[str, Any]) -> None:
    """Everything from the start of the reader-comment thread to the end of the text.

    Scrapers put reader comments after the article, and comments read like prose (the line
    model keeps many of them), so the thread's heading, a line of its comment form, or its
    comments' own buttons and header lines are the evidence for all of them. Only after the
    article's first prose line (``body_start``); with ``comment_thread_tail_only``, only
    where less prose follows than precedes. Lines another rule already claimed keep their
    own category. The start seeds no region: the short lines just above it are as often the
    article's last ones ("The committee reports in February.", "(Editing by …)") as its
    share buttons, which their own rules find.
    """
    if body_start >= len(blocks):
        return
    rules, prose = _thread_rules(), _Prose(blocks)
    found = _thread_heading(blocks, body_start, t, rules, prose) or _thread_markers(blocks, body_start, t, rules, prose)
    if found is None:
        return
    start, detail = found
    if blocks[start].category is None:
        blocks[start].assign("comments", "comments.thread")
        blocks[start].detail = detail
    for later in blocks[start + 1 :]:
        if later.category is None:
            later.assign("comments", "comments.thread")
            later.detail = detail


def _thread_heading(blocks: list[Block], body_start: int, t: dict[str, Any], rules: ThreadRules, prose: _Prose) -> tuple[int, str] | None:
    """The first heading ("Comments", "12 thoughts on ..."), count or comment-form line, and why.

    A bare count ("124 Comments") is often the byline's link near the top, so it opens the
    thread only in the tail or after ``comment_count_min_prose`` words of prose; a count
    that recurs is a teaser list's counter, and a zero count a widget the article may
    follow. A "Comments" line among share buttons is a button.
    """
    tail_only = t["comment_thread_tail_only"]
    counts = {b.index for b in blocks if b.facts.count}
    for block in blocks[body_start + 1 :]:
        text = block.text.strip()
        short = block.words <= t["comment_marker_max_words"]
        if block.index in counts:
            if len(counts) > 1 or block.facts.zero_count:  # (a count's fact)
                continue
            if not prose.in_tail(block.index) and (tail_only or prose.before(block.index) < t["comment_count_min_prose"]):
                continue
            kind = "count"
        elif block.facts.heading:
            kind = "heading"
        elif short and _comment_form_line(text):
            kind = "comment-form line"
        else:
            continue
        if _in_toolbar(blocks, block) or (tail_only and not prose.in_tail(block.index)):
            continue
        return block.index, f"from the comment {kind} {text[:80]!r} (line {block.index + 1})"
    return None


def _marker_of(block: Block, rules: ThreadRules) -> ThreadMarker | None:
    """The first marker kind (in rule order) the line is, if any."""
    return block.facts.marker


def _marker_of_line(line: str, words: int) -> ThreadMarker | None:
    """The first marker kind of a line (memoised with the line's other facts by
    :func:`line_facts`); only the markers whose needed literals the line holds are
    searched (see :func:`_pattern_set`)."""
    rules, patterns = _thread_rules(), _pattern_set()
    first = patterns.position(rules.markers[0].pattern)  # the markers follow one another in the set
    found = patterns.first(line.strip(), rules.marker_bits[min(words, len(rules.marker_bits) - 1)] << first, line)
    return None if found is None else rules.markers[found - first]


def _is_comment(block: Block, marker: ThreadMarker | None, min_words: int) -> bool:
    """A line that reads as a comment: long enough, and no marker unless the marker is the
    comment's own first words."""
    return block.words >= min_words and (marker is None or marker.in_comment)


def _beside_a_comment(blocks: list[Block], block: Block, marker: ThreadMarker, kinds: dict[int, ThreadMarker]) -> bool:
    """A marker heads a comment or stands under one: one of the two lines after a header,
    the line before a button, has a few words and is no marker (or one inside a comment)."""
    near = blocks[block.index + 1 : block.index + 3] if marker.before else blocks[max(block.index - 1, 0) : block.index]
    return marker.in_comment or any(b.words >= 3 and (b.index not in kinds or kinds[b.index].in_comment) for b in near)


def _thread_markers(blocks: list[Block], body_start: int, t: dict[str, Any], rules: ThreadRules, prose: _Prose) -> tuple[int, str] | None:
    """Where a thread without a heading starts: comment markers after the article.

    A marker that heads a comment ("Jane says:", a commenter's date line, a reader's "Hi
    Melissa," or "Great post!") starts the thread itself; a button under a comment
    ("Reply", "Report abuse", Typepad's "Posted by: X | date") one line up, at its comment.
    Two strong markers anywhere after the body open the thread. The other kinds look like
    page chrome too (a dateline, a toolbar's "Like"), so they count only beside a comment,
    with a comment since the last one and at most ``comment_max_gap`` lines after it: two
    of one kind (kinds that head comments: two different lines) or three of any kinds.
    """
    found = [(b, _marker_of(b, rules)) for b in blocks[body_start + 1 :]]
    marks = [(b, m) for b, m in found if m is not None]
    strong = [(b, m) for b, m in marks if m.strong]
    starts = []
    if len(strong) >= 2:
        starts.append((_thread_start(strong[0], body_start), f"{len(strong)} comment markers ({', '.join(sorted({m.name for _, m in strong}))})"))
    if (run := _marker_run(blocks, found, {b.index: m for b, m in marks}, t)) is not None:
        starts.append((_thread_start(run[0], body_start), f"{len(run)} comment markers ({', '.join(sorted({m.name for _, m in run}))})"))
    if not starts:
        return None
    first, what = min(starts, key=lambda s: s[0])
    if t["comment_thread_tail_only"] and not prose.in_tail(first):
        return None
    return first, f"{what} from line {first + 1}"


def _thread_start(mark: tuple[Block, ThreadMarker], body_start: int) -> int:
    block, marker = mark
    return block.index if marker.before else max(block.index - 1, body_start + 1)


def _marker_run(
    blocks: list[Block], found: list[tuple[Block, ThreadMarker | None]], kinds: dict[int, ThreadMarker], t: dict[str, Any]
) -> list[tuple[Block, ThreadMarker]] | None:
    """The first run of markers that reads as a thread (see :func:`_thread_markers`)."""
    run: list[tuple[Block, ThreadMarker]] = []
    seen: dict[str, set[str]] = {}
    comment_since = True  # a comment since the last counted marker
    for block, marker in found:
        counted = marker is not None and comment_since and _beside_a_comment(blocks, block, marker, kinds)
        if _is_comment(block, marker, t["comment_min_words"]):
            comment_since = True
        if not counted:
            continue  # no comment since the last marker: a toolbar ("Like", "Like"), not a thread
        comment_since = _is_comment(block, marker, t["comment_min_words"])
        if run and block.index - run[-1][0].index > t["comment_max_gap"]:
            run, seen = [], {}  # too far apart to be one thread: start again
        run.append((block, marker))
        lines = seen.setdefault(marker.name, set())
        lines.add(block.text.strip().lower() if marker.before else str(block.index))
        if len(lines) >= 2 or len(run) >= 3:
            return run
    return None


# --- pass 6: the line model -------------------------------------------------------------


def decide(blocks: list[Block], scores: list[float], layout: Layout, t: dict[str, Any]) -> None:
    """Record each line's score; remove unassigned lines the model is confident are junk.

    The model only adds removals: a rule's decision stands (rules carry the explanation a
    reader can check, and they catch widget types the benchmark barely has). The category
    of a model removal comes from where the line sits (see :func:`_zone_category`).
    """
    headline = _headline_index(blocks, layout.body_first)
    for block, score in zip(blocks, scores):
        block.score = score
        if block.category is None and score >= t["model_remove"] and block.index != headline:
            category = _zone_category(blocks, block, layout)
            block.assign(category, f"{category}.line_model")


def disagree(blocks: list[Block], opinion: SecondOpinion, layout: Layout, t: dict[str, Any]) -> None:
    """Remove kept lines the other article leaves out when the model doubts them too.

    A line goes when the other extractor's article does not hold it and its junk score is
    at least ``second_opinion_remove`` (below ``model_remove``: two weak signals that agree).
    Nothing goes when the other article holds less than ``second_opinion_min_share`` of the
    kept words: then it found another part of the page, not a stricter cut of the same
    article. The headline stays, as in :func:`decide`.
    """
    kept = [b for b in blocks if b.category is None and b.score is not None]
    held = {b.index for b in kept if opinion.holds(b.text)}
    words = sum(b.words for b in kept)
    if not words or sum(b.words for b in kept if b.index in held) < t["second_opinion_min_share"] * words:
        return
    headline = _headline_index(blocks, layout.body_first)
    for block in kept:
        if block.index not in held and block.score >= t["second_opinion_remove"] and block.index != headline:
            category = _zone_category(blocks, block, layout)
            block.assign(category, f"{category}.second_opinion")
            block.detail = f"not in {opinion.source}'s article for the page; line model {block.score}"


def _headline_index(blocks: list[Block], body_first: int) -> int | None:
    """The headline: the last heading-like line the rules kept before the article body.

    It stays in the text and becomes the record's title (the spine's contract), so the
    model never removes it even though most benchmark gold texts leave headlines out.
    """
    for block in reversed(blocks[:body_first]):
        if block.category is None and 2 <= block.words <= 20 and block.text.rstrip()[-1] not in NOT_A_HEADING_END:
            return block.index
    return None


def _zone_category(blocks: list[Block], block: Block, layout: Layout) -> str:
    """Comment section -> comments; before the body -> navigation; after it -> related;
    inside it -> the category of adjacent evidence, else ``other``."""
    zone = layout.zone(block.index)
    if zone != "body":
        return {"comments": "comments", "lead": "navigation", "tail": "related"}[zone]
    for neighbour in blocks[max(block.index - 1, 0) : block.index + 2]:
        if neighbour.evidence and neighbour.category:
            return neighbour.category
    return "other"


# --- last: paragraphs the text already holds ---------------------------------------------


def _repeated_paragraphs(blocks: list[Block], min_words: int) -> None:
    """A kept line of ``min_words`` or more that repeats an earlier kept line word for word.

    Articles do not repeat their paragraphs; scrapers do (a caption above the photo and in
    the gallery, a pull quote, a teaser of the article itself, a widget on every card).
    The first copy stays, so no text is lost. Runs after every other decision, so that a
    copy whose twin was removed as junk is judged on its own. Only ``aggressive`` turns it
    on: in ``balanced`` it raised precision on the dev half but cost 0.006 of recall on the
    held-out half of scrapinghub (some articles do repeat a line).
    """
    if min_words <= 0:
        return  # off (the default: see ``repeat_min_words`` in rules/structure.toml)
    first_seen: dict[str, int] = {}
    for block in blocks:
        if block.category is not None or block.words < min_words:
            continue
        key = normalised_line(block.text)
        if key in first_seen:
            block.assign("other", "other.repeated_paragraph")
            block.detail = f"repeats line {first_seen[key] + 1}"
        else:
            first_seen[key] = block.index


# --- last: the body guard ---------------------------------------------------------------
#
# Rules that decide a short line by its shape or its neighbours (a region's absorbed lines,
# lead labels, teaser headlines, the line model) also meet the article's own short lines.
# The guard gives back what only such a rule removed when the line's place says it is
# article text. A phrase rule's evidence and the comment thread stand.

#: Rules that decide a line from its shape, its place or a score, not from its words.
_WEAK_RULE = re.compile(r"\.(region|lead_label|teaser_headline|repeated_line|line_model|second_opinion|list_item|teaser_excerpt)$")
#: "Label: value" lines ("Company Size: 10-50", "Total Reviews: 726").
_FIELD_LINE = re.compile(r"^[-•*·]?\s*[A-Z][\w'’&/()\- ]{0,30}?\s*:\s+\S")
#: The end of a sentence: a word's last letters, its punctuation, then a capital or the end
#: ("1. NordVPN 2. Surfshark" is a list, not sentences).
_SENTENCE = re.compile(r"(?<=[^\W\d_]{2})[.!?…][\"”’)]*(\s+[\"“‘(]?[A-Z]|\s*$)")


def guard_body(blocks: list[Block], t: dict[str, Any]) -> None:
    """Give back article lines that only weak rules removed (see the section comment)."""
    thread = next((b.index for b in blocks if b.rule == "comments.thread"), len(blocks))
    body = blocks[:thread]  # the comment section is not the article's
    _guard_continuations(body)
    _guard_field_runs(body)
    _guard_body_paragraphs(body, t)
    _guard_subheadings(body, t)
    _guard_against_emptying(blocks, t)


def _weakly_removed(block: Block) -> bool:
    return block.category is not None and block.rule is not None and _WEAK_RULE.search(block.rule) is not None


def _restore(block: Block, why: str) -> None:
    block.category, block.rule, block.evidence, block.detail = None, None, False, why


#: Words a sentence does not end on: a line ending so was cut off mid-sentence.
_OPEN_ENDING = re.compile(
    r"(,|\b(a|an|the|of|to|and|or|but|in|on|at|by|for|from|with|as|that|which|who|whose|is|are|was|were|be|been|has|have|had|its|their|his|her|our|your|this|these|than|into|about|over|under|between|not|no|if|when|while|because|so))$"
)


def _guard_continuations(blocks: list[Block]) -> None:
    """A line that continues the kept line before it is the rest of its sentence: it
    starts with a lowercase letter, and that line (five words or more) ends mid-sentence,
    on a comma or a word such as "the", "of" or "and"."""
    for prev, block in zip(blocks, blocks[1:]):
        if (
            _weakly_removed(block)
            and block.text.lstrip()[:1].islower()
            and "://" not in block.text
            and prev.category is None
            and prev.words >= 5
            and _OPEN_ENDING.search(prev.text.rstrip())
        ):
            _restore(block, "kept: it continues the sentence of the line before")


def _guard_field_runs(blocks: list[Block]) -> None:
    """Runs of "Label: value" lines are decided together: when most of a run of three or
    more is kept, its weakly removed members come back (a spec list, a profile)."""
    run: list[Block] = []
    gap = 0
    for block in [*blocks, None]:
        if block is not None and _FIELD_LINE.match(block.text):
            run.append(block)
            gap = 0
            continue
        if block is not None and run and gap < 2:
            gap += 1
            continue
        kept = sum(b.category is None for b in run)
        if len(run) >= 3 and kept >= 2 and kept > len(run) - kept:
            for member in run:
                if _weakly_removed(member):
                    _restore(member, f"kept: {kept} of the {len(run)} field lines around it are")
        run, gap = ([block] if block is not None and _FIELD_LINE.match(block.text) else []), 0


def _kept_prose(block: Block | None, min_words: int) -> bool:
    return block is not None and block.category is None and block.words >= min_words


def _guard_body_paragraphs(blocks: list[Block], t: dict[str, Any]) -> None:
    """A paragraph of several sentences between kept prose on both sides is the body's own:
    the line model alone does not remove it."""
    min_words = t["guard_paragraph_min_words"]
    kept = [b.index for b in blocks if _kept_prose(b, t["body_min_words"])]
    if len(kept) < 2:
        return
    for block in blocks[kept[0] + 1 : kept[-1]]:
        neighbours = blocks[block.index - 1 : block.index + 2 : 2]
        if (
            block.category is not None
            and block.rule is not None
            and block.rule.endswith((".line_model", ".second_opinion"))
            and block.words >= min_words
            and len(_SENTENCE.findall(block.text)) >= 2
            and any(_kept_prose(b, _PROSE_MIN_WORDS) for b in neighbours)
        ):
            _restore(block, "kept: a paragraph of several sentences inside the article body")


def _guard_subheadings(blocks: list[Block], t: dict[str, Any]) -> None:
    """A short heading followed by a kept paragraph of the article is a subheading: after
    kept prose, or at the end of a region that absorbed it (a list ends at the heading of
    the article's next section)."""
    for prev, block, nxt in zip(blocks, blocks[1:], blocks[2:]):
        if (
            _weakly_removed(block)
            and not block.rule.endswith((".teaser_headline", ".repeated_line", ".teaser_excerpt"))  # a repeated line is a card
            and block.words <= t["headline_max_words"]
            and block.text.rstrip()[-1] not in NOT_A_HEADING_END
            and (_kept_prose(prev, t["body_min_words"]) or block.rule.endswith(".region"))
            and _kept_prose(nxt, t["body_min_words"])
            and _SENTENCE.search(nxt.text) is not None
            and not prev.text.rstrip().endswith(("…", "..."))  # a teaser's cut excerpt, then the next card
        ):
            _restore(block, "kept: a subheading, followed by the article's prose")


def _guard_against_emptying(blocks: list[Block], t: dict[str, Any]) -> None:
    """A page with article prose is never emptied: when nothing is kept, the prose lines
    that only weak rules removed come back."""
    if any(b.category is None for b in blocks):
        return
    for block in blocks:
        if _weakly_removed(block) and block.words >= t["body_min_words"] and _SENTENCE.search(block.text):
            _restore(block, "kept: the page would have no text left")


# --- last: parts of lines ----------------------------------------------------------------


@lru_cache(maxsize=1)
def _piece_rules() -> PieceRules:
    return PieceRules.of(load_rules("structure")["pieces"])


def _cut_pieces(blocks: list[Block], strictness: str) -> None:
    """Cut the junk cells of a kept layout row, and the junk items of a long kept line near
    the page's end that holds a bar, bullet or "©" (a footer blob: split at bars, bullets
    and sentence ends, and judged by the rules of footer categories only)."""
    rules = _piece_rules()
    lines = [b.text for b in blocks]
    tail = int(len(blocks) * rules.segment_tail_fraction)
    for block in blocks:
        if block.category is not None:
            continue
        cells = layout_cells(lines, block.index, rules) or [(0, len(block.text))]
        pieces: list[tuple[int, int]] = []
        verdicts: list[tuple[str, str] | None] = []
        for cell in cells:
            long_tail = block.index >= tail and word_count(block.text[cell[0] : cell[1]]) >= rules.segment_min_words
            items = footer_segments(block.text, cell, rules) if long_tail else []
            if items:
                pieces += items
                verdicts += [_phrase_verdict(block.text[a:b], strictness, rules.segment_categories) for a, b in items]
            elif len(cells) > 1:
                pieces.append(cell)
                verdicts.append(_phrase_verdict(block.text[cell[0] : cell[1]], strictness))
        if len(pieces) > 1:
            block.cuts = cut_pieces(block.text, pieces, verdicts, "cell" if len(cells) > 1 else "item")


def _phrase_verdict(text: str, strictness: str, categories: frozenset[str] | None = None) -> tuple[str, str] | None:
    """The (category, rule) of the first phrase rule that removes ``text`` as a line."""
    rule = _first_phrase_rule(text, word_count(text), strictness)
    if rule is None or (categories is not None and rule.category not in categories):
        return None
    return rule.category, f"{rule.category}.{rule.name}"
