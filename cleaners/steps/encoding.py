"""Step 2: encoding repair with ftfy, one explained edit per changed stretch.

ftfy works line by line here: lines are where mojibake lives, and a line-sized diff keeps
the recorded edits small and exact. ftfy's own explanation (``fix_and_explain``) names the
fixes it applied; that name becomes the edit's ``rule``. Pure-ASCII lines without control
characters cannot need a fix and are skipped (most of the text: this is the speed path).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import ftfy
import ftfy.bad_codecs  # noqa: F401  (registers "sloppy-windows-1252")

from cleaners.config import EncodingOptions
from cleaners.steps.changed_spans import ProposedEdit, apply_edits, diff_edits
from cleaners.record import Edit
from cleaners.tracked_text import TrackedText

_LINE = re.compile(r"[^\n]+")
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f&]")


# What the bytes 0x80-0xBF (UTF-8 continuation bytes) look like when decoded as
# windows-1252 (ftfy's sloppy variant keeps the five undefined ones as C1 controls).
_CONTINUATION = "".join(bytes([b]).decode("sloppy-windows-1252") for b in range(0x80, 0xC0))
# A complete UTF-8 sequence shown as windows-1252: a lead byte and as many continuation
# bytes as it announces ("â„¢" is the three bytes of "™").
LEFTOVER_MOJIBAKE = re.compile(
    "[\u00c2-\u00df][{c}]|[\u00e0-\u00ef][{c}]{{2}}|[\u00f0-\u00f4][{c}]{{3}}".format(c=re.escape(_CONTINUATION))
)


def _fix_leftover_mojibake(line: str) -> str:
    """UTF-8 sequences read as windows-1252 that ftfy leaves alone.

    ftfy judges a line by how bad it looks; a line whose only damage is one symbol ("â„¢"
    for "™", "â‘ " for "①") does not look bad enough. Each complete sequence is decoded
    back only if its bytes are valid UTF-8 for exactly one character.
    """

    def decode(match: re.Match[str]) -> str:
        try:
            char = match.group().encode("sloppy-windows-1252").decode("utf-8")
        except UnicodeError:
            return match.group()
        return char if len(char) == 1 else match.group()

    return LEFTOVER_MOJIBAKE.sub(decode, line)


@lru_cache(maxsize=8)
def _ftfy_config(options: EncodingOptions) -> ftfy.TextFixerConfig:
    return ftfy.TextFixerConfig(
        uncurl_quotes=options.uncurl_quotes,
        fix_latin_ligatures=options.fix_latin_ligatures,
        fix_character_width=False,  # would turn full-width CJK punctuation into ASCII
        fix_line_breaks=False,  # line structure is handled by the spacing step
        normalization=None if options.normalization == "none" else options.normalization,
        explain=True,
    )


def _needs_ftfy(line: str) -> bool:
    return not line.isascii() or _ASCII_CONTROL.search(line) is not None


def _rule_name(explanation: list | None) -> str:
    if not explanation:
        return "ftfy"
    return "ftfy:" + "+".join(step.parameter for step in explanation)


def repair_encoding(tracked: TrackedText, options: EncodingOptions) -> tuple[TrackedText, list[Edit]]:
    """Fix mojibake, control characters and Unicode normalisation, explaining each edit."""
    if not options.enabled:
        return tracked, []
    config = _ftfy_config(options)
    proposed: list[ProposedEdit] = []
    for match in _LINE.finditer(tracked.text):
        line = match.group()
        if not _needs_ftfy(line):
            continue
        fixed, explanation = ftfy.fix_and_explain(line, config=config)
        rule = _rule_name(explanation)
        leftover = _fix_leftover_mojibake(fixed)
        if leftover != fixed:
            fixed, rule = leftover, f"{rule}+leftover-utf8-as-windows-1252" if fixed != line else "leftover-utf8-as-windows-1252"
        if fixed != line:
            proposed.extend(diff_edits(line, fixed, match.start(), "encoding", rule))
    return apply_edits(tracked, proposed)


def renormalise(tracked: TrackedText, options: EncodingOptions) -> tuple[TrackedText, list[Edit]]:
    """Normalise again the lines a later step left unnormalised, explaining each edit.

    ftfy normalises before the spacing step, which then deletes invisible and control
    characters. One that sat between a letter and a combining mark ("e\u200b\u0301")
    leaves the pair to compose ("é"): without this step the record's text would not be
    NFC, and cleaning it again would edit it. Rule ``normalize:<form>``.
    """
    form = options.normalization
    if not options.enabled or form == "none" or unicodedata.is_normalized(form, tracked.text):
        return tracked, []
    proposed: list[ProposedEdit] = []
    for match in _LINE.finditer(tracked.text):
        line = match.group()
        fixed = unicodedata.normalize(form, line)
        if fixed != line:
            proposed.extend(diff_edits(line, fixed, match.start(), "encoding", f"normalize:{form}"))
    return apply_edits(tracked, proposed)
