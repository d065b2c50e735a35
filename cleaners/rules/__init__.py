"""Cleaning rules kept as data: one TOML file per concern, read once per process.

Code in ``cleaners/`` decides *how* rules apply; these files say *what* the rules are
(patterns, phrase lists, thresholds), so a reader finds every rule in one obvious file and
can change one without touching logic.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources
from typing import Any


@lru_cache(maxsize=None)
def load_rules(name: str) -> dict[str, Any]:
    """The parsed ``cleaners/rules/<name>.toml``."""
    text = resources.files(__name__).joinpath(f"{name}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)
