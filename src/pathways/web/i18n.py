"""The pages' texts: gettext catalogues, one ``.po`` file per language in ``web/locale/``.

The English text is the message id (``_("Cases due this week")``); French and Dutch live in
``locale/{fr,nl}/LC_MESSAGES/messages.po``, kept up to date with ``make messages`` (``pybabel
extract`` + ``update``) and checked by tests/unit/test_i18n_catalog.py (every text translated,
placeholders intact, plural forms present).

The ``.po`` files are read as they are, compiled in memory with Babel at the first use of a
language, and kept for the life of the process: no compiled ``.mo`` to build, commit or forget
to refresh, so what a translator edits is what the pages show on the next start. A fuzzy or
empty entry is left out, so the page falls back to the English text, never to a blank.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Final

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from pathways.domain.spec import LANGS
from pathways.web.i18n_labels import labels

LOCALE_DIR: Final = Path(__file__).resolve().parent / "locale"
DOMAIN: Final = "messages"
SOURCE_LANG: Final = "en"
DEFAULT_LANG: Final = "fr"


def catalogue_path(lang: str) -> Path:
    """The ``.po`` file of a translated language."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: str) -> Translations:
    """The translations of a language (English: the message ids themselves), compiled once."""
    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r}: expected one of {', '.join(LANGS)}")
    if lang == SOURCE_LANG:
        return Translations(domain=DOMAIN)
    with catalogue_path(lang).open("rb") as po:
        catalog = read_po(po, locale=lang, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


@dataclass(frozen=True, slots=True)
class Texts:
    """The texts of the Python side (flashes, errors) in one language: ``_ = texts(lang)``.

    Write the English text literally in the call so that ``pybabel extract`` finds it:
    ``_("Wrong login or password.")``, ``_("Try again in %(minutes)s min.", minutes=5)``,
    ``_.ngettext("%(num)d case", "%(num)d cases", n)``, ``_.pgettext("menu", "Due")``,
    ``_.label("role", "owner")``. A literal ``%`` is written ``%%``, as in the templates.
    """

    lang: str

    def __call__(self, message: str, /, **values: object) -> str:
        return str(translations(self.lang).gettext(message)) % values

    def ngettext(self, singular: str, plural: str, n: int, /, **values: object) -> str:
        """The singular or plural form for `n`; ``%(num)d`` is `n`."""
        return str(translations(self.lang).ngettext(singular, plural, n)) % {"num": n, **values}

    def pgettext(self, context: str, message: str, /, **values: object) -> str:
        """A text whose English is shared with another meaning (`context` tells them apart)."""
        return str(translations(self.lang).pgettext(context, message)) % values

    def label(self, group: str, value: object, /, **values: object) -> str | None:
        """The label of a value in a group of web/i18n_labels.py (``None`` when it has none)."""
        text = group_labels(self.lang).get(group, {}).get(str(value))
        return text % values if text is not None else None


@cache
def group_labels(lang: str) -> Mapping[str, Mapping[str, str]]:
    """Every group of labels (web/i18n_labels.py) in `lang`."""
    return labels(translations(lang))


def texts(lang: str) -> Texts:
    """The Python side's texts in `lang` (see `Texts`)."""
    translations(lang)  # refuse an unsupported language now, not at the first text
    return Texts(lang)


def pick_language(requested: str | None, accept_language: str | None) -> str:
    """A supported language: the one asked for, else the browser's first supported one, else French."""
    if requested in LANGS:
        return requested
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGS:
            return code
    return DEFAULT_LANG
