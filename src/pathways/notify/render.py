"""Render message templates in the recipient's language.

One template per message kind and language: ``<templates>/<lang>/<name>.txt.j2``
(first line ``Subject: ...``, a blank line, the plain-text body) and optionally
``<name>.html.j2`` for an HTML part. Templates run in a sandbox with
``StrictUndefined``, so a missing variable fails loudly (at test time) instead of
leaving a blank in a message. Templates are edited by organisations and field values
come from anyone: the sandbox refuses attribute access to Python internals
(``''.__class__.__mro__``, ``cycler.__init__.__globals__``...) with a RenderError naming
the template, and values are data, never template code (escaped in HTML parts).
Dates and numbers are formatted by Babel for the language, in the organisation's
time zone (filters ``date``, ``datetime``, ``number``).
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from jinja2 import FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound, select_autoescape
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from pathways.domain.spec import LANGS
from pathways.errors import RenderError

log = logging.getLogger(__name__)

FALLBACK_LANGUAGE = "en"
SUBJECT_PREFIX = "Subject:"


@dataclass(frozen=True, slots=True)
class Rendered:
    """A message ready to deliver."""

    lang: str
    subject: str
    body: str
    html: str | None = None


def choose_language(person: str | None, organisation: str | None, *, who: str = "recipient") -> str:
    """The person's language, else the organisation's, else English (with a warning)."""
    for lang in (person, organisation):
        if lang in LANGS:
            return str(lang)
    log.warning(
        "no supported language for %s (person %r, organisation %r): writing in %s",
        who,
        person,
        organisation,
        FALLBACK_LANGUAGE,
    )
    return FALLBACK_LANGUAGE


def babel_locale(lang: str, zone: str) -> str:
    """The Babel locale for a language in an organisation's zone: Belgian or French usage, British English."""
    if lang == "en":
        return "en_GB"
    country = "BE" if zone == "Europe/Brussels" or lang == "nl" else "FR"
    return f"{lang}_{country}"


def _filters(locale: str, zone: ZoneInfo) -> dict[str, Callable[..., str]]:
    def date_(value: date | datetime, format: str = "full") -> str:  # noqa: A002  Babel's name
        day = value.astimezone(zone).date() if isinstance(value, datetime) else value
        return str(format_date(day, format=format, locale=locale))

    def datetime_(value: datetime, format: str = "medium") -> str:  # noqa: A002
        return str(format_datetime(value, format=format, tzinfo=zone, locale=locale))

    def number(value: int | float | Decimal, format: str | None = None) -> str:  # noqa: A002
        return str(format_decimal(value, format=format, locale=locale))

    return {"date": date_, "datetime": datetime_, "number": number}


class Renderer:
    """Renders the templates of one templates directory (one sandboxed environment per language and zone)."""

    def __init__(self, templates_dir: Path) -> None:
        self.templates_dir = templates_dir
        self._environment = lru_cache(maxsize=64)(self._build)

    def _build(self, lang: str, zone: str, one_line: bool = False) -> SandboxedEnvironment:
        env = SandboxedEnvironment(
            loader=FileSystemLoader(str(self.templates_dir / lang)),
            undefined=StrictUndefined,
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            finalize=_flat if one_line else None,
        )
        env.filters.update(_filters(babel_locale(lang, zone), ZoneInfo(zone)))
        return env

    def exists(self, name: str, lang: str) -> bool:
        """Whether the plain-text template `name` exists in `lang`."""
        return (self.templates_dir / lang / f"{name}.txt.j2").is_file()

    def render(self, name: str, lang: str, context: Mapping[str, Any], *, zone: str) -> Rendered:
        """Render message `name` in `lang`; dates shown in `zone`. RenderError names the template."""
        if lang not in LANGS:
            raise RenderError(f"unsupported language {lang!r}", hint=f"use one of {', '.join(LANGS)}")
        env = self._environment(lang, zone)
        env_flat = self._environment(lang, zone, True)
        where = f"{self.templates_dir / lang / name}.txt.j2"
        try:
            text = env.get_template(f"{name}.txt.j2").render(**context)
        except TemplateNotFound:
            raise RenderError(
                f"no template {where}", hint=f"write {name}.txt.j2 in {', '.join(LANGS)}"
            ) from None
        except TemplateError as exc:
            raise _refusal(where, exc) from exc
        # A value holding a line break must not end the subject line: the subject is read from
        # the same render with every value flattened, whose characters line up one for one.
        flat = env_flat.get_template(f"{name}.txt.j2").render(**context)
        subject, body = split_subject(text, where=where, flat=flat)
        html = None
        if (self.templates_dir / lang / f"{name}.html.j2").is_file():
            try:
                html = env.get_template(f"{name}.html.j2").render(**context)
            except TemplateError as exc:
                raise _refusal(f"{where[:-7]}.html.j2", exc) from exc
        return Rendered(lang=lang, subject=subject, body=body, html=html)


def _refusal(where: str, exc: TemplateError) -> RenderError:
    """The RenderError of a template that failed: refused by the sandbox, or broken."""
    if isinstance(exc, SecurityError):
        return RenderError(
            f"{where}: refused by the template sandbox: {exc}",
            hint="a template may only use the message's variables and the date, datetime and number filters",
        )
    return RenderError(f"{where}: {exc}", hint="check the variables the template uses")


def _flat(value: object) -> object:
    """A value with every control or line-separator character a space (one for one)."""
    if not isinstance(value, str):
        return value
    return "".join(" " if unicodedata.category(c) in _BREAKS else c for c in value)


_BREAKS = frozenset({"Cc", "Zl", "Zp"})


def split_subject(text: str, *, where: str, flat: str | None = None) -> tuple[str, str]:
    """(subject, body) of a rendered text template.

    `flat` is the same render with values flattened (:func:`_flat`): the subject line is read
    there, so a line break inside a value cannot end it, and the body from `text`.
    """
    if flat is not None and len(flat) == len(text):
        start = len(flat) - len(flat.lstrip())
        end = flat.find("\n", start)
        end = len(flat) if end < 0 else end
        first, rest = flat[start:end], text[end + 1 :]
    else:
        first, _, rest = text.lstrip().partition("\n")
    if not first.startswith(SUBJECT_PREFIX):
        raise RenderError(
            f"{where}: the first line must be 'Subject: ...', got {first[:60]!r}",
            hint="start the template with the subject line, then a blank line, then the body",
        )
    subject = first.removeprefix(SUBJECT_PREFIX).strip()
    if not subject:
        raise RenderError(f"{where}: the subject is empty")
    return subject, rest.strip("\n").rstrip() + "\n"
