"""Applying edits to tracked text and recording them, shared by every repair step.

A repair step proposes :class:`ProposedEdit` values in current-text offsets; this module
applies them and turns each into an :class:`~cleaners.record.Edit` whose ``start``/``end``
point into the decoded input. Steps never modify text any other way, which is what makes
"every edit is recorded" true by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .record import Edit
from .textmap import Change, TrackedText


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
