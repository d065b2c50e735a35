"""Step 1: bytes to text, or a reason why not.

Scraped text (:func:`decode_bytes`): a byte-order mark, then strict UTF-8 (by far the most
common encoding of scraped text), then charset_normalizer's detection. HTML
(:func:`decode_html`): what the page and its server declare comes in too, in the HTML
standard's order, except that bytes that are valid UTF-8 with non-ASCII characters are
UTF-8 whatever the ``<meta>`` says. A document a container held as a *string* (a JSONL
field) is not decoded at all (:func:`decode_string`): it is text already.

Inputs that are empty, binary or undecodable raise :class:`RejectInput` with a
machine-readable reason; the pipeline turns that into a reject record instead of crashing
the run.
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

#: ``source.encoding`` of a document that arrived as a string, not bytes: nothing decoded it.
STRING = "string"

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
    """Text, the codec that made it (or :data:`STRING`), and the charset the input declared
    when it was not followed (see :func:`decode_html`)."""

    text: str
    encoding: str
    overruled_charset: str | None = None


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


def _refuse_empty_or_binary(raw: bytes) -> None:
    if not raw.strip():
        raise RejectInput("empty", "the input is empty or only whitespace")
    _refuse_binary_signature(raw)


def _refuse_binary_signature(raw: bytes) -> None:
    """A file of a known binary format, whatever its name says (a PNG saved as ``.html``)."""
    for magic, kind in BINARY_SIGNATURES.items():
        if raw.startswith(magic):
            raise RejectInput("binary", f"the input is {kind} (file signature {magic!r})")


def decode_bytes(raw: bytes) -> Decoded:
    """Decode ``raw`` to text, raising :class:`RejectInput` when it is not text."""
    _refuse_empty_or_binary(raw)
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


def decode_string(raw: bytes) -> Decoded:
    """The text of a document a container held as a string: ``raw`` is that string's UTF-8
    (its bytes for the record's hash), so the text is the string, character for character
    (a leading U+FEFF included: it is no byte-order mark of a string). Only the checks for
    empty and binary content apply; ``encoding`` is :data:`STRING`."""
    _refuse_empty_or_binary(raw)
    if b"\x00" in raw:
        raise RejectInput("binary", "the input contains NUL characters")
    return _checked(Decoded(raw.decode("utf-8"), STRING))


def decode_text(raw: bytes, from_string: bool = False) -> Decoded:
    """A scraped-text document's text: :func:`decode_string` for one a container held as a
    string, else :func:`decode_bytes`."""
    return decode_string(raw) if from_string else decode_bytes(raw)


def decode_page(raw: bytes, http_content_type: str | None = None, from_string: bool = False) -> Decoded:
    """An HTML page's text: the string a container held (encoding :data:`STRING`, its
    ``<meta>`` ignored: the string is text already), else :func:`decode_html`."""
    return Decoded(raw.decode("utf-8"), STRING) if from_string else decode_html(raw, http_content_type)


def _checked(decoded: Decoded) -> Decoded:
    if not decoded.text.strip():
        raise RejectInput("empty", "the input decodes to empty or whitespace-only text")
    if _control_share(decoded.text) > MAX_CONTROL_SHARE:
        raise RejectInput("binary", f"more than {MAX_CONTROL_SHARE:.0%} control characters: looks like binary data")
    return decoded


# ----------------------------------------------------------------------------- HTML

#: Bytes searched for a ``<meta charset>`` declaration (the HTML standard's prescan uses 1024;
#: pages with long ``<head>`` scripts put it later).
META_PRESCAN_BYTES = 4096

#: Labels the HTML standard maps to another decoder (browsers decode latin-1/ascii as
#: windows-1252; a ``<meta>`` declaring UTF-16 in an ASCII-compatible document means UTF-8).
_LABEL_OVERRIDES = {
    "iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252", "l1": "cp1252",
    "ascii": "cp1252", "us-ascii": "cp1252", "iso_8859-1": "cp1252", "iso-ir-100": "cp1252",
    "utf-16": "utf-8", "utf-16le": "utf-8", "utf-16be": "utf-8", "x-user-defined": "cp1252",
}
#: Python codecs that no web page means, whatever it declares: they raise on any byte
#: ("undefined"), parse markup as something else ("punycode", "idna", "utf-7") or decode
#: backslash escapes ("unicode-escape"). A label naming one is treated as unknown.
_NOT_WEB_CHARSETS = frozenset({"undefined", "punycode", "idna", "utf-7", "unicode-escape", "raw-unicode-escape", "charmap"})
_HTML_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:+-]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([A-Za-z0-9_.:+-]+)""", re.IGNORECASE)


def _codec(label: str | None) -> str | None:
    """Python codec name for a charset label, or None when unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _LABEL_OVERRIDES.get(label, label)
    try:
        info = codecs.lookup(label)
    except LookupError:
        return None
    # bytes-to-bytes codecs ("base64", "zlib") and str-to-str ones ("rot13") are no charsets
    text_codec = getattr(info, "_is_text_encoding", True)
    return info.name if text_codec and info.name not in _NOT_WEB_CHARSETS else None


def _try(raw: bytes, codec: str | None) -> str | None:
    if codec is None:
        return None
    try:
        return raw.decode(codec)
    except (UnicodeError, LookupError):  # UnicodeError: some codecs raise the base class
        return None


def _utf8_beyond_ascii(raw: bytes) -> str | None:
    """The text, when ``raw`` is valid UTF-8 holding at least one non-ASCII character."""
    if raw.isascii():
        return None
    return _try(raw, "utf-8")


def decode_html(raw: bytes, http_content_type: str | None = None) -> Decoded:
    """Decode saved HTML bytes; ``encoding`` is a Python codec name.

    Order of trust, first that decodes the bytes without error wins:

    1. a byte-order mark (the HTML standard puts it above everything, the header included);
    2. the ``charset`` of the HTTP ``Content-Type`` header, when given;
    3. bytes that are valid UTF-8 and hold non-ASCII characters are UTF-8;
    4. a ``<meta charset=...>`` or ``<meta http-equiv="Content-Type" content="...; charset=...">``
       in the first :data:`META_PRESCAN_BYTES` bytes;
    5. detection: strict UTF-8 first (the common case, and instant), then charset-normalizer's
       guesses, best first, ASCII-compatible ones only (without a BOM, HTML is never UTF-16/32);
    6. UTF-8 with U+FFFD replacement characters (never fails).

    Step 3 is above the ``<meta>`` because pages keep their old declaration wherever they
    are saved again: a browser's "save page" and crawlers' file stores write UTF-8 under a
    ``<meta charset=windows-1252>``, and trusting it turned every "é" into "Ã©". Text in
    a legacy charset is valid UTF-8 by accident only when each non-ASCII character is
    followed by just the right continuation bytes ("Ã©" itself), which real text never
    keeps up. The header keeps its rank: it speaks for these very bytes.

    Declared labels follow the HTML standard's mapping where it differs from Python's
    (``iso-8859-1``/``ascii`` decode as ``cp1252``). A declaration that does not decode the
    bytes (servers and templates lie) is skipped rather than trusted with replacements.
    The first declaration given (header, else ``<meta>``) is ``overruled_charset`` when the
    bytes were decoded with another codec (its label as written).
    """
    _refuse_binary_signature(raw)
    header = _HEADER_CHARSET.search(http_content_type) if http_content_type else None
    meta = _META_CHARSET.search(raw[:META_PRESCAN_BYTES])
    header_label = header.group(1) if header else None
    meta_label = meta.group(1).decode("ascii") if meta else None
    decoded = _html_text(raw, header_label, meta_label)
    declared = header_label or meta_label
    if declared is not None and not _agrees(declared, decoded.encoding):
        return Decoded(decoded.text, decoded.encoding, declared)
    return decoded


def _agrees(label: str, codec: str) -> bool:
    """Whether the declared ``label`` names ``codec`` (a BOM's variant of it included)."""
    if label.strip("\"' ").lower().startswith("utf-16"):
        return codec.startswith("utf-16") or codec == "utf-8"  # the standard reads it as UTF-8
    return _codec(label) == codec.removesuffix("-sig")


def _html_text(raw: bytes, header: str | None, meta: str | None) -> Decoded:
    """The steps of :func:`decode_html`, given the labels the header and ``<meta>`` declare."""
    for bom, codec in _HTML_BOMS:
        if raw.startswith(bom):
            text = _try(raw, codec)
            if text is not None:
                return Decoded(text, codecs.lookup(codec).name)
    text = _try(raw, _codec(header))
    if text is not None:
        return Decoded(text, _codec(header))  # type: ignore[arg-type]
    text = _utf8_beyond_ascii(raw)
    if text is not None:
        return Decoded(text, "utf-8")
    for codec in (_codec(meta), "utf-8"):
        text = _try(raw, codec)
        if text is not None:
            return Decoded(text, codec)  # type: ignore[arg-type]
    for match in from_bytes(raw):  # best guess first
        codec = _codec(match.encoding)
        if codec is None or codec.startswith(("utf-16", "utf-32")):
            continue  # HTML without a BOM is ASCII-compatible: a UTF-16/32 guess is noise
        text = _try(raw, codec)
        if text is not None:
            return Decoded(text, codec)
    return Decoded(raw.decode("utf-8", errors="replace"), "utf-8")
