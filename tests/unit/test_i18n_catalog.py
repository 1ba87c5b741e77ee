"""The pages' gettext catalogues: every text of the templates and web code translated in fr and nl.

The texts are found as `pybabel extract` (make messages) finds them, through Babel's extract API
and the project's babel.cfg; the catalogues are read as the app reads them.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from pathways.web.i18n import LOCALE_DIR, catalogue_path, pick_language, texts, translations
from pathways.web.i18n_format import Formatter
from pathways.web.i18n_labels import labels

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "src" / "pathways"  # babel.cfg's patterns start here
TRANSLATED = ("fr", "nl")
KEYWORDS = {**DEFAULT_KEYWORDS, "t": None, "words": None}  # as `make messages` (-k t -k words)
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?([sdifr%])")


def extracted() -> Catalog:
    """Every text of the templates and web/*.py, as `make messages` extracts them."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    catalog = Catalog()
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(SOURCES), method_map, options_map, keywords=KEYWORDS
    ):
        catalog.add(message, None, [(filename, lineno)], context=context)
    return catalog


def catalogue(lang: str) -> Catalog:
    with catalogue_path(lang).open("rb") as po:
        return read_po(po, locale=lang)


def placeholders(text: str) -> list[tuple[str, str]]:
    return sorted((name, kind) for name, kind in PLACEHOLDER.findall(text) if kind != "%")


def forms(string: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    """A message's id or string as its forms: one, or one for each plural form."""
    if string is None:
        return ("",)
    return (string,) if isinstance(string, str) else tuple(string)


def where(message: Message) -> str:
    return ", ".join(f"{file}:{line}" for file, line in message.locations)


def test_the_extraction_finds_the_texts_of_templates_python_and_labels() -> None:
    found = extracted()
    assert found.get("Audit log") is not None  # a template
    assert found.get("Wrong login or password.") is not None  # web/pages.py
    assert found.get("Project lead") is not None  # web/i18n_labels.py
    assert found.get(("%(num)d event verified, chain intact", "%(num)d events verified, chain intact"))
    assert len(found) > 150


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_text_of_the_pages_is_translated(lang: str) -> None:
    po = catalogue(lang)
    missing = []
    for message in extracted():
        if not message.id:
            continue
        entry = po.get(message.id, context=message.context)
        translated = forms(entry.string) if entry is not None else ("",)
        if entry is None or entry.fuzzy or not all(form.strip() for form in translated):
            missing.append(f"{message.id!r} ({where(message)})")
    assert missing == [], f"untranslated in {catalogue_path(lang)} (run `make messages`, then translate):"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_placeholders_are_the_same_in_every_translation(lang: str) -> None:
    wrong = []
    for entry in catalogue(lang):
        if not entry.id:
            continue
        strings = [s for s in forms(entry.string) if s]
        expected = {tuple(placeholders(text)) for text in forms(entry.id)}
        wrong += [f"{entry.id!r} → {text!r}" for text in strings if tuple(placeholders(text)) not in expected]
    assert wrong == []


@pytest.mark.parametrize("lang", TRANSLATED)
def test_plural_texts_have_every_form_of_the_language(lang: str) -> None:
    po = catalogue(lang)
    assert po.num_plurals >= 2
    plurals = [entry for entry in po if entry.pluralizable]
    assert plurals, "the pages count things: some texts must have plural forms"
    for entry in plurals:
        assert isinstance(entry.string, tuple), entry.id  # read_po: a form each, for plural ids
        assert len(entry.string) == po.num_plurals, entry.id
        assert all(entry.string), entry.id
    singular, plural = "%(num)d event verified, chain intact", "%(num)d events verified, chain intact"
    one, many = texts(lang).ngettext(singular, plural, 1), texts(lang).ngettext(singular, plural, 7)
    assert one.startswith("1 ")
    assert many.startswith("7 ")
    assert one != many.replace("7", "1")


def test_the_catalogues_are_read_as_they_are_no_compiled_file_is_needed() -> None:
    assert not list(LOCALE_DIR.rglob("*.mo"))
    assert translations("fr").gettext("Audit log") == "Journal d'audit"
    assert translations("nl").gettext("Audit log") != "Audit log"
    assert translations("en").gettext("Audit log") == "Audit log"
    too_many = "Too many failed attempts for this account: try again in %(minutes)s min."
    assert texts("fr")(too_many, minutes=3).endswith("3 min.")
    assert texts("fr").pgettext("menu", "Due") != texts("fr")("Due")
    with pytest.raises(ValueError, match="unsupported language"):
        texts("de")


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_label_group_has_the_same_values_in_every_language(lang: str) -> None:
    groups, english = labels(translations(lang)), labels(translations("en"))
    assert {"status", "role", "error"} <= set(groups)
    assert {g: set(v) for g, v in groups.items()} == {g: set(v) for g, v in english.items()}
    assert groups["status"]["closed"] != english["status"]["closed"]


def test_pick_language_prefers_the_asked_one_then_the_browser_then_french() -> None:
    assert pick_language("nl", "fr-FR") == "nl"
    assert pick_language(None, "de-DE,nl-BE;q=0.8") == "nl"
    assert pick_language("de", None) == "fr"


def test_dates_numbers_and_money_in_the_readers_locale() -> None:
    fr, nl, en = (Formatter(lang, "Europe/Paris") for lang in ("fr", "nl", "en"))

    def spaced(text: str) -> str:  # Babel separates with (narrow) no-break spaces, as typography asks
        return text.replace("\u202f", " ").replace("\xa0", " ")

    assert fr.date(date(2026, 12, 14)) == "14 déc. 2026"
    assert nl.date(date(2026, 12, 14)) == "14 dec 2026"  # CLDR's Dutch short month has no full stop
    assert en.date("2026-12-14") == "Dec 14, 2026"
    instant = datetime(2026, 12, 14, 9, 30, tzinfo=UTC)
    assert fr.datetime(instant) == "14 déc. 2026, 10:30"  # in the zone: Paris is UTC+1 in winter
    assert fr.date(datetime(2026, 12, 14, 23, 30, tzinfo=UTC)) == "15 déc. 2026"
    assert fr.datetime(instant, "Europe/Brussels").endswith("10:30")
    assert spaced(fr.money(Decimal(8500))) == "8 500,00 €"
    assert spaced(nl.money(8500)) == "€ 8.500,00"
    assert spaced(fr.number(1234567)) == "1 234 567"
    assert fr.number(2.5, 1) == "2,5"
    assert spaced(fr.percent(0.42)) == "42 %"
    assert spaced(fr.duration(timedelta(days=3))) == "3 jours"
    assert spaced(nl.duration(timedelta(hours=2))) == "2 uur"
    assert fr.date(None) == fr.money(None) == "—"
    assert spaced(fr.money("900")) == "900,00 €"  # as a decision records it
    assert fr.number("4.5") == "4,5"
    assert fr.number("n/a") == "n/a"
