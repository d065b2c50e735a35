"""Language: document language, foreign-paragraph flags, and the keep-languages filter."""

from __future__ import annotations

from pathlib import Path

from cleaners.config import CleanConfig, LanguageOptions
from cleaners.language import detect_language
from cleaners.pipeline import InputDocument, RunInfo, clean_document
from cleaners.record import Record, Reject

SEED = (Path(__file__).resolve().parents[1] / "seeds" / "000_c1532a8820d5ae7f.txt").read_text(encoding="utf-8")
FRENCH = (
    "Le ministre des affaires étrangères a déclaré mardi que les négociations avec la Russie devaient "
    "reprendre dès que possible, car la situation humanitaire en Ukraine se détériore chaque jour "
    "davantage selon les organisations présentes sur le terrain."
)
GERMAN = (
    "Beide Regierungen sind sich inzwischen auch beim Klimawandel grundsätzlich einig. Wie weit eine "
    "praktische Zusammenarbeit möglich ist, bleibt offen, doch eine gemeinsame Erklärung sollte kein Problem sein."
)


def clean(text: str, config: CleanConfig | None = None) -> Record | Reject:
    config = config or CleanConfig()
    return clean_document(InputDocument("mem://doc.txt", text.encode("utf-8")), config, RunInfo(config.config_hash(), processed_at="t"))


def with_paragraph(paragraph: str) -> str:
    first, rest = SEED.split("\n", 1)
    return f"{first}\n{paragraph}\n{rest}"


def test_a_quoted_french_paragraph_is_flagged_with_offsets_into_text_and_not_spell_checked():
    record = clean(with_paragraph(FRENCH.replace("situation", "situaton")))
    assert isinstance(record, Record) and record.language.code == "en"
    [flag] = record.language.foreign_paragraphs
    assert flag.code == "fr" and flag.probability >= 0.9
    assert record.text[flag.start : flag.end] == FRENCH.replace("situation", "situaton")
    # The English corrector would turn "situaton" into "situation"; it does not touch French.
    assert not any(e.before == "situaton" for e in record.edits)
    english = clean(with_paragraph("The humanitarian situaton in the region is getting worse every day, aid groups said on Tuesday."))
    assert [(e.before, e.after) for e in english.edits if e.kind == "typo"] == [("situaton", "situation")]


def test_english_text_with_names_and_short_foreign_lines_is_not_flagged():
    text = with_paragraph("“Nous sommes prêts,” said Sergei Lavrov.") + "\nKuleba, Peskov, Zaporizhzhia and Luhansk were named in the report by the ministry on Tuesday."
    assert detect_language(text, LanguageOptions()).foreign_paragraphs == []


def test_paragraph_flags_can_be_switched_off():
    assert detect_language(with_paragraph(GERMAN), LanguageOptions(paragraphs=False)).foreign_paragraphs == []
    [flag] = detect_language(with_paragraph(GERMAN), LanguageOptions()).foreign_paragraphs
    assert flag.code == "de"


def test_documents_outside_the_kept_languages_are_rejects_with_a_reason():
    config = CleanConfig.model_validate({"language": {"keep": ["de", "fr"]}})
    reject = clean(SEED, config)
    assert isinstance(reject, Reject) and reject.reason == "language"
    assert "'en'" in reject.message and "['de', 'fr']" in reject.message
    kept = clean("\n".join([GERMAN, GERMAN.replace("Beide", "Die beiden")]), config)
    assert isinstance(kept, Record) and kept.language.code == "de"


def test_language_is_deterministic():
    text = with_paragraph(FRENCH)
    assert clean(text).model_dump_json() == clean(text).model_dump_json()
