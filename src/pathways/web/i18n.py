"""The pages' message catalogue: one JSON file per language in ``web/i18n/``.

Every key exists in every language (a test checks it); a missing key is an error
in tests and shows the key itself to a user, never a blank.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from pathways.domain.spec import LANGS

CATALOGUE_DIR: Final = Path(__file__).resolve().parent / "i18n"
DEFAULT_LANG: Final = "fr"


@cache
def catalogue(lang: str) -> Mapping[str, str]:
    """Every message of a language, by key."""
    data = json.loads((CATALOGUE_DIR / f"{lang}.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return {str(k): str(v) for k, v in data.items()}


@dataclass(frozen=True, slots=True)
class Translator:
    """``t("key", name=...)`` in the templates: the message in one language, with its placeholders."""

    lang: str

    def __call__(self, key: str, /, **values: object) -> str:
        text = catalogue(self.lang).get(key) or catalogue("en").get(key) or key
        return text.format(**values) if values else text


def pick_language(requested: str | None, accept_language: str | None) -> str:
    """A supported language: the one asked for, else the browser's first supported one, else French."""
    if requested in LANGS:
        return requested
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGS:
            return code
    return DEFAULT_LANG
