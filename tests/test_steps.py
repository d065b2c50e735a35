"""The steps' one shape (cleaners/steps/__init__.py): what clean_text runs, what each step says it
changed, per-step counts and timings, and the config leaving steps out. On the seeds."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from cleaners.config import CleanConfig
from cleaners.pipeline import InputDocument, RunInfo, clean_document, clean_text
from cleaners.record import Record
from cleaners.steps import StepContext, StepStats, configured_steps
from cleaners.tracked_text import TrackedText

from .conftest import SEEDS

SEED_FILES = sorted(SEEDS.glob("*.txt"))
GERMAN = (
    "Beide Regierungen sind sich inzwischen auch beim Klimawandel grundsätzlich einig. Wie weit eine "
    "praktische Zusammenarbeit möglich ist, bleibt offen, doch eine gemeinsame Erklärung sollte kein Problem sein."
)
#: Step name -> the edit kinds it may make (spacing's renormalisation makes ``encoding`` edits).
KINDS = {"encoding": {"encoding"}, "spacing": {"spacing", "punctuation", "encoding"}, "typos": {"typo", "split", "name_variant"}}


def seed(prefix: str) -> str:
    [path] = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


def mojibake(text: str) -> str:
    """The seed's curly apostrophes as UTF-8 read as windows-1252 ("â€™"), for the encoding step."""
    return text.replace("’", "’".encode().decode("windows-1252"))


def inputs() -> list[tuple[str, str]]:
    return [(p.name[:3], p.read_text(encoding="utf-8")) for p in SEED_FILES] + [("000-mojibake", mojibake(seed("000")))]


def config_with(**sections: dict) -> CleanConfig:
    return CleanConfig.model_validate(sections)


def record_of(text: str, config: CleanConfig, stats: StepStats | None = None) -> Record:
    record = clean_document(InputDocument("mem://doc.txt", text.encode("utf-8")), config, RunInfo(config.config_hash(), processed_at="t"), stats=stats)
    assert isinstance(record, Record)
    return record


def by_hand(text: str, config: CleanConfig):
    """Every configured step in turn, as its protocol says: (name, result) pairs."""
    context, tracked, results = StepContext(config, text), TrackedText(text), []
    for step in configured_steps(config):
        result = step(tracked, context)
        tracked = result.tracked
        if result.language is not None:
            context = replace(context, language=result.language)
        results.append((step.name, result))
    return results, context.language


def test_clean_text_runs_the_configured_steps_in_order():
    config = CleanConfig()
    names = [step.name for step in configured_steps(config)]
    assert names == ["encoding", "spacing", "boilerplate", "language", "typos"]
    result, _ = clean_text(seed("001"), config)
    assert [report.name for report in result.steps] == names


@pytest.mark.parametrize("name, text", inputs(), ids=[name for name, _ in inputs()])
def test_the_steps_run_by_hand_are_clean_text_and_explain_the_record(name, text):
    """Running the steps' protocol by hand gives clean_text's result; each step's edits and
    removals are the record's, in the record's order, of the kinds that step makes, and
    its report counts them."""
    config = CleanConfig()
    results, language = by_hand(text, config)
    result, found = clean_text(text, config)
    record = record_of(text, config)
    assert [(n, len(r.edits), len(r.removed)) for n, r in results] == [(s.name, s.edits, s.removals) for s in result.steps]
    assert results[-1][1].tracked.text == result.text == record.text
    assert [e for _, r in results for e in r.edits] == result.edits == record.edits
    assert [x for _, r in results for x in r.removed] == result.removed == record.removed
    assert language == found == record.language
    for step, step_result in results:
        assert {e.kind for e in step_result.edits} <= KINDS.get(step, set()), step
        assert not step_result.removed or step == "boilerplate"
    counts = {s.name: s for s in result.steps}
    assert sum(s.edits for s in result.steps) == sum(record.stats.edits.values()) == len(record.edits)
    assert counts["boilerplate"].removals == sum(record.stats.removals.values()) == len(record.removed)
    assert counts["typos"].edits == sum(record.stats.edits[k] for k in KINDS["typos"])
    if name == "000-mojibake":  # the encoding step's edits undo what was done to the seed
        assert counts["encoding"].edits > 0 and record.text == record_of(seed("000"), config).text
    if name == "004":
        assert counts["spacing"].edits == 19 and counts["typos"].edits == 2 and counts["boilerplate"].removals == 27


def test_a_combining_mark_the_spacing_step_frees_is_composed_by_that_step():
    """Spacing deletes the zero-width space between "e" and its accent; the renormalisation
    that follows is part of the spacing step (an ``encoding`` edit, rule normalize:NFC)."""
    text = "Cafe\u200b\u0301 society is a long sentence that goes on for a while, about many things.\n" + seed("000")
    results, _ = by_hand(text, CleanConfig())
    steps = dict(results)
    assert not steps["encoding"].edits
    assert [e.rule for e in steps["spacing"].edits if e.kind == "encoding"] == ["normalize:NFC"]
    assert steps["spacing"].tracked.text.startswith("Café society")


def test_step_stats_add_up_over_documents_and_stay_out_of_records():
    config = CleanConfig()
    stats = StepStats()
    records = [record_of(p.read_text(encoding="utf-8"), config, stats) for p in SEED_FILES]
    names = [step.name for step in configured_steps(config)]
    assert list(stats.as_dict()) == names
    assert all(stats.runs[n] == len(SEED_FILES) for n in names)
    assert all(stats.seconds[n] > 0 for n in names)
    assert sum(stats.edits.values()) == sum(len(r.edits) for r in records)
    assert stats.removals["boilerplate"] == sum(len(r.removed) for r in records)
    assert stats.edits["typos"] == sum(r.stats.edits[k] for r in records for k in KINDS["typos"])
    # Timings are run information: the records are the same without them, byte for byte.
    without = [record_of(p.read_text(encoding="utf-8"), config) for p in SEED_FILES]
    assert [r.model_dump_json() for r in records] == [r.model_dump_json() for r in without]


@pytest.mark.parametrize("section", ["encoding", "spacing", "language", "typos"])
def test_a_disabled_step_is_left_out_of_the_run(section):
    config = config_with(**{section: {"enabled": False}})
    names = [step.name for step in configured_steps(config)]
    assert section not in names and len(names) == 4
    text = mojibake(seed("004"))
    result, language = clean_text(text, config)
    assert [s.name for s in result.steps] == names
    kinds = Counter(e.kind for e in result.edits)
    on = Counter(e.kind for e in clean_text(text, CleanConfig())[0].edits)
    assert on["encoding"] and on["spacing"] and on["typo"] and on["split"]
    if section == "encoding":
        assert kinds["encoding"] == 0 and "â€™" in result.text
    if section == "spacing":
        assert kinds["spacing"] == kinds["punctuation"] == 0
    if section == "language":  # no language found: the typo step runs but has no dictionary to use
        assert language.code is None and kinds["typo"] == kinds["split"] == 0
        assert dict(zip(names, (s.edits for s in result.steps)))["typos"] == 0
    if section == "typos":
        assert language.code == "en" and kinds["typo"] == kinds["split"] == 0


def test_boilerplate_off_lays_out_paragraphs_without_removing():
    text = seed("003")
    config = config_with(boilerplate={"enabled": False})
    result, _ = clean_text(text, config)
    assert [s.name for s in result.steps] == ["encoding", "spacing", "paragraphs", "language", "typos"]
    assert result.removed == [] and result.title is None
    assert result.text == "\n\n".join(line for line in text.split("\n") if line.strip())


def test_the_typo_step_reads_the_language_found_before_it():
    """Typos only run on a language with a dictionary (the language step's finding, passed on
    in the context); foreign paragraphs are skipped and, after the typo edits shifted them,
    point at the same text in the output."""
    lines = seed("004").split("\n")
    at = next(i for i, line in enumerate(lines) if "againt" in line) + 1
    text = "\n".join(lines[:at] + [GERMAN] + lines[at:])
    record = record_of(text, CleanConfig())
    assert Counter(e.kind for e in record.edits if e.kind != "spacing") == {"split": 1, "typo": 1}
    [flag] = record.language.foreign_paragraphs
    assert flag.code == "de" and record.text[flag.start : flag.end] == GERMAN
    german_only = record_of(text, config_with(typos={"languages": ["de"]}))
    assert german_only.language.code == "en" and not any(e.kind in KINDS["typos"] for e in german_only.edits)
    assert german_only.text.count("againt") == 1
