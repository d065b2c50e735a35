"""Text that remembers where every character came from.

Every cleaning step works on the current text, but the record reports removals and edits
as offsets into the *decoded input* (before any cleaning), so that a reader can always
check ``decoded[start:end] == text``. ``TrackedText`` carries, for each code point of the
current text, the span of the decoded input it came from; steps produce new
``TrackedText`` values through :meth:`TrackedText.replace` and :meth:`TrackedText.select`,
which keep that mapping exact for untouched characters. A character an edit wrote came
from everything that edit replaced (and an inserted one from an empty span where it went
in), so a later edit inside it still names a span a reader can find in the decoded input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np


@dataclass(frozen=True)
class Change:
    """Replace ``current[start:end]`` with ``replacement`` (current-text offsets)."""

    start: int
    end: int
    replacement: str


class TrackedText:
    """Current text plus, for each code point, the decoded-input span it came from.

    ``origin`` has ``len(text) + 1`` entries, where each code point's span starts: the last
    one is the decoded offset just past the end, so that an end offset equal to
    ``len(text)`` maps too. ``ends`` has ``len(text)`` entries, where each span ends: one
    past ``origin`` for an untouched code point, the end of the replaced text for one an
    edit wrote. Both are numpy ``int64`` arrays, 8 bytes an entry (as lists of Python ints
    they took 36 bytes an entry, over 300 MB for a document at the 5 MB size limit), built
    and cut a slice at a time: a step that keeps or replaces stretches of the text copies
    array slices instead of walking the characters (as ``array("q", range(n))`` did, about
    a fifth of a millisecond per document).
    """

    __slots__ = ("text", "origin", "ends")

    def __init__(self, text: str, origin: np.ndarray | None = None, ends: np.ndarray | None = None) -> None:
        self.text = text
        self.origin = origin if origin is not None else np.arange(len(text) + 1, dtype=np.int64)
        self.ends = ends if ends is not None else self.origin[1:]
        if len(self.origin) != len(text) + 1 or len(self.ends) != len(text):
            raise ValueError("origin must have len(text) + 1 entries and ends len(text)")

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Decoded-input span covered by ``current[start:end]``: from where its first code
        point came from to where the next one's came from, or to the end of what its last
        one came from when that reaches further (the span ends inside text an edit wrote:
        "\xa0" in the middle of the "\xa0\xa0\xa0" that ftfy made of "Â Â Â ")."""
        if end <= start:
            return int(self.origin[start]), int(self.origin[start])
        return int(self.origin[start]), int(max(self.origin[end], self.ends[end - 1]))

    def replace(self, changes: Sequence[Change]) -> "TrackedText":
        """Apply non-overlapping changes (any order) and return the new tracked text.

        Inserted characters come from the decoded span of what they replace (an empty span
        at its start for a pure insertion).
        """
        if not changes:
            return self
        pieces: list[str] = []
        origins: list[np.ndarray] = []
        ends: list[np.ndarray] = []
        pos = 0
        for change in sorted(changes, key=lambda c: (c.start, c.end)):
            if change.start < pos:
                raise ValueError(f"overlapping changes at {change.start}")
            pieces.append(self.text[pos : change.start])
            origins.append(self.origin[pos : change.start])
            ends.append(self.ends[pos : change.start])
            pieces.append(change.replacement)
            start = self.origin[change.start]
            end = self.ends[change.end - 1] if change.end > change.start else start
            origins.append(np.full(len(change.replacement), start, dtype=np.int64))
            ends.append(np.full(len(change.replacement), end, dtype=np.int64))
            pos = change.end
        pieces.append(self.text[pos:])
        origins.append(self.origin[pos:])
        ends.append(self.ends[pos:])
        return TrackedText("".join(pieces), np.concatenate(origins), np.concatenate(ends))

    def select(self, spans: Iterable[tuple[int, int]], separator: str) -> "TrackedText":
        """Keep only ``spans`` (in order), joined by ``separator`` (inserted: an empty span)."""
        pieces: list[str] = []
        origins: list[np.ndarray] = []
        ends: list[np.ndarray] = []
        last_end: int | None = None
        for start, end in spans:
            if last_end is not None:
                pieces.append(separator)
                joint = np.full(len(separator), self.origin[last_end], dtype=np.int64)
                origins.append(joint)
                ends.append(joint)
            pieces.append(self.text[start:end])
            origins.append(self.origin[start:end])
            ends.append(self.ends[start:end])
            last_end = end
        origins.append(self.origin[last_end : last_end + 1] if last_end is not None else self.origin[-1:])
        empty = np.empty(0, dtype=np.int64)
        return TrackedText("".join(pieces), np.concatenate(origins), np.concatenate(ends) if ends else empty)
