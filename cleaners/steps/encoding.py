"""Step 2: encoding repair with ftfy, one explained edit per changed stretch.

ftfy works line by line here: lines are where mojibake lives, and a line-sized diff keeps
the recorded edits small and exact. ftfy's own explanation (``fix_and_explain``) names the
fixes it applied; that name becomes the edit's ``rule``. ftfy is called only on a line it
could change (``_may_change``: one cheap test per fix the configured ftfy applies, most
lines pass none of them and are skipped: this is the speed path).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import ftfy
import ftfy.bad_codecs  # noqa: F401  (registers "sloppy-windows-1252")
from ftfy.badness import is_bad
from ftfy.chardata import CONTROL_CHARS, DOUBLE_QUOTE_RE, HTML_ENTITY_RE, LIGATURES, SINGLE_QUOTE_RE

from cleaners.config import EncodingOptions
from cleaners.steps.changed_spans import ProposedEdit, apply_edits, diff_edits
from cleaners.record import Edit
from cleaners.tracked_text import TrackedText

_LINE = re.compile(r"[^\n]+")


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


@lru_cache(maxsize=8)
def _trigger(options: EncodingOptions) -> re.Pattern[str]:
    """One search for the fixes that act on single characters or an entity (ftfy 6.3).

    In ``ftfy.fix_and_explain`` order, with ``_ftfy_config``: ``unescape_html`` replaces only
    matches of ``HTML_ENTITY_RE``; ``fix_c1_controls`` only U+0080-U+009F;
    ``fix_latin_ligatures`` (if on) only the keys of ``LIGATURES``; ``uncurl_quotes`` (if on)
    only ``SINGLE_QUOTE_RE``/``DOUBLE_QUOTE_RE``; ``fix_surrogates`` only U+D800-U+DFFF;
    ``remove_terminal_escapes`` needs ESC and ``remove_control_chars`` deletes only the keys
    of ``CONTROL_CHARS`` (ESC is one). ``fix_character_width`` and ``fix_line_breaks`` are off.
    """
    chars = set(CONTROL_CHARS) | set(range(0x80, 0xA0)) | set(range(0xD800, 0xE000))
    if options.fix_latin_ligatures:
        chars |= set(LIGATURES)
    char_class = "".join(re.escape(chr(c)) for c in sorted(chars))
    alternatives = [f"[{char_class}]", HTML_ENTITY_RE.pattern]
    if options.uncurl_quotes:
        alternatives += [SINGLE_QUOTE_RE.pattern, DOUBLE_QUOTE_RE.pattern]
    return re.compile("|".join(alternatives))


def _may_change(line: str, options: EncodingOptions) -> bool:
    """Whether ``repair_encoding`` could change this line; False only when it cannot.

    ``fix_and_explain`` returns its input unchanged when one pass of every fix leaves it
    unchanged, so the line needs ftfy only if one of them could act on it: the characters
    and entities of ``_trigger``; ``fix_encoding``, which returns ASCII text and text that
    ftfy's ``is_bad`` (``BADNESS_RE``) does not flag as it is; the normalisation; and then
    this module's ``LEFTOVER_MOJIBAKE``. Derived from ftfy 6.3.1 (pinned in pyproject.toml);
    tests/test_encoding_gate.py checks it against ftfy on every bench line.
    """
    if _trigger(options).search(line) is not None:
        return True
    if line.isascii():
        return False  # fix_encoding skips ASCII, NFC/NFKC keep it, no leftover mojibake
    if is_bad(line):
        return True
    if options.normalization != "none" and not unicodedata.is_normalized(options.normalization, line):
        return True
    return LEFTOVER_MOJIBAKE.search(line) is not None


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
        if not _may_change(line, options):
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
