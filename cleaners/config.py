"""Cleaning options: built-in defaults, optionally overridden by a TOML file.

A config file only needs the keys it changes, e.g.::

    [typos]
    enabled = false

    [boilerplate]
    strictness = "conservative"

Unknown keys are an error (a typo in a config file should not be silently ignored).
The config hash recorded in every record and manifest is the sha256 of the canonical JSON
of the *effective* config, so two files that mean the same thing hash the same.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EncodingOptions(_Section):
    enabled: bool = True
    uncurl_quotes: bool = Field(False, description="Turn curly quotes into straight ones.")
    fix_latin_ligatures: bool = False
    normalization: Literal["NFC", "NFKC", "none"] = "NFC"


class SpacingOptions(_Section):
    enabled: bool = True


class BoilerplateOptions(_Section):
    enabled: bool = True
    strictness: Literal["conservative", "balanced", "aggressive"] = "balanced"
    line_model: bool = Field(True, description="Also remove lines the line model is confident are not article text.")


class TypoOptions(_Section):
    enabled: bool = True
    name_variants: bool = Field(True, description="Unify rare spellings of names with a dominant form.")
    languages: list[str] = Field(default_factory=lambda: ["en"], description="Languages with a dictionary.")


class LanguageOptions(_Section):
    enabled: bool = True
    prefix_chars: int = Field(2000, ge=100, description="Detect on this many leading characters (speed).")
    seed: int = 0
    keep: list[str] = Field(
        default_factory=list,
        description="ISO 639-1 codes to keep; documents in other languages become rejects (reason 'language'). Empty: keep all.",
    )
    paragraphs: bool = Field(True, description="Flag long paragraphs in another language than the document's.")


class LimitOptions(_Section):
    max_bytes: int = Field(5_000_000, ge=1, description="Documents larger than this (decompressed) are rejected.")


class InputFields(_Section):
    """Names of the fields of a JSONL row, or the columns of a CSV, TSV or Parquet table;
    other fields go to ``source.extra``."""

    url: str = "url"
    html: str = "html"
    text: str = "text"
    id: str = "id"
    published: str = "published"


class InputOptions(_Section):
    format: Literal["auto", "text", "html", "jsonl", "warc", "csv", "tsv", "parquet"] = Field(
        "auto", description="'auto': by file name ending (.txt .html .htm .jsonl .warc .arc .csv .tsv, each maybe .gz; .parquet), else by content."
    )
    fields: InputFields = InputFields()

    @model_validator(mode="before")
    @classmethod
    def _old_jsonl_key(cls, data: object) -> object:
        """``[input.jsonl]``, the key's name before tables were inputs, still works."""
        if isinstance(data, dict) and "jsonl" in data:
            if "fields" in data:
                raise ValueError("[input.jsonl] and [input.fields] name the same thing: keep [input.fields]")
            data = {("fields" if key == "jsonl" else key): value for key, value in data.items()}
        return data


class HtmlOptions(_Section):
    time_limit: float = Field(10.0, gt=0, description="Seconds one page's extraction may take; slower pages are rejected.")


class NearDuplicateOptions(_Section):
    """Near-duplicate records (cleaners/run/near_duplicates.py); the defaults are justified
    by ``benchmarks/near_duplicates.py`` (docs/benchmarks.md)."""

    mode: Literal["mark", "skip", "off"] = Field(
        "mark",
        description="'mark': a later copy's record says which earlier record it matches; 'skip': later copies go to skipped.jsonl "
        "(reason 'near_duplicate') instead of the documents; 'off': no signatures at all.",
    )
    threshold: float = Field(0.6, gt=0.0, le=1.0, description="Estimated Jaccard similarity of the word shingles from which two texts are one story.")
    shingle_words: int = Field(5, ge=1, le=10, description="Words per shingle.")
    permutations: int = Field(128, ge=16, le=1024, description="MinHash values per signature.")
    bands: int = Field(32, ge=1, description="LSH bands: two texts that agree on all the values of one band are compared.")
    min_words: int = Field(50, ge=1, description="Texts of fewer words get no signature (a short brief is like many others).")

    @model_validator(mode="after")
    def _bands_fit(self) -> "NearDuplicateOptions":
        if self.bands > self.permutations:
            raise ValueError(f"bands ({self.bands}) cannot exceed permutations ({self.permutations})")
        return self


class CleanConfig(_Section):
    encoding: EncodingOptions = EncodingOptions()
    spacing: SpacingOptions = SpacingOptions()
    boilerplate: BoilerplateOptions = BoilerplateOptions()
    typos: TypoOptions = TypoOptions()
    language: LanguageOptions = LanguageOptions()
    limits: LimitOptions = LimitOptions()
    input: InputOptions = InputOptions()
    html: HtmlOptions = HtmlOptions()
    near_duplicates: NearDuplicateOptions = NearDuplicateOptions()

    def overridden(self, input_format: str | None = None, strictness: str | None = None, near_duplicates: str | None = None) -> "CleanConfig":
        """This config with the command line's choices (``--format``, ``--strictness``,
        ``--near-duplicates``) in place of the file's, validated like the file (so the config
        hash is the effective one)."""
        data = self.model_dump(mode="json")
        if near_duplicates is not None:
            data["near_duplicates"]["mode"] = near_duplicates
        if input_format is not None:
            data["input"]["format"] = input_format
        if strictness is not None:
            data["boilerplate"]["strictness"] = strictness
        return CleanConfig.model_validate(data)

    def canonical_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))

    def config_hash(self) -> str:
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()


class ConfigError(ValueError):
    """A config file that cannot be read or does not validate."""


def load_config(path: str | Path | None) -> CleanConfig:
    """Built-in defaults, overridden by the TOML file at ``path`` when given."""
    if path is None or str(path) == "":
        return CleanConfig()
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}") from exc
    except OSError as exc:  # a folder, no permission
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    try:
        return CleanConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"config file {path} is invalid:\n{exc}") from exc
