"""Site templates: lines that recur across many documents of one site are not article text.

A site's navigation, appeals and footers repeat on every page it serves, word for word;
its articles do not. When a run holds several documents from one host (the host of the
document's ``url``, else the folder it was read from), the profile pass counts, per host,
in how many documents each normalised line occurs; the cleaning pass removes the lines
above a document-frequency threshold (``[site_template]`` in ``rules/structure.toml``)
with rule ``navigation.site_template`` and the counts as the removal's ``detail``.

Counts are sums over documents, so the result does not depend on sharding or order.
Lines are keyed by a short hash of their normalised text to bound memory.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from cleaners.rules import load_rules

_WORD_RUN = re.compile(r"\w+")


@dataclass(frozen=True)
class TemplateSettings:
    min_documents: int
    min_share: float
    max_words: int


@lru_cache(maxsize=1)
def settings() -> TemplateSettings:
    data = load_rules("structure")["site_template"]
    return TemplateSettings(data["min_documents"], data["min_share"], data["max_words"])


def host_of(uri: str, url: str | None = None) -> str:
    """The site a document belongs to: its URL's host, else the folder it was read from."""
    if url:
        try:
            host = urlsplit(url).hostname
        except ValueError:  # "http://[::1/x": no host to be had
            host = None
        if host:
            return host.removeprefix("www.")
    return uri.rsplit("/", 1)[0] if "/" in uri else "."


@lru_cache(maxsize=1 << 14)
def normalised_line(line: str) -> str:
    """The casefolded words of ``line`` joined by single spaces: what counts as "the same
    line" for site templates, repeated headlines and duplicate lines.

    Memoised: every line is normalised by the profile pass, the template check, the
    repeated-headline rule and the line model, on each boilerplate pass, and template lines
    recur across a site's documents. (Joining the word runs equals replacing the non-word
    runs by spaces and stripping: no ``\\w`` character is whitespace.)"""
    return " ".join(_WORD_RUN.findall(line.casefold()))


@lru_cache(maxsize=1 << 14)
def line_key(line: str) -> str | None:
    """Hash of the normalised ``line``; None for lines too long to be template.

    Memoised: the cleaning pass asks once per line and boilerplate pass."""
    words = normalised_line(line)
    if not words or words.count(" ") + 1 > settings().max_words:
        return None
    return hashlib.blake2b(words.encode("utf-8"), digest_size=8).hexdigest()


def document_keys(text: str) -> set[str]:
    """The distinct line keys of one document (each line counts once per document)."""
    return {key for line in text.split("\n") if (key := line_key(line))}


def template_detail(host: str, host_documents: int, line_documents: int) -> str | None:
    """The explanation of a template line, or None when the line is not template."""
    rules = settings()
    if host_documents < rules.min_documents or line_documents < rules.min_share * host_documents:
        return None
    return f"in {line_documents} of {host_documents} documents from {host}"
