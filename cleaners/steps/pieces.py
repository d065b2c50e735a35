"""Parts of one line decided apart: the cells of a layout row, the items of a footer blob.

The boilerplate step decides whole lines, but a scraper flattens some markup into one line
that mixes junk and article: an old table-layout page comes as ``| Home | Refer a friend |
<caption> | <article text> |``, a footer as "All data gathered by ... | Privacy Policy |
© 2012 ...". Such a line is split into *pieces*; the phrase rules judge each piece as they
judge a line, and the junk pieces are cut with their own offsets (a removal need not be a
whole line). What is kept of the line stays in order, each run of kept pieces a paragraph.

Only lines of these shapes are split (patterns and bounds are data, ``[pieces]`` in
``rules/structure.toml``): a row of cells that is not part of a data table (a table
``trafilatura`` renders has a ``|---|`` rule under its header row, other scrapers give rows
of one width without it, and its cells are the article's), and a long line near the end of
the page whose items are separated by bars or bullets or are sentences, judged only by the
rules of footer categories.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

Span = tuple[int, int]
#: The (category, rule) that removes a piece, or None to keep it.
Verdict = tuple[str, str] | None


@dataclass(frozen=True)
class Cut:
    """A removed piece of a line: ``start``/``end`` in the line, with the text around it that
    only separated it from the next piece (bars, bullets, spaces)."""

    start: int
    end: int
    category: str
    rule: str
    detail: str


@dataclass(frozen=True)
class PieceRules:
    """``[pieces]`` of ``rules/structure.toml``, compiled."""

    cell_separator: re.Pattern[str]
    table_rule: re.Pattern[str]
    segment_separator: re.Pattern[str]
    segment_min_words: int
    segment_mark: re.Pattern[str]
    segment_categories: frozenset[str]
    segment_tail_fraction: float

    @classmethod
    def of(cls, data: dict) -> PieceRules:
        return cls(
            re.compile(data["cell_separator"]),
            re.compile(data["table_rule"]),
            re.compile(data["segment_separator"]),
            data["segment_min_words"],
            re.compile(data["segment_mark"]),
            frozenset(data["segment_categories"]),
            data["segment_tail_fraction"],
        )


def content_spans(line: str, separator: re.Pattern[str]) -> list[Span]:
    """The stretches of ``line`` between separators, without their surrounding spaces."""
    spans, pos = [], 0
    for match in [*separator.finditer(line), None]:
        end = match.start() if match is not None else len(line)
        piece = line[pos:end]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            spans.append((pos + lead, pos + len(piece.rstrip())))
        if match is not None:
            pos = match.end()
    return spans


def layout_cells(lines: Sequence[str], index: int, rules: PieceRules) -> list[Span] | None:
    """The cells of ``lines[index]`` when it is a layout row: two cells or more, and no data
    table around it (no ``|---|`` rule among the run of bar-separated lines it belongs to, and
    no row just above or below with as many cells: some scrapers drop the rule)."""
    line = lines[index]
    if not rules.cell_separator.search(line):
        return None
    cells = content_spans(line, rules.cell_separator)
    if len(cells) < 2:
        return None
    first = last = index
    while first > 0 and rules.cell_separator.search(lines[first - 1]):
        first -= 1
    while last + 1 < len(lines) and rules.cell_separator.search(lines[last + 1]):
        last += 1
    if any(rules.table_rule.search(other) for other in lines[first : last + 1]):
        return None
    neighbours = [lines[i] for i in (index - 1, index + 1) if first <= i <= last]
    if any(len(content_spans(other, rules.cell_separator)) == len(cells) for other in neighbours):
        return None  # rows of one width: a data table rendered without its |---| rule
    return cells


def footer_segments(line: str, span: Span, rules: PieceRules) -> list[Span]:
    """The items of ``line[span]``, split at bars, bullets and sentence ends (offsets in the
    line); none for a stretch without a bar, bullet or "©" (article prose, not a footer)."""
    start, end = span
    if not rules.segment_mark.search(line, start, end):
        return []
    return [(start + a, start + b) for a, b in content_spans(line[start:end], rules.segment_separator)]


def cut_pieces(line: str, pieces: Sequence[Span], verdicts: Sequence[Verdict], what: str) -> list[Cut]:
    """Cut the pieces whose verdict is a (category, rule); none when that is none or all of
    them (a line of nothing but junk is the line rules' to decide).

    What stays are runs of kept pieces with the separators between them (and the line's
    edge, where a run reaches it); every other character goes with a cut: each cut takes
    the separator after it (the last piece: the line's end), and the first of a run of
    cuts also the separator before it (the first piece: the line's start).
    """
    if all(v is None for v in verdicts) or all(v is not None for v in verdicts):
        return []
    last = len(pieces) - 1
    cuts = []
    for i, verdict in enumerate(verdicts):
        if verdict is None:
            continue
        start = 0 if i == 0 else pieces[i][0] if verdicts[i - 1] is not None else pieces[i - 1][1]
        end = len(line) if i == last else pieces[i + 1][0]
        cuts.append(Cut(start, end, verdict[0], verdict[1], f"{what} {i + 1} of {len(pieces)}"))
    return cuts


def kept_spans(length: int, cuts: Sequence[Cut]) -> list[Span]:
    """The parts of a line of ``length`` characters that no cut covers, in order."""
    spans, pos = [], 0
    for cut in sorted(cuts, key=lambda c: c.start):
        if cut.start > pos:
            spans.append((pos, cut.start))
        pos = max(pos, cut.end)
    if pos < length:
        spans.append((pos, length))
    return spans
