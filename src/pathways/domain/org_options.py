"""An organisation's local rules: the options of :data:`pathways.domain.programme.OPTIONS` it switches
on or off, over what its pathway files say.

A pathway file's ``options`` are its default for every organisation the installation serves; an
organisation that follows a charter (one DLA's) or an edition (the Geiq federation's TSF) sets the
option for itself (``pathways org update ORG --option consultant_bid_within_week=on``, or the API),
and its cases follow its setting. An option takes effect where the case's pathway runs the
option's check (every shipped file does, see docs/PROGRAMMES.md); ``default`` removes the
organisation's setting, and the file's value applies again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from pathways.domain.programme import OPTIONS
from pathways.domain.yamlpos import suggest
from pathways.errors import FieldError

__all__ = ["NAMES", "effective", "merge", "parse_setting"]

NAMES: Final = tuple(info.name for info in OPTIONS)
_ON: Final = frozenset({"on", "true", "yes", "1"})
_OFF: Final = frozenset({"off", "false", "no", "0"})
_DEFAULT: Final = frozenset({"default", "file", "unset"})


def _known(name: str) -> str:
    if name not in NAMES:
        raise FieldError("option", f"unknown option '{name}'", hint=suggest(name, NAMES, "options"))
    return name


def parse_setting(text: str) -> tuple[str, bool | None]:
    """``name=on|off|default`` as (name, True/False, or None: back to the pathway file's value)."""
    name, sep, value = text.partition("=")
    if not sep:
        raise FieldError("option", f"'{text}' is not name=value", hint="e.g. consultant_bid_within_week=on")
    word = value.strip().lower()
    if word in _ON:
        return _known(name.strip()), True
    if word in _OFF:
        return _known(name.strip()), False
    if word in _DEFAULT:
        return _known(name.strip()), None
    raise FieldError("option", f"'{value}' is not on, off or default", hint=f"e.g. {name.strip()}=on")


def merge(current: Mapping[str, bool], changes: Iterable[tuple[str, bool | None]]) -> dict[str, bool]:
    """The organisation's settings after `changes` (None removes one), names checked."""
    merged = dict(current)
    for name, value in changes:
        _known(name)
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return {name: merged[name] for name in NAMES if name in merged}


def effective(org: Mapping[str, bool], file: Mapping[str, bool]) -> dict[str, tuple[bool, str]]:
    """Each option: whether it is on, and where that comes from ('organisation', 'pathway file' or
    'default')."""
    shown: dict[str, tuple[bool, str]] = {}
    for name in NAMES:
        if name in org:
            shown[name] = (bool(org[name]), "organisation")
        elif name in file:
            shown[name] = (bool(file[name]), "pathway file")
        else:
            shown[name] = (False, "default")
    return shown
