"""Phrase prefilters: which phrase patterns can match a line, by a substring test.

A regex search scans the whole line; a substring test is several times faster. For a
phrase pattern, required_literals() reads off its parse tree a few literal strings one of
which any match must contain; a line that contains none of them (compared lowercase)
cannot match, so the pattern is not searched. :class:`PatternSet` tests the needs of all
patterns at once, in one Aho-Corasick pass over the line, and searches only the patterns
whose needs it holds, in order. This only skips searches that would fail: which rule
matches a line is unchanged.

Used by :mod:`cleaners.steps.boilerplate` (``Rulebook.first_phrase``, ``line_facts``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import ahocorasick  # pyahocorasick: every needed literal a line holds, in one pass (PatternSet)

try:  # the regex parser, to find the literal text a phrase pattern needs (see required_literals)
    from re import _constants as _sre, _parser as _sre_parse  # Python >= 3.11
except ImportError:  # pragma: no cover  (Python 3.10)
    import sre_constants as _sre  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]


#: Characters outside ASCII that a case-insensitive pattern matches to an ASCII letter
#: (İ ı -> i, ſ -> s, K -> k; all of them, checked over every code point with Python 3.11's
#: ``re``). ``str.lower`` does not map all of them to that letter, so a line holding one is
#: searched with every pattern.
_ODD_CASE = "\u0130\u0131\u017f\u212a"


def _lowered(text: str) -> str | None:
    """``text.lower()``, in which every case-insensitive match of an ASCII literal is that
    literal in lowercase; None when that does not hold (see ``_ODD_CASE``)."""
    if not text.isascii() and any(c in text for c in _ODD_CASE):
        return None
    return text.lower()


def _is_plain(code: int) -> bool:
    """A literal character that stays itself, lowercased, in any line it matches: ASCII
    (which lowers without context), or uncased (matched exactly even case-insensitively)."""
    char = chr(code)
    return char.isascii() or char.lower() == char == char.upper()


def required_literals(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Lowercase strings one of which (lowercased) text contains whenever ``pattern``
    matches it; None when no such strings are found.

    Anchored patterns (``^...``) get them too: a failing anchored search is cheap, but with
    :class:`PatternSet` a need costs nothing, and it spares the call (dozens per line)."""
    try:
        parsed = _sre_parse.parse(pattern.pattern, pattern.flags)
        if parsed.state.flags & _sre.SRE_FLAG_LOCALE:
            return None
        found = _sequence_literals(parsed.data)
    except Exception:  # noqa: BLE001  (a parser this code does not know: no prefilter)
        return None
    return tuple(sorted(s.lower() for s in found)) if found else None


def anchored_at_start(pattern: re.Pattern[str]) -> bool:
    """Whether every match of ``pattern`` starts at the start of the text (``^...``, or
    alternatives that all begin with ``^``: the parser factors the common ``^`` out)."""
    return _starts_anchored(_sre_parse.parse(pattern.pattern, pattern.flags))


def _starts_anchored(parsed: Any) -> bool:
    return parsed.data[:1] == [(_sre.AT, _sre.AT_BEGINNING)]


def _sequence_literals(items: Any) -> set[str] | None:
    """What a sequence of parsed regex items needs: its longest run of plain literal
    characters, or the most selective need of one of its mandatory parts (a group, an
    alternation whose every branch needs something, a repeat of at least one)."""
    options: list[set[str]] = []
    run: list[str] = []
    for op, arg in items:
        if op is _sre.LITERAL and _is_plain(arg):
            run.append(chr(arg))
            continue
        if run:
            options.append({"".join(run)})
            run = []
        inner = _item_literals(op, arg)
        if inner:
            options.append(inner)
    if run:
        options.append({"".join(run)})
    return max(options, key=lambda strings: min(map(len, strings)), default=None)


_REPEATS = tuple(getattr(_sre, name) for name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") if hasattr(_sre, name))
_ATOMIC_GROUP = getattr(_sre, "ATOMIC_GROUP", object())  # Python >= 3.11


def _item_literals(op: Any, arg: Any) -> set[str] | None:
    if op is _sre.IN:  # a class of plain characters ("[>»›]"): one of them
        chars = {chr(code) for kind, code in arg if kind is _sre.LITERAL and _is_plain(code)}
        return chars if len(chars) == len(arg) else None
    if op is _sre.SUBPATTERN:
        return _sequence_literals(arg[-1].data)
    if op is _sre.BRANCH:
        branches = [_sequence_literals(branch.data) for branch in arg[1]]
        return None if not all(branches) else set().union(*branches)  # type: ignore[arg-type]
    if op in _REPEATS and arg[0] >= 1:
        body = list(arg[2].data)
        if len(body) == 1 and body[0][0] is _sre.LITERAL and _is_plain(body[0][1]):  # " {4}": four spaces in a row
            return {chr(body[0][1]) * min(arg[0], 8)}
        return _sequence_literals(arg[2].data)
    if op is _ATOMIC_GROUP:
        return _sequence_literals(arg.data)
    return None  # other character sets, anchors, lookarounds, backreferences: nothing needed


class PatternSet:
    """Which patterns of an ordered set can match a line, and the first that does.

    The plain answer searches with each pattern in turn. Here one Aho-Corasick pass over the
    lowercased line finds every needed literal it holds (see :func:`required_literals`), for
    all the patterns at once, and only the patterns whose needs it holds, or that have none,
    are searched. The answer is the plain loop's: a pattern skipped cannot match (the tests
    check it on bench lines). The literals a line holds are memoised per line: the
    boilerplate step tests the same lines with several rules, on each of its passes.
    """

    def __init__(self, patterns: Sequence[re.Pattern[str]]) -> None:
        self.patterns = tuple(patterns)
        needs = [required_literals(pattern) for pattern in self.patterns]
        self._all = (1 << len(self.patterns)) - 1
        #: Bits (one per pattern, by position) of the patterns without needs: always searched.
        self._always = sum(1 << i for i, literals in enumerate(needs) if not literals)
        self._needs = _needs_automaton(needs)
        self._position: dict[int, int] = {}
        for i, pattern in enumerate(self.patterns):
            self._position.setdefault(id(pattern), i)
        self.candidates = lru_cache(maxsize=1 << 15)(self._candidates)

    def position(self, pattern: re.Pattern[str]) -> int:
        """Where ``pattern`` (this very object) is in the set."""
        return self._position[id(pattern)]

    def first(self, text: str, allowed: int, line: str | None = None) -> int | None:
        """The position of the first pattern that matches ``text``, among those whose bit is
        set in ``allowed``, or None. ``line``: a text that holds ``text`` (the line it was
        stripped from), whose memoised literals serve for it."""
        candidates = self.candidates(text if line is None else line) & allowed
        while candidates:
            lowest = candidates & -candidates
            i = lowest.bit_length() - 1
            if self.patterns[i].search(text):
                return i
            candidates ^= lowest
        return None

    def finder(self, line: str) -> Callable[[re.Pattern[str], str], bool]:
        """``found(pattern, text)``: whether ``pattern`` (of the set) finds a match in
        ``text``, which is ``line`` or a part of it (its needs are looked up in ``line``)."""
        candidates = self.candidates(line)
        return lambda pattern, text: bool(candidates >> self.position(pattern) & 1) and pattern.search(text) is not None

    def _candidates(self, line: str) -> int:
        """Bits of the patterns that can match ``line``: those without needs and those one of
        whose needs the line holds (all, when the lowercase comparison does not hold for the
        line: see ``_ODD_CASE``)."""
        lowered = _lowered(line)
        if lowered is None:
            return self._all
        found = self._always
        if self._needs is not None:
            for _, bits in self._needs.iter(lowered):
                found |= bits
        return found


def _needs_automaton(needs: Sequence[tuple[str, ...] | None]) -> Any:
    """An Aho-Corasick automaton from each needed literal to the bits of the patterns that
    need it (None when no pattern needs any)."""
    bits: dict[str, int] = {}
    for i, literals in enumerate(needs):
        for literal in literals or ():
            bits[literal] = bits.get(literal, 0) | 1 << i
    if not bits:
        return None
    automaton = ahocorasick.Automaton()
    for literal, mask in bits.items():
        automaton.add_word(literal, mask)
    automaton.make_automaton()
    return automaton
