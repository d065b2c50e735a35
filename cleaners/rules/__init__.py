"""Cleaning rules kept as data: one TOML file per concern, read once per process.

Code in ``cleaners/`` decides *how* rules apply; these files say *what* the rules are
(patterns, phrase lists, thresholds), so a reader finds every rule in one obvious file and
can change one without touching logic.

A removal category is its file: a file with a top-level ``category`` key (named after it,
``<category>.toml``) makes the category and says where it goes (``order``,
``phrase_order``) and how the report shows it (``colour``). :func:`categories` reads them
all; the record's ``Category`` vocabulary and ``stats.removals`` key order, the order in
which phrase rules are tried and the report's colours are built from them. The table of
``docs/categories.md`` (by hand) and ``docs/record.schema.json`` (``make schema``) are
checked against them by ``tests/test_categories.py``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Mapping


@lru_cache(maxsize=None)
def load_rules(name: str) -> dict[str, Any]:
    """The parsed ``cleaners/rules/<name>.toml``."""
    text = resources.files(__name__).joinpath(f"{name}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


class CategoryFileError(ValueError):
    """A category file that does not say what the category needs (the message names it)."""


@dataclass(frozen=True)
class CategoryRules:
    """What a category's file says of the category itself."""

    name: str
    #: Its place among the categories (``order``, ascending): the order of
    #: ``stats.removals`` keys in every record, of the schema's enum and of the report.
    order: int
    #: Its colour in the report (``colour``, ``#rrggbb``).
    colour: str
    #: Its place among the categories with phrase rules (``phrase_order``, ascending): the
    #: first category whose rule matches a line decides. None: no ``[[phrase]]`` rules (a
    #: structural category, decided in ``cleaners/steps/boilerplate.py``).
    phrase_order: int | None


_COLOUR = re.compile(r"#[0-9a-f]{6}")


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_categories(files: Mapping[str, Mapping[str, Any]]) -> tuple[CategoryRules, ...]:
    """The categories of ``files`` (file stem -> parsed TOML; files without a ``category``
    key are other rules), in ``order``; a :class:`CategoryFileError` naming the file and the
    key to fix when one is missing, malformed or taken by another category."""
    found: list[CategoryRules] = []
    for stem, data in sorted(files.items()):
        where = f"cleaners/rules/{stem}.toml"
        if "category" not in data:
            if "phrase" in data:
                raise CategoryFileError(f'{where} has [[phrase]] rules but no `category = "{stem}"`: the rules of no category are never tried')
            continue
        if data["category"] != stem:
            raise CategoryFileError(f"{where} says category = {data['category']!r}: a category's file is named after it ({data['category']}.toml)")
        order = data.get("order")
        if not _integer(order):
            raise CategoryFileError(
                f"{where} needs `order = <integer>`: the category's place among the others (stats.removals keys, "
                "the schema, the report), ascending; the other category files show the numbers taken"
            )
        colour = data.get("colour")
        if not isinstance(colour, str) or not _COLOUR.fullmatch(colour):
            raise CategoryFileError(f'{where} needs `colour = "#rrggbb"` (six lowercase hex digits): the category\'s colour in the report')
        has_phrases = bool(data.get("phrase"))
        phrase_order = data.get("phrase_order")
        if has_phrases and not _integer(phrase_order):
            raise CategoryFileError(
                f"{where} has [[phrase]] rules but no `phrase_order = <integer>`: the category's place in the order the "
                "phrase rules are tried (the first category whose rule matches a line decides), ascending"
            )
        if phrase_order is not None and not has_phrases:
            raise CategoryFileError(f"{where} has a phrase_order but no [[phrase]] rules: remove phrase_order, or add the rules")
        found.append(CategoryRules(stem, order, colour, phrase_order))
    for key in ("order", "colour", "phrase_order"):
        taken: dict[object, str] = {}
        for category in found:
            value = getattr(category, key)
            if value is None:
                continue
            if value in taken:
                raise CategoryFileError(
                    f"cleaners/rules/{taken[value]}.toml and cleaners/rules/{category.name}.toml both say {key} = {value!r}: give each category its own"
                )
            taken[value] = category.name
    return tuple(sorted(found, key=lambda c: c.order))


#: A line of a file that may make it a category file (only those are parsed here: the
#: record module, and with it every command, reads the categories at import).
_CATEGORY_KEY = re.compile(r"^[ \t]*(category[ \t]*=|\[\[[ \t]*phrase[ \t]*\]\])", re.MULTILINE)


@lru_cache(maxsize=1)
def categories() -> tuple[CategoryRules, ...]:
    """Every removal category, from the category files of this package, in ``order``."""
    files = [p for p in resources.files(__name__).iterdir() if p.name.endswith(".toml")]
    stems = [p.name[: -len(".toml")] for p in files if _CATEGORY_KEY.search(p.read_text(encoding="utf-8"))]
    return check_categories({stem: load_rules(stem) for stem in stems})


def phrase_categories() -> tuple[str, ...]:
    """The categories with phrase rules, in the order their rules are tried."""
    with_phrases = [c for c in categories() if c.phrase_order is not None]
    return tuple(c.name for c in sorted(with_phrases, key=lambda c: c.phrase_order))  # type: ignore[arg-type, return-value]
