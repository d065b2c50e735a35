"""Stopword lists per language (jusText's, shipped inside the ``justext`` package).

Used by the line model (stopword share is a strong sign of prose) and by the language step
(a paragraph with few of the document language's stopwords may be in another language).
The code -> list mapping is data: ``[stoplists]`` in ``rules/language.toml``.
"""

from __future__ import annotations

from functools import lru_cache

from cleaners.rules import load_rules


@lru_cache(maxsize=None)
def stoplist(code: str) -> frozenset[str] | None:
    """Casefolded stopwords of language ``code`` (ISO 639-1), None when there is no list."""
    name = load_rules("language")["stoplists"].get(code)
    if name is None:
        return None
    import justext  # noqa: PLC0415  (lazy: about 0.2 s, only when needed)

    return frozenset(word.casefold() for word in justext.get_stoplist(name))


@lru_cache(maxsize=1)
def all_stoplists() -> tuple[frozenset[str], ...]:
    """Every list, in the order of ``rules/language.toml``."""
    return tuple(stoplist(code) for code in load_rules("language")["stoplists"])  # type: ignore[misc]
