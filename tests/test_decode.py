"""Bytes to text: HTML charsets (declared, overruled, detected) and documents that arrive as
strings, through the real readers and the real pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cleaners.config import CleanConfig
from cleaners.inputs.decode import STRING, decode_html
from cleaners.inputs.files import InputDocument, read_documents
from cleaners.pipeline import RunInfo, clean_document
from cleaners.record import Record

CONFIG = CleanConfig()
RUN = RunInfo(CONFIG.config_hash(), processed_at="test")

#: An old French news page: accents, curly quotes, dashes, an ellipsis and the euro sign,
#: all of which windows-1252 holds in one byte and UTF-8 in two or three.
PARAGRAPHS = [
    "Le café « Chez Zoë » de la rue des Écoles a fermé ses portes samedi, après quarante-deux années de service — "
    "une décision que son propriétaire, André Lefèvre, dit avoir prise « à contrecœur ».",
    "Les habitués ont défilé toute la journée pour un dernier café crème à 1,80 € ; beaucoup ont évoqué "
    "les soirées de débats, les parties d’échecs et le piano du fond de la salle…",
    "La mairie n’a pas encore annoncé ce que deviendra le local, mais une pétition réclamant qu’il reste "
    "un lieu de rencontre a déjà réuni plus de trois mille signatures en une semaine.",
]


def news_page(charset: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (
        f'<!DOCTYPE html><html lang="fr"><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
        "<title>Le café Chez Zoë ferme ses portes</title></head>"
        '<body><div id="menu"><a href="/">Accueil</a> | <a href="/ville">Ville</a></div>'
        f"<div class=\"article\"><h1>Le café Chez Zoë ferme ses portes</h1>{body}</div>"
        "<div id=\"pied\">© 2009 La Gazette du Quartier</div></body></html>"
    )


def test_a_true_windows_1252_page_decodes_as_declared():
    raw = news_page("windows-1252").encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    decoded = decode_html(raw)
    assert (decoded.encoding, decoded.overruled_charset) == ("cp1252", None)
    assert all(p in decoded.text for p in PARAGRAPHS)


@pytest.mark.parametrize("label", ["windows-1252", "ISO-8859-1", "iso-8859-15", "shift_jis"])
def test_utf8_bytes_under_a_legacy_meta_are_utf8_and_the_meta_is_named(label):
    """A page saved again as UTF-8 ("save page", a crawler's file store) keeps its old <meta>:
    trusting it turned every "é" into "Ã©"."""
    decoded = decode_html(news_page(label).encode("utf-8"))
    assert (decoded.encoding, decoded.overruled_charset) == ("utf-8", label)
    assert all(p in decoded.text for p in PARAGRAPHS)


def test_a_true_shift_jis_page_decodes_as_declared():
    article = "<p>東京都は二十日、新しい自転車道の計画を発表した。完成は三年後の予定だという。</p>" * 3
    raw = f'<html><head><meta charset="Shift_JIS"></head><body>{article}</body></html>'.encode("shift_jis")
    decoded = decode_html(raw)
    assert (decoded.encoding, decoded.overruled_charset) == ("shift_jis", None) and article in decoded.text


def test_an_ascii_page_follows_its_meta():
    decoded = decode_html(b'<html><head><meta charset="iso-8859-1"></head><body><p>Plain words only.</p></body></html>')
    assert (decoded.encoding, decoded.overruled_charset) == ("cp1252", None)


def test_a_byte_order_mark_and_the_http_header_keep_their_rank():
    page = news_page("windows-1252")
    bom = decode_html(page.encode("utf-8-sig"))
    assert (bom.encoding, bom.overruled_charset) == ("utf-8-sig", "windows-1252") and PARAGRAPHS[0] in bom.text
    consistent = decode_html(news_page("utf-8").encode("utf-8-sig"))
    assert consistent.overruled_charset is None
    # The header speaks for these very bytes: it is followed even over valid UTF-8 (ftfy
    # repairs what that breaks, see the pipeline test below), and the <meta> is not asked.
    header = decode_html(page.encode("utf-8"), "text/html; charset=ISO-8859-1")
    assert (header.encoding, header.overruled_charset) == ("cp1252", None) and "cafÃ©" in header.text
    # A header that cannot decode the bytes is skipped and named.
    lying = decode_html(page.encode("cp1252"), "text/html; charset=utf-8")
    assert (lying.encoding, lying.overruled_charset) == ("cp1252", "utf-8") and PARAGRAPHS[0] in lying.text


def test_meta_charset_windows_1252_decodes_right():
    body = "<p>Le café “Chez Zoë” a fermé — après 40 ans, dit-il… 5 €</p>"
    raw = f'<html><head><meta charset="windows-1252"><title>x</title></head><body>{body}</body></html>'.encode("cp1252")
    decoded = decode_html(raw)
    assert decoded.encoding == "cp1252" and body in decoded.text


def test_http_equiv_and_header_order():
    page = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1"></head><body><p>naïve “quotes”</p></body></html>'
    raw = page.encode("cp1252")
    decoded = decode_html(raw)
    assert decoded.encoding == "cp1252"  # the HTML standard decodes a latin-1 label as windows-1252
    assert "naïve “quotes”" in decoded.text
    # the HTTP header beats the <meta>
    decoded = decode_html(page.replace("ISO-8859-1", "windows-1252").encode("utf-8"), "text/html; charset=UTF-8")
    assert decoded.encoding == "utf-8" and "naïve “quotes”" in decoded.text and decoded.overruled_charset is None
    # a header that cannot decode the bytes is skipped, not trusted with replacement characters
    decoded = decode_html(raw, "text/html; charset=utf-8")
    assert decoded.encoding == "cp1252" and "\ufffd" not in decoded.text


def test_bom_undeclared_and_garbage():
    decoded = decode_html("<p>héllo</p>".encode("utf-8-sig"))
    assert (decoded.text, decoded.encoding) == ("<p>héllo</p>", "utf-8-sig")  # BOM dropped
    decoded = decode_html("<p>héllo wörld</p>".encode("utf-8"))
    assert (decoded.text, decoded.encoding, decoded.overruled_charset) == ("<p>héllo wörld</p>", "utf-8", None)
    # nothing declared, not UTF-8: charset-normalizer's guess
    french = ("<html><body><p>Le café de la gare a fermé ses portes après quarante années de service, "
              "a déclaré le propriétaire à la presse locale, très ému.</p></body></html>")
    decoded = decode_html(french.encode("cp1252"))
    assert (decoded.text, decoded.encoding) == (french, "cp1252")
    # an unknown label and undecodable bytes: never a crash, never a UTF-16 reading of ASCII markup
    decoded = decode_html(b"<p>\xff\xfe\x00\x81 broken</p>", "text/html; charset=no-such-charset")
    assert decoded.text.startswith("<p>") and "broken" in decoded.text and decoded.overruled_charset == "no-such-charset"


@pytest.mark.parametrize("label", ["undefined", "punycode", "idna", "utf-7", "unicode_escape", "raw_unicode_escape", "charmap", "rot13", "base64"])
@pytest.mark.parametrize("where", ["meta", "header"])
def test_a_python_only_codec_declared_as_charset_is_an_unknown_label(label, where):
    """Python knows these names, but they are no web charsets: "undefined" and "punycode"
    raised a bare UnicodeError out of decoding (the page became an internal error), and
    "unicode_escape" would read backslashes in the page as escapes."""
    body = "<p>Caf\u00e9 owners say C:\\new\\plans are \u201cgood news\u201d for the harbour.</p>"
    meta = f'<meta charset="{label}">' if where == "meta" else ""
    raw = f"<html><head>{meta}</head><body>{body}</body></html>".encode("utf-8")
    decoded = decode_html(raw, f"text/html; charset={label}" if where == "header" else None)
    assert (body in decoded.text, decoded.encoding, decoded.overruled_charset) == (True, "utf-8", label)


# ----------------------------------------------------------------------------- through the pipeline


def records(path: Path) -> list[Record]:
    out = [clean_document(doc, CONFIG, RUN) for doc in read_documents(str(path), CONFIG.input, CONFIG.limits.max_bytes)]
    assert all(isinstance(r, Record) for r in out), out
    return out


def test_html_in_a_jsonl_string_is_not_decoded_again(tmp_path):
    """A crawler's export holds the page as a string, <meta charset=windows-1252> and all:
    the string went back to UTF-8 bytes, was decoded as windows-1252 and every accent
    became mojibake that ftfy then had to repair (with an edit for each)."""
    export = tmp_path / "export.jsonl"
    export.write_text(json.dumps({"url": "https://gazette.example/zoe", "html": news_page("windows-1252")}) + "\n", encoding="utf-8")
    true_file = tmp_path / "zoe.html"
    true_file.write_bytes(news_page("windows-1252").encode("cp1252"))
    saved_again = tmp_path / "zoe-saved.html"
    saved_again.write_bytes(news_page("windows-1252").encode("utf-8"))
    (from_string,) = records(export)
    (reference,) = records(true_file)
    (utf8_file,) = records(saved_again)
    assert all(p in reference.text for p in PARAGRAPHS)
    assert from_string.text == utf8_file.text == reference.text
    assert (from_string.source.encoding, from_string.source.overruled_charset) == (STRING, None)
    assert (utf8_file.source.encoding, utf8_file.source.overruled_charset) == ("utf-8", "windows-1252")
    assert (reference.source.encoding, reference.source.overruled_charset) == ("cp1252", None)
    for record in (from_string, utf8_file, reference):
        assert not [e for e in record.edits if e.kind == "encoding"]


def test_a_text_row_is_the_string_itself(tmp_path):
    text = "\ufeff" + "\n\n".join(PARAGRAPHS)  # a leading U+FEFF is a character of the string, not a BOM
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps({"text": text}) + "\n" + json.dumps({"text": "binary\u0000" * 20}) + "\n", encoding="utf-8")
    record, reject = (clean_document(doc, CONFIG, RUN) for doc in read_documents(str(path), CONFIG.input, CONFIG.limits.max_bytes))
    assert isinstance(record, Record) and record.source.encoding == STRING
    assert record.text == "\n\n".join(PARAGRAPHS)
    assert [(e.before, e.start) for e in record.edits if e.before == "\ufeff"] == [("\ufeff", 0)]
    assert reject.reason == "binary"


def test_mojibake_the_http_header_brings_is_repaired_and_explained(tmp_path):
    """The header keeps its rank over valid UTF-8; what that breaks, ftfy repairs, edit by edit."""
    raw = news_page("windows-1252").encode("utf-8")
    doc = InputDocument(uri="crawl.warc", raw=raw, format="html", content_type="text/html; charset=iso-8859-1")
    record = clean_document(doc, CONFIG, RUN)
    assert isinstance(record, Record) and record.source.encoding == "cp1252"
    assert all(p in record.text for p in PARAGRAPHS)
    fixes = [e for e in record.edits if e.kind == "encoding"]
    assert ("Ã©", "é") in {(e.before, e.after) for e in fixes}
    assert all(e.rule.startswith("ftfy") for e in fixes)
