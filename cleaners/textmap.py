"""Text that remembers where every character came from.

Every cleaning step works on the current text, but the record reports removals and edits
as offsets into the *decoded input* (before any cleaning), so that a reader can always
check ``decoded[start:end] == text``. ``TrackedText`` carries, for each code point of the
current text, its offset in the decoded input; steps produce new ``TrackedText`` values
through :meth:`TrackedText.replace` and :meth:`TrackedText.select`, which keep that
mapping exact for untouched characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence


@dataclass(frozen=True)
class Change:
    """Replace ``current[start:end]`` with ``replacement`` (current-text offsets)."""

    start: int
    end: int
    replacement: str


class TrackedText:
    """Current text plus the decoded-input offset of each code point.

    ``origin`` has ``len(text) + 1`` entries: the last one is the decoded offset just past
    the end, so that an end offset equal to ``len(text)`` maps too.
    """

    __slots__ = ("text", "origin")

    def __init__(self, text: str, origin: list[int] | None = None) -> None:
        self.text = text
        self.origin = origin if origin is not None else list(range(len(text) + 1))
        if len(self.origin) != len(text) + 1:
            raise ValueError("origin must have len(text) + 1 entries")

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Decoded-input span covered by ``current[start:end]``."""
        return self.origin[start], self.origin[max(start, end)]

    def replace(self, changes: Sequence[Change]) -> "TrackedText":
        """Apply non-overlapping changes (any order) and return the new tracked text.

        Inserted characters map to the decoded offset of the start of what they replace.
        """
        if not changes:
            return self
        pieces: list[str] = []
        origin: list[int] = []
        pos = 0
        for change in sorted(changes, key=lambda c: (c.start, c.end)):
            if change.start < pos:
                raise ValueError(f"overlapping changes at {change.start}")
            pieces.append(self.text[pos : change.start])
            origin.extend(self.origin[pos : change.start])
            pieces.append(change.replacement)
            origin.extend([self.origin[change.start]] * len(change.replacement))
            pos = change.end
        pieces.append(self.text[pos:])
        origin.extend(self.origin[pos:])
        return TrackedText("".join(pieces), origin)

    def select(self, spans: Iterable[tuple[int, int]], separator: str) -> "TrackedText":
        """Keep only ``spans`` (in order), joined by ``separator``."""
        pieces: list[str] = []
        origin: list[int] = []
        last_end: int | None = None
        for start, end in spans:
            if last_end is not None:
                pieces.append(separator)
                origin.extend([self.origin[last_end]] * len(separator))
            pieces.append(self.text[start:end])
            origin.extend(self.origin[start:end])
            last_end = end
        origin.append(self.origin[last_end] if last_end is not None else self.origin[-1])
        return TrackedText("".join(pieces), origin)
