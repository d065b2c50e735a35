"""Step 1: bytes to text, or a reason why not.

Order of trust: a byte-order mark, then strict UTF-8 (by far the most common encoding of
scraped text), then charset_normalizer's detection. Inputs that are empty, binary or
undecodable raise :class:`RejectInput` with a machine-readable reason; the pipeline turns
that into a reject record instead of crashing the run.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from charset_normalizer import from_bytes

#: Share of control characters (other than tab/newline/CR/FF) above which text is binary.
MAX_CONTROL_SHARE = 0.02

#: Latin code pages that detection confuses with windows-1252 on short texts.
LATIN_SINGLE_BYTE = frozenset({"cp1250", "cp1252", "cp1257", "latin_1", "iso8859_2", "iso8859_15", "iso8859_9", "cp1254", "mac_roman", "cp850"})

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class RejectInput(Exception):
    """The input cannot become a record. ``reason`` is machine-readable."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str


#: File signatures of common binary formats (magic numbers at offset 0): such inputs are
#: rejected as ``binary`` by name, even when they happen to contain no NUL byte. Only
#: signatures no English text starts with (not "RIFF", "ID3", "BZh": those files have NULs).
BINARY_SIGNATURES: dict[bytes, str] = {
    b"%PDF-": "a PDF document",
    b"\x89PNG\r\n\x1a\n": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF87a": "a GIF image",
    b"GIF89a": "a GIF image",
    b"PK\x03\x04": "a ZIP archive (or DOCX/XLSX/EPUB)",
    b"\x7fELF": "an ELF executable",
    b"\xd0\xcf\x11\xe0": "an OLE document (DOC/XLS)",
    b"7z\xbc\xaf\x27\x1c": "a 7-Zip archive",
    b"\xfd7zXZ\x00": "an XZ stream",
    b"\x00asm": "a WebAssembly module",
}

_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffd]")


def _control_share(text: str) -> float:
    """Share of control and replacement characters (tab, newlines, form feed excepted)."""
    return len(_CONTROL.findall(text)) / len(text) if text else 0.0


def decode_bytes(raw: bytes) -> Decoded:
    """Decode ``raw`` to text, raising :class:`RejectInput` when it is not text."""
    if not raw.strip():
        raise RejectInput("empty", "the input is empty or only whitespace")
    for magic, kind in BINARY_SIGNATURES.items():
        if raw.startswith(magic):
            raise RejectInput("binary", f"the input is {kind} (file signature {magic!r})")
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return _checked(Decoded(raw.decode(encoding), encoding))
            except UnicodeDecodeError as exc:
                raise RejectInput("undecodable", f"starts with a {encoding} byte-order mark but does not decode: {exc}") from exc
    if b"\x00" in raw:
        raise RejectInput("binary", "the input contains NUL bytes and no UTF-16/32 byte-order mark")
    try:
        return _checked(Decoded(raw.decode("utf-8"), "utf-8"))
    except UnicodeDecodeError:
        pass
    best = from_bytes(raw).best()
    if best is None:
        raise RejectInput("undecodable", "no text encoding fits these bytes (charset detection found none)")
    if best.encoding in LATIN_SINGLE_BYTE:
        # Short Western text is often mistaken for a neighbouring Latin code page
        # ("très" -> "trčs" as cp1250); windows-1252 is the web's legacy default.
        try:
            return _checked(Decoded(raw.decode("cp1252"), "cp1252"))
        except UnicodeDecodeError:
            pass
    return _checked(Decoded(str(best), best.encoding))


def _checked(decoded: Decoded) -> Decoded:
    if not decoded.text.strip():
        raise RejectInput("empty", "the input decodes to empty or whitespace-only text")
    if _control_share(decoded.text) > MAX_CONTROL_SHARE:
        raise RejectInput("binary", f"more than {MAX_CONTROL_SHARE:.0%} control characters: looks like binary data")
    return decoded
