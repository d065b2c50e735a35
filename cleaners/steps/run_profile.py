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
from itertools import compress
from operator import and_, itemgetter, not_
from typing import Any, Callable, Hashable, Iterable, Mapping, Sequence, TypeVar

from cleaners.steps.site_templates import document_keys, line_key, template_detail

#: A word: letters, with inner apostrophes ("Biden’s" is one token).
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")

#: :data:`WORD` as a group: ``split`` yields the text between words and the words in one pass.
_WORD_AND_GAPS = re.compile(f"({WORD.pattern})")

#: Text where tokens must not be corrected: URLs, e-mail addresses, @handles, #tags.
PROTECTED = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+|[@#]\w+|\w+\.(?:com|org|net|co|io)\b\S*")

#: What every :data:`PROTECTED` match holds: "://" or "www." (a URL), "@" (an address or a
#: handle), "#" (a tag), or a dot before a domain ending (``\w+.com``).
_PROTECTED_MARK = re.compile(r"[@#]|://|www\.|\.(?:co|org|net|io)")

#: The rest of a run of non-space characters.
_NON_SPACE = re.compile(r"\S*")

#: Counts kept in a merged profile are pruned to entries seen at least this often once the
#: profile grows past this size, which bounds memory on very large runs.
MAX_ENTRIES = 2_000_000

#: Answers a profile remembers (:meth:`CorpusProfile.derived`) before it forgets them all.
MAX_DERIVED = 100_000

_T = TypeVar("_T")


def protected_spans(text: str) -> list[tuple[int, int]]:
    """The spans of ``PROTECTED.finditer(text)``, found about ten times faster.

    ``PROTECTED`` tries four patterns at every character of the text. Yet every match lies
    inside one run of non-space characters holding a :data:`_PROTECTED_MARK`, and nothing
    outside that run can change it (``\\S`` and ``\\b`` stop at a space as at the end of
    the text), so only those runs, usually a handful per document, are searched.
    """
    spans: list[tuple[int, int]] = []
    run_end = 0
    for mark in _PROTECTED_MARK.finditer(text):
        if mark.start() < run_end:
            continue  # in the run just searched
        run_start = mark.start()
        while run_start > 0 and not text[run_start - 1].isspace():  # isspace() is exactly \s
            run_start -= 1
        run_end = _NON_SPACE.match(text, mark.start()).end()
        spans.extend(m.span() for m in PROTECTED.finditer(text, run_start, run_end))
    return spans


def is_capitalised(token: str) -> bool:
    return token[0].isupper() and not token.isupper()


def capitalised_counts(counts: Mapping[str, int]) -> dict[str, int]:
    """The entries of ``counts`` whose word :func:`is_capitalised`, in the same order, tested
    with no Python call per word: most words of a document fail the first test."""
    first_upper = list(compress(counts, map(str.isupper, map(itemgetter(0), counts))))
    return {name: counts[name] for name in compress(first_upper, map(not_, map(str.isupper, first_upper)))}


#: Where a name cannot continue: a sentence end or a clause break between two words.
_NAME_BREAK = re.compile(r"[.!?;:,()\[\]\"“”|—–-]\s|\n")


def tokenise(text: str) -> tuple[list[str], list[str]]:
    """The words of ``text`` (``WORD.findall``) and the gaps around them (``WORD.split``:
    ``gaps[i]`` lies just before ``words[i]``, ``gaps[-1]`` after the last word), in one
    regular-expression pass, for steps that need both and would otherwise scan twice."""
    parts = _WORD_AND_GAPS.split(text)
    return parts[1::2], parts[0::2]


def capitalised_runs(text: str) -> Iterable[tuple[str, str]]:
    """Adjacent capitalised word pairs ("Vladimir", "Putin") within a clause: "on Monday.
    Antony" is no pair, so a weekday never vouches for a spelling of the name after it."""
    yield from capitalised_pairs(*tokenise(text))


def capitalised_pairs(
    tokens: Sequence[str], gaps: Sequence[str], capitalised: Iterable[str] | None = None
) -> list[tuple[str, str]]:
    """:func:`capitalised_runs` for text already split by :func:`tokenise`; ``capitalised``
    optionally names the distinct capitalised tokens, when the caller knows them already.

    Tokenising once per document and testing each distinct word once (not every
    occurrence) is what makes this cheap. A clause break never touches a letter, so two
    neighbouring tokens share a clause exactly when the gap between them holds no break.
    """
    caps = set(capitalised) if capitalised is not None else {t for t in set(tokens) if is_capitalised(t)}
    flags = list(map(caps.__contains__, tokens))
    pairs: list[tuple[str, str]] = []
    for i in compress(range(1, len(tokens)), map(and_, flags, flags[1:])):
        gap = gaps[i]
        if gap == " " or not _NAME_BREAK.search(gap):
            pairs.append((tokens[i - 1], tokens[i]))
    return pairs


@dataclass
class CorpusProfile:
    """Counts over a whole run, used by the typo, name-variant and site-template rules."""

    documents: int = 0
    capitalised: Counter[str] = field(default_factory=Counter)
    name_pairs: Counter[str] = field(default_factory=Counter)
    unknown_lower: Counter[str] = field(default_factory=Counter)
    host_documents: Counter[str] = field(default_factory=Counter)
    host_lines: Counter[str] = field(default_factory=Counter)
    #: See :meth:`derived`; never pickled, emptied whenever the counts change.
    _derived: dict[Hashable, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def derived(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        """``compute()``, remembered under ``key`` until the counts change (through
        :meth:`add_text` or :meth:`absorb`).

        The cleaning pass asks the same questions of the run profile document after
        document ("which spellings one edit away from 'Vladmir' does the run know?");
        ``compute`` must depend only on the counts and on ``key``, so that no answer
        depends on which documents came first. Bounded: past :data:`MAX_DERIVED` answers,
        all are dropped. Safe across threads (the worst case is an answer computed twice).
        """
        try:
            return self._derived[key]
        except KeyError:
            pass
        value = compute()
        if len(self._derived) >= MAX_DERIVED:
            self._derived.clear()
        self._derived[key] = value
        return value

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_derived"}  # a cache, not data

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._derived = {}

    def add_text(self, text: str, is_known: Callable[[str], bool], host: str | None = None) -> None:
        """Count one document (each distinct token once per document for unknown words).

        With ``host``, also count the document's distinct lines for that host (site templates).
        """
        if host is not None:
            self.host_documents[host] += 1
            self.host_lines.update(map(f"{host}\t".__add__, document_keys(text)))
        self.add_words(*tokenise(text), is_known)

    def add_words(self, tokens: Sequence[str], gaps: Sequence[str], is_known: Callable[[str], bool]) -> None:
        """:meth:`add_text` (without a host) for a document already split by :func:`tokenise`."""
        self._derived.clear()
        self.documents += 1
        # Each distinct token is judged once: a document repeats most of its words.
        counts = Counter(tokens)
        capitalised = capitalised_counts(counts)
        self.capitalised.update(capitalised)
        unknown: set[str] = set()
        for token in counts:  # first-seen order, as before: the set (and counter) order stays the same
            if token not in capitalised and token.islower() and not is_known(token):
                unknown.add(token)
        self.unknown_lower.update(unknown)
        self.name_pairs.update(f"{a} {b}" for a, b in capitalised_pairs(tokens, gaps, capitalised))

    def absorb(self, other: "CorpusProfile") -> "CorpusProfile":
        """Add ``other``'s counts to this profile, in place; returns self.

        Merging shard after shard into one profile, rather than building a new one each
        time, keeps a long run's memory from fragmenting into copies of the counters.
        """
        self.documents += other.documents
        self.capitalised.update(other.capitalised)
        self.name_pairs.update(other.name_pairs)
        self.unknown_lower.update(other.unknown_lower)
        self.host_documents.update(other.host_documents)
        self.host_lines.update(other.host_lines)
        self._prune()
        return self

    def _prune(self) -> None:
        self._derived.clear()
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
