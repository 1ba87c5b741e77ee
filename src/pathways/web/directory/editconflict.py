"""A stale project or person form's conflict in words: each edit made since the form was shown.

The project and person forms carry the version they showed (a hidden ``version`` field, see
:mod:`pathways.services.people.edit_version`); when someone else saved the same project or
person meanwhile, the save is refused (409) and the page says who changed which fields, and
when, in the page's language, above the form that keeps what the officer typed:
"Camille Martin changed Name, SIRET on 14 Dec 2026, 10:30."
"""

from __future__ import annotations

from pathways.errors import EditedMeanwhile, EditMeanwhile, PathwaysError
from pathways.web.i18n import texts
from pathways.web.i18n_format import Formatter

__all__ = ["edited_lines", "version_shown"]


def edited_lines(problem: PathwaysError | None, lang: str, zone: str) -> tuple[str, ...] | None:
    """Each edit a stale form did not see, as a sentence; None when `problem` is no such conflict.

    `zone`: the time zone to say when in (the pages: the site's, as their histories of edits).
    """
    if not isinstance(problem, EditedMeanwhile):
        return None
    return tuple(_line(m, lang, zone) for m in problem.meanwhile)


def _line(m: EditMeanwhile, lang: str, zone: str) -> str:
    t = texts(lang)
    shown = [f for f in m.fields if not (f == "siren" and "siret" in m.fields)]  # SIREN: the SIRET's start
    named = ", ".join(t.label("dir_field", f) or f.upper() for f in shown)
    at = Formatter(lang, zone).datetime(m.at)
    return t("%(by)s changed %(fields)s on %(at)s.", by=m.by or t("someone"), fields=named, at=at)


def version_shown(text: str) -> int | None:
    """The version a form carried (its hidden field); None when absent or not a number (no check)."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else None
