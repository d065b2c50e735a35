"""A removal category lives in its file, ``cleaners/rules/<category>.toml``.

The record's vocabulary, the order of ``stats.removals``, the phrase rules' order and the
report's colours are built from those files; what is written by hand (docs/categories.md)
or generated and checked in (docs/record.schema.json) is checked against them here, each
failure naming the file to update.
"""

from __future__ import annotations

import json
import re

import pytest

from cleaners.steps.line_model import EVIDENCE_CATEGORIES
from cleaners.record import CATEGORIES, SCHEMA_PATH, render_schema
from cleaners.rules import CategoryFileError, categories, check_categories, phrase_categories

from .conftest import ROOT

DOCS = ROOT / "docs" / "categories.md"


def documented_categories() -> list[str]:
    """The first cells of the rows of docs/categories.md's category table, in order."""
    lines = DOCS.read_text(encoding="utf-8").splitlines()
    header = next(i for i, line in enumerate(lines) if re.match(r"\|\s*category\s*\|", line))
    rows = []
    for line in lines[header + 2 :]:  # after the header and its |---| rule
        if not line.startswith("|"):
            break
        rows.append(line.split("|")[1].strip().strip("`"))
    return rows


def test_docs_have_a_row_per_category_in_order():
    documented = documented_categories()
    for i, category in enumerate(CATEGORIES):
        where = f"after the row of `{CATEGORIES[i - 1]}`" if i else "as the first row"
        assert category in documented, (
            f"docs/categories.md lacks category {category!r} (cleaners/rules/{category}.toml): "
            f"add a row  | `{category}` | what it removes | examples |  to its table, {where}"
        )
    for category in documented:
        assert category in CATEGORIES, (
            f"docs/categories.md has a row for {category!r}, which no file in cleaners/rules/ defines: remove the row"
        )
    assert documented == list(CATEGORIES), (
        f"docs/categories.md lists the categories as {documented}; the rule files' `order` gives "
        f"{list(CATEGORIES)}: reorder the table's rows"
    )


def test_schema_is_the_one_the_rule_files_give():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    enum = schema["$defs"]["Removal"]["properties"]["category"]["enum"]
    stale = "docs/record.schema.json is stale: run `make schema` (python -m cleaners.record) and commit it"
    assert enum == list(CATEGORIES), f"{stale}; it names the categories {enum}, the rule files {list(CATEGORIES)}"
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render_schema(), stale


def test_the_report_colours_and_the_phrase_order_are_the_files():
    from cleaners.steps.boilerplate import rulebook
    from cleaners.run.report import CATEGORY_COLOURS

    assert CATEGORY_COLOURS == {c.name: c.colour for c in categories()}
    assert list(CATEGORY_COLOURS) == list(CATEGORIES)
    tried = list(dict.fromkeys(rule.category for rule in rulebook("balanced").phrases))
    assert tried == list(phrase_categories())


def test_line_model_evidence_names_existing_categories():
    """The line model's ``evidence_*`` features are fixed by its training, not built from the
    rule files; a renamed or removed category would silently lose its feature."""
    for category in EVIDENCE_CATEGORIES:
        assert category in CATEGORIES, (
            f"cleaners/steps/line_model.py EVIDENCE_CATEGORIES names {category!r}, which no file in cleaners/rules/ defines: "
            "rename it there and retrain (benchmarks/train_line_model.py --write)"
        )


PHRASE = [{"name": "x", "max_words": 5, "pattern": "x"}]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"toy": {"category": "toys"}}, "cleaners/rules/toy.toml says category = 'toys'"),
        ({"toy": {"phrase": PHRASE}}, 'cleaners/rules/toy.toml has [[phrase]] rules but no `category = "toy"`'),
        ({"toy": {"category": "toy", "colour": "#123456"}}, "cleaners/rules/toy.toml needs `order = <integer>`"),
        ({"toy": {"category": "toy", "order": True, "colour": "#123456"}}, "needs `order = <integer>`"),
        ({"toy": {"category": "toy", "order": 5}}, 'cleaners/rules/toy.toml needs `colour = "#rrggbb"`'),
        ({"toy": {"category": "toy", "order": 5, "colour": "red"}}, 'needs `colour = "#rrggbb"`'),
        ({"toy": {"category": "toy", "order": 5, "colour": "#123456", "phrase": PHRASE}}, "has [[phrase]] rules but no `phrase_order"),
        ({"toy": {"category": "toy", "order": 5, "colour": "#123456", "phrase_order": 1}}, "has a phrase_order but no [[phrase]] rules"),
        (
            {"a": {"category": "a", "order": 5, "colour": "#123456"}, "b": {"category": "b", "order": 5, "colour": "#654321"}},
            "cleaners/rules/a.toml and cleaners/rules/b.toml both say order = 5",
        ),
        (
            {"a": {"category": "a", "order": 5, "colour": "#123456"}, "b": {"category": "b", "order": 6, "colour": "#123456"}},
            "both say colour = '#123456'",
        ),
    ],
)
def test_a_category_file_that_misses_a_key_is_named(files, message):
    with pytest.raises(CategoryFileError) as caught:
        check_categories(files)
    assert message in str(caught.value)


def test_categories_come_in_their_files_order_and_other_files_are_not_categories():
    files = {
        "b": {"category": "b", "order": 1, "colour": "#000001", "phrase": PHRASE, "phrase_order": 2},
        "a": {"category": "a", "order": 2, "colour": "#000002", "phrase": PHRASE, "phrase_order": 1},
        "structure": {"phrase_thresholds": 1},
    }
    assert [c.name for c in check_categories(files)] == ["b", "a"]
