"""The encoding step's gate never hides a change: where ``_may_change`` says False, ftfy
(as ``repair_encoding`` calls it, then the leftover-mojibake fix) returns the line as is.

Checked on every distinct line of the bench texts (``../shared/bench``, skipped if absent)
for the default options and with ``uncurl_quotes``/``fix_latin_ligatures`` on (a sample for
the other normalisation forms), and on generated lines full of mojibake, entities,
controls, quotes and ligatures.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import ftfy
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleaners.config import EncodingOptions
from cleaners.steps.encoding import _LINE, _fix_leftover_mojibake, _ftfy_config, _may_change

BENCH = Path(__file__).resolve().parent.parent.parent / "shared" / "bench"
SETS = ("scrapinghub", "wcxb-dev-articles", "dragnet-train")
FIELDS = ("scraped_text", "page_text", "gold_text")
OPTIONS = {
    "default": EncodingOptions(),
    "uncurl+ligatures": EncodingOptions(uncurl_quotes=True, fix_latin_ligatures=True),
    "NFKC": EncodingOptions(normalization="NFKC"),
    "no normalization": EncodingOptions(normalization="none"),
}


def repaired(line: str, options: EncodingOptions) -> str:
    """What ``repair_encoding`` makes of a line it does not skip."""
    fixed, _ = ftfy.fix_and_explain(line, config=_ftfy_config(options))
    return _fix_leftover_mojibake(fixed)


def hidden_changes(lines, options: EncodingOptions) -> tuple[list[str], int]:
    """The lines the gate skips although ftfy would change them; how many it skips."""
    skipped = [line for line in lines if not _may_change(line, options)]
    return [line for line in skipped if repaired(line, options) != line], len(skipped)


@pytest.fixture(scope="module")
def bench_lines() -> list[str]:
    if not all((BENCH / f"{name}.jsonl.gz").exists() for name in SETS):
        pytest.skip(f"no bench in {BENCH}")
    lines: set[str] = set()
    for name in SETS:
        with gzip.open(BENCH / f"{name}.jsonl.gz", "rt", encoding="utf-8") as rows:
            for row in map(json.loads, rows):
                for field in FIELDS:
                    lines.update(m.group() for m in _LINE.finditer(row.get(field) or ""))
    return sorted(lines)


# Every distinct bench line for the options the bench runs with and for uncurl/ligatures on;
# a sample of them (every 5th, in a fixed order) for the normalisation forms.
@pytest.mark.parametrize(("name", "every"), [("default", 1), ("uncurl+ligatures", 1), ("NFKC", 5), ("no normalization", 5)])
def test_gate_hides_no_change_on_bench(bench_lines: list[str], name: str, every: int) -> None:
    options = OPTIONS[name]
    lines = bench_lines[::every]
    hidden, skipped = hidden_changes(lines, options)
    assert hidden == []
    assert skipped > len(lines) // 2  # and the gate does skip: most bench lines cannot change


_MOJIBAKE = st.sampled_from(["é", "ü", "™", "①", "—", "“", "”", "’", "€", "ñ", "😀", "\u00a0", "ß", "я", "中"]).map(
    lambda s: s.encode("utf-8").decode("sloppy-windows-1252")
)
_PIECES = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_characters="\n"), max_size=8),
    _MOJIBAKE,
    _MOJIBAKE.map(lambda s: s.encode("sloppy-windows-1252").decode("latin-1")),  # C1 controls
    st.sampled_from(["&amp;", "&eacute;", "&EACUTE;", "&#233;", "&#x2019;", "&nbsp;", "&not", "&checkmark;", "<b>", "&"]),
    st.sampled_from(["\x00", "\x07", "\x0b", "\x0c", "\x1b[31m", "\x7f", "\x85", "\x9d", "\u200b", "\u206a", "\ufeff", "\ufff9", "\r", "\t"]),
    st.sampled_from(["\u2018", "\u2019", "\u201c", "\u201d", "\u02bc", "\u201f", "ﬁ", "ﬂ", "ĳ", "ǆ", "ŉ"]),
    st.sampled_from(["e\u0301", "\u212b", "\uff21", "\u00c3 ", "Ã\xa0", "\ud800", "\udc00", "â€", "Ã©"]),
    st.sampled_from([" ", "word ", "Caf", "na", "ve "]),
)
_LINES = st.lists(_PIECES, min_size=1, max_size=12).map("".join).map(lambda s: s.replace("\n", " ")).filter(bool)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line=_LINES, name=st.sampled_from(list(OPTIONS)))
def test_gate_hides_no_change_on_generated_lines(line: str, name: str) -> None:
    assert hidden_changes([line], OPTIONS[name])[0] == []


@pytest.mark.parametrize(
    "line",
    ["cafÃ©", "â„¢ only", "&eacute;t&eacute;", "bell\x07", "\x1b[31mred", "C1 \x85 here", "e\u0301", "\ufeffbom", "lone \ud800"],
)
def test_gate_says_true_where_ftfy_changes(line: str) -> None:
    assert repaired(line, EncodingOptions()) != line
    assert _may_change(line, EncodingOptions())
