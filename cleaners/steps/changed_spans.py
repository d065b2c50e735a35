"""Applying edits to tracked text and recording them, shared by every repair step.

A repair step proposes :class:`ProposedEdit` values in current-text offsets; this module
applies them and turns each into an :class:`~cleaners.record.Edit` whose ``start``/``end``
point into the decoded input. Steps never modify text any other way, which is what makes
"every edit is recorded" true by construction.

A step that rewrites a whole line at once (ftfy, Unicode normalisation) gets its edits from
:func:`diff_edits`, whose cost grows linearly with the line (see :func:`changed_spans`).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from itertools import accumulate
from typing import Iterable, Iterator, Sequence

from cleaners.record import Edit
from cleaners.tracked_text import Change, TrackedText


@dataclass(frozen=True)
class ProposedEdit:
    start: int
    end: int
    replacement: str
    kind: str
    rule: str


def apply_edits(tracked: TrackedText, proposed: Iterable[ProposedEdit]) -> tuple[TrackedText, list[Edit]]:
    """Apply non-overlapping edits; later edits that overlap an earlier one are dropped."""
    accepted: list[ProposedEdit] = []
    last_end = -1
    for edit in sorted(proposed, key=lambda e: (e.start, e.end)):
        if edit.start < last_end or tracked.text[edit.start : edit.end] == edit.replacement:
            continue
        accepted.append(edit)
        last_end = edit.end
    records = [
        Edit(
            kind=edit.kind,
            rule=edit.rule,
            before=tracked.text[edit.start : edit.end],
            after=edit.replacement,
            start=tracked.original_span(edit.start, edit.end)[0],
            end=tracked.original_span(edit.start, edit.end)[1],
        )
        for edit in accepted
    ]
    changed = tracked.replace([Change(e.start, e.end, e.replacement) for e in accepted])
    return changed, records


# ----------------------------------------------------------------------------- diffs

#: What a line and its repair are aligned on, coarse to fine. Mojibake never touches ASCII
#: (every byte of a UTF-8 sequence is >= 0x80, and windows-1252 shows each as a non-ASCII
#: character), and ftfy's other fixes change a few characters at a time, so the words of
#: ASCII letters and digits of a line and of its repair are the same but for a few: they
#: are the anchors. Between two anchors that differ, a long stretch (a paragraph of Cyrillic
#: mojibake between two English words) is aligned again on runs of non-ASCII characters and
#: single ASCII characters; what differs after that is compared character by character.
_ANCHORS: tuple[re.Pattern[str], ...] = (
    re.compile(r"([A-Za-z0-9]+)"),
    re.compile(r"([A-Za-z0-9]+|[^\x00-\x7f]+|[\x00-\x7f])"),
)
#: Anchors looked ahead for the next equal pair after a difference. ftfy's changes are a
#: few tokens long (an entity, a mojibake run); a difference that does not end within this
#: many anchors is compared as one stretch (bounded: see SMALL_DIFFERENCE).
RESYNC_WINDOW = 64
#: Stretches up to this many characters on each side are compared character by character
#: with difflib (bounded cost); a longer one that no anchor splits is one replacement.
SMALL_DIFFERENCE = 64

Span = tuple[int, int, int, int]


def diff_edits(before: str, after: str, offset: int, kind: str, rule: str) -> list[ProposedEdit]:
    """Replacements turning ``before`` into ``after`` (``offset``: where ``before`` starts)."""
    return [ProposedEdit(offset + i1, offset + i2, after[j1:j2], kind, rule) for i1, i2, j1, j2 in changed_spans(before, after)]


def changed_spans(before: str, after: str) -> list[Span]:
    """``(i1, i2, j1, j2)`` for each stretch where ``before[i1:i2]`` became ``after[j1:j2]``,
    in order; the text between stretches is equal in both.

    Time linear in the length of the line. ``difflib.SequenceMatcher`` over a whole line
    (used until stop 30) is quadratic or worse: a 25,000-character line of mojibake took
    18 s, 50,000 characters 158 s. Here the common prefix and suffix are set aside, the
    rest is aligned on anchors (:data:`_ANCHORS`) with a bounded look-ahead, and only the
    short stretches between anchors that differ are compared character by character.
    Over every line ftfy changes in the bench's texts (869 lines as they are, 96,067 made
    mojibake), this records no more edits than difflib did on any text but a few in
    Russian and Korean, where difflib's longest-block heuristic recorded a paragraph as a
    few misaligned replacements and this one replacement per word.
    """
    if before == after:
        return []
    head = _common_prefix(before, after)
    tail = _common_suffix(before, after, min(len(before), len(after)) - head)
    return _spans(before[head : len(before) - tail], after[head : len(after) - tail], head, head, 0)


def _spans(a: str, b: str, i0: int, j0: int, level: int) -> list[Span]:
    """The spans of ``a`` -> ``b`` (which start at ``i0`` and ``j0``), aligned on the anchors
    of ``level`` and finer. A short stretch gets difflib's spans when they are one, or
    fewer than the anchors give: on a tie the anchors win, as difflib pairs stray equal
    characters ("” —" from "â€\x9d â€\x94", whose dash ends in "”": a deletion and an
    insertion) where the anchors pair whole mojibake runs (two replacements)."""
    if not a or not b or level == len(_ANCHORS):
        return _refined(a, b, i0, j0)
    if len(a) <= SMALL_DIFFERENCE and len(b) <= SMALL_DIFFERENCE:
        character_level = _refined(a, b, i0, j0)
        if len(character_level) <= 1:
            return character_level
        finer = _anchored(a, b, i0, j0, level)
        return finer if len(finer) <= len(character_level) else character_level
    return _anchored(a, b, i0, j0, level)


def _anchored(a: str, b: str, i0: int, j0: int, level: int) -> list[Span]:
    """The spans between the anchors of ``level`` that pair up, each found at the next level."""
    pattern = _ANCHORS[level]
    parts_a, parts_b = pattern.split(a), pattern.split(b)  # gap, anchor, gap, ..., anchor, gap
    at_a, at_b = [0, *accumulate(map(len, parts_a))], [0, *accumulate(map(len, parts_b))]
    spans: list[Span] = []
    if parts_a[1::2] == parts_b[1::2]:  # the same anchors (mojibake alone): compare the gaps
        for k in range(0, len(parts_a), 2):
            if parts_a[k] != parts_b[k]:
                spans += _spans(parts_a[k], parts_b[k], i0 + at_a[k], j0 + at_b[k], level + 1)
        return spans
    end_a = end_b = 0
    for i, j in _equal_pairs(parts_a[1::2], parts_b[1::2]):
        start_a, start_b = at_a[2 * i + 1], at_b[2 * j + 1]
        if a[end_a:start_a] != b[end_b:start_b]:
            spans += _spans(a[end_a:start_a], b[end_b:start_b], i0 + end_a, j0 + end_b, level + 1)
        end_a, end_b = at_a[2 * i + 2], at_b[2 * j + 2]
    if a[end_a:] != b[end_b:]:
        spans += _spans(a[end_a:], b[end_b:], i0 + end_a, j0 + end_b, level + 1)
    return spans


def _refined(a: str, b: str, i0: int, j0: int) -> list[Span]:
    """The spans of one stretch without anchors: character by character when it is short."""
    if a == b:
        return []
    if not a or not b or len(a) > SMALL_DIFFERENCE or len(b) > SMALL_DIFFERENCE or set(a).isdisjoint(b):
        return [(i0, i0 + len(a), j0, j0 + len(b))]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return [(i0 + i1, i0 + i2, j0 + j1, j0 + j2) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def _equal_pairs(a: Sequence[str], b: Sequence[str]) -> Iterator[tuple[int, int]]:
    """Positions ``(i, j)`` where ``a[i] == b[j]`` pair up, in order, greedily: after a
    difference, the nearest equal pair (fewest tokens skipped on both sides) goes on."""
    n, m = len(a), len(b)
    i = j = 0
    while i < n and j < m:
        if a[i] != b[j]:
            skip = _resync(a, b, i, j)
            if skip is None:
                return
            i, j = i + skip[0], j + skip[1]
        yield i, j
        i, j = i + 1, j + 1


def _resync(a: Sequence[str], b: Sequence[str], i: int, j: int) -> tuple[int, int] | None:
    """Tokens to skip in ``a`` and ``b`` from a difference at ``(i, j)`` to the nearest
    equal pair within :data:`RESYNC_WINDOW`; None when there is none."""
    n, m = len(a), len(b)
    # the usual shapes first: one token replaced, removed or inserted
    if i + 1 < n and j + 1 < m and a[i + 1] == b[j + 1]:
        return 1, 1
    if i + 1 < n and a[i + 1] == b[j]:
        return 1, 0
    if j + 1 < m and a[i] == b[j + 1]:
        return 0, 1
    first: dict[str, int] = {}
    for dj in range(min(RESYNC_WINDOW, m - j)):
        first.setdefault(b[j + dj], dj)
    best: tuple[int, int] | None = None
    for di in range(min(RESYNC_WINDOW, n - i)):
        if best is not None and di >= sum(best):
            break
        dj = first.get(a[i + di])
        if dj is not None and (best is None or di + dj < sum(best)):
            best = (di, dj)
    return best


def _common_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix, by bisection (C-speed slice comparisons)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(a: str, b: str, limit: int) -> int:
    """Length of the longest common suffix, at most ``limit``."""
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle :] == b[len(b) - middle :]:
            low = middle
        else:
            high = middle - 1
    return low
