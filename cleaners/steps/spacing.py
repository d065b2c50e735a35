"""Step 3: spacing and punctuation normalisation, rules in ``rules/spacing.toml``.

Each rule is applied in turn over the whole text and every match is recorded as an edit.
Paragraph structure (line breaks) is preserved; the final paragraph layout is decided
when the kept blocks are joined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from cleaners.steps.changed_spans import ProposedEdit, apply_edits
from cleaners.record import Edit
from cleaners.rules import load_rules
from cleaners.tracked_text import TrackedText


@dataclass(frozen=True)
class SpacingRule:
    name: str
    kind: str
    pattern: re.Pattern[str]
    replacement: str


@lru_cache(maxsize=1)
def spacing_rules() -> tuple[SpacingRule, ...]:
    return tuple(
        SpacingRule(r["name"], r["kind"], re.compile(r["pattern"]), r["replacement"])
        for r in load_rules("spacing")["rule"]
    )


def normalise_spacing(tracked: TrackedText, enabled: bool = True) -> tuple[TrackedText, list[Edit]]:
    """Apply every spacing/punctuation rule, returning the new text and the edits made."""
    if not enabled:
        return tracked, []
    edits: list[Edit] = []
    for rule in spacing_rules():
        proposed = [
            ProposedEdit(m.start(), m.end(), m.expand(rule.replacement), rule.kind, rule.name)
            for m in rule.pattern.finditer(tracked.text)
        ]
        if proposed:
            tracked, made = apply_edits(tracked, proposed)
            edits.extend(made)
    return tracked, edits
