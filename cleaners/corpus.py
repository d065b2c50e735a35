"""Run-wide evidence, gathered in a first pass over all documents of a run.

Some decisions cannot be made from one document alone: "Vladmir" is a typo because the
rest of the run says "Vladimir Putin" many times; "frack" is a deliberate word because
several documents use it. :class:`CorpusProfile` holds those counts. It is built per shard
(``profile_text`` over each document), merged, and handed to every cleaning task; it is
small (only capitalised tokens, their pairs, and lowercase tokens unknown to the
dictionary) and mergeable in any order, so the result does not depend on sharding.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable

from .templates import document_keys, line_key, template_detail

#: A word: letters, with inner apostrophes ("Biden’s" is one token).
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")

#: Text where tokens must not be corrected: URLs, e-mail addresses, @handles, #tags.
PROTECTED = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+|[@#]\w+|\w+\.(?:com|org|net|co|io)\b\S*")

#: Counts kept in a merged profile are pruned to entries seen at least this often once the
#: profile grows past this size, which bounds memory on very large runs.
MAX_ENTRIES = 2_000_000


def is_capitalised(token: str) -> bool:
    return token[0].isupper() and not token.isupper()


#: Where a name cannot continue: a sentence end or a clause break between two words.
_NAME_BREAK = re.compile(r"[.!?;:,()\[\]\"“”|]\s|\n")


def capitalised_runs(text: str) -> Iterable[tuple[str, str]]:
    """Adjacent capitalised word pairs ("Vladimir", "Putin") within a clause: "on Monday.
    Antony" is no pair, so a weekday never vouches for a spelling of the name after it."""
    for clause in _NAME_BREAK.split(text):
        tokens = WORD.findall(clause)
        for left, right in zip(tokens, tokens[1:]):
            if is_capitalised(left) and is_capitalised(right):
                yield left, right


@dataclass
class CorpusProfile:
    """Counts over a whole run, used by the typo, name-variant and site-template rules."""

    documents: int = 0
    capitalised: Counter[str] = field(default_factory=Counter)
    name_pairs: Counter[str] = field(default_factory=Counter)
    unknown_lower: Counter[str] = field(default_factory=Counter)
    host_documents: Counter[str] = field(default_factory=Counter)
    host_lines: Counter[str] = field(default_factory=Counter)

    def add_text(self, text: str, is_known: Callable[[str], bool], host: str | None = None) -> None:
        """Count one document (each distinct token once per document for unknown words).

        With ``host``, also count the document's distinct lines for that host (site templates).
        """
        self.documents += 1
        if host is not None:
            self.host_documents[host] += 1
            self.host_lines.update(f"{host}\t{key}" for key in document_keys(text))
        unknown: set[str] = set()
        for token in WORD.findall(text):
            if is_capitalised(token):
                self.capitalised[token] += 1
            elif token.islower() and not is_known(token):
                unknown.add(token)
        self.unknown_lower.update(unknown)
        self.name_pairs.update(f"{a} {b}" for a, b in capitalised_runs(text))

    def merge(self, other: "CorpusProfile") -> "CorpusProfile":
        merged = CorpusProfile(
            documents=self.documents + other.documents,
            capitalised=self.capitalised + other.capitalised,
            name_pairs=self.name_pairs + other.name_pairs,
            unknown_lower=self.unknown_lower + other.unknown_lower,
            host_documents=self.host_documents + other.host_documents,
            host_lines=self.host_lines + other.host_lines,
        )
        merged._prune()
        return merged

    def _prune(self) -> None:
        for counter in (self.capitalised, self.name_pairs, self.unknown_lower, self.host_lines):
            if len(counter) > MAX_ENTRIES:
                for key in [k for k, v in counter.items() if v < 2]:
                    del counter[key]

    def template_detail(self, host: str, line: str) -> str | None:
        """Why ``line`` is a template line of ``host`` ("in 40 of 42 documents from ..."), or None."""
        key = line_key(line)
        if key is None or self.host_documents[host] == 0:
            return None
        return template_detail(host, self.host_documents[host], self.host_lines[f"{host}\t{key}"])

    @classmethod
    def of_texts(cls, texts: Iterable[str], is_known: Callable[[str], bool]) -> "CorpusProfile":
        profile = cls()
        for text in texts:
            profile.add_text(text, is_known)
        return profile
