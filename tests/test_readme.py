"""The README's promises that can drift: its Python example runs and prints what its
comments say, its example record is what that code makes of the seed, and every relative
link of the README and of docs/*.md points to a file that exists (and, with an anchor, to
a heading of that file).

The example's ```python blocks are executed as written, in one namespace, from the
repository root (they read ``seeds/``), with the cleaners only: no Prefect server.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cleaners.record import Record

from .conftest import ROOT

README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]

_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.S | re.M)
_LINK = re.compile(r"(?<!!)\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)


def json_blocks(text: str) -> list[str]:
    return re.findall(r"^```json\n(.*?)^```", text, re.S | re.M)


@pytest.fixture(scope="module")
def example():
    """The namespace after the README's python blocks, and what they printed."""
    import contextlib
    import io
    import os

    blocks = python_blocks(README.read_text(encoding="utf-8"))
    assert blocks, "the README has no ```python block"
    namespace: dict = {"__name__": "readme_example"}
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with contextlib.redirect_stdout(out):
            for number, code in enumerate(blocks, 1):
                exec(compile(code, f"README.md [python block {number}]", "exec"), namespace)
    finally:
        os.chdir(cwd)
    return namespace, out.getvalue(), blocks


def test_python_example_cleans_a_seed_into_a_record_with_removals_and_an_edit(example):
    namespace, printed, _ = example
    record = namespace["record"]
    assert isinstance(record, Record)
    assert Path(record.source.uri).parent.name == "seeds" and record.text.strip()
    assert record.removed and record.stats.removed_chars > 0 and len(record.text) < record.stats.chars_in
    # the offsets point into the decoded input, as the README says
    decoded = (ROOT / record.source.uri).read_bytes().decode(record.source.encoding)
    assert all(decoded[r.start : r.end] == r.text for r in record.removed)
    assert all(decoded[e.start : e.end] == e.before for e in record.edits)
    assert [(e.before, e.after) for e in record.edits] == [("Vladmir", "Vladimir")]  # needs the run profile
    assert printed.strip(), "the example prints nothing"
    # clean_text on a string: the article line stays, the two widget lines go
    result, language = namespace["result"], namespace["language"]
    assert language.code == "en"
    assert result.text == "The council met on Tuesday and agreed the budget after a long debate."


def test_python_example_prints_what_its_comments_say(example):
    """A ``print(...)  # expected`` line: the expected text is one line of what was printed."""
    _, printed, blocks = example
    expectations = [m.group(1).strip() for code in blocks for m in re.finditer(r"^print\(.*\)\s+#\s*(.+)$", code, re.M)]
    assert expectations, "no print line with its expected output in a comment"
    lines = [line.strip() for line in printed.splitlines()]
    for expected in expectations:
        assert expected in lines, f"the README says a print shows {expected!r}; it printed:\n{printed}"


def test_example_record_matches_what_the_example_makes_of_the_seed(example):
    """The README's example record is seed 003's: its content fields, stats and the removal
    and edit it shows are the real ones (``language.foreign_paragraphs`` illustrates the
    field's shape; ids, paths and run metadata are placeholders)."""
    namespace, _, _ = example
    record = json.loads(namespace["record"].model_dump_json())
    (shown,) = json_blocks(README.read_text(encoding="utf-8"))
    shown = json.loads(shown)
    assert Path(record["source"]["uri"]).name.startswith(Path(shown["source"]["uri"]).name.split("…")[0])
    assert shown["stats"] == record["stats"]
    assert {k: record["source"][k] for k in ("bytes", "format", "encoding", "url")} == {
        k: shown["source"][k] for k in ("bytes", "format", "encoding", "url")
    }
    assert shown["language"]["code"] == record["language"]["code"]
    assert all(removal in record["removed"] for removal in shown["removed"])
    assert shown["edits"] == record["edits"]
    assert shown["pipeline"]["version"] == record["pipeline"]["version"]
    assert set(shown) <= set(record)


# -- links ---------------------------------------------------------------------------------


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, link and code marks dropped, punctuation
    but ``-`` and ``_`` removed, spaces as ``-``."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).replace("`", "").lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for line in _FENCE.sub("", page.read_text(encoding="utf-8")).splitlines():
        match = re.match(r"^#{1,6}\s+(.+?)\s*#*\s*$", line)
        if match:
            base = slug(match.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(page: Path) -> list[str]:
    text = _FENCE.sub("", page.read_text(encoding="utf-8"))
    text = re.sub(r"`[^`\n]*`", "", text)  # code spans show link syntax, they are no links
    return _LINK.findall(text)


def test_slug_follows_github():
    assert slug("Run it on a schedule") == "run-it-on-a-schedule"
    assert slug("Output: the run folder, the record, the review page") == "output-the-run-folder-the-record-the-review-page"
    assert slug("1. The records of one run") == "1-the-records-of-one-run"
    assert slug("Benchmarks: measured `quality` and speed") == "benchmarks-measured-quality-and-speed"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_to_files_and_headings_that_exist(page):
    targets = links(page)
    if page == README:
        assert targets, "no link found in the README: the link pattern is broken"
    broken = []
    for target in targets:
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no file {file}")
            continue
        if anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{target}: no heading #{anchor} in {file.relative_to(ROOT)}")
    assert not broken, f"{page.relative_to(ROOT)}:\n" + "\n".join(broken)


def test_readme_links_each_docs_page():
    linked = {Path(t.partition("#")[0]).name for t in links(README) if t.startswith("docs/")}
    pages = {p.name for p in (ROOT / "docs").iterdir() if p.suffix in (".md", ".json")}
    assert pages <= linked, f"docs pages the README does not link: {sorted(pages - linked)}"
