"""A stale project or person form's conflict in words: each edit made since the form was shown.

The project and person forms carry the version they showed (a hidden ``version`` field, see
:mod:`pathways.services.people.edit_version`); when someone else saved the same project or
person meanwhile, the save is refused (409) and the page says who changed which fields, and
when, in the page's language, above the form that keeps what the officer typed:
"Camille Martin changed Name, SIRET on 14 Dec 2026, 10:30."
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, TypeVar

from pathways.errors import EditedMeanwhile, EditMeanwhile, PathwaysError
from pathways.web.i18n import texts
from pathways.web.i18n_format import Formatter

__all__ = ["edited_lines", "refreshed", "version_shown"]

V = TypeVar("V")


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


# An edit's field, as the form names it: the SIREN is the SIRET's start, the owner is chosen by id.
_FORM_FIELD: Final = {"siren": "siret", "owner_id": "owner", "channels": "add_channels"}


def refreshed(entered: Mapping[str, V], now: Mapping[str, V], stale: EditedMeanwhile) -> dict[str, V]:
    """What a stale form shows again: what the officer typed, but the fields changed meanwhile as
    they are `now`, so that saving again never puts back a value someone else has just replaced."""
    changed = {_FORM_FIELD.get(f, f) for m in stale.meanwhile for f in m.fields}
    return {k: now[k] if k in changed and k in now else v for k, v in entered.items()}


def version_shown(text: str) -> int | None:
    """The version a form carried (its hidden field); None when absent or not a number (no check)."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else None
