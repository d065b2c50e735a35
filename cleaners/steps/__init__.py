"""The cleaning steps, one shape: tracked text, options and context in; text and what changed out.

Every step is a :class:`StepFunction`: it takes the :class:`TrackedText` as the previous
step left it, its own section of the config and the document's :class:`StepContext`, and
returns a :class:`StepResult`: the new tracked text and what the step changed (edits,
removals) or found (the language, a title). One shape lets
:func:`~cleaners.pipeline.clean_text` be a plain loop over :func:`configured_steps` that
adds up edits and removals and counts and times each step in one place, instead of each
step's own calling convention spelled out by hand.

The core of each step stays in its module (:mod:`.encoding`, :mod:`.spacing`,
:mod:`.boilerplate`, :mod:`.language`, :mod:`.typos`); what is here is the adapter that
gives it the common shape, plus what used to sit between the calls in the pipeline
(boilerplate's fixed-point loop and title guess, the renormalisation after spacing, the
language the typo step needs).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Generic, Protocol, TypeVar

from cleaners.steps.boilerplate import NOT_A_HEADING_END, SecondOpinion, TemplateCheck, classify_blocks, rulebook, split_blocks
from cleaners.config import BoilerplateOptions, CleanConfig, EncodingOptions, LanguageOptions, SpacingOptions, TypoOptions
from cleaners.steps.run_profile import CorpusProfile
from cleaners.steps.encoding import renormalise, repair_encoding
from cleaners.steps.language import detect_language, move_to
from cleaners.steps.pieces import kept_spans
from cleaners.record import Edit, Language, Removal
from cleaners.steps.spacing import normalise_spacing
from cleaners.tracked_text import TrackedText
from cleaners.steps.typos import repair_typos

#: Kept blocks are joined with one blank line: one paragraph per block in the output.
PARAGRAPH_SEPARATOR = "\n\n"
_TITLE_MAX_WORDS = 20


def _undetected() -> Language:
    return Language(code=None, probability=0.0)


@dataclass(frozen=True)
class StepContext:
    """What a step may read besides the text: the same for every step of one document, except
    ``language``, which the loop sets once a step has found it (the typo step reads it).

    ``config`` is the whole effective config, for the steps that follow another section's
    options (the renormalisation after spacing and the second opinion's repair use the
    encoding options, as the encoding step does). ``decoded`` is the text every offset
    of the record points into (a removal's ``text`` is cut from it).
    """

    config: CleanConfig
    decoded: str
    profile: CorpusProfile | None = None
    host: str | None = None
    page_title: str | None = None
    second_opinion: str | None = None  # readability's article for an HTML page, not yet repaired
    language: Language = field(default_factory=_undetected)  # "undetected" until the language step ran


@dataclass(frozen=True)
class StepResult:
    """What one step did: the text it leaves and, so that the record can say why the text
    differs from the decoded input, every edit and removal it made (offsets into the
    decoded input). ``language`` and ``title`` are what it found, None when it found nothing."""

    tracked: TrackedText
    edits: Sequence[Edit] = ()
    removed: Sequence[Removal] = ()
    language: Language | None = None
    title: str | None = None


O = TypeVar("O")
O_contra = TypeVar("O_contra", contravariant=True)


class StepFunction(Protocol[O_contra]):
    """The one shape of a step: ``(tracked text, its options, context) -> StepResult``."""

    def __call__(self, tracked: TrackedText, options: O_contra, context: StepContext, /) -> StepResult: ...


@dataclass(frozen=True)
class Step(Generic[O]):
    """A step as the pipeline runs it: its name (the key of its counts and timings), its
    function and the options it runs with."""

    name: str
    run: StepFunction[O]
    options: O

    def __call__(self, tracked: TrackedText, context: StepContext) -> StepResult:
        return self.run(tracked, self.options, context)


# --- the steps -------------------------------------------------------------------------


def encoding_step(tracked: TrackedText, options: EncodingOptions, context: StepContext) -> StepResult:
    """ftfy repair (:func:`.encoding.repair_encoding`), one edit per changed stretch."""
    tracked, edits = repair_encoding(tracked, options)
    return StepResult(tracked, edits)


def spacing_step(tracked: TrackedText, options: SpacingOptions, context: StepContext) -> StepResult:
    """Spacing and punctuation rules (:func:`.spacing.normalise_spacing`); when they edited,
    the text is normalised again (:func:`.encoding.renormalise`, ``encoding`` edits): a
    deleted invisible character can leave a letter and a combining mark to compose. Only
    then: without spacing edits the text is as the encoding step left it."""
    tracked, edits = normalise_spacing(tracked, options.enabled)
    if edits:
        tracked, more = renormalise(tracked, context.config.encoding)
        edits = edits + more
    return StepResult(tracked, edits)


def boilerplate_step(tracked: TrackedText, options: BoilerplateOptions, context: StepContext) -> StepResult:
    """Classify and remove until nothing more goes (at most ``max_passes`` of the level).

    Removing a widget changes the context of what is left (the body's edges, the comment
    section, the lead zone), so one pass can leave lines a second pass removes. Running to
    a fixed point makes cleaning idempotent: the output cleaned again loses nothing more.
    Kept blocks are joined as paragraphs; a short heading-like first kept line is the
    title guess (``title``).
    """
    templates: TemplateCheck | None = None
    if context.profile is not None and context.host is not None:  # lines on most of the host's pages
        templates = partial(context.profile.template_detail, context.host)
    opinion = None
    if context.second_opinion:  # repaired like the text before comparing
        repaired = repair_encoding(TrackedText(context.second_opinion), context.config.encoding)[0].text
        opinion = SecondOpinion.of(repaired, "readability")
    decoded = context.decoded
    removed: list[Removal] = []
    title = None
    # Most pages settle in two or three passes; a long menu can lose a layer per pass (at a
    # bound of 4 for every level, 58 of the bench's 1,940 renderings were still losing lines,
    # and cleaning their output again removed more). ``aggressive`` keeps 4: see structure.toml.
    for _ in range(rulebook(options.strictness).thresholds["max_passes"]):
        blocks = classify_blocks(tracked.text, options.strictness, options.line_model, templates, context.page_title, opinion)
        gone = [(b.start, b.end, b.category, b.rule, b.score, b.detail) for b in blocks if b.category is not None]
        gone += [(b.start + c.start, b.start + c.end, c.category, c.rule, b.score, c.detail) for b in blocks if b.category is None for c in b.cuts]
        for start, end, category, rule, score, detail in gone:
            start, end = tracked.original_span(start, end)
            removed.append(Removal(category=category, rule=rule, start=start, end=end, text=decoded[start:end], score=score, detail=detail))
        kept = [(b.start + a, b.start + z) for b in blocks if b.category is None for a, z in kept_spans(len(b.text), b.cuts)]
        title = _title_guess(tracked.text[kept[0][0] : kept[0][1]]) if kept else None
        tracked = tracked.select(kept, PARAGRAPH_SEPARATOR)
        if not gone or not kept:
            break
    removed.sort(key=lambda r: r.start)
    return StepResult(tracked, removed=removed, title=title)


def _title_guess(first_kept: str) -> str | None:
    """A short heading-like first line is the title (it stays in the text too)."""
    words = first_kept.split()
    if 2 <= len(words) <= _TITLE_MAX_WORDS and first_kept.rstrip()[-1] not in NOT_A_HEADING_END:
        return first_kept
    return None


def paragraphs_step(tracked: TrackedText, options: BoilerplateOptions, context: StepContext) -> StepResult:
    """With boilerplate removal off, the lines are still laid out as the output's paragraphs
    (joined with one blank line, blank lines dropped), as the boilerplate step joins what it keeps."""
    return StepResult(tracked.select([(b.start, b.end) for b in split_blocks(tracked.text)], PARAGRAPH_SEPARATOR))


def language_step(tracked: TrackedText, options: LanguageOptions, context: StepContext) -> StepResult:
    """Language identification (:func:`.language.detect_language`) on the cleaned text. It
    runs before the typo step, which only corrects languages it has a dictionary for."""
    return StepResult(tracked, language=detect_language(tracked.text, options))


def typos_step(tracked: TrackedText, options: TypoOptions, context: StepContext) -> StepResult:
    """Typo, split and name-variant repair (:func:`.typos.repair_typos`) when the language the
    language step found has a dictionary. Foreign paragraphs are skipped (no dictionary for
    those); typo edits shift offsets inside lines, so the language comes back with its
    foreign paragraphs moved to where they now are in the text."""
    language = context.language
    if language.code not in options.languages:
        return StepResult(tracked)
    before = tracked.text
    foreign = [(p.start, p.end) for p in language.foreign_paragraphs]
    tracked, edits = repair_typos(tracked, options, context.profile, skip=foreign)
    if not foreign:
        return StepResult(tracked, edits)
    moved = move_to(tracked.text, before, language.foreign_paragraphs)
    return StepResult(tracked, edits, language=language.model_copy(update={"foreign_paragraphs": moved}))


def configured_steps(config: CleanConfig) -> tuple[Step, ...]:
    """The steps :func:`~cleaners.pipeline.clean_text` runs under ``config``, in order.

    A section with ``enabled = false`` leaves its step out (off, each of these steps would
    return the text unchanged). Boilerplate is the exception: off, its removal goes but the
    lines are still joined as paragraphs (``paragraphs``). Language goes before typos: the
    corrector only runs on languages it has a dictionary for; without the language step the
    language is undetected and the typo step edits nothing.
    """
    steps: list[Step] = []
    if config.encoding.enabled:
        steps.append(Step("encoding", encoding_step, config.encoding))
    if config.spacing.enabled:
        steps.append(Step("spacing", spacing_step, config.spacing))
    if config.boilerplate.enabled:
        steps.append(Step("boilerplate", boilerplate_step, config.boilerplate))
    else:
        steps.append(Step("paragraphs", paragraphs_step, config.boilerplate))
    if config.language.enabled:
        steps.append(Step("language", language_step, config.language))
    if config.typos.enabled:
        steps.append(Step("typos", typos_step, config.typos))
    return tuple(steps)


# --- counting and timing ---------------------------------------------------------------


@dataclass(frozen=True)
class StepReport:
    """One step on one document: how many edits and removals it made, and how long it took.
    Run information for the caller (profiling, a log): never written into records, which
    must not depend on how fast a machine is."""

    name: str
    edits: int
    removals: int
    seconds: float


@dataclass
class StepStats:
    """Per-step totals over every document cleaned with it (pass one to
    :func:`~cleaners.pipeline.clean_text` or :func:`~cleaners.pipeline.clean_document`
    and read it afterwards): runs, edits, removals and seconds, keyed by step name."""

    runs: Counter[str] = field(default_factory=Counter)
    edits: Counter[str] = field(default_factory=Counter)
    removals: Counter[str] = field(default_factory=Counter)
    seconds: Counter[str] = field(default_factory=Counter)

    def add(self, reports: Iterable[StepReport]) -> None:
        for report in reports:
            self.runs[report.name] += 1
            self.edits[report.name] += report.edits
            self.removals[report.name] += report.removals
            self.seconds[report.name] += report.seconds

    def as_dict(self) -> dict[str, dict[str, float]]:
        """``{step: {runs, edits, removals, seconds}}`` in the order the steps first ran."""
        return {
            name: {"runs": runs, "edits": self.edits[name], "removals": self.removals[name], "seconds": self.seconds[name]}
            for name, runs in self.runs.items()
        }
